//! Tapis v3 transcripts: every flow's request checked byte for byte, and the responses from
//! tapis-v3.md parsed.

mod common;
use common::*;
use tapis_auth_core::flow::{
    auth_code::AuthCodeFlow, clients, password, refresh, revoke, tenants, userinfo,
};
use tapis_auth_core::{
    authorize, classify_service_response, Error, HttpRequest, HttpResponse, Method, OAuthClient,
    Platform, Replay, Secret, ServiceVerdict, UnixTime,
};

const V3: Platform = Platform::TapisV3;

#[test]
fn refresh_request_is_exact_and_response_parsed() {
    let s = session(V3);
    let ex = refresh::refresh(&s).unwrap();
    let req = sent(&ex);
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/tokens");
    assert_eq!(req.replay, Replay::OnlyIfNotSent);
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("cid", CLIENT_KEY).as_str())
    );
    assert_eq!(req.header_value("X-Tapis-Token"), None);
    assert_eq!(req.body.as_ref().unwrap().content_type, "application/json");
    assert_eq!(
        body(&req),
        format!(r#"{{"grant_type":"refresh_token","refresh_token":"{REFRESH}"}}"#)
    );
    let t = ex
        .finish(
            UnixTime(1000),
            HttpResponse::new(200, v3_token_ok(15_400, 99_999)),
        )
        .unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(15_400)), "JWT exp wins");
    assert_eq!(t.refresh_expires_at, Some(UnixTime(99_999)));
    assert_eq!(t.jti.as_deref(), Some("f7b9b19e"));
    assert_eq!(t.token_type, None);
    assert!(t.refresh_token.is_some());
}

#[test]
fn opaque_token_falls_back_to_expires_in_then_expires_at() {
    let s = session(V3);
    let body = V3_TOKEN_OK
        .replace("ACCESS_JWT", "opaque")
        .replace("REFRESH_JWT", "ropaque");
    let t = run(
        refresh::refresh(&s).unwrap(),
        1000,
        HttpResponse::new(200, body),
    )
    .unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(15_400)));
    assert_eq!(t.refresh_expires_at, Some(UnixTime(1000 + 31_536_000)));
    assert_eq!(
        t.jti.as_deref(),
        Some("f7b9b19e-6099-4f82-a722-b610c5d0ba0c")
    );
    let body = V3_TOKEN_OK
        .replace("ACCESS_JWT", "opaque")
        .replace("\"expires_in\": 14400,", "");
    // Received four hours before that expiry (one far beyond it would be capped).
    let iso = UnixTime::from_iso8601("2024-01-24T19:17:53+00:00").unwrap();
    let t = run(
        refresh::refresh(&s).unwrap(),
        iso.secs() - 14_400,
        HttpResponse::new(200, body),
    )
    .unwrap();
    assert_eq!(t.expires_at, Some(iso));
}

#[test]
fn refresh_without_refresh_token_or_client_is_login_required() {
    let mut s = session(V3);
    s.client = Some(OAuthClient::public("cid"));
    assert!(matches!(
        refresh::refresh(&s),
        Err(Error::LoginRequired { .. })
    ));
    let mut s = session(V3);
    s.tokens.as_mut().unwrap().refresh_token = None;
    assert!(matches!(
        refresh::refresh(&s),
        Err(Error::LoginRequired { .. })
    ));
}

#[test]
fn password_grant_key_order_and_basic_only_with_client() {
    let s = session(V3);
    let req = sent(&password::password_grant(&s).unwrap());
    assert_eq!(
        body(&req),
        format!(r#"{{"username":"testuser","password":"{PASSWORD}","grant_type":"password"}}"#)
    );
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("cid", CLIENT_KEY).as_str())
    );
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/tokens");
    let mut s = session(V3);
    s.client = None;
    let req = sent(&password::password_grant(&s).unwrap());
    assert_eq!(req.header_value("Authorization"), None);
    let mut s = session(V3);
    s.client = Some(OAuthClient::public("cid"));
    assert_eq!(
        sent(&password::password_grant(&s).unwrap()).header_value("Authorization"),
        None
    );
}

