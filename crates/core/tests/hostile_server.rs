//! A server that lies, against the core's parsers: tokens carrying line breaks and control
//! characters, absurd or missing lifetimes, device prompts made of terminal escapes and
//! `javascript:` URIs, and error messages that echo the password in other forms. Each test is
//! named for the attack and fails on a core that believes what it is sent (issue 11).

mod common;
use common::*;
use tapis_auth_core::flow::device::DeviceFlow;
use tapis_auth_core::flow::{password, refresh};
use tapis_auth_core::token::{
    ASSUMED_LIFETIME_SECS, MAX_ACCESS_LIFETIME_SECS, MAX_REFRESH_LIFETIME_SECS,
};
use tapis_auth_core::{Error, Flow, HttpResponse, Platform, Session, TokenSet, UnixTime};

const NOW: i64 = 1_000_000;

fn refresh_with(platform: Platform, body: &str) -> Result<TokenSet, Error> {
    run(
        refresh::refresh(&session(platform)).unwrap(),
        NOW,
        HttpResponse::new(200, body.to_owned()),
    )
}

fn v2_body(access: &str, refresh: &str, expires_in: &str) -> String {
    format!(
        r#"{{"access_token":{},"refresh_token":{},{expires_in}"token_type":"bearer"}}"#,
        serde_json::to_string(access).unwrap(),
        serde_json::to_string(refresh).unwrap()
    )
}

fn v3_body(access: &str, refresh: &str) -> String {
    V3_TOKEN_OK
        .replace("\"ACCESS_JWT\"", &serde_json::to_string(access).unwrap())
        .replace("\"REFRESH_JWT\"", &serde_json::to_string(refresh).unwrap())
}

#[track_caller]
fn assert_malformed(r: Result<TokenSet, Error>, bad: &str) {
    match r {
        Err(e @ Error::Malformed { .. }) => {
            let text = e.to_string();
            assert!(text.contains("visible ASCII"), "{text}");
            assert!(!text.contains(bad), "the error quotes the token: {text}");
        }
        other => panic!("a token {bad:?} was accepted: {other:?}"),
    }
}

#[test]
fn tokens_with_line_breaks_or_control_characters_are_malformed() {
    let good = "abc1236eb2c917a4c5796eb1cc2c6f";
    for bad in [
        "abc123\r\nX-Injected: 1",
        "abc123\nevil",
        "abc\u{1b}]52;c;ZXZpbA==\u{7}",
        "abc def",
        "abc\tdef",
        "abcé123",
        "abc\u{7f}",
    ] {
        assert_malformed(
            refresh_with(Platform::AgaveV2, &v2_body(bad, good, "")),
            bad,
        );
        assert_malformed(
            refresh_with(Platform::AgaveV2, &v2_body(good, bad, "")),
            bad,
        );
        assert_malformed(refresh_with(Platform::TapisV3, &v3_body(bad, good)), bad);
        assert_malformed(refresh_with(Platform::TapisV3, &v3_body(good, bad)), bad);
    }
}

#[test]
fn an_absurd_lifetime_is_capped() {
    for expires_in in [
        "1e300",
        "9223372036854775807",
        "\"1e300\"",
        "1.7976931348623157e308",
    ] {
        let t = refresh_with(
            Platform::AgaveV2,
            &v2_body(
                "opaque-token",
                "opaque-refresh",
                &format!("\"expires_in\":{expires_in},"),
            ),
        )
        .unwrap();
        assert_eq!(
            t.expires_at,
            Some(UnixTime(NOW + MAX_ACCESS_LIFETIME_SECS)),
            "expires_in {expires_in}"
        );
        assert!(t.needs_refresh(UnixTime(NOW + MAX_ACCESS_LIFETIME_SECS), 0));
    }
    // A JWT whose `exp` is absurd, and a refresh token that claims to live forever.
    let forever = jwt(r#"{"exp":9223372036854775807}"#);
    let body = V3_TOKEN_OK
        .replace("ACCESS_JWT", &forever)
        .replace("REFRESH_JWT", &forever)
        .replace("\"expires_in\": 31536000", "\"expires_in\": 1e300");
    let t = refresh_with(Platform::TapisV3, &body).unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(NOW + MAX_ACCESS_LIFETIME_SECS)));
    assert_eq!(
        t.refresh_expires_at,
        Some(UnixTime(NOW + MAX_REFRESH_LIFETIME_SECS))
    );
}

