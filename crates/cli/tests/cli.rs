//! Integration tests: the real `tapis-auth` binary against the in-process test authenticator,
//! for both platforms and the json, sqlite and env stores (keyring when reachable).

mod common;

use common::*;
use serde_json::Value;
use tapis_auth_testserver::{ConfigPatch, Fault, FaultKind};

const STORES: [&str; 2] = ["json", "sqlite"];

#[test]
fn version_help_and_usage_errors() {
    let w = World::new();
    let v = w.run("json", &["--version"], None);
    assert!(v.ok().starts_with("tapis-auth "), "{}", v.stdout);
    let h = w.run("json", &["--help"], None);
    let text = h.ok();
    for needle in [
        "Exit codes:",
        "login required",
        "network error",
        "storage error",
        "130",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}");
    }
    // A command's help: its own options first, the global ones under their own heading.
    for args in [
        &["help", "login"][..],
        &["login", "--help"],
        &["login", "-h"],
    ] {
        let h = w.run("json", args, None);
        let text = h.ok();
        let global = text
            .find("Global options:")
            .expect("a Global options heading");
        let own = text.find("--wait").unwrap();
        let store = text.find("--store").unwrap();
        assert!(own < global && global < store, "{text}");
        assert!(
            text.find("--timeout <").unwrap() > global,
            "--timeout is global: {text}"
        );
    }
    // completions --help says where each shell wants the script.
    for args in [&["completions", "--help"][..], &["completions", "-h"]] {
        let h = w.run("json", args, None);
        let text = h.ok();
        for needle in [
            "bash-completion/completions/tapis-auth",
            "~/.zfunc/_tapis-auth",
            "fpath=",
            "fish/completions/tapis-auth.fish",
            "elvish",
            "$PROFILE",
        ] {
            assert!(
                text.contains(needle),
                "completions help lacks {needle:?}: {text}"
            );
        }
    }
    w.run("json", &["no-such-command"], None).code(2);
    w.run("json", &["token", "--min-valid", "soon"], None)
        .code(2);
    w.run("json", &["login", "--device", "--password"], None)
        .code(2);
    // No tenant given and no profile to take one from.
    let r = w.run(
        "json",
        &["login", "--password-stdin", "--username", "testuser"],
        Some("testpass\n"),
    );
    r.code(2);
    assert!(r.stderr.contains("--tenant"), "{}", r.stderr);
    // A password on the command line is impossible: --password takes no value.
    w.run(
        "json",
        &["login", "--base-url", w.url(), "--password", "testpass"],
        None,
    )
    .code(2);
}

#[test]
fn password_login_token_status_every_store_both_platforms() {
    for store in STORES {
        for platform in ["v3", "v2"] {
            let w = World::new();
            let login = w.login(store, platform, &[]);
            login.ok();
            assert!(
                login.stdout.is_empty(),
                "login printed on stdout: {}",
                login.stdout
            );
            assert!(
                login.stderr.contains("Logged in as testuser"),
                "{}",
                login.stderr
            );

            // token: exactly the token and a newline.
            let t = w.run(store, &["token"], None);
            let out = t.ok();
            assert!(out.ends_with('\n') && !out.trim_end().contains(char::is_whitespace));
            let token = out.trim_end().to_owned();
            assert!(t.stderr.is_empty(), "token wrote to stderr: {}", t.stderr);
            if platform == "v3" {
                let c = jwt_claims(&token);
                assert_eq!(c["tapis/username"], "testuser");
                assert!(c["exp"].as_i64().unwrap() > 0);
            }
            if store == "json" {
                assert_eq!(
                    cached_token(&w.cache()).as_deref(),
                    Some(token.as_str()),
                    "token differs from the cache"
                );
            }
            // A second call serves the same token without any request to the server.
            let before = w.server.stats().total;
            assert_eq!(w.run(store, &["token"], None).ok().trim_end(), token);
            assert_eq!(
                w.server.stats().total,
                before,
                "a valid token must not cause requests"
            );

            // status: readable, JSON, never a secret.
            let st = w.run(store, &["status"], None);
            let table = st.ok();
            for needle in ["testuser", w.url(), "Access token", "Refresh token"] {
                assert!(table.contains(needle), "status lacks {needle:?}: {table}");
            }
            assert!(table.contains(if platform == "v3" {
                "tapis-v3"
            } else {
                "agave-v2"
            }));
            let sj = w.run(store, &["status", "--json"], None);
            let v: Value = sj.json();
            assert_eq!(v["username"], "testuser");
            assert!(v["access_token"]["valid"].as_bool().unwrap());
            assert!(
                v["client_id"].is_string(),
                "a client was created and stored: {v}"
            );
            let mut secrets = vec![token.clone(), "testpass".to_owned()];
            if store == "json" {
                secrets.extend(secrets_in_cache(&w.cache()));
            }
            for s in &secrets {
                for text in [
                    &st.stdout,
                    &st.stderr,
                    &sj.stdout,
                    &sj.stderr,
                    &login.stderr,
                ] {
                    assert!(!text.contains(s.as_str()), "status/login printed a secret");
                }
            }
        }
    }
}