#[test]
fn password_grant_without_client_yields_no_refresh_token() {
    let mut s = session(V3);
    s.client = None;
    let body = r#"{"result":{"access_token":{"access_token":"a.b","expires_in":14400,"expires_at":"2024-01-24T19:17:53.284752+00:00","jti":"x","id_token":"a.b"}},"status":"success","message":"Token created successfully.","version":"26Q1.0","metadata":{}}"#;
    let t = run(
        password::password_grant(&s).unwrap(),
        0,
        HttpResponse::new(200, body),
    )
    .unwrap();
    assert!(t.refresh_token.is_none());
    assert_eq!(t.expires_at, Some(UnixTime(14_400)));
}

#[test]
fn password_grant_needs_username_and_password() {
    let mut s = session(V3);
    s.password = None;
    assert!(matches!(
        password::password_grant(&s),
        Err(Error::LoginRequired { .. })
    ));
    let mut s = session(V3);
    s.username = None;
    assert!(matches!(
        password::password_grant(&s),
        Err(Error::Config(_))
    ));
}

#[test]
fn accepts_any_2xx() {
    let s = session(V3);
    let t = run(
        password::password_grant(&s).unwrap(),
        0,
        HttpResponse::new(201, v3_token_ok(50, 60)),
    );
    assert!(t.is_ok());
}

#[test]
fn clock_skew_shifts_jwt_expiry_into_local_terms() {
    let s = session(V3);
    // Server clock is 100 s behind ours: a token expiring at server time 15_000 expires at local 15_100.
    let resp = HttpResponse::new(200, v3_token_ok(15_000, 90_000))
        .with_header("Date", "Thu, 01 Jan 1970 00:15:00 GMT");
    let t = run(refresh::refresh(&s).unwrap(), 1000, resp).unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(15_100)));
    assert_eq!(t.refresh_expires_at, Some(UnixTime(90_100)));
    // Within tolerance: unchanged.
    let resp = HttpResponse::new(200, v3_token_ok(15_000, 90_000))
        .with_header("Date", "Thu, 01 Jan 1970 00:16:37 GMT");
    let t = run(refresh::refresh(&s).unwrap(), 1000, resp).unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(15_000)));
}

#[test]
fn tenants_never_send_a_token() {
    let ex = tenants::list_tenants("https://TACC.tapis.io/", V3).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/tenants");
    assert!(req.headers.is_empty(), "{:?}", req.headers);
    let body = r#"{"result":[{"tenant_id":"tacc","base_url":"https://tacc.tapis.io","site_id":"tacc","status":"ACTIVE",
 "token_service":"https://tacc.tapis.io/v3/tokens","security_kernel":"https://tacc.tapis.io/v3/security",
 "authenticator":"https://tacc.tapis.io/v3/oauth2","owner":"CICSupport@tacc.utexas.edu",
 "public_key":"-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----",
 "user_ldap_connection_id":"tacc-all","description":"Production tenant for all TACC users.", "allowable_x_tenant_ids": ["tacc"]},
 {"tenant_id":"nobase"}, {"tenant_id":"designsafe","base_url":"https://designsafe.tapis.io"}],
 "status":"success","message":"Tenants retrieved successfully.","version":"1.2.2","metadata":{}}"#;
    let list = ex
        .finish(UnixTime(0), HttpResponse::new(200, body))
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].authenticator.as_deref(),
        Some("https://tacc.tapis.io/v3/oauth2")
    );
    assert!(list[0]
        .public_key
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN"));
    assert_eq!(
        tenants::resolve(&list, "TACC").unwrap().id.as_deref(),
        Some("tacc")
    );
    assert_eq!(
        tenants::resolve(&list, "https://DesignSafe.tapis.io/")
            .unwrap()
            .id
            .as_deref(),
        Some("designsafe")
    );
    assert!(tenants::resolve(&list, "nope").is_none());
}

#[test]
fn get_tenant_and_unknown_tenant() {
    let ex = tenants::get_tenant("https://tacc.tapis.io", V3, "tacc").unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/tenants/tacc");
    assert!(req.headers.is_empty());
    let ex = tenants::get_tenant("https://tacc.tapis.io", V3, "bogus").unwrap();
    let e = run(
        ex,
        0,
        HttpResponse::new(400, envelope_error("No tenant found with tenant_id bogus.")),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::Config(ref m) if m.contains("bogus")),
        "{e:?}"
    );
}

