//! The whole session over HTTPS: log in, then a restored session refreshes an expired token,
//! trusting the test authenticator's CA from `Options::transport`. (The transport's own TLS
//! tests, in crates/http, send single grants.)

mod common;

use common::expire_stored_token;
use tapis_auth::{AuthSession, Options, Platform, Secret, StoreKind, TransportConfig};
use tapis_auth_testserver::{Config, TestServer};

#[test]
fn a_session_logs_in_and_refreshes_over_https() {
    let srv = TestServer::start(Config {
        tls: true,
        ..Config::default()
    });
    assert!(srv.url().starts_with("https://"));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, srv.ca_pem().unwrap()).unwrap();
    let transport = TransportConfig {
        ca_file: Some(ca),
        ..TransportConfig::default()
    };

    let mut o = common::password_options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    o.client_id = Some("test-client".into());
    o.client_key = Some(Secret::new("test-client-key"));
    o.transport = transport.clone();
    let s = AuthSession::open(o).unwrap();
    s.login_password(false).unwrap();
    let first = s.access_token(0).unwrap();

    expire_stored_token(dir.path(), StoreKind::Json);
    srv.reset_stats();
    let restored = AuthSession::restore(Options {
        store: StoreKind::Json,
        store_path: Some(dir.path().to_path_buf()),
        use_environment: false,
        transport,
        ..Options::default()
    })
    .unwrap();
    let second = restored.access_token(600).unwrap();
    assert_ne!(first, second, "the expired token was refreshed");
    assert_eq!(srv.stats().grant("v3.refresh_token"), 1);
}