#[test]
fn token_refreshes_when_needed_and_refresh_command() {
    for platform in ["v3", "v2"] {
        let w = World::new();
        let key = format!("{platform}.refresh_token");
        // Log in with 10-minute tokens, then let the server issue 4-hour ones.
        w.server.set_config(ConfigPatch {
            v3_access_ttl: Some(600),
            v2_access_ttl: Some(600),
            ..Default::default()
        });
        w.login("json", platform, &[]).ok();
        w.server.set_config(ConfigPatch {
            v3_access_ttl: Some(14_400),
            v2_access_ttl: Some(14_400),
            ..Default::default()
        });
        let t1 = w.run("json", &["token"], None).ok().to_owned();
        assert_eq!(w.grants(&key), 0);
        // More validity than the server issues (600 s, as far as is known) is refused at once,
        // without a grant.
        let r = w.run("json", &["token", "--min-valid", "3600"], None);
        r.code(2);
        assert!(r.stderr.contains("valid for only 600 s"), "{}", r.stderr);
        assert_eq!(
            w.grants(&key),
            0,
            "{platform}: an impossible request spent a grant"
        );
        // `refresh` refreshes unconditionally, and learns the new lifetime.
        let r = w.run("json", &["refresh"], None);
        r.ok();
        assert!(r.stderr.contains("Refreshed"), "{}", r.stderr);
        assert_eq!(w.grants(&key), 1);
        let t2 = w.run("json", &["token", "--min-valid", "3600"], None);
        let t2 = t2.ok().to_owned();
        assert_ne!(t1, t2, "{platform}: no new token");
        assert_eq!(w.grants(&key), 1, "{platform}: the refreshed token serves");
        assert_eq!(
            cached_token(&w.cache()).as_deref(),
            Some(t2.trim_end()),
            "the refreshed token is saved"
        );
        w.run("json", &["refresh"], None).ok();
        assert_eq!(w.grants(&key), 2);
        let t3 = w.run("json", &["token"], None).ok().to_owned();
        assert_ne!(t3, t2);
    }
}

#[test]
fn short_lived_token_is_refreshed_within_the_margin() {
    let w = World::new();
    w.server.set_config(ConfigPatch {
        v3_access_ttl: Some(62),
        ..Default::default()
    });
    w.login("json", "v3", &[]).ok();
    let t1 = w.run("json", &["token"], None).ok().to_owned();
    assert_eq!(w.grants("v3.refresh_token"), 0);
    // After 3 s the token has < 60 s left: inside the margin.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let st = w.run("json", &["status"], None);
    assert!(st.ok().contains("refreshed on next use"), "{}", st.stdout);
    let t2 = w.run("json", &["token"], None).ok().to_owned();
    assert_ne!(t1, t2);
    assert_eq!(w.grants("v3.refresh_token"), 1);
    // A token that can never be valid long enough is a usage error that spends no grant.
    w.run("json", &["token", "--min-valid", "3600"], None)
        .code(2);
    assert_eq!(w.grants("v3.refresh_token"), 1);
}

