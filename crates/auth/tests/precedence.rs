//! Restore precedence — explicit options > environment (`TAPIS_*`) > store — with each level
//! shown winning against the ones below it, by real sessions against the test authenticator
//! (the server is asked whose token it is). Also the explicit tenant-id rule: a tenant id
//! with a password or token and no base URL is the explicit source (resolved), never a
//! silent fall-through to the environment or the store.
//!
//! The environment is process-global: every test here takes [`Env::lock`], which serialises
//! the tests of this file (its own process) and starts each from an environment without
//! `TAPIS_*` variables.

mod common;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use common::*;
use tapis_auth::http::USER_AGENT;
use tapis_auth::{AuthSession, Options, Source};
use tapis_auth_core::{BaseUrl, Error, Platform, Secret};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::TestServer;

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Exclusive use of the process environment, with every `TAPIS_*` variable removed; the
/// previous values come back on drop.
struct Env {
    saved: Vec<(String, String)>,
    _guard: MutexGuard<'static, ()>,
}

impl Env {
    fn lock() -> Env {
        let guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let saved: Vec<_> = std::env::vars()
            .filter(|(k, _)| k.starts_with("TAPIS_"))
            .collect();
        for (k, _) in &saved {
            std::env::remove_var(k);
        }
        Env {
            saved,
            _guard: guard,
        }
    }

    fn set(&self, vars: &[(&str, &str)]) {
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }

    fn clear(&self) {
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("TAPIS_")) {
            std::env::remove_var(k);
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.clear();
        for (k, v) in &self.saved {
            std::env::set_var(k, v);
        }
    }
}

/// A server with three users, and a cache directory holding `testuser`'s Tapis v3 session.
struct World {
    srv: TestServer,
    dir: tempfile::TempDir,
}

fn world() -> World {
    let srv = server();
    srv.add_user("envuser", "envpass");
    srv.add_user("explicituser", "explicitpass");
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    World { srv, dir }
}

