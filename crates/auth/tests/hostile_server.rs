//! A hostile server, and a hostile neighbour on loopback, against the session and its HTTP transport. Each test is
//! named for the attack and fails on a library that trusts what it receives (issue 11).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use tapis_auth::{AuthSession, HttpTransport, Options, TransportConfig};
use tapis_auth_core::{
    Error, HttpRequest, Method, Platform, Replay, Secret, Transport, TransportErrorKind,
};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{Fault, FaultKind, TestServer};

/// Password-login options against `srv`, one try per request, a short timeout.
fn password_options(srv: &TestServer, dir: &std::path::Path) -> Options {
    let mut o = common::password_options(srv, dir, StoreKind::Json, Platform::TapisV3);
    o.client_id = Some("test-client".into());
    o.client_key = Some(Secret::new("test-client-key"));
    o.transport = TransportConfig {
        max_tries: 1,
        timeout: Duration::from_secs(5),
        ..TransportConfig::default()
    };
    o
}

#[track_caller]
fn assert_too_large(e: &Error) {
    match e {
        Error::Transport(t) if t.kind == TransportErrorKind::Malformed => {
            assert!(
                t.message.contains("1048576 bytes") && t.message.contains("refused"),
                "{}",
                t.message
            );
        }
        other => panic!("expected a refused oversized body, got {other:?}"),
    }
}

#[test]
fn an_endless_token_response_is_refused_at_the_size_limit() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    srv.inject_fault(Fault::new("v3.tokens", FaultKind::EndlessBody));
    let s = AuthSession::open(password_options(&srv, dir.path())).unwrap();
    let e = s.login_password(false).unwrap_err();
    assert_too_large(&e);
    assert!(
        !e.to_string().contains("testpass"),
        "the error never quotes the request"
    );
}

#[test]
fn a_declared_terabyte_body_is_refused_before_it_is_read() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    srv.inject_fault(Fault::new("v3.tokens", FaultKind::EndlessBody).declared(1 << 40));
    let s = AuthSession::open(password_options(&srv, dir.path())).unwrap();
    let e = s.login_password(false).unwrap_err();
    let Error::Transport(t) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Malformed, "{t:?}");
    assert!(
        t.message.contains("declares a 1099511627776-byte body"),
        "{}",
        t.message
    );
}

#[test]
fn a_v3_tenant_answering_503_is_never_taken_for_agave_v2() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    srv.inject_fault(
        Fault::new("v3.tenants", FaultKind::Status)
            .status(503)
            .times(10),
    );
    let mut o = password_options(&srv, dir.path());
    o.platform = None;
    o.client_id = None;
    o.client_key = None;
    let s = AuthSession::open(o).unwrap();
    let e = s.login_password(true).unwrap_err();
    assert!(
        matches!(e, Error::Server { status: 503, .. }),
        "a 503 is no answer about the platform: {e:?}"
    );
    assert!(e.to_string().contains("--platform"), "{e}");
    let stats = srv.stats();
    assert_eq!(
        stats.endpoint("v2.clients"),
        0,
        "the password went to /clients/v2"
    );
    assert_eq!(stats.endpoint("v2.token"), 0, "the password went to /token");
    assert_eq!(stats.endpoint("v3.tokens"), 0);
}

#[test]
fn the_access_token_is_attached_only_to_the_sessions_own_origin() {
    let srv = server();
    let other = server();
    let dir = tempfile::tempdir().unwrap();
    let s = login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    let elsewhere = format!("{}/v3/systems", other.url());
    let e = s
        .send(HttpRequest::new(
            Method::Get,
            elsewhere.clone(),
            Replay::Safe,
        ))
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string().contains(&other.url().to_string())
            && e.to_string().contains("send_to_any_origin"),
        "{e}"
    );
    assert_eq!(other.stats().total, 0, "nothing reached the other server");
    // The session's own origin, and another one on purpose.
    let own = s
        .send(HttpRequest::new(
            Method::Get,
            format!("{}/v3/systems", srv.url()),
            Replay::Safe,
        ))
        .unwrap();
    assert_eq!(own.status, 200, "{}", own.text());
    s.send_to_any_origin(HttpRequest::new(Method::Get, elsewhere, Replay::Safe))
        .unwrap();
    assert_eq!(other.stats().endpoint("v3.systems"), 1);
}

// --- the browser login's redirect listener ------------------------------------------------------