#[test]
fn userinfo_uses_x_tapis_token() {
    let s = session(V3);
    let ex = userinfo::userinfo(&s).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/userinfo");
    assert_eq!(req.header_value("X-Tapis-Token"), Some(ACCESS));
    assert_eq!(req.header_value("Authorization"), None);
    let body = r#"{"result":{"dn":"uid=x","given_name":"Api","last_name":"Test","email":"a@b.c","phone":null,"mobile_phone":null,"create_time":null,"username":"apitest","uid":12345},"status":"success","message":"User profile retrieved successfully.","version":"1.6.0","metadata":{}}"#;
    let u = ex
        .finish(UnixTime(0), HttpResponse::new(200, body))
        .unwrap();
    assert_eq!(u.username, "apitest");
    assert_eq!(u.first_name.as_deref(), Some("Api"));
    assert_eq!(u.uid.as_deref(), Some("12345"));
    assert_eq!(u.phone, None);
    let e = run(
        userinfo::userinfo(&s).unwrap(),
        0,
        HttpResponse::new(400, envelope_error("Invalid Tapis token.")),
    )
    .unwrap_err();
    assert!(matches!(e, Error::TokenRejected { .. }));
}

#[test]
fn revoke_request_and_already_expired_is_ok() {
    let s = session(V3);
    let tok = Secret::new("eyJ0eXAi.eyJqdGki.sig");
    let ex = revoke::revoke(&s, &tok).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/tokens/revoke");
    assert!(req.headers.is_empty());
    assert_eq!(body(&req), r#"{"token":"eyJ0eXAi.eyJqdGki.sig"}"#);
    let ok = r#"{"result":"","status":"success","message":"Token f7b9 has been revoked.","version":"1.6.0","metadata":{}}"#;
    assert!(run(
        revoke::revoke(&s, &tok).unwrap(),
        0,
        HttpResponse::new(200, ok)
    )
    .is_ok());
    let expired = envelope_error(
        "Invalid POST data; could not validate the token: debug data: eyJ0eXAi.eyJqdGki.sig",
    );
    assert!(run(
        revoke::revoke(&s, &tok).unwrap(),
        0,
        HttpResponse::new(400, expired)
    )
    .is_ok());
    let e = run(
        revoke::revoke(&s, &tok).unwrap(),
        0,
        HttpResponse::new(500, "boom"),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Server { status: 500, .. }));
}

#[test]
fn clients_crud() {
    let s = session(V3);
    let new = clients::NewClient {
        client_id: Some("tapis-auth-testuser-host-x7".into()),
        client_key: None,
        callback_url: Some("http://localhost:8080/cb".into()),
        display_name: None,
        description: Some("d".into()),
    };
    let ex = clients::create_client(&s, &new).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/clients");
    assert_eq!(req.replay, Replay::OnlyIfNotSent);
    assert_eq!(req.header_value("X-Tapis-Token"), Some(ACCESS));
    assert_eq!(
        body(&req),
        r#"{"client_id":"tapis-auth-testuser-host-x7","callback_url":"http://localhost:8080/cb","description":"d"}"#
    );
    let created = r#"{"message":"Client created successfully.","metadata":{},"result":{"active":true,"callback_url":"","client_id":"tylers_client","client_key":"3kRdPMv7arpRn","create_time":"Mon, 06 Apr 2026 10:10:24 GMT","description":"","display_name":"tylers_client","last_update_time":"Mon, 06 Apr 2026 10:10:24 GMT","owner":"tjo656","tenant_id":"tacc"},"status":"success","version":"26Q1.0"}"#;
    let c = run(
        clients::create_client(&s, &new).unwrap(),
        0,
        HttpResponse::new(200, created),
    )
    .unwrap();
    assert_eq!(c.id, "tylers_client");
    assert_eq!(c.key.as_ref().unwrap().expose(), "3kRdPMv7arpRn");
    assert_eq!(c.callback_url, None, "empty strings are absent");

    let listed = created
        .replace("\"result\":{", "\"result\":[{")
        .replace(",\"status\"", "],\"status\"");
    let ex = clients::list_clients(&s).unwrap();
    let req = sent(&ex);
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Get, "https://tacc.tapis.io/v3/oauth2/clients")
    );
    let list = run(
        clients::list_clients(&s).unwrap(),
        0,
        HttpResponse::new(200, listed),
    )
    .unwrap();
    assert_eq!(list.len(), 1);

    let ex = clients::delete_client(&s, "tylers client").unwrap();
    let req = sent(&ex);
    assert_eq!(
        (req.method, req.url.as_str()),
        (
            Method::Delete,
            "https://tacc.tapis.io/v3/oauth2/clients/tylers%20client"
        )
    );
    assert!(run(
        clients::delete_client(&s, "c").unwrap(),
        0,
        HttpResponse::new(200, "")
    )
    .is_ok());
    let env = r#"{"message":"Client status updated to inactive successfully","metadata":{},"result":{"client_id":"c"},"status":"success","version":"1.6.0"}"#;
    assert!(run(
        clients::delete_client(&s, "c").unwrap(),
        0,
        HttpResponse::new(200, env)
    )
    .is_ok());
    let dup = envelope_error(
        "Invalid POST data; This change would violate uniqueness constraints. Details: ...",
    );
    let e = run(
        clients::create_client(&s, &new).unwrap(),
        0,
        HttpResponse::new(400, dup),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::RequestRefused { ref message, status: Some(400) } if message.contains("already taken")),
        "{e:?}"
    );
    let e = run(
        clients::delete_client(&s, "c").unwrap(),
        0,
        HttpResponse::new(400, envelope_error("No client found with id c.")),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Server { status: 400, .. }));
}

