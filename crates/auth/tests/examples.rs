//! The examples run as users would run them, against the test authenticator: each must get a
//! token out of an expired shared cache with exactly one refresh grant, and print no secret.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{expire_stored_token, login, server};
use tapis_auth::{Platform, StoreKind};

/// An example built by `cargo test` next to this test binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built (cargo test builds the examples; run with --all-features for async_service)",
        path.display()
    );
    path
}

fn run_on_expired_cache(args: &[&str], name: &str) -> String {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let session = login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    let old = session.access_token(0).unwrap();
    expire_stored_token(dir.path(), StoreKind::Json);
    srv.reset_stats();
    let out = Command::new(example(name))
        .arg(dir.path())
        .args(args)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed: {stdout}\n{stderr}");
    assert_eq!(srv.stats().grant("v3.refresh_token"), 1, "refresh grants");
    let new = common::restore(dir.path(), StoreKind::Json)
        .access_token(0)
        .unwrap();
    assert_ne!(new, old, "the cache holds the refreshed token");
    for secret in [old.expose(), new.expose()] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
    stdout
}

#[test]
fn ureq_refresh_example_refreshes_the_shared_cache() {
    let out = run_on_expired_cache(&[], "ureq_refresh");
    assert!(out.contains("valid for at least 10 minutes"), "{out}");
}

#[cfg(feature = "tokio")]
#[test]
fn async_service_example_serves_every_task_from_one_refresh() {
    let out = run_on_expired_cache(&["64"], "async_service");
    assert!(out.contains("64 tasks served; distinct tokens: 1"), "{out}");
}