/// The redirect the browser would follow after approving `authorize_url`.
fn approved_redirect(authorize_url: &str) -> String {
    let r = HttpTransport::default()
        .send(&HttpRequest::new(
            Method::Get,
            format!("{authorize_url}&test_user=testuser"),
            Replay::Safe,
        ))
        .unwrap();
    assert_eq!(r.status, 302, "{}", r.text());
    r.header("location").unwrap().to_owned()
}

/// Sends `request` to `host:port` and returns the status line of the answer.
fn raw(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn a_forged_redirect_with_another_state_is_ignored_and_the_login_goes_on() {
    let (srv, redirect, _dir, s) = browser_setup();
    let login = s.browser_start(&redirect).unwrap();
    let location = approved_redirect(&login.authorize_url());
    let addr = redirect
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let neighbour = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            // A neighbour's forged code (and an error) arrive first.
            let a = raw(
                &addr,
                "GET /callback?code=attackers-code&state=forged HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            let b = raw(
                &addr,
                "GET /callback?error=access_denied&state=forged HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            // Then the user's browser.
            let path = location.trim_start_matches(&format!("http://{addr}"));
            let c = raw(&addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
            (a, b, c)
        })
    };
    let session = login.wait(Duration::from_secs(20)).unwrap();
    let (a, b, c) = neighbour.join().unwrap();
    assert!(a.contains("400") && b.contains("400"), "{a} / {b}");
    assert!(c.contains("200"), "{c}");
    assert_eq!(session.username.as_deref(), Some("testuser"));
    assert_eq!(srv.stats().grant("v3.authorization_code"), 1);
}

#[test]
fn an_endless_request_line_to_the_redirect_listener_is_cut_off() {
    let (_srv, redirect, _dir, s) = browser_setup();
    let login = s.browser_start(&redirect).unwrap();
    let location = approved_redirect(&login.authorize_url());
    let addr = redirect
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let attacker = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            // A line without end (at most 64 MiB here), and the connection held open after.
            let mut s = TcpStream::connect(&addr).unwrap();
            let chunk = vec![b'A'; 1 << 16];
            let mut sent = 0usize;
            while sent < 64 << 20 && s.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
            std::thread::sleep(Duration::from_secs(15));
            sent
        })
    };
    let browser = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            let path = location.trim_start_matches(&format!("http://{addr}"));
            raw(&addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
        })
    };
    let session = login.wait(Duration::from_secs(30)).unwrap();
    assert_eq!(session.username.as_deref(), Some("testuser"));
    assert!(browser.join().unwrap().contains("200"));
    let sent = attacker.join().unwrap();
    assert!(
        sent < 64 << 20,
        "the listener kept reading the endless line ({sent} bytes)"
    );
}

#[test]
fn a_redirect_port_taken_by_another_program_is_an_error_naming_it() {
    let (_srv, redirect, _dir, s) = browser_setup();
    let port: u16 = redirect
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let e = s.browser_start(&redirect).err().expect("a squatted port");
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string().contains(&format!("port {port}")) && e.to_string().contains("already in use"),
        "{e}"
    );
}

/// An opaque token whose response has no `expires_in` used to count as expired: it was
/// refreshed on every call, and a refresh failed with "valid for only 0 s, less than the 0 s
/// asked for". It now lives the assumed lifetime.
#[test]
fn an_opaque_token_without_expires_in_is_not_refreshed_on_every_call() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let s = login(&srv, dir.path(), StoreKind::Json, Platform::AgaveV2);
    srv.inject_fault(
        Fault::respond(
            "v2.token",
            200,
            r#"{"access_token":"opaque-new-token-1","refresh_token":"opaque-new-refresh-1","token_type":"bearer"}"#,
        )
        .grant("refresh_token")
        .times(10),
    );
    let before = srv.stats().endpoint("v2.token");
    let t = s
        .refresh()
        .expect("a token without expires_in is still a token");
    let lifetime = t.expires_at.unwrap().since(t.issued_at.unwrap());
    assert_eq!(lifetime, tapis_auth_core::token::ASSUMED_LIFETIME_SECS);
    for _ in 0..3 {
        assert_eq!(s.access_token(0).unwrap().expose(), "opaque-new-token-1");
    }
    assert_eq!(
        srv.stats().endpoint("v2.token"),
        before + 1,
        "refreshed again on use"
    );
    // Another process reads the same from the cache.
    assert_eq!(
        restore(dir.path(), StoreKind::Json)
            .access_token(0)
            .unwrap()
            .expose(),
        "opaque-new-token-1"
    );
    assert_eq!(srv.stats().endpoint("v2.token"), before + 1);
}