#[test]
fn env_store_and_env_command() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let token = w.run("json", &["token"], None).ok().trim_end().to_owned();
    for shell in ["sh", "csh", "fish"] {
        let r = w.run("json", &["env", "--shell", shell], None);
        let out = r.ok();
        assert!(
            out.contains("TAPIS_BASE_URL")
                && out.contains("TAPIS_TOKEN")
                && out.contains("TAPIS_USERNAME")
        );
        assert!(out.contains(&token));
    }
    // sh output survives a real shell.
    let exports = w.run("json", &["env"], None).ok().to_owned();
    let sh = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{exports}\nprintf '%s|%s|%s' \"$TAPIS_BASE_URL\" \"$TAPIS_TOKEN\" \"$TAPIS_USERNAME\""
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sh.stdout),
        format!("{}|{token}|testuser", w.url())
    );

    // The env store: TAPIS_BASE_URL + TAPIS_TOKEN (Access-Only profile), read-only.
    let run_env = |args: &[&str]| {
        let mut c = w.cmd("env");
        c.env("TAPIS_BASE_URL", w.url()).env("TAPIS_TOKEN", &token);
        run_cmd(c, args, None)
    };
    assert_eq!(run_env(&["token"]).ok().trim_end(), token);
    let st = run_env(&["status"]);
    assert!(st.ok().contains("environment"), "{}", st.stdout);
    assert!(!st.stdout.contains(&token));
    let l = run_env(&[
        "login",
        "--base-url",
        w.url(),
        "--password-stdin",
        "--username",
        "testuser",
    ]);
    l.code(2);
    // The environment wins over the store even with --store json.
    let mut c = w.cmd("json");
    c.env("TAPIS_BASE_URL", w.url())
        .env("TAPIS_TOKEN", "opaque-env-token-123");
    assert_eq!(
        run_cmd(c, &["token", "--min-valid", "0"], None)
            .ok()
            .trim_end(),
        "opaque-env-token-123",
        "an env token of unknown expiry that nothing can renew is handed out as it is"
    );
}

#[test]
fn profiles_logout_and_all() {
    let w = World::new();
    w.login("json", "v3", &["--profile", "one"]).ok();
    // (A script's login to another profile leaves the current one: --switch makes it current.)
    w.login("json", "v2", &["--profile", "two", "--switch"])
        .ok();
    let list = w.run("json", &["profiles", "list"], None);
    let out = list.ok();
    assert!(out.contains("one") && out.contains("* two"), "{out}");
    let j: Value = w.run("json", &["profiles", "list", "--json"], None).json();
    assert_eq!(j["profiles"].as_array().unwrap().len(), 2);
    w.run("json", &["profiles", "use", "one"], None).ok();
    let st = w.run("json", &["status", "--json"], None);
    let v: Value = st.json();
    assert_eq!(v["profile"], "one");
    assert_eq!(v["platform"], "tapis-v3");
    w.run("json", &["profiles", "use", "nope"], None).code(2);
    // --profile and TAPIS_AUTH_PROFILE select a profile.
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_PROFILE", "two");
    let v: Value = run_cmd(c, &["status", "--json"], None).json();
    assert_eq!(v["platform"], "agave-v2");
    // The `token` fast path (no clap) honours the same variables as the full parser.
    let via_flag = w
        .run("json", &["--profile", "two", "token"], None)
        .ok()
        .to_owned();
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_PROFILE", "two");
    assert_eq!(run_cmd(c, &["token", "--min-valid=0"], None).ok(), via_flag);
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_STORE", "sqlite");
    run_cmd(c, &["token"], None).code(3);
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_STORE", "bogus");
    run_cmd(c, &["token"], None).code(2);

    w.run("json", &["logout"], None).ok();
    w.run("json", &["token"], None).code(3);
    w.run("json", &["--profile", "two", "token"], None).ok();
    w.login("json", "v3", &["--profile", "three"]).ok();
    w.run("json", &["logout", "--all"], None).ok();
    assert_eq!(w.run("json", &["profiles", "list"], None).ok().trim(), "");
    let r = w.run("json", &["--profile", "two", "token"], None);
    r.code(3);
    assert!(
        r.stderr.contains("tapis-auth login"),
        "errors say what to do next: {}",
        r.stderr
    );
    assert!(w.grants("v3.password") >= 2);
}

#[test]
fn logout_revokes_v3_tokens() {
    let w = World::new();
    w.login("sqlite", "v3", &[]).ok();
    w.run("sqlite", &["logout"], None).ok();
    assert!(
        w.server.stats().endpoint("v3.revoke") >= 1,
        "v3 revoke was called"
    );
    w.run("sqlite", &["status"], None).code(3);
}

