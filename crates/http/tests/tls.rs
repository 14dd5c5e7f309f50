//! HTTPS against the test authenticator with a CA the test generates; a certificate from an
//! unknown CA is refused. Each test sends a password login's grant through each transport.

mod common;

use common::{password_grant, Driver, DRIVERS};
use tapis_auth_core::{Error, TokenSet, TransportErrorKind};
use tapis_auth_http::TransportConfig;
use tapis_auth_testserver::{Config, TestServer};

/// The password grant to `url` through `driver`, trusting the CA file `ca` (if any), tried
/// once.
fn grant(driver: Driver, url: &str, ca: Option<std::path::PathBuf>) -> Result<TokenSet, Error> {
    password_grant(
        driver,
        url,
        TransportConfig {
            ca_file: ca,
            max_tries: 1,
            ..TransportConfig::default()
        },
    )
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
    for &driver in DRIVERS {
        grant(driver, srv.url(), Some(ca.clone())).unwrap_or_else(|e| panic!("{driver:?}: {e}"));
    }
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused() {
    let srv = TestServer::start(Config {
        tls: true,
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    // A CA file with the wrong CA (another server's) is refused too.
    let other = TestServer::start(Config {
        tls: true,
        fresh_key: false,
        ..Config::default()
    });
    let wrong = dir.path().join("wrong.pem");
    std::fs::write(&wrong, other.ca_pem().unwrap()).unwrap();
    for &driver in DRIVERS {
        for ca in [None, Some(wrong.clone())] {
            let e = grant(driver, srv.url(), ca.clone()).unwrap_err();
            assert!(
                matches!(e, Error::Transport(ref t) if t.kind == TransportErrorKind::Tls),
                "{driver:?}, CA file {ca:?}: {e:?}"
            );
        }
    }
    assert_eq!(srv.stats().total, 0, "no request got through");
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    for &driver in DRIVERS {
        let e = grant(driver, "https://127.0.0.1:9", Some(bad.clone()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&bad.display().to_string()), "{driver:?}: {e}");
    }
}
