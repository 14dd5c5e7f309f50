//! Shared helpers for the session's integration tests: a test authenticator and sessions whose
//! cache lives in a temporary directory.

#![allow(dead_code)]

use std::path::Path;

use tapis_auth::{AuthSession, Options};
use tapis_auth_core::{Platform, Secret};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{Config, TestServer, V3ClientSeed};

/// Starts a test authenticator with default settings.
pub fn server() -> TestServer {
    TestServer::start(Config::default())
}

/// Options for `server` with the store in `dir`; environment ignored.
pub fn options(server: &TestServer, dir: &Path, kind: StoreKind, platform: Platform) -> Options {
    let path = match kind {
        StoreKind::Sqlite => dir.join("sessions.db"),
        _ => dir.to_path_buf(),
    };
    Options {
        base_url: Some(server.url().to_owned()),
        platform: Some(platform),
        store: kind,
        store_path: Some(path),
        use_environment: false,
        ..Options::default()
    }
}

/// [`options`] with the test user's username and password (no client).
pub fn password_options(
    server: &TestServer,
    dir: &Path,
    kind: StoreKind,
    platform: Platform,
) -> Options {
    let mut o = options(server, dir, kind, platform);
    o.username = Some("testuser".into());
    o.password = Some(Secret::new("testpass"));
    o
}

/// Logs in with the test user's password and the pre-registered client.
pub fn login(server: &TestServer, dir: &Path, kind: StoreKind, platform: Platform) -> AuthSession {
    let mut o = password_options(server, dir, kind, platform);
    match platform {
        Platform::TapisV3 => {
            o.client_id = Some("test-client".into());
            o.client_key = Some(Secret::new("test-client-key"));
        }
        _ => {
            o.client_id = Some("v2-test-key".into());
            o.client_key = Some(Secret::new("v2-test-secret"));
        }
    }
    let s = AuthSession::open(o).expect("open");
    s.login_password(false).expect("password login");
    s
}

/// Restores a session from the store in `dir` (no explicit credentials, no environment).
pub fn restore(dir: &Path, kind: StoreKind) -> AuthSession {
    let path = match kind {
        StoreKind::Sqlite => dir.join("sessions.db"),
        _ => dir.to_path_buf(),
    };
    AuthSession::restore(Options {
        store: kind,
        store_path: Some(path),
        use_environment: false,
        ..Options::default()
    })
    .expect("restore")
}

/// Marks the stored access token as expired (the server still honours the refresh token).
pub fn expire_stored_token(dir: &Path, kind: StoreKind) {
    set_stored_expiry(dir, kind, 1);
}

/// Overwrites the stored access-token expiry (epoch seconds) without touching the token.
pub fn set_stored_expiry(dir: &Path, kind: StoreKind, at: i64) {
    let s = restore(dir, kind);
    let mut session = s.session().unwrap();
    let t = session.tokens.as_mut().unwrap();
    t.expires_at = Some(tapis_auth_core::UnixTime(at));
    let store = s.manager().store().clone();
    let _lock = store.lock(&session.profile).unwrap();
    store.save(&session).unwrap();
}

/// Starts this test binary again to run only the `#[ignore]`d test `child` (a child role of a
/// multi-process test), with `envs` set and stdout/stderr piped. Child roles are ignored so
/// that a run of the suite never counts one as a pass without its parent.
pub fn spawn_child_role(child: &str, envs: &[(&str, &std::ffi::OsStr)]) -> std::process::Child {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        child,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits for a child role and returns its stdout, failing the test (with both outputs) when it
/// did not succeed.
pub fn child_stdout(child: std::process::Child, what: &str) -> String {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: a child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A free loopback port (bound once, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A test server with a confidential client whose callback is a free loopback port, the
/// callback URL, the cache directory and a session to log in with that client.
pub fn browser_setup() -> (TestServer, String, tempfile::TempDir, AuthSession) {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let srv = TestServer::start(Config {
        v3_clients: vec![V3ClientSeed {
            client_id: "web-client".into(),
            client_key: "web-client-key".into(),
            owner: "testuser".into(),
            callback_url: redirect.clone(),
        }],
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    o.client_id = Some("web-client".into());
    o.client_key = Some(Secret::new("web-client-key"));
    let s = AuthSession::open(o).unwrap();
    (srv, redirect, dir, s)
}
