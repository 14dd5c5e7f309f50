//! Every error message in the reference files maps to the right [`Error`] variant, and no
//! secret survives into an error's Display or Debug.

mod common;
use common::*;
use tapis_auth_core::flow::{
    auth_code::AuthCodeFlow, clients, password, refresh, revoke, userinfo,
};
use tapis_auth_core::{classify, Context, Error, HttpResponse, OAuthClient, Platform, Secret};

fn v3(ctx: Context, msg: &str) -> Error {
    classify(
        Platform::TapisV3,
        ctx,
        &HttpResponse::new(400, envelope_error(msg)),
        &[],
    )
}

#[test]
fn v3_token_endpoint_table() {
    use Context::*;
    let table: &[(Context, &str, &str)] = &[
        (PasswordGrant, "Invalid grant_type", "Unsupported"),
        (PasswordGrant, "Invalid grant_type (implicit); this grant type is not allowed for this tenant. Allowable grant types: ['password']", "Unsupported"),
        (RefreshGrant, "Invalid client credentials: cid, ckey-xyz. session: <SecureCookieSession {}>", "InvalidClient"),
        (PasswordGrant, "Invalid client credentials: cid, ckey-xyz. session: {}", "InvalidClient"),
        (RefreshGrant, "Invalid headers. Basic authentication with client id and key required but missing.", "InvalidClient"),
        (PasswordGrant, "Missing required payload data; username and password are required for the password grant type.", "RequestRefused"),
        (PasswordGrant, "Invalid username/password combination.", "InvalidCredentials"),
        (RefreshGrant, "Invalid refresh_token.", "RefreshRejected"),
        (RefreshGrant, "Invalid token type. The refresh_token grant type required a token of type refresh. Instead a token of type access was passed.", "RefreshRejected"),
        (RefreshGrant, "Invalid refresh_token format; this token was missing the access_token claim.", "RefreshRejected"),
        (RefreshGrant, "client_id from header (a) does not match the client_id in the token claim (b).", "RefreshRejected"),
        (AuthCodeGrant, "Required redirect_uri parameter missing.", "LoginFailed"),
        (AuthCodeGrant, "Invalid redirect_uri parameter: does not match callback URL registered with client.", "LoginFailed"),
        (AuthCodeGrant, "Required authorization_code parameter missing.", "LoginFailed"),
        (AuthCodeGrant, "authorization code not valid.", "LoginFailed"),
        (AuthCodeGrant, "authorization code has expired.", "LoginFailed"),
        (DeviceGrant, "device code not ready.", "AuthorizationPending"),
        (DeviceGrant, "device code has expired and is now deleted.", "DeviceCodeExpired"),
        (DeviceGrant, "device code not valid.", "LoginFailed"),
        (DeviceGrant, "Client IDs do not match between device code and passed in client_id", "LoginFailed"),
        (DeviceGrant, "Device code client id and passed in client id do not match", "LoginFailed"),
        (DeviceGrant, "Required client_id parameter missing.", "LoginFailed"),
        (DeviceGrant, "Required device_code parameter missing.", "LoginFailed"),
        (DeviceCode, "Invalid client: tylers_client", "InvalidClient"),
        (Service, "Invalid Tapis token.", "TokenRejected"),
        (Service, "The tenant_id claim in the token, a does not match the URL tenant, b.", "Server"),
        (Service, "Invalid request; cannot set OBO headers with a user token.", "RequestRefused"),
        (Tenants, "No tenant found with tenant_id foo.", "Config"),
        (Clients, "Invalid POST data; This change would violate uniqueness constraints. Details: x", "RequestRefused"),
        (Clients, "No client found with id c.", "Server"),
        (Clients, "Not authorized for this client.", "Server"),
        (Clients, "Application not found", "Server"),
        (RefreshGrant, "Required refresh_token parameter missing.", "RefreshRejected"),
        (RefreshGrant, "Refresh token did NOT have an access_token claim.", "RefreshRejected"),
        (RefreshGrant, "Invalid client credentials: None, None. session: <SecureCookieSession {}>", "InvalidClient"),
        (PasswordGrant, "Missing the required grant_type parameter.", "RequestRefused"),
        (Revoke, "Unable to parse message payload; is it JSON?", "RequestRefused"),
        (Revoke, "Invalid POST data: [<ValidationError: \"5 is not of type 'string'\">].", "RequestRefused"),
        (Clients, "Invalid PUT data: [<ValidationError: \"7 is not of type 'string'\">].", "RequestRefused"),
        (Clients, "The endpoint and HTTP method combination are not available from this service.", "Unsupported"),
        (Clients, "Changing client_key not currently supported.", "Server"),
        (Revoke, "Invalid POST data; could not validate the token: debug data: x", "Server"),
    ];
    for (ctx, msg, want) in table {
        let e = v3(*ctx, msg);
        let got = format!("{e:?}");
        assert!(got.starts_with(want), "{msg:?} => {got}, want {want}");
    }
    let e = classify(
        Platform::TapisV3,
        Context::Service,
        &HttpResponse::new(
            500,
            envelope_error("Unrecognized exception type: KeyError. Exception: 'x'"),
        ),
        &[],
    );
    assert!(matches!(e, Error::Server { status: 500, .. }) && e.is_retryable());
}

