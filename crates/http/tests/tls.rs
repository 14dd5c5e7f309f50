//! HTTPS against the test authenticator with a CA the test generates; a certificate from an
//! unknown CA is refused.

mod common;

use tapis_auth_core::{Error, Platform, Secret, TransportErrorKind};
use tapis_auth_http::{AuthSession, Options, TransportConfig};
use tapis_auth_testserver::{Config, TestServer};

fn login_options(url: &str, dir: &std::path::Path, ca: Option<std::path::PathBuf>) -> Options {
    Options {
        base_url: Some(url.to_owned()),
        platform: Some(Platform::TapisV3),
        store_path: Some(dir.to_path_buf()),
        use_environment: false,
        username: Some("testuser".into()),
        password: Some(Secret::new("testpass")),
        client_id: Some("test-client".into()),
        client_key: Some(Secret::new("test-client-key")),
        transport: TransportConfig {
            ca_file: ca,
            max_tries: 1,
            ..TransportConfig::default()
        },
        ..Options::default()
    }
}

#[test]
fn https_with_the_sites_ca_bundle() {
    let srv = TestServer::start(Config {
        tls: true,
        ..Config::default()
    });
    assert!(srv.url().starts_with("https://127.0.0.1:"));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, srv.ca_pem().unwrap()).unwrap();
    let store = dir.path().join("cache");
    let s = AuthSession::open(login_options(srv.url(), &store, Some(ca))).unwrap();
    s.login_password(false).unwrap();
    assert!(s.access_token(60).unwrap().expose().starts_with("ey"));
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused() {
    let srv = TestServer::start(Config {
        tls: true,
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let s = AuthSession::open(login_options(srv.url(), dir.path(), None)).unwrap();
    let e = s.login_password(false).unwrap_err();
    assert!(
        matches!(e, Error::Transport(ref t) if t.kind == TransportErrorKind::Tls),
        "{e:?}"
    );
    assert_eq!(srv.stats().total, 0, "no request got through");

    // A CA file with the wrong CA (another server's) is refused too.
    let other = TestServer::start(Config {
        tls: true,
        fresh_key: false,
        ..Config::default()
    });
    let wrong = dir.path().join("wrong.pem");
    std::fs::write(&wrong, other.ca_pem().unwrap()).unwrap();
    let s = AuthSession::open(login_options(
        srv.url(),
        &dir.path().join("c2"),
        Some(wrong),
    ))
    .unwrap();
    let e = s.login_password(false).unwrap_err();
    assert!(
        matches!(e, Error::Transport(ref t) if t.kind == TransportErrorKind::Tls),
        "{e:?}"
    );
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let s = AuthSession::open(login_options(
        "https://127.0.0.1:9",
        dir.path(),
        Some(bad.clone()),
    ))
    .unwrap();
    let e = s.login_password(false).unwrap_err().to_string();
    assert!(e.contains(&bad.display().to_string()), "{e}");
}