#[test]
fn distinctive_ids_are_sanitised_and_bounded() {
    let id = clients::distinctive_client_id(&["tapis auth", "", "j.doe@x", &"y".repeat(100)]);
    assert!(id.starts_with("tapis_auth-j_doe_x-y"));
    assert_eq!(id.len(), 80);
}

#[test]
fn auth_code_flow() {
    let tenant = session(V3).tenant;
    let client = OAuthClient::new("cid", CLIENT_KEY);
    let f = AuthCodeFlow::new(
        &tenant,
        &client,
        "https://app.example/cb?x=1",
        "st&te".into(),
    )
    .unwrap();
    assert_eq!(
        f.authorize_url(),
        "https://tacc.tapis.io/v3/oauth2/authorize?client_id=cid&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&response_type=code&state=st%26te"
    );
    let ex = f
        .exchange("https://app.example/cb?x=1&code=abcDEF123&state=st%26te#frag")
        .unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/tokens");
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("cid", CLIENT_KEY).as_str())
    );
    assert_eq!(
        body(&req),
        r#"{"grant_type":"authorization_code","code":"abcDEF123","redirect_uri":"https://app.example/cb?x=1"}"#
    );
    assert!(run(
        f.exchange("code=abcDEF123&state=st%26te").unwrap(),
        0,
        HttpResponse::new(200, v3_token_ok(9, 9))
    )
    .is_ok());
    // State mismatch, missing state, "None" state, error param, missing code.
    for cb in ["code=a&state=other", "code=a", "code=a&state=None"] {
        let e = f.exchange(cb).unwrap_err();
        assert!(
            matches!(e, Error::LoginFailed { ref message, .. } if message.contains("state")),
            "{cb}: {e:?}"
        );
    }
    let e = f
        .exchange("?error=access_denied&error_description=no&state=st%26te")
        .unwrap_err();
    assert!(
        matches!(e, Error::LoginFailed { ref message, .. } if message.contains("access_denied"))
    );
    assert!(matches!(
        f.exchange("state=st%26te"),
        Err(Error::LoginFailed { .. })
    ));
    // Public clients and v2 are refused.
    assert!(matches!(
        AuthCodeFlow::new(&tenant, &OAuthClient::public("cid"), "u", "s".into()),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        AuthCodeFlow::new(&session(Platform::AgaveV2).tenant, &client, "u", "s".into()),
        Err(Error::Unsupported { status: None, .. })
    ));
    assert!(matches!(
        AuthCodeFlow::new(&tenant, &client, "u", String::new()),
        Err(Error::Config(_))
    ));
}

#[test]
fn authorize_adds_x_tapis_token_only() {
    let s = session(V3);
    let req = HttpRequest::new(
        Method::Get,
        "https://tacc.tapis.io/v3/systems",
        Replay::Safe,
    )
    .header("Authorization", "Bearer stale")
    .header("Accept", "application/json");
    let out = authorize(&s, req).unwrap();
    assert_eq!(out.header_value("X-Tapis-Token"), Some(ACCESS));
    assert_eq!(out.header_value("Authorization"), None);
    assert_eq!(out.header_value("Accept"), Some("application/json"));
    assert_eq!(
        out.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("x-tapis-token"))
            .count(),
        1
    );
    let bad = HttpRequest::new(Method::Get, "u", Replay::Safe).header("X-Tapis-User", "someone");
    assert!(matches!(authorize(&s, bad), Err(Error::Config(_))));
    let mut none = session(V3);
    none.tokens = None;
    assert!(matches!(
        authorize(&none, HttpRequest::new(Method::Get, "u", Replay::Safe)),
        Err(Error::LoginRequired { .. })
    ));
}