#[test]
fn empty_and_garbage_bodies() {
    for p in [Platform::TapisV3, Platform::AgaveV2] {
        let e = classify(p, Context::Service, &HttpResponse::new(502, ""), &[]);
        assert!(
            matches!(e, Error::Server { status: 502, ref message } if message.contains("empty")),
            "{e:?}"
        );
        let e = classify(
            p,
            Context::Service,
            &HttpResponse::new(500, vec![0xff, 0xfe, b'{']),
            &[],
        );
        assert!(matches!(e, Error::Server { status: 500, .. }));
        let big = "x".repeat(100_000);
        let e = classify(p, Context::Service, &HttpResponse::new(500, big), &[]);
        assert!(e.to_string().len() < 500, "truncated");
    }
    let s = session(Platform::TapisV3);
    let e = run(
        refresh::refresh(&s).unwrap(),
        0,
        HttpResponse::new(200, "<html>"),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::Malformed { ref expected, .. } if expected.contains("result")),
        "{e:?}"
    );
    let e = run(
        refresh::refresh(&s).unwrap(),
        0,
        HttpResponse::new(200, r#"{"result":null,"status":"success"}"#),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }));
}

/// Every body below echoes secrets; none may appear in the resulting error.
#[test]
fn no_secret_reaches_display_or_debug() {
    let unknown_key = "UNKNOWNkey98765";
    let device_code = "0vfjUOsDvgdQWJRBWcCJEVxnOqwxr1FbnPdXnw4Z";
    let jwt_like = jwt(r#"{"sub":"x"}"#);
    let secrets = [
        CLIENT_KEY,
        PASSWORD,
        REFRESH,
        ACCESS,
        unknown_key,
        device_code,
        jwt_like.as_str(),
    ];
    let echo = format!(
        "Invalid client credentials: cid, {unknown_key}. session: {{'client_key': '{CLIENT_KEY}', 'password': '{PASSWORD}'}}"
    );
    let everything = format!("refresh_token={REFRESH} access_token: {ACCESS} pw {PASSWORD} key {CLIENT_KEY} jwt {jwt_like} device_code={device_code}");
    let bodies: Vec<(u16, String)> = vec![
        (400, envelope_error(&echo)),
        (400, envelope_error(&everything)),
        (400, envelope_error(&format!("Invalid refresh_token. {REFRESH}"))),
        (400, envelope_error(&format!("Invalid POST data; could not validate the token: debug data: {jwt_like}"))),
        (401, format!("TAPIS_SECURITY_JWT_EXPIRED token {ACCESS} {jwt_like}")),
        (401, format!(r#"{{"fault":{{"code":900901,"message":"Invalid Credentials","description":"token {ACCESS}"}}}}"#)),
        (401, format!("<ams:fault><ams:code>900903</ams:code><ams:message>{ACCESS}</ams:message></ams:fault>")),
        (400, format!(r#"{{"error":"invalid_grant","error_description":"{REFRESH} {PASSWORD} client_secret={unknown_key}"}}"#)),
        (500, everything.clone()),
        (400, format!(r#"{{"message":null,"status":"error","result":{{"client_key":"{unknown_key}"}}}}"#)),
    ];
    let check_only = |e: &Error, what: &str, secrets: &[&str]| {
        for shown in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
            for s in secrets {
                assert!(!shown.contains(s), "{s} leaked via {what}: {shown}");
            }
        }
    };
    let check = |e: &Error, what: &str| check_only(e, what, &secrets);
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        let mut s = session(platform);
        s.tokens.as_mut().unwrap().access_token = Secret::new(ACCESS);
        for (status, b) in &bodies {
            let resp = || HttpResponse::new(*status, b.clone());
            for ctx in [
                Context::PasswordGrant,
                Context::RefreshGrant,
                Context::Service,
                Context::DeviceGrant,
            ] {
                check(&classify(platform, ctx, &resp(), &s.secrets()), b);
            }
            check(
                &run(refresh::refresh(&s).unwrap(), 0, resp()).unwrap_err(),
                "refresh",
            );
            check(
                &run(password::password_grant(&s).unwrap(), 0, resp()).unwrap_err(),
                "password",
            );
            check(
                &run(userinfo::userinfo(&s).unwrap(), 0, resp()).unwrap_err(),
                "userinfo",
            );
            check(
                &run(clients::list_clients(&s).unwrap(), 0, resp()).unwrap_err(),
                "clients",
            );
            if let Err(e) = run(
                revoke::revoke(&s, &Secret::new(REFRESH)).unwrap(),
                0,
                resp(),
            ) {
                check(&e, "revoke");
            }
            if platform == Platform::TapisV3 {
                let f = AuthCodeFlow::new(
                    &s.tenant,
                    &OAuthClient::new("cid", CLIENT_KEY),
                    "https://a/cb",
                    "st".into(),
                )
                .unwrap();
                // This flow never holds the session's password or tokens, so only what it knows (or what
                // looks like a credential) is guaranteed to be removed.
                let e = run(
                    f.exchange(&format!("code={device_code}&state=st")).unwrap(),
                    0,
                    resp(),
                )
                .unwrap_err();
                let known = [CLIENT_KEY, unknown_key, device_code, jwt_like.as_str()];
                check_only(&e, "auth code", &known);
            }
        }
        // Flows and sessions print no secrets either.
        let ex = refresh::refresh(&s).unwrap();
        let dbg = format!("{ex:?} {s:?}");
        for sec in [CLIENT_KEY, PASSWORD, REFRESH, ACCESS] {
            assert!(!dbg.contains(sec), "{dbg}");
        }
    }
    let f = AuthCodeFlow::new(
        &session(Platform::TapisV3).tenant,
        &OAuthClient::new("cid", CLIENT_KEY),
        "https://a/cb",
        "st".into(),
    )
    .unwrap();
    assert!(!format!("{f:?}").contains(CLIENT_KEY));
    let e = f
        .exchange(&format!(
            "error=server_error&error_description=refresh_token%3D{REFRESH}&state=st"
        ))
        .unwrap_err();
    assert!(!format!("{e:?}").contains(REFRESH));
}

#[test]
fn the_echoed_client_key_is_removed_even_when_unknown() {
    let e = v3(
        Context::RefreshGrant,
        "Invalid client credentials: cid, neverSeenKey. session: <x>",
    );
    let shown = e.to_string();
    assert!(shown.contains("cid"), "{shown}");
    assert!(
        !shown.contains("neverSeenKey") && !shown.contains("session"),
        "{shown}"
    );
}

#[test]
fn classified_errors_carry_the_http_status() {
    let e = v3(
        Context::PasswordGrant,
        "Invalid username/password combination.",
    );
    assert!(matches!(e, Error::InvalidCredentials { .. }), "{e:?}");
    assert_eq!(e.http_status(), Some(400));
    let java = classify(
        Platform::TapisV3,
        Context::Service,
        &HttpResponse::new(
            401,
            "TAPIS_SECURITY_JWT_EXPIRED Exception message: JWT expired at x.",
        ),
        &[],
    );
    assert!(matches!(java, Error::TokenRejected { .. }), "{java:?}");
    assert_eq!(java.http_status(), Some(401));
    let v2 = classify(
        Platform::AgaveV2,
        Context::RefreshGrant,
        &HttpResponse::new(
            400,
            r#"{"error":"invalid_grant","error_description":"used"}"#,
        ),
        &[],
    );
    assert_eq!(v2.http_status(), Some(400));
    // The refusals and "not offered" split out of `Config` keep the response's status too.
    let refused = v3(
        Context::Clients,
        "Invalid POST data; This change would violate uniqueness constraints. Details: x",
    );
    assert!(
        matches!(refused, Error::RequestRefused { .. }),
        "{refused:?}"
    );
    assert_eq!(refused.http_status(), Some(400));
    assert!(!refused.is_retryable() && !refused.is_login_required());
    let grant = v3(
        Context::DeviceGrant,
        "Invalid grant_type (device_code); this grant type is not allowed for this tenant.",
    );
    assert!(matches!(grant, Error::Unsupported { .. }), "{grant:?}");
    assert_eq!(grant.http_status(), Some(400));
    assert!(!grant.is_retryable());
    // An unknown tenant is the caller's setting (it named a tenant that does not exist).
    let tenant = v3(Context::Tenants, "No tenant found with tenant_id foo.");
    assert!(matches!(tenant, Error::Config(_)), "{tenant:?}");
    // Errors that did not come from a response have none.
    assert_eq!(Error::Cancelled.http_status(), None);
}