#[test]
fn a_missing_or_unreadable_expires_in_gets_the_assumed_lifetime() {
    for expires_in in [
        "",
        "\"expires_in\":null,",
        "\"expires_in\":\"soon\",",
        "\"expires_in\":0,",
        "\"expires_in\":-5,",
        "\"expires_in\":\"-1\",",
    ] {
        let t = refresh_with(
            Platform::AgaveV2,
            &v2_body("opaque-token", "opaque-refresh", expires_in),
        )
        .unwrap();
        assert_eq!(
            t.expires_at,
            Some(UnixTime(NOW + ASSUMED_LIFETIME_SECS)),
            "{expires_in:?}"
        );
        assert!(
            !t.needs_refresh(UnixTime(NOW), 0),
            "{expires_in:?}: a fresh token must not need refreshing at once"
        );
    }
}

fn device_start(result: &str) -> Result<(), Error> {
    let mut f = DeviceFlow::new(&session(Platform::TapisV3).tenant, "cli", 5).unwrap();
    let _ = polled(&mut f, NOW);
    f.handle_response(
        UnixTime(NOW),
        HttpResponse::new(
            200,
            format!(r#"{{"status":"success","message":"ok","result":{result}}}"#),
        ),
    )
}

#[test]
fn device_prompts_with_terminal_escapes_or_script_uris_are_malformed() {
    let prompt = |code: &str, uri: &str| {
        format!(
            r#"{{"device_code":"dc123456","user_code":{},"verification_uri":{},"expires_in":600}}"#,
            serde_json::to_string(code).unwrap(),
            serde_json::to_string(uri).unwrap()
        )
    };
    let uri = "https://tacc.tapis.io/v3/oauth2/device?client_id=cli";
    for (code, uri) in [
        ("GyiU\u{1b}]52;c;ZXZpbA==\u{7}", uri),
        ("Gyi\u{1b}[2J", uri),
        ("GyiU VrMh", uri),
        ("GyiUVrMh", "javascript:alert(document.cookie)"),
        ("GyiUVrMh", "data:text/html,<script>x</script>"),
        ("GyiUVrMh", "http://evil.example/device"),
        (
            "GyiUVrMh",
            "https://tacc.tapis.io/\u{1b}]52;c;ZXZpbA==\u{7}",
        ),
        ("GyiUVrMh", "https://tacc.tapis.io/device\r\nInjected: 1"),
        ("", uri),
    ] {
        let e = device_start(&prompt(code, uri)).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { .. }),
            "{code:?} {uri:?}: {e:?}"
        );
        let text = e.to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }
    device_start(&prompt("GyiUVrMh", uri)).expect("an ordinary prompt");
    device_start(&prompt(
        "GyiUVrMh",
        "http://127.0.0.1:8080/v3/oauth2/device",
    ))
    .expect("plain http to a local test server");
}

fn password_error(s: &Session, body: &str) -> Error {
    run(
        password::password_grant(s).unwrap(),
        NOW,
        HttpResponse::new(400, body.to_owned()),
    )
    .unwrap_err()
}

#[test]
fn a_server_echoing_the_password_in_other_forms_is_redacted() {
    use base64::Engine;
    for platform in [Platform::AgaveV2, Platform::TapisV3] {
        let s = session(platform);
        // PASSWORD is "pa55-w0rd!": URL-encoded "pa55-w0rd%21".
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("testuser:{PASSWORD}"));
        for echo in [
            format!("request had Authorization: Basic {b64}"),
            format!("request had authorization: basic {b64}"),
            "password=pa55-w0rd%21 was wrong".to_owned(),
            "login with pa55-w0rd%21 failed".to_owned(),
            "login with PA55-W0RD! failed".to_owned(),
            "login with Pa55-W0rd! failed".to_owned(),
            format!("key {} rejected", CLIENT_KEY.to_ascii_lowercase()),
        ] {
            let body = envelope_error(&echo);
            let e = password_error(&s, &body);
            let text = format!("{e} {e:?}");
            for leak in [
                PASSWORD.to_owned(),
                PASSWORD.to_ascii_uppercase(),
                "pa55-w0rd%21".to_owned(),
                b64.clone(),
                CLIENT_KEY.to_ascii_lowercase(),
            ] {
                assert!(
                    !text
                        .to_ascii_lowercase()
                        .contains(&leak.to_ascii_lowercase()),
                    "{platform}: {echo:?} leaked {leak:?}: {text}"
                );
            }
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}

#[test]
fn server_error_messages_never_carry_terminal_escapes() {
    let s = session(Platform::TapisV3);
    let e = password_error(
        &s,
        &envelope_error("Invalid username/password\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}"),
    );
    let text = e.to_string();
    for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!text.contains(c), "{c:?} reached the message: {text:?}");
    }
    assert!(text.contains("Invalid username/password"), "{text}");
}