#[test]
fn clients_create_list_delete_both_platforms() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let created = w.run(
        "json",
        &[
            "clients",
            "create",
            "--name",
            "cli-test-client-xyz",
            "--description",
            "t",
        ],
        None,
    );
    assert_eq!(created.ok().trim(), "cli-test-client-xyz");
    // The same id again: the server refuses the request (a server failure, exit 6), named
    // `request_refused`, with the fix in the message.
    let again = w.run(
        "json",
        &[
            "--json",
            "clients",
            "create",
            "--name",
            "cli-test-client-xyz",
        ],
        None,
    );
    again.code(6);
    let v: serde_json::Value = serde_json::from_str(again.stdout.trim()).unwrap();
    assert_eq!(v["error"]["reason"], "request_refused", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already taken"),
        "{v}"
    );
    let list = w.run("json", &["clients", "list"], None);
    assert!(list.ok().contains("cli-test-client-xyz"), "{}", list.stdout);
    w.run("json", &["clients", "delete", "cli-test-client-xyz"], None)
        .ok();
    assert!(!w
        .run("json", &["clients", "list"], None)
        .ok()
        .contains("cli-test-client-xyz"));

    let w2 = World::new();
    w2.login("json", "v2", &[]).ok();
    let list = w2.run(
        "json",
        &[
            "clients",
            "create",
            "--name",
            "v2-cli-client",
            "--password-stdin",
        ],
        Some("testpass\n"),
    );
    list.ok();
    assert!(!list.stdout.contains("testpass") && !list.stderr.contains("testpass"));
}

#[test]
fn tenants_list_both_platforms() {
    let w = World::new();
    let r = w.run(
        "json",
        &["tenants", "list", "--base-url", w.url(), "--platform", "v3"],
        None,
    );
    assert!(r.ok().contains("test"), "{}", r.stdout);
    let tenants_url = format!("{}/tenants", w.url());
    let r = w.run(
        "json",
        &[
            "tenants",
            "list",
            "--base-url",
            w.url(),
            "--platform",
            "v2",
            "--tenants-url",
            &tenants_url,
            "--json",
        ],
        None,
    );
    let v: Value = r.json();
    assert!(
        v["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "test.v2"),
        "{v}"
    );
}

#[test]
fn exit_codes_for_each_failure_class() {
    let w = World::new();
    // 3: no session.
    let r = w.run("json", &["token"], None);
    r.code(3);
    assert!(r.stdout.is_empty());
    w.run("json", &["status"], None).code(3);
    // 4: wrong password.
    let r = w.run(
        "json",
        &[
            "login",
            "--base-url",
            w.url(),
            "--platform",
            "v3",
            "--username",
            "testuser",
            "--password-stdin",
        ],
        Some("wrong\n"),
    );
    r.code(4);
    assert!(!r.stderr.contains("wrong\n"));
    // 5: nothing listening.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    w.run(
        "json",
        &[
            "login",
            "--base-url",
            &dead,
            "--platform",
            "v3",
            "--username",
            "u",
            "--password-stdin",
        ],
        Some("p\n"),
    )
    .code(5);
    // 5: plain http:// to a non-loopback host is refused before anything is sent.
    w.run(
        "json",
        &[
            "tenants",
            "list",
            "--base-url",
            "http://example.invalid",
            "--platform",
            "v3",
        ],
        None,
    )
    .code(5);
    // 6: the server fails.
    for _ in 0..4 {
        w.server
            .inject_fault(Fault::new("v3.tokens", FaultKind::Status).status(500));
    }
    w.login("json", "v3", &[]).code(6);
    w.server.clear_faults();
    // 7: a corrupt cache, then `repair`.
    w.login("json", "v3", &[]).ok();
    std::fs::write(w.cache().join("config.json"), "{ not json").unwrap();
    std::fs::write(w.cache().join("current"), "{ not json").unwrap();
    let r = w.run("json", &["token"], None);
    r.code(7);
    assert!(r.stderr.contains("repair"), "{}", r.stderr);
    w.run("json", &["repair", "--dry-run"], None).code(7);
    let r = w.run("json", &["repair"], None);
    r.ok();
    assert!(
        r.stderr.contains("line 1"),
        "repair shows what is wrong: {}",
        r.stderr
    );
    let aside: Vec<_> = std::fs::read_dir(w.cache())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert!(!aside.is_empty(), "the corrupt file is kept");
    w.run("json", &["token"], None).code(3);
    w.run("json", &["repair"], None).ok();
    // 7: the keyring store where there is none, or not built in.
    if !keyring_reachable() {
        w.run(
            "keyring",
            &[
                "login",
                "--base-url",
                w.url(),
                "--username",
                "testuser",
                "--password-stdin",
            ],
            Some("testpass\n"),
        )
        .code(7);
    }
}

fn keyring_reachable() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() && cfg!(feature = "keyring")
}

