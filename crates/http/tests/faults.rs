//! Every fault the test authenticator can inject, during login, refresh and service calls, in
//! both dialects: the outcome is a classified error or a success after retry, and the store is
//! unchanged after any failure.

mod common;

use std::time::Duration;

use common::*;
use tapis_auth_core::{Error, HttpRequest, Method, Platform, Replay, Secret, TransportErrorKind};
use tapis_auth_http::{AuthSession, Options, TransportConfig};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{ConfigPatch, Fault, FaultKind, TestServer};

fn quick() -> TransportConfig {
    TransportConfig {
        backoff: Duration::from_millis(5),
        timeout: Duration::from_secs(2),
        ..TransportConfig::default()
    }
}

fn restore_quick(dir: &std::path::Path) -> AuthSession {
    AuthSession::restore(Options {
        store_path: Some(dir.to_path_buf()),
        use_environment: false,
        transport: quick(),
        ..Options::default()
    })
    .unwrap()
}

fn token_endpoint(p: Platform) -> &'static str {
    if p == Platform::TapisV3 {
        "v3.tokens"
    } else {
        "v2.token"
    }
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().contains("lock"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

/// What a fault on the refresh grant must produce.
enum Expect {
    Success,
    Failure(fn(&Error) -> bool),
}

#[test]
fn faults_during_refresh() {
    let cases: Vec<(&str, Fault, Expect)> = vec![
        (
            "500",
            Fault::new("", FaultKind::Status).status(500),
            Expect::Failure(|e| matches!(e, Error::Server { status: 500, .. })),
        ),
        (
            "502",
            Fault::new("", FaultKind::Status).status(502),
            Expect::Failure(|e| matches!(e, Error::Server { status: 502, .. })),
        ),
        (
            "503",
            Fault::new("", FaultKind::Status).status(503),
            Expect::Failure(|e| matches!(e, Error::Server { status: 503, .. }) && e.is_retryable()),
        ),
        (
            "429",
            Fault::new("", FaultKind::RateLimit).retry_after(1),
            Expect::Success,
        ),
        (
            "slow",
            Fault::new("", FaultKind::Delay).delay_ms(300),
            Expect::Success,
        ),
        (
            "too slow",
            Fault::new("", FaultKind::Delay).delay_ms(3_000),
            Expect::Failure(
                |e| matches!(e, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
            ),
        ),
        (
            "dropped",
            Fault::new("", FaultKind::Drop),
            Expect::Failure(|e| matches!(e, Error::Transport(_))),
        ),
        (
            "malformed",
            Fault::new("", FaultKind::Malformed),
            Expect::Failure(|e| matches!(e, Error::Malformed { .. })),
        ),
    ];
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        for (name, fault, expect) in &cases {
            let srv = server();
            let dir = tempfile::tempdir().unwrap();
            login(&srv, dir.path(), StoreKind::Json, platform);
            expire_stored_token(dir.path(), StoreKind::Json);
            let before = snapshot(dir.path());
            let mut f = fault.clone().grant("refresh_token");
            f.endpoint = token_endpoint(platform).into();
            srv.inject_fault(f);
            let s = restore_quick(dir.path());
            let result = s.access_token(60);
            match expect {
                Expect::Success => {
                    assert!(result.is_ok(), "{platform} {name}: {result:?}");
                    assert_ne!(
                        snapshot(dir.path()),
                        before,
                        "{platform} {name}: new tokens saved"
                    );
                }
                Expect::Failure(check) => {
                    let e = result.unwrap_err();
                    assert!(check(&e), "{platform} {name}: unexpected {e:?}");
                    assert_eq!(
                        snapshot(dir.path()),
                        before,
                        "{platform} {name}: store changed after a failure"
                    );
                    // The fault has passed: the stored credentials still work.
                    assert!(
                        restore_quick(dir.path()).access_token(60).is_ok(),
                        "{platform} {name}: credentials lost"
                    );
                }
            }
        }
    }
}

#[test]
fn a_refresh_token_spent_by_a_dropped_response_is_reported_as_login_required() {
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        let srv = server();
        srv.set_config(ConfigPatch {
            v3_single_use_refresh: Some(true),
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        login(&srv, dir.path(), StoreKind::Json, platform);
        expire_stored_token(dir.path(), StoreKind::Json);
        let before = snapshot(dir.path());
        srv.inject_fault(Fault {
            endpoint: token_endpoint(platform).into(),
            ..Fault::new("", FaultKind::DropAfter).grant("refresh_token")
        });
        let e = restore_quick(dir.path()).access_token(60).unwrap_err();
        assert!(matches!(e, Error::Transport(_)), "{platform}: {e:?}");
        assert_eq!(
            snapshot(dir.path()),
            before,
            "{platform}: nothing written after a lost response"
        );
        // The server spent the token: the next attempt is a clear login-required error, and
        // the stored session is still there (never silently deleted).
        let e = restore_quick(dir.path()).access_token(60).unwrap_err();
        assert!(e.is_login_required(), "{platform}: {e:?}");
        assert_eq!(snapshot(dir.path()), before);
    }
}

#[test]
fn faults_during_password_login_write_nothing() {
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        for kind in [FaultKind::Status, FaultKind::Drop, FaultKind::Malformed] {
            let srv = server();
            let dir = tempfile::tempdir().unwrap();
            srv.inject_fault(Fault {
                endpoint: token_endpoint(platform).into(),
                ..Fault::new("", kind).grant("password")
            });
            let mut o = options(&srv, dir.path(), StoreKind::Json, platform);
            o.transport = quick();
            o.username = Some("testuser".into());
            o.password = Some(Secret::new("testpass"));
            let (id, key) = if platform == Platform::TapisV3 {
                ("test-client", "test-client-key")
            } else {
                ("v2-test-key", "v2-test-secret")
            };
            o.client_id = Some(id.into());
            o.client_key = Some(Secret::new(key));
            let e = AuthSession::open(o)
                .unwrap()
                .login_password(false)
                .unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Server { .. } | Error::Transport(_) | Error::Malformed { .. }
                ),
                "{platform} {kind:?}: {e:?}"
            );
            assert!(!e.to_string().contains("testpass"));
            assert!(
                std::fs::read_dir(dir.path()).unwrap().next().is_none(),
                "{platform} {kind:?}: wrote a file"
            );
        }
    }
}

#[test]
fn safe_service_calls_are_retried_through_gateway_errors() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    srv.inject_fault(
        Fault::new("v3.systems", FaultKind::Status)
            .status(503)
            .times(2),
    );
    let s = restore_quick(dir.path());
    let resp = s
        .send(HttpRequest::new(
            Method::Get,
            format!("{}/v3/systems", srv.url()),
            Replay::Safe,
        ))
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(
        srv.stats().endpoint("v3.systems"),
        3,
        "two 503s, then success"
    );
}

#[test]
fn an_unreachable_server_is_a_network_error_and_the_store_is_kept() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    expire_stored_token(dir.path(), StoreKind::Json);
    let before = snapshot(dir.path());
    drop(srv); // the authenticator goes away
    let e = restore_quick(dir.path()).access_token(60).unwrap_err();
    assert!(
        matches!(e, Error::Transport(ref t) if t.kind == TransportErrorKind::Connect),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert_eq!(snapshot(dir.path()), before);
    let _ = TestServer::start; // keep the import used in every configuration
}
