//! `SSL_CERT_FILE` / `SSL_CERT_DIR` replace the platform's roots; a CA file adds to whatever
//! roots are in force; a broken variable is an error naming it and its path.
//!
//! Its own test binary, because the variables are process-wide; the tests here hold `ENV`
//! while they change the environment and make requests. Each request is a password login's
//! grant, sent through each transport in turn (each reads the environment when it is built).

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use common::DRIVERS;
use tapis_auth_core::{Error, TransportError, TransportErrorKind};
use tapis_auth_http::TransportConfig;
use tapis_auth_testserver::{Config, TestServer};

/// Serialises the tests of this binary: they all change the process environment.
static ENV: Mutex<()> = Mutex::new(());

/// Takes the environment lock and sets (or, with `None`, removes) the two variables.
fn cert_env(file: Option<&Path>, dir: Option<&Path>) -> MutexGuard<'static, ()> {
    let guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    match file {
        Some(f) => std::env::set_var("SSL_CERT_FILE", f),
        None => std::env::remove_var("SSL_CERT_FILE"),
    }
    match dir {
        Some(d) => std::env::set_var("SSL_CERT_DIR", d),
        None => std::env::remove_var("SSL_CERT_DIR"),
    }
    guard
}

fn tls_server() -> TestServer {
    TestServer::start(Config {
        tls: true,
        ..Config::default()
    })
}

/// Writes the server's CA to `dir/name`.
fn write_ca(srv: &TestServer, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, srv.ca_pem().unwrap()).unwrap();
    path
}

/// Gets a token with the password grant through each transport, trusting `ca_file` besides
/// the roots in force: both succeed, or the error of the first (both must fail alike).
fn login(srv: &TestServer, ca_file: Option<PathBuf>) -> Result<(), Error> {
    let mut outcomes = DRIVERS.iter().map(|&driver| {
        let r = common::password_grant(
            driver,
            srv.url(),
            TransportConfig {
                ca_file: ca_file.clone(),
                max_tries: 1,
                ..TransportConfig::default()
            },
        );
        (driver, r.map(drop))
    });
    let (_, first) = outcomes.next().unwrap();
    for (driver, other) in outcomes {
        match (&first, &other) {
            (Ok(()), Ok(())) => {}
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{driver:?}"),
            _ => panic!("{driver:?} differs: {first:?} and {other:?}"),
        }
    }
    first
}

fn tls_failure(e: Error) -> TransportError {
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("testpass") && !text.contains("test-client-key"),
        "{text}"
    );
    match e {
        Error::Transport(t) if t.kind == TransportErrorKind::Tls => t,
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn the_ca_in_ssl_cert_file_is_trusted() {
    let srv = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let ca = write_ca(&srv, dir.path(), "ca.pem");
    let _env = cert_env(Some(&ca), None);
    login(&srv, None).expect("trusted through SSL_CERT_FILE");
}

#[test]
fn the_ca_in_ssl_cert_dir_is_trusted() {
    let srv = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    write_ca(&srv, &certs, "site.pem");
    let _env = cert_env(None, Some(&certs));
    login(&srv, None).expect("trusted through SSL_CERT_DIR");
}

#[test]
fn a_missing_ssl_cert_file_is_an_error_naming_it() {
    let srv = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-bundle.pem");
    let _env = cert_env(Some(&missing), None);
    let t = tls_failure(login(&srv, None).unwrap_err());
    assert!(
        t.message
            .contains(&format!("SSL_CERT_FILE={}", missing.display())),
        "{}",
        t.message
    );
    assert!(
        t.message.contains("replace the platform's root"),
        "{}",
        t.message
    );
    assert_eq!(srv.stats().total, 0, "nothing was sent");

    // A CA file does not paper over it: the variable is still wrong.
    let ca = write_ca(&srv, dir.path(), "ca.pem");
    let t = tls_failure(login(&srv, Some(ca)).unwrap_err());
    assert!(t.message.contains("no-such-bundle.pem"), "{}", t.message);
}

#[test]
fn ssl_cert_file_replaces_the_roots_and_a_ca_file_adds_to_them() {
    let srv = tls_server();
    let other = TestServer::start(Config {
        tls: true,
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let wrong = write_ca(&other, dir.path(), "other.pem");
    let _env = cert_env(Some(&wrong), None);

    // Only the other server's CA is trusted: the handshake fails, and says why.
    let t = tls_failure(login(&srv, None).unwrap_err());
    assert!(
        t.message.contains(&format!(
            "trusted roots: only the 1 certificate of SSL_CERT_FILE={}, in place of the platform's roots",
            wrong.display()
        )),
        "{}",
        t.message
    );
    assert_eq!(srv.stats().total, 0);

    // The CA file adds the right CA to those roots.
    let ca = write_ca(&srv, dir.path(), "ca.pem");
    login(&srv, Some(ca)).expect("SSL_CERT_FILE roots + CA file");
}