/// A Tapis v3 access token for `user`, valid for an hour.
fn token_for(srv: &TestServer, user: &str) -> String {
    srv.mint_v3(user, 3600, None)["access_token"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Restore options: the store in `dir`, the environment read (the default).
fn restore_options(dir: &Path) -> Options {
    Options {
        store_path: Some(dir.to_path_buf()),
        ..Options::default()
    }
}

/// Whose token the session holds, according to the server (a real request).
fn server_user(s: &AuthSession) -> String {
    s.userinfo().expect("userinfo").username
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().contains("lock"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

fn is_store(s: &AuthSession) -> bool {
    matches!(s.source(), Source::Store(_))
}

#[test]
fn the_store_is_used_when_nothing_else_is_given() {
    let _env = Env::lock();
    let w = world();
    let s = AuthSession::restore(restore_options(w.dir.path())).unwrap();
    assert!(is_store(&s), "{}", s.source());
    assert_eq!(server_user(&s), "testuser");
    assert_eq!(
        w.srv.stats().last_user_agent.as_deref(),
        Some(USER_AGENT),
        "requests carry tapis-auth/<version>"
    );
}

#[test]
fn the_environment_wins_over_the_store() {
    let env = Env::lock();
    let w = world();
    let before = snapshot(w.dir.path());

    // Access-Only: TAPIS_BASE_URL + TAPIS_TOKEN.
    env.set(&[
        ("TAPIS_BASE_URL", w.srv.url()),
        ("TAPIS_TOKEN", &token_for(&w.srv, "envuser")),
    ]);
    let s = AuthSession::restore(restore_options(w.dir.path())).unwrap();
    assert_eq!(s.source(), &Source::Environment);
    assert_eq!(server_user(&s), "envuser");
    assert_eq!(
        w.srv.stats().last_user_agent.as_deref(),
        Some(USER_AGENT),
        "requests carry tapis-auth/<version>"
    );

    // Switching the environment off falls back to the store.
    let s = AuthSession::restore(Options {
        use_environment: false,
        ..restore_options(w.dir.path())
    })
    .unwrap();
    assert!(is_store(&s), "{}", s.source());
    assert_eq!(server_user(&s), "testuser");

    // Standard profile: client + username/password; the token is obtained with a password
    // grant and kept in memory — the environment store is read-only.
    env.clear();
    env.set(&[
        ("TAPIS_BASE_URL", w.srv.url()),
        ("TAPIS_PLATFORM", "v3"),
        ("TAPIS_USERNAME", "envuser"),
        ("TAPIS_PASSWORD", "envpass"),
        ("TAPIS_CLIENT_ID", "test-client"),
        ("TAPIS_CLIENT_KEY", "test-client-key"),
    ]);
    let grants = w.srv.stats().grant("v3.password");
    let s = AuthSession::restore(restore_options(w.dir.path())).unwrap();
    assert_eq!(s.source(), &Source::Environment);
    assert_eq!(server_user(&s), "envuser");
    assert_eq!(w.srv.stats().grant("v3.password"), grants + 1);
    assert_eq!(
        snapshot(w.dir.path()),
        before,
        "an environment session never writes the store"
    );
}

#[test]
fn explicit_options_win_over_the_environment_and_the_store() {
    let env = Env::lock();
    let w = world();
    env.set(&[
        ("TAPIS_BASE_URL", w.srv.url()),
        ("TAPIS_TOKEN", &token_for(&w.srv, "envuser")),
    ]);
    let before = snapshot(w.dir.path());

    // A base URL and an access token.
    let s = AuthSession::restore(Options {
        base_url: Some(w.srv.url().to_owned()),
        access_token: Some(Secret::new(token_for(&w.srv, "explicituser"))),
        ..restore_options(w.dir.path())
    })
    .unwrap();
    assert_eq!(s.source(), &Source::Explicit);
    assert_eq!(server_user(&s), "explicituser");

    // A base URL, a client and a password: a password grant on first use.
    let s = AuthSession::restore(Options {
        base_url: Some(w.srv.url().to_owned()),
        platform: Some(Platform::TapisV3),
        username: Some("explicituser".into()),
        password: Some(Secret::new("explicitpass")),
        client_id: Some("test-client".into()),
        client_key: Some(Secret::new("test-client-key")),
        ..restore_options(w.dir.path())
    })
    .unwrap();
    assert_eq!(s.source(), &Source::Explicit);
    assert_eq!(server_user(&s), "explicituser");
    assert!(
        s.whoami().unwrap().has_refresh_token,
        "the client makes it renewable"
    );

    // Explicit sessions live in memory unless persist_explicit is set.
    assert_eq!(snapshot(w.dir.path()), before, "explicit session written");
}

#[test]
fn a_half_set_environment_is_an_error_unless_explicit_options_are_given() {
    let env = Env::lock();
    let w = world();
    env.set(&[("TAPIS_TOKEN", &token_for(&w.srv, "envuser"))]);
    let e = AuthSession::restore(restore_options(w.dir.path())).unwrap_err();
    assert!(
        e.to_string().contains("TAPIS_BASE_URL"),
        "names what is missing: {e}"
    );
    // Explicit options are consulted first and never read the environment.
    let s = AuthSession::restore(Options {
        base_url: Some(w.srv.url().to_owned()),
        access_token: Some(Secret::new(token_for(&w.srv, "explicituser"))),
        ..restore_options(w.dir.path())
    })
    .unwrap();
    assert_eq!(server_user(&s), "explicituser");
}

#[test]
fn a_tenant_id_with_credentials_and_no_base_url_is_the_explicit_source() {
    let env = Env::lock();
    let w = world();
    env.set(&[
        ("TAPIS_BASE_URL", w.srv.url()),
        ("TAPIS_TOKEN", &token_for(&w.srv, "envuser")),
    ]);
    let before = snapshot(w.dir.path());

    // Agave v2: the tenant id is looked up in the tenants listing, then used for real.
    let s = AuthSession::restore(Options {
        tenant_id: Some("TEST.v2".into()),
        platform: Some(Platform::AgaveV2),
        tenants_url: Some(format!("{}/tenants", w.srv.url())),
        username: Some("explicituser".into()),
        password: Some(Secret::new("explicitpass")),
        client_id: Some("v2-test-key".into()),
        client_key: Some(Secret::new("v2-test-secret")),
        ..restore_options(w.dir.path())
    })
    .unwrap();
    assert_eq!(s.source(), &Source::Explicit);
    let who = s.whoami().unwrap();
    assert_eq!(who.platform, Platform::AgaveV2);
    assert_eq!(who.tenant_id.as_deref(), Some("test.v2"));
    assert_eq!(
        who.base_url,
        BaseUrl::parse(w.srv.url()).unwrap().to_string()
    );
    assert_eq!(server_user(&s), "explicituser");

    // Tapis v3: the tenant id names `https://<id>.tapis.io`, without a request.
    let requests = w.srv.stats().total;
    let s = AuthSession::restore(Options {
        tenant_id: Some("Test".into()),
        username: Some("explicituser".into()),
        password: Some(Secret::new("explicitpass")),
        ..restore_options(w.dir.path())
    })
    .unwrap();
    assert_eq!(s.source(), &Source::Explicit);
    let who = s.whoami().unwrap();
    assert_eq!(who.platform, Platform::TapisV3);
    assert_eq!(who.base_url, "https://test.tapis.io");
    assert_eq!(who.username.as_deref(), Some("explicituser"));
    assert_eq!(
        w.srv.stats().total,
        requests,
        "no request to resolve a v3 id"
    );

    // An Agave v2 tenant the listing does not have: a clear error naming it.
    let e = AuthSession::restore(Options {
        tenant_id: Some("nosuch.v2".into()),
        platform: Some(Platform::AgaveV2),
        tenants_url: Some(format!("{}/tenants", w.srv.url())),
        username: Some("explicituser".into()),
        password: Some(Secret::new("explicitpass")),
        ..restore_options(w.dir.path())
    })
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(
        e.to_string().contains("nosuch.v2") && e.to_string().contains("base URL"),
        "{e}"
    );

    assert_eq!(snapshot(w.dir.path()), before, "nothing written");
}

#[test]
fn login_and_restore_look_v2_tenant_ids_up_alike() {
    // One lookup for both: the listing from TAPIS_TENANTS_URL when no option names it, the
    // same tenant found, the same error for a tenant the listing lacks.
    let env = Env::lock();
    let w = world();
    env.set(&[("TAPIS_TENANTS_URL", &format!("{}/tenants", w.srv.url()))]);
    let options = |id: &str| Options {
        tenant_id: Some(id.into()),
        platform: Some(Platform::AgaveV2),
        username: Some("explicituser".into()),
        password: Some(Secret::new("explicitpass")),
        ..restore_options(w.dir.path())
    };

    let t = AuthSession::open(options("TEST.v2"))
        .unwrap()
        .resolve_tenant()
        .unwrap();
    assert_eq!(t.platform, Platform::AgaveV2);
    assert_eq!(t.id.as_deref(), Some("test.v2"));
    assert_eq!(t.base_url, BaseUrl::parse(w.srv.url()).unwrap());
    let who = AuthSession::restore(options("TEST.v2"))
        .unwrap()
        .whoami()
        .unwrap();
    assert_eq!(who.base_url, t.base_url.to_string());

    let login = AuthSession::open(options("nosuch.v2"))
        .unwrap()
        .resolve_tenant()
        .unwrap_err();
    let restore = AuthSession::restore(options("nosuch.v2")).unwrap_err();
    assert!(matches!(login, Error::Config(_)), "{login:?}");
    assert_eq!(login.to_string(), restore.to_string());
    assert!(login.to_string().contains("base URL"), "{login}");

    // A listing URL with credentials or a query: the error names it without them.
    let with_secrets = w.srv.url().replacen("://", "://alice:s3cret@", 1) + "/tenants?key=s3cret";
    let e = AuthSession::open(Options {
        tenants_url: Some(with_secrets),
        ..options("nosuch.v2")
    })
    .unwrap()
    .resolve_tenant()
    .unwrap_err();
    assert!(e.to_string().contains("/tenants"), "{e}");
    assert!(!e.to_string().contains("s3cret"), "{e}");

    // No platform given: a dotted id is an Agave v2 one for both, looked up the same way.
    let unplatformed = |id: &str| Options {
        platform: None,
        ..options(id)
    };
    let t = AuthSession::open(unplatformed("TEST.v2"))
        .unwrap()
        .resolve_tenant()
        .unwrap();
    assert_eq!(t.platform, Platform::AgaveV2);
    let who = AuthSession::restore(unplatformed("TEST.v2"))
        .unwrap()
        .whoami()
        .unwrap();
    assert_eq!(who.platform, Platform::AgaveV2);
    assert_eq!(who.base_url, t.base_url.to_string());
}

#[test]
fn a_tenant_id_cannot_name_another_host() {
    // `https://<id>.tapis.io` must stay under tapis.io: an id with `/`, `@`, `:`, `?` or `#`
    // would send the password elsewhere (here: to a closed loopback port).
    let _env = Env::lock();
    let w = world();
    for id in [
        "127.0.0.1:9/",
        "127.0.0.1:9#",
        "u:p@127.0.0.1:9?",
        "",
        "a..b",
    ] {
        let options = Options {
            tenant_id: Some(id.into()),
            username: Some("explicituser".into()),
            password: Some(Secret::new("explicitpass")),
            ..restore_options(w.dir.path())
        };
        let e = AuthSession::restore(options.clone()).unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{id}: {e:?}");
        assert!(e.to_string().contains("invalid tenant id"), "{id}: {e}");
        let e = AuthSession::open(Options {
            platform: Some(Platform::TapisV3),
            ..options
        })
        .unwrap()
        .resolve_tenant()
        .unwrap_err();
        assert!(e.to_string().contains("invalid tenant id"), "{id}: {e}");
        assert!(!e.to_string().contains("u:p@"), "{e}");
    }
    // A dotted id is a Tapis v3 one when the platform says so (without it, Agave v2).
    let who = AuthSession::restore(Options {
        tenant_id: Some("Dev-1.Test".into()),
        platform: Some(Platform::TapisV3),
        password: Some(Secret::new("explicitpass")),
        ..restore_options(w.dir.path())
    })
    .unwrap()
    .whoami()
    .unwrap();
    assert_eq!(who.base_url, "https://dev-1.test.tapis.io");
}

#[test]
fn a_password_without_a_tenant_is_lent_to_the_stored_session() {
    // How Agave v2 clients are managed (`tapis-auth clients` does this): the stored session
    // plus the password, which is never stored.
    let _env = Env::lock();
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::AgaveV2);
    let s = AuthSession::restore(Options {
        username: Some("testuser".into()),
        password: Some(Secret::new("testpass")),
        ..restore_options(dir.path())
    })
    .unwrap();
    assert!(is_store(&s), "{}", s.source());
    let clients = s.list_clients().unwrap();
    assert!(clients.iter().any(|c| c.id == "v2-test-key"), "{clients:?}");
}