/// Needs a Secret Service session: `#[ignore]`d under a plain `cargo test`, run by
/// scripts/test-all.sh's stage "keyring store through the CLI" (inside with-keyring.sh), where
/// an unreachable keyring is a failure.
#[test]
#[ignore = "needs a Secret Service session bus: scripts/test-all.sh runs it under crates/storage/scripts/with-keyring.sh"]
fn keyring_store_when_reachable() {
    assert!(
        keyring_reachable(),
        "no Secret Service session bus (DBUS_SESSION_BUS_ADDRESS unset) or the `keyring` feature is off: run under crates/storage/scripts/with-keyring.sh"
    );
    let w = World::new();
    w.login("keyring", "v3", &["--profile", "cli-keyring-test"])
        .ok();
    w.run("keyring", &["--profile", "cli-keyring-test", "token"], None)
        .ok();
    w.run(
        "keyring",
        &["--profile", "cli-keyring-test", "logout"],
        None,
    )
    .ok();
}

#[test]
fn import_from_agavepy_cache_into_sqlite() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    let token = w.run("json", &["token"], None).ok().to_owned();
    let from = w.cache();
    let other = tempfile::tempdir().unwrap();
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", other.path());
    let r = run_cmd(c, &["import", "--from", from.to_str().unwrap()], None);
    r.ok();
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", other.path());
    assert_eq!(run_cmd(c, &["token"], None).ok(), token);
    // A source others can read is reported, as for any store, and left as it is: reading
    // never changes modes.
    use std::os::unix::fs::PermissionsExt;
    let loose = from.join("config.json");
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", other.path());
    let r = run_cmd(c, &["import", "--from", from.to_str().unwrap()], None);
    r.ok();
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("644"),
        "{}",
        r.stderr
    );
    let mode = std::fs::metadata(&loose).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    // Importing again skips existing profiles.
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", other.path());
    let r = run_cmd(c, &["import", "--from", from.to_str().unwrap()], None);
    assert!(
        r.ok().is_empty() && r.stderr.contains("skipped"),
        "{}",
        r.stderr
    );
}

#[test]
fn completions_and_broken_pipe() {
    let w = World::new();
    let r = w.run("json", &["completions", "bash"], None);
    assert!(r.ok().contains("tapis-auth"));
    // Installed the way `completions --help` says, bash knows the command's completion.
    let dir = w
        .home
        .path()
        .join(".local/share/bash-completion/completions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tapis-auth"), &r.stdout).unwrap();
    let o = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; complete -p tapis-auth",
            dir.join("tapis-auth").display()
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("tapis-auth"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The reader goes away after one byte: exit quietly.
    let mut c = w.cmd("json");
    c.args(["completions", "zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn device_login_reuses_the_client_from_password_login() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    // Non-interactive device login: the approval comes from the server's control endpoint.
    let (r, code) = device_login_approved(&w, "json", &["login", "--device", "--no-qr"]);
    r.ok();
    assert!(
        r.stderr.contains(&code),
        "the user code is shown: {}",
        r.stderr
    );
    assert!(w.grants("v3.device_code") >= 1);
    let token = w.run("json", &["token"], None).ok().trim_end().to_owned();
    assert_eq!(jwt_claims(&token)["tapis/grant_type"], "device_code");
}

/// `clients create --use` logs in again with the new client (tokens are bound to the client
/// that obtained them), so refreshing keeps working; on a read-only store it is refused before
/// anything is created. Switches read from the environment accept 1/0 as well as true/false.
#[test]
fn clients_create_use_switches_client_and_env_switches_are_boolish() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let before: Value = w.run("json", &["status", "--json"], None).json();
    let c = w.run(
        "json",
        &[
            "clients",
            "create",
            "--name",
            "switched",
            "--use",
            "--password-stdin",
        ],
        Some("testpass\n"),
    );
    assert!(c.ok().contains("switched"), "{}", c.stdout);
    let after: Value = w.run("json", &["status", "--json"], None).json();
    assert_eq!(after["client_id"], "switched");
    assert_ne!(before["client_id"], after["client_id"]);
    w.run("json", &["refresh"], None).ok();

    // Env store: refused (exit 2), naming the reason.
    let token = w.run("json", &["token"], None).ok().trim_end().to_owned();
    let mut e = w.cmd("env");
    e.env("TAPIS_BASE_URL", w.url()).env("TAPIS_TOKEN", &token);
    let r = run_cmd(
        e,
        &["clients", "create", "--use", "--password-stdin"],
        Some("testpass\n"),
    );
    r.code(2);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);

    for v in ["1", "true", "yes"] {
        let mut j = w.cmd("json");
        j.env("TAPIS_AUTH_JSON", v);
        let st = run_cmd(j, &["status"], None);
        assert!(
            serde_json::from_str::<Value>(st.ok()).is_ok(),
            "TAPIS_AUTH_JSON={v}: {}",
            st.stdout
        );
    }
    let mut j = w.cmd("json");
    j.env("TAPIS_AUTH_JSON", "0");
    let st = run_cmd(j, &["status"], None);
    assert!(serde_json::from_str::<Value>(st.ok()).is_err());
}

