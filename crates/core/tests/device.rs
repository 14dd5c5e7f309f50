//! The device-code flow walked through step by step (tapis-v3.md §3.6).

mod common;
use common::*;
use tapis_auth_core::flow::device::{DeviceFlow, DEFAULT_POLL_INTERVAL_SECS};
use tapis_auth_core::{Action, Error, Flow, HttpResponse, Platform, UnixTime};

const START: &str = r#"{"message":"Token created successfully.","metadata":{},"result":{"client_id":"tylers_client","device_code":"0vfjUOsDvgdQWJRBWcCJEVxnOqwxr1FbnPdXnw4Z","expires_in":"Mon, 06 Apr 2026 10:27:50 GMT","user_code":"GyiUVrMh","verification_uri":"https://tacc.tapis.io/v3/oauth2/device?client_id=tylers_client"},"status":"success","version":"26Q1.0"}"#;
const DEADLINE: i64 = 1_775_471_270; // Mon, 06 Apr 2026 10:27:50 GMT
const T0: i64 = DEADLINE - 600;

fn started() -> DeviceFlow {
    let mut f = DeviceFlow::new(&session(Platform::TapisV3).tenant, "tylers_client", 5).unwrap();
    let req = polled(&mut f, T0);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/device/code");
    assert!(req.headers.is_empty(), "no authentication");
    assert_eq!(body(&req), r#"{"client_id":"tylers_client"}"#);
    f.handle_response(UnixTime(T0), HttpResponse::new(200, START))
        .unwrap();
    f
}

fn not_ready() -> HttpResponse {
    HttpResponse::new(400, envelope_error("device code not ready."))
}

#[test]
fn start_prompt_once_pending_wait_success() {
    let mut f = started();
    assert_eq!(f.deadline(), Some(UnixTime(DEADLINE)));
    match f.poll(UnixTime(T0)).unwrap() {
        Action::Prompt(p) => {
            assert_eq!(p.user_code, "GyiUVrMh");
            assert_eq!(
                p.verification_uri,
                "https://tacc.tapis.io/v3/oauth2/device?client_id=tylers_client"
            );
            assert_eq!(p.expires_at, UnixTime(DEADLINE));
        }
        other => panic!("{}", kind(&other)),
    }
    assert_eq!(f.prompt().unwrap().user_code, "GyiUVrMh");
    let poll = polled(&mut f, T0);
    assert_eq!(poll.url, "https://tacc.tapis.io/v3/oauth2/tokens");
    assert_eq!(poll.header_value("Authorization"), None);
    assert_eq!(
        body(&poll),
        r#"{"grant_type":"device_code","device_code":"0vfjUOsDvgdQWJRBWcCJEVxnOqwxr1FbnPdXnw4Z","client_id":"tylers_client"}"#
    );
    f.handle_response(UnixTime(T0), not_ready()).unwrap();
    // Waiting is idempotent until the time comes; no second prompt.
    assert!(matches!(f.poll(UnixTime(T0)).unwrap(), Action::WaitUntil(UnixTime(t)) if t == T0 + 5));
    assert!(
        matches!(f.poll(UnixTime(T0 + 3)).unwrap(), Action::WaitUntil(UnixTime(t)) if t == T0 + 5)
    );
    assert!(matches!(
        f.handle_response(UnixTime(T0), not_ready()),
        Err(Error::ApiMisuse(_))
    ));
    let _ = polled(&mut f, T0 + 5);
    assert!(
        matches!(f.poll(UnixTime(T0 + 5)), Err(Error::ApiMisuse(_))),
        "response outstanding"
    );
    f.handle_response(
        UnixTime(T0 + 5),
        HttpResponse::new(200, v3_token_ok(T0 + 2_592_000, T0 + 3_000_000)),
    )
    .unwrap();
    match f.poll(UnixTime(T0 + 5)).unwrap() {
        Action::Done(t) => {
            assert_eq!(t.expires_at, Some(UnixTime(T0 + 2_592_000)));
            assert!(t.refresh_token.is_some());
        }
        other => panic!("{}", kind(&other)),
    }
    assert!(f.is_finished());
    assert!(f.poll(UnixTime(T0 + 6)).is_err());
}

#[test]
fn client_side_deadline_ends_the_flow() {
    let mut f = started();
    let _ = f.poll(UnixTime(T0)).unwrap(); // prompt
    let mut now = T0;
    loop {
        match f.poll(UnixTime(now)) {
            Ok(Action::Send(_)) => f.handle_response(UnixTime(now), not_ready()).unwrap(),
            Ok(Action::WaitUntil(t)) => {
                assert!(t.secs() <= DEADLINE, "never waits past the deadline");
                now = t.secs();
            }
            Err(Error::DeviceCodeExpired) => break,
            Ok(other) => panic!("{}", kind(&other)),
            Err(e) => panic!("{e:?}"),
        }
        assert!(now <= DEADLINE + 1);
    }
    assert_eq!(now, DEADLINE);
    assert!(f.is_finished());
}

#[test]
fn terminal_messages() {
    type Check = fn(&Error) -> bool;
    let cases: &[(&str, Check)] = &[
        ("device code has expired and is now deleted.", |e| {
            matches!(e, Error::DeviceCodeExpired)
        }),
        ("device code not valid.", |e| {
            matches!(e, Error::LoginFailed { .. })
        }),
        (
            "Client IDs do not match between device code and passed in client_id",
            |e| matches!(e, Error::LoginFailed { .. }),
        ),
        (
            "Device code client id and passed in client id do not match",
            |e| matches!(e, Error::LoginFailed { .. }),
        ),
        ("Required client_id parameter missing.", |e| {
            matches!(e, Error::LoginFailed { .. })
        }),
        ("Required device_code parameter missing.", |e| {
            matches!(e, Error::LoginFailed { .. })
        }),
    ];
    for (msg, check) in cases {
        let mut f = started();
        let _ = f.poll(UnixTime(T0)).unwrap();
        let _ = polled(&mut f, T0);
        let e = f
            .handle_response(UnixTime(T0), HttpResponse::new(400, envelope_error(msg)))
            .unwrap_err();
        assert!(check(&e), "{msg}: {e:?}");
        assert!(f.is_finished());
    }
}

#[test]
fn start_errors_and_expiry_fallbacks() {
    let tenant = session(Platform::TapisV3).tenant;
    let mut f = DeviceFlow::new(&tenant, "nope", 0).unwrap();
    assert_eq!(f.interval(), DEFAULT_POLL_INTERVAL_SECS);
    let _ = polled(&mut f, 0);
    let e = f
        .handle_response(
            UnixTime(0),
            HttpResponse::new(400, envelope_error("Invalid client: nope")),
        )
        .unwrap_err();
    assert!(matches!(e, Error::InvalidClient { .. }));
    for (exp, want) in [(r#""garbage""#, 100 + 600), ("300", 400), (r#""300""#, 400)] {
        let mut f = DeviceFlow::new(&tenant, "c", 5).unwrap();
        let _ = polled(&mut f, 100);
        let b = START.replace(r#""Mon, 06 Apr 2026 10:27:50 GMT""#, exp);
        f.handle_response(UnixTime(100), HttpResponse::new(200, b))
            .unwrap();
        assert_eq!(f.deadline(), Some(UnixTime(want)), "{exp}");
    }
    let mut f = DeviceFlow::new(&tenant, "c", 5).unwrap();
    let _ = polled(&mut f, 0);
    let b = START.replace("\"user_code\":\"GyiUVrMh\",", "");
    assert!(matches!(
        f.handle_response(UnixTime(0), HttpResponse::new(200, b)),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        DeviceFlow::new(&tenant, "", 5),
        Err(Error::Config(_))
    ));
}

/// `expires_in` is an HTTP-date on Tapis; seconds from now (a number or a numeric string) are
/// accepted too, and anything else falls back to ten minutes from now.
#[test]
fn expires_in_forms() {
    for (value, deadline) in [
        (r#""Mon, 06 Apr 2026 10:27:50 GMT""#, DEADLINE),
        ("300", T0 + 300),
        (r#"" 300 ""#, T0 + 300),
        ("300.0", T0 + 300),
        (r#""soon""#, T0 + 600),
        ("null", T0 + 600),
        (&i64::MAX.to_string(), i64::MAX),
    ] {
        let body = START.replace(r#""Mon, 06 Apr 2026 10:27:50 GMT""#, value);
        let mut f = DeviceFlow::new(&session(Platform::TapisV3).tenant, "c", 5).unwrap();
        polled(&mut f, T0);
        f.handle_response(UnixTime(T0), HttpResponse::new(200, body))
            .unwrap();
        assert_eq!(f.deadline(), Some(UnixTime(deadline)), "{value}");
    }
}
