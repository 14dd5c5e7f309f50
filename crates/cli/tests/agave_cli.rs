//! The bash Agave CLI (TACC-Cloud/agave-cli) on the cache `tapis-auth` writes, and the
//! variables it shares with us.
//!
//! The test that runs the CLI's own scripts (`bin/auth-check`, `bin/auth-tokens-refresh`) is
//! `#[ignore]`d under a plain `cargo test`: it needs a checkout of the CLI, which
//! `scripts/test-agave-cli.sh` (a stage of `scripts/test-all.sh`) clones at test time — its code
//! is not part of this project — and passes as `AGAVE_CLI_DIR`. The others run always.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run_cmd, World};
use serde_json::Value;

fn current(w: &World) -> (String, Value) {
    let text = std::fs::read_to_string(w.cache().join("current")).unwrap();
    let v = serde_json::from_str(&text).unwrap();
    (text, v)
}

/// What the bash CLI needs of `current` (`common.sh`, `auth-check`, `jsonval`): one line, one
/// flat object of strings, a tenant id and a base URL without a trailing slash.
#[track_caller]
fn bash_cli_can_read(w: &World) -> Value {
    let (text, v) = current(w);
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    for (k, x) in v.as_object().unwrap() {
        assert!(
            x.is_string() || k == "verify",
            "{k} is not a string: {text}"
        );
    }
    assert!(!v["tenantid"].as_str().unwrap().is_empty(), "{text}");
    assert!(!v["baseurl"].as_str().unwrap().ends_with('/'), "{text}");
    assert!(v.get("devurl").is_some(), "{text}");
    v
}

fn agave_cli_dir() -> PathBuf {
    match std::env::var_os("AGAVE_CLI_DIR") {
        Some(d) => PathBuf::from(d),
        None => panic!("AGAVE_CLI_DIR is not set: run scripts/test-agave-cli.sh"),
    }
}

/// Runs one of the bash CLI's scripts on the world's cache.
fn bash_cli(w: &World, dir: &Path, script: &str, args: &[&str]) -> common::Run {
    let mut c = Command::new("bash");
    c.arg(dir.join("bin").join(script));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("AGAVE") || k.to_lowercase().ends_with("_proxy") {
            c.env_remove(&k);
        }
    }
    c.env("HOME", w.home.path())
        .env("AGAVE_CACHE_DIR", w.cache())
        .env("AGAVE_JSON_PARSER", "jq");
    run_cmd(c, args, None)
}

#[test]
#[ignore = "needs the bash Agave CLI (TACC-Cloud/agave-cli): run scripts/test-agave-cli.sh"]
fn the_bash_cli_checks_and_refreshes_our_login_and_we_follow() {
    let dir = agave_cli_dir();
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    bash_cli_can_read(&w);
    let check = bash_cli(&w, &dir, "auth-check", &[]);
    let out = check.ok();
    assert!(out.contains("tenant: test.v2"), "{out}");
    assert!(out.contains("username: testuser"), "{out}");
    let left: i64 = out
        .lines()
        .find_map(|l| l.strip_prefix("time left: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no time left in {out}"));
    assert!(left > 14_000, "{out}");
    // The bash CLI refreshes (spending our refresh token) and writes only `current`.
    let r = bash_cli(&w, &dir, "auth-tokens-refresh", &["-S"]);
    assert!(r.ok().contains("successfully refreshed"), "{r:?}");
    let (_, theirs) = current(&w);
    let token = w.run("json", &["token"], None).ok().trim().to_owned();
    assert_eq!(token, theirs["access_token"].as_str().unwrap());
    let before = w.grants("v2.refresh_token");
    w.run("json", &["refresh"], None).ok();
    assert_eq!(w.grants("v2.refresh_token"), before + 1);
    let v = bash_cli_can_read(&w);
    assert_ne!(v["refresh_token"], theirs["refresh_token"]);
    let again = bash_cli(&w, &dir, "auth-check", &["-v"]);
    let shown = again.json();
    assert_eq!(shown["access_token"], v["access_token"], "{shown}");
}

/// Item 4: the bash CLI's `AGAVE_TENANTS_API_BASEURL` (the listing URL itself) names where
/// Agave v2 tenants are looked up when `TAPIS_TENANTS_URL` is not set.
#[test]
fn agave_tenants_api_baseurl_is_honoured() {
    let w = World::new();
    let mut c = w.cmd("json");
    c.env("AGAVE_TENANTS_API_BASEURL", format!("{}/tenants", w.url()));
    let r = run_cmd(
        c,
        &[
            "login",
            "--tenant",
            "test.v2",
            "--username",
            "testuser",
            "--password-stdin",
        ],
        Some("testpass\n"),
    );
    r.ok();
    let v = bash_cli_can_read(&w);
    assert_eq!(v["baseurl"], w.url());
    assert_eq!(v["tenantid"], "test.v2");
}

/// Item 3: a v2 login by base URL fills the tenant id in from the tenants listing; when the
/// listing does not name the tenant, the login says the bash CLI will refuse it.
#[test]
fn a_v2_login_by_url_finds_its_tenant_id_or_says_why_not() {
    let w = World::new();
    let r = w.login("json", "v2", &[]);
    r.ok();
    assert!(!r.stderr.contains("tenant id"), "{}", r.stderr);
    assert_eq!(bash_cli_can_read(&w)["tenantid"], "test.v2");

    let w = World::new();
    let listing = format!("{}/no-tenants-here", w.url());
    let r = w.login("json", "v2", &["--tenants-url", &listing]);
    r.ok();
    assert!(
        r.stderr.contains("tenant id") && r.stderr.contains("--tenant"),
        "{}",
        r.stderr
    );
    assert_eq!(current(&w).1["tenantid"], "");
}