/// A mistyped SSL_CERT_FILE is a network error (exit 5) naming the variable and the path, with
/// a hint about what the variable does.
#[test]
fn bad_ssl_cert_file_is_named_with_a_hint() {
    let w = World::new();
    let mut c = w.cmd("json");
    c.env("SSL_CERT_FILE", "/nonexistent/ca-bundle.pem");
    let r = run_cmd(
        c,
        &[
            "login",
            "--base-url",
            "https://127.0.0.1:9",
            "--username",
            "u",
            "--password-stdin",
            "--platform",
            "v3",
        ],
        Some("pw\n"),
    );
    r.code(5);
    assert!(
        r.stderr.contains("/nonexistent/ca-bundle.pem"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: SSL_CERT_FILE / SSL_CERT_DIR replace"),
        "{}",
        r.stderr
    );
}

/// TAPIS_AUTH_LOCK_TIMEOUT bounds the waits; a value it does not understand is an error naming
/// the variable. TAPIS_AUTH_LOCK, which once chose the lock mechanism, is no longer read: a job
/// script that still sets it works as before.
#[test]
fn lock_settings_from_the_environment() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_LOCK", "excl")
        .env("TAPIS_AUTH_LOCK_TIMEOUT", "5");
    run_cmd(c, &["refresh"], None).ok();
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_LOCK", "posix");
    run_cmd(c, &["refresh"], None).ok();
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_LOCK_TIMEOUT", "soon");
    let r = run_cmd(c, &["refresh"], None);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("TAPIS_AUTH_LOCK_TIMEOUT"), "{}", r.stderr);
}

/// --timeout (and TAPIS_AUTH_TIMEOUT) bound a request: a token endpoint that answers after 4 s
/// fails a 1 s refresh with a network error (exit 5), well before the default 30 s.
#[test]
fn timeout_flag_bounds_a_slow_server() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let fault = r#"{"endpoint":"v3.tokens","grant":"refresh_token","kind":"delay","delay_ms":4000,"count":2}"#;
    w.control("POST", "/_test/faults", Some(fault));
    let start = std::time::Instant::now();
    let r = w.run("json", &["--timeout", "1", "refresh"], None);
    r.code(5);
    assert!(start.elapsed().as_secs() < 4, "{:?}", start.elapsed());
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_TIMEOUT", "1");
    let start = std::time::Instant::now();
    run_cmd(c, &["refresh"], None).code(5);
    assert!(start.elapsed().as_secs() < 4, "{:?}", start.elapsed());
    w.run("json", &["--timeout", "0", "refresh"], None).code(2);
}

/// `login --browser` through the real binary: the `BROWSER` command (here a script standing in
/// for the user's browser, which approves at the test authenticator and follows the redirect)
/// opens the authorize URL, the redirect reaches the command's loopback listener, and the
/// session is saved.
#[test]
fn browser_login_through_the_binary() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("NOTE: curl is not installed; browser_login_through_the_binary not run");
        return;
    }
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    w.run(
        "json",
        &[
            "clients",
            "create",
            "--name",
            "web",
            "--callback-url",
            &redirect,
            "--use",
            "--password-stdin",
        ],
        Some("testpass\n"),
    )
    .ok();
    let script = common::fake_browser(&w);
    let before = w.run("json", &["token"], None).ok().trim_end().to_owned();
    let mut c = w.cmd("json");
    c.env("BROWSER", &script);
    let r = run_cmd(
        c,
        &["login", "--browser", "--redirect-uri", &redirect],
        None,
    );
    r.ok();
    assert!(r.stderr.contains("Logged in as testuser"), "{}", r.stderr);
    let after = w.run("json", &["token"], None).ok().trim_end().to_owned();
    assert_ne!(before, after, "the browser login saved new tokens");
}