#[test]
fn service_verdicts_v3() {
    let live = "TAPIS_SECURITY_JWT_EXPIRED Exception message: JWT expired at 2025-06-09T08:51:38Z. Current time: 2025-06-09T12:06:54Z, a difference of 11716617 milliseconds. Allowed clock skew: 0 milliseconds. Claims: iss: https://designsafe.tapis.io/v3/tokens sub: username@designsafe tapis/tenant_id: designsafe tapis/username: username tapis/account_type: user";
    let v = |st, b: &str| classify_service_response(V3, &HttpResponse::new(st, b.to_owned()));
    assert!(matches!(v(401, live), ServiceVerdict::RefreshAndRetry));
    assert!(matches!(
        v(400, &envelope_error("Invalid Tapis token.")),
        ServiceVerdict::RefreshAndRetry
    ));
    assert!(matches!(v(200, "{}"), ServiceVerdict::Ok));
    assert!(matches!(v(204, ""), ServiceVerdict::Ok));
    assert!(matches!(
        v(401, "TAPIS_SECURITY_MISSING_JWT_INFO no token"),
        ServiceVerdict::Failed(Error::LoginRequired { .. })
    ));
    assert!(matches!(
        v(401, "TAPIS_SECURITY_JWT_PARSE_ERROR bad"),
        ServiceVerdict::Failed(Error::Server { status: 401, .. })
    ));
    assert!(matches!(
        v(401, "TAPIS_SECURITY_JWT_INVALID_CLAIM tapis/token_type"),
        ServiceVerdict::Failed(Error::Server { status: 401, .. })
    ));
    assert!(matches!(
        v(401, "TAPIS_SECURITY_UNEXPECTED_HEADER X-Tapis-User"),
        ServiceVerdict::Failed(Error::RequestRefused {
            status: Some(401),
            ..
        })
    ));
    assert!(matches!(
        v(500, "TAPIS_SECURITY_JWT_KEY_ERROR"),
        ServiceVerdict::Failed(Error::Server { status: 500, .. })
    ));
    assert!(matches!(
        v(
            404,
            r#"{"status":"error","message":"not found","version":"26Q1.0","commit":"a","metadata":null,"result":null}"#
        ),
        ServiceVerdict::Failed(Error::Server { status: 404, .. })
    ));
    assert!(matches!(
        v(502, "<html>Bad gateway</html>"),
        ServiceVerdict::Failed(Error::Server { status: 502, .. })
    ));
    assert!(matches!(
        v(
            400,
            &envelope_error("Invalid request; cannot set OBO headers with a user token.")
        ),
        ServiceVerdict::Failed(Error::RequestRefused {
            status: Some(400),
            ..
        })
    ));
}

#[test]
fn send_async_sends_the_same_request_and_finishes_the_same_way() {
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};
    use tapis_auth_core::{Clock, HttpRequest};

    struct At(UnixTime);
    impl Clock for At {
        fn now(&self) -> UnixTime {
            self.0
        }
    }
    let body = v3_token_ok(15_400, 99_999);
    let seen: Arc<Mutex<Vec<HttpRequest>>> = Arc::default();
    let record = seen.clone();
    let transport = move |req: HttpRequest| {
        record.lock().unwrap().push(req);
        let body = body.clone();
        async move { Ok(HttpResponse::new(200, body)) }
    };
    let s = session(V3);
    let expected = sent(&refresh::refresh(&s).unwrap());
    let fut = refresh::refresh(&s)
        .unwrap()
        .send_async(&At(UnixTime(1000)), &transport);
    let mut fut = std::pin::pin!(fut);
    let Poll::Ready(tokens) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("a ready transport's future must finish at the first poll");
    };
    let t = tokens.unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(15_400)), "JWT exp wins");
    assert_eq!(t.refresh_expires_at, Some(UnixTime(99_999)));
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
}
