//! Secret hygiene, end to end: every command of the real binary, with `-v` and
//! `RUST_LOG=trace`, on both platforms and both file stores, through the success paths and the
//! error paths (wrong password, a client key the server echoes back, a dead refresh token, a
//! server error, a corrupt cache). No password, client key, access or refresh token may appear
//! in stdout or stderr — except the token on `token`'s and `env`'s stdout, which is their job.
//! Cache files must be 0600 and the directory 0700.
//!
//! `tour` adds every remaining command (device login approved out of band, clients create/delete,
//! profiles use, import, a real repair, single-profile logout, completions) and error paths
//! (server unreachable, injected 500/503/dropped connections, rejected client on refresh, an
//! expired device code, an unwritable cache), then scans every file under HOME: only the 0600
//! cache files may hold a secret. `RUST_LOG=trace` has no effect today (no crate installs a
//! logger); only the CLI's own `-v` output is checked.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;
use tapis_auth_testserver::{Config, V2ClientSeed, V3ClientSeed};

const PASSWORD: &str = "Hyg-P@ss-9f3k2-secret";
const WRONG_PASSWORD: &str = "Wrong-P@ss-77q-secret";
const V3_KEY: &str = "hyg-CLIENT-KEY-77x-secret";
const V2_SECRET: &str = "hyg-V2-SECRET-31z-secret";
const WRONG_KEY: &str = "WRONG-client-KEY-5k-secret";

fn world() -> World {
    World::with(Config {
        users: vec![("hyg".into(), PASSWORD.into())],
        v3_clients: vec![V3ClientSeed {
            client_id: "hyg-client".into(),
            client_key: V3_KEY.into(),
            owner: "hyg".into(),
            callback_url: "http://127.0.0.1/callback".into(),
        }],
        v2_clients: vec![V2ClientSeed {
            name: "hyg-client".into(),
            key: "hyg-v2-key".into(),
            secret: V2_SECRET.into(),
            owner: "hyg".into(),
        }],
        ..Config::default()
    })
}

/// Every output of every run, labelled, with what it may legitimately contain.
struct Transcript {
    outputs: Vec<(String, String, bool)>, // (label, text, may contain the access token)
}

impl Transcript {
    fn run(
        &mut self,
        w: &World,
        store: &str,
        args: &[&str],
        input: Option<&str>,
        key: Option<&str>,
    ) -> Run {
        let mut c = w.cmd(store);
        c.env("RUST_LOG", "trace").env("RUST_BACKTRACE", "1");
        if let Some(k) = key {
            c.env("TAPIS_CLIENT_KEY", k);
        }
        let mut all = vec!["-v", "-v", "-v"];
        all.extend_from_slice(args);
        let r = run_cmd(c, &all, input);
        let label = format!("{store}: tapis-auth {}", args.join(" "));
        // The subcommand: the first argument that is neither an option nor an option's value.
        let mut sub = None;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if matches!(*a, "--profile" | "--cache-dir" | "--store") {
                it.next();
            } else if !a.starts_with('-') {
                sub = Some(*a);
                break;
            }
        }
        let prints_token = matches!(sub, Some("token") | Some("env"));
        self.outputs
            .push((format!("{label} [stdout]"), r.stdout.clone(), prints_token));
        self.outputs
            .push((format!("{label} [stderr]"), r.stderr.clone(), false));
        r
    }

    fn assert_clean(&self, secrets: &[String], tokens: &[String]) {
        for (label, text, may_print_token) in &self.outputs {
            for s in secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "{label} printed a secret ({}…):\n{text}",
                    &s[..6.min(s.len())]
                );
            }
            if !may_print_token {
                for t in tokens {
                    assert!(
                        !text.contains(t.as_str()),
                        "{label} printed a token:\n{text}"
                    );
                }
            }
        }
    }
}

/// Tokens and keys the store holds: JSON files through the shared helper, plus a scan of any
/// other file (the SQLite database keeps the session JSON as text) for token fields.
fn tokens_in(cache: &std::path::Path) -> Vec<String> {
    let mut out = secrets_in_cache(cache);
    if let Ok(rd) = std::fs::read_dir(cache) {
        for e in rd {
            let bytes = std::fs::read(e.unwrap().path()).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for field in ["\"access_token\":\"", "\"refresh_token\":\"", "\"key\":\""] {
                for (i, _) in text.match_indices(field) {
                    let rest = &text[i + field.len()..];
                    if let Some(end) = rest.find('"') {
                        if end >= 8 {
                            out.push(rest[..end].to_owned());
                        }
                    }
                }
            }
        }
    }
    out
}

fn check_modes(cache: &std::path::Path) {
    let m = std::fs::metadata(cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(m, 0o700, "{} is {:o}", cache.display(), m);
    for e in std::fs::read_dir(cache).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            let m = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                m & 0o077,
                0,
                "{} is {:o}: readable by others",
                p.display(),
                m
            );
        }
    }
}

fn scenario(platform: &str, store: &str) {
    let w = world();
    let mut t = Transcript {
        outputs: Vec::new(),
    };
    let (client_id, key) = if platform == "v3" {
        ("hyg-client", V3_KEY)
    } else {
        ("hyg-v2-key", V2_SECRET)
    };
    let base = w.url().to_owned();
    let login = |t: &mut Transcript, pw: &str, key: &str| {
        t.run(
            &w,
            store,
            &[
                "login",
                "--base-url",
                &base,
                "--platform",
                platform,
                "--username",
                "hyg",
                "--password-stdin",
                "--client-id",
                client_id,
            ],
            Some(&format!("{pw}\n")),
            Some(key),
        )
    };
    // Error paths before any session exists.
    assert_ne!(login(&mut t, WRONG_PASSWORD, key).code, 0);
    let wrong_key = login(&mut t, PASSWORD, WRONG_KEY);
    assert_ne!(wrong_key.code, 0, "the server echoes the wrong key back");
    assert!(
        wrong_key.stderr.to_lowercase().contains("client"),
        "the wrong-key error reached the user: {}",
        wrong_key.stderr
    );
    t.run(&w, store, &["token"], None, None);
    t.run(&w, store, &["status"], None, None);
    // Success paths.
    login(&mut t, PASSWORD, key).ok();
    let mut seen = tokens_in(&w.cache());
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["token"],
        vec!["token", "--min-valid", "999999"],
        vec!["refresh"],
        vec!["env"],
        vec!["env", "--shell", "fish"],
        vec!["profiles", "list"],
        vec!["clients", "list"],
        vec![
            "tenants",
            "list",
            "--base-url",
            &base,
            "--platform",
            platform,
        ],
    ] {
        t.run(&w, store, &args, Some(&format!("{PASSWORD}\n")), None);
        seen.extend(tokens_in(&w.cache()));
    }
    // A server error on refresh, then a dead refresh token.
    w.control(
        "POST",
        "/_test/faults",
        Some(&format!(
            r#"{{"endpoint":"{}","kind":"status","status":500,"count":1}}"#,
            if platform == "v3" {
                "v3.tokens"
            } else {
                "v2.token"
            }
        )),
    );
    t.run(&w, store, &["refresh"], None, None);
    w.control(
        "POST",
        "/_test/faults",
        Some(&format!(
            r#"{{"endpoint":"{}","kind":"drop_after","grant":"refresh_token","count":1}}"#,
            if platform == "v3" {
                "v3.tokens"
            } else {
                "v2.token"
            }
        )),
    );
    w.control(
        "POST",
        "/_test/config",
        Some(r#"{"v3_single_use_refresh":true}"#),
    );
    t.run(&w, store, &["refresh"], None, None);
    let dead = t.run(&w, store, &["refresh"], None, None);
    assert_ne!(dead.code, 0, "the spent refresh token is reported");
    seen.extend(tokens_in(&w.cache()));
    check_modes(&w.cache());
    // A corrupt cache whose bytes contain a token must not be echoed.
    if store == "json" {
        let cfg = w.cache().join("config.json");
        let text = std::fs::read_to_string(&cfg).unwrap();
        std::fs::write(&cfg, &text[..text.len() / 2]).unwrap();
        assert_eq!(t.run(&w, store, &["token"], None, None).code, 7);
        t.run(&w, store, &["status"], None, None);
        t.run(&w, store, &["repair", "--dry-run"], None, None);
    }
    t.run(&w, store, &["logout", "--all"], None, None);
    seen.sort();
    seen.dedup();
    // The check is not vacuous: `token` printed one of the tokens collected from the store.
    let printed: Vec<&String> = t
        .outputs
        .iter()
        .filter(|(l, _, may)| *may && l.contains("tapis-auth token") && l.ends_with("[stdout]"))
        .map(|(_, text, _)| text)
        .collect();
    assert!(
        printed
            .iter()
            .any(|out| seen.iter().any(|tok| out.contains(tok.as_str()))),
        "the tokens collected from the store were never printed by `token`"
    );
    let secrets = vec![
        PASSWORD.to_owned(),
        WRONG_PASSWORD.to_owned(),
        key.to_owned(),
        WRONG_KEY.to_owned(),
    ];
    t.assert_clean(&secrets, &seen);
}

#[test]
fn no_secret_reaches_any_output_v3_json() {
    scenario("v3", "json");
}

#[test]
fn no_secret_reaches_any_output_v3_sqlite() {
    scenario("v3", "sqlite");
}

#[test]
fn no_secret_reaches_any_output_v2_json() {
    scenario("v2", "json");
}

#[test]
fn no_secret_reaches_any_output_v2_sqlite() {
    scenario("v2", "sqlite");
}

// ---------------------------------------------------------------------------------------------
// Every command and error path, once per platform, with a scan of every file written.
//
// `RUST_LOG=trace` is set on every run (see `Transcript::run`), but no crate installs a logger,
// so it changes nothing today: what is checked is the CLI's own `-v -v -v` output on stderr,
// not library logs. The variable stays set so that a logger added later is covered.

fn uid() -> String {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Every regular file under `dir`, with its mode.
fn files_under(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, u32)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if m.is_dir() {
            files_under(&p, out);
        } else if m.is_file() {
            out.push((p, m.permissions().mode() & 0o777));
        }
    }
}

/// Approves the next pending device code (in a thread, while the CLI polls).
fn approve_next_device_code(url: String, user: &'static str) -> std::thread::JoinHandle<bool> {
    std::thread::spawn(move || {
        for _ in 0..300 {
            let pending = http(&url, "GET", "/_test/device/pending", None);
            if let Some(code) = pending
                .as_array()
                .and_then(|a| a.iter().find(|d| d["entered"] == false))
                .and_then(|d| d["user_code"].as_str())
            {
                let body = format!(r#"{{"user_code":"{code}","username":"{user}"}}"#);
                return http(&url, "POST", "/_test/device/approve", Some(&body))["approved"]
                    == true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    })
}

fn tour(platform: &str, store: &str) {
    let w = world();
    let mut t = Transcript {
        outputs: Vec::new(),
    };
    let v3 = platform == "v3";
    let (client_id, key) = if v3 {
        ("hyg-client", V3_KEY)
    } else {
        ("hyg-v2-key", V2_SECRET)
    };
    let base = w.url().to_owned();
    let pw = format!("{PASSWORD}\n");
    let login_args = |profile: &'static str| -> Vec<String> {
        [
            "login",
            "--base-url",
            &base,
            "--platform",
            platform,
            "--username",
            "hyg",
            "--password-stdin",
            "--client-id",
            client_id,
            "--profile",
            profile,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |t: &mut Transcript, args: &[String], input: Option<&str>, k: Option<&str>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        t.run(&w, store, &a, input, k)
    };
    let mut seen: Vec<String> = Vec::new();
    let mut keys: Vec<String> = vec![key.to_owned()];

    // Server unreachable.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut a = login_args("main");
    a[2] = dead.clone();
    assert_eq!(run(&mut t, &a, Some(&pw), Some(key)).code, 5);
    // Wrong password; a fault on the login.
    assert_eq!(
        run(
            &mut t,
            &login_args("main"),
            Some(&format!("{WRONG_PASSWORD}\n")),
            Some(key)
        )
        .code,
        4
    );
    let ep = if v3 { "v3.tokens" } else { "v2.token" };
    w.control(
        "POST",
        "/_test/faults",
        Some(&format!(
            r#"{{"endpoint":"{ep}","kind":"status","status":503,"count":5}}"#
        )),
    );
    assert_ne!(
        run(&mut t, &login_args("main"), Some(&pw), Some(key)).code,
        0
    );
    w.control("DELETE", "/_test/faults", None);

    // Log in; a second profile; profiles use.
    run(&mut t, &login_args("main"), Some(&pw), Some(key)).ok();
    run(&mut t, &login_args("second"), Some(&pw), Some(key)).ok();
    seen.extend(tokens_in(&w.cache()));
    for args in [
        vec!["profiles", "use", "main"],
        vec!["profiles", "list", "--json"],
        vec!["status", "--json"],
        vec!["token"],
        vec!["env", "--shell", "csh"],
        vec!["completions", "bash"],
        vec!["completions", "fish"],
    ] {
        t.run(&w, store, &args, None, None).ok();
    }

    // Clients: one created and stored with --use (its key then sits in the cache, which is how
    // this test learns it), one created and deleted.
    // `--use` logs in again with the new client, so it always needs the password.
    let create = vec![
        "clients",
        "create",
        "--name",
        "hyg-used",
        "--use",
        "--password-stdin",
    ];
    let mut create2 = vec!["clients", "create", "--name", "hyg-deleted"];
    if !v3 {
        create2.push("--password-stdin");
    }
    let used = t.run(&w, store, &create, Some(&pw), None);
    let used_id = used.ok().trim().to_owned();
    let other = t.run(&w, store, &create2, Some(&pw), None);
    other.ok();
    if v3 {
        t.run(&w, store, &["clients", "list", "--json"], None, None)
            .ok();
        t.run(&w, store, &["clients", "delete", "hyg-deleted"], None, None)
            .ok();
    }
    // The new client's key, read from the store (json: apisecret; sqlite: the session JSON).
    let after = tokens_in(&w.cache());
    let new_secrets: Vec<String> = after
        .iter()
        .filter(|s| !seen.contains(s))
        .cloned()
        .collect();
    assert!(
        !new_secrets.is_empty(),
        "the key of client {used_id} was stored in the profile"
    );
    keys.extend(new_secrets.iter().cloned());
    seen.extend(after);

    // `--use` logged in again with the new client, so refreshing works; a re-login re-uses
    // the stored (new) client.
    t.run(&w, store, &["refresh"], None, None).ok();
    seen.extend(tokens_in(&w.cache()));
    t.run(
        &w,
        store,
        &["login", "--username", "hyg", "--password-stdin"],
        Some(&pw),
        None,
    )
    .ok();
    seen.extend(tokens_in(&w.cache()));

    // Refresh with the new client, then injected faults: a 500, a dropped connection.
    t.run(&w, store, &["refresh"], None, None).ok();
    seen.extend(tokens_in(&w.cache()));
    w.control(
        "POST",
        "/_test/faults",
        Some(&format!(
            r#"[{{"endpoint":"{ep}","kind":"status","status":500,"count":5}}]"#
        )),
    );
    assert_eq!(t.run(&w, store, &["refresh"], None, None).code, 6);
    w.control("DELETE", "/_test/faults", None);
    w.control(
        "POST",
        "/_test/faults",
        Some(&format!(r#"{{"endpoint":"{ep}","kind":"drop","count":5}}"#)),
    );
    assert_ne!(t.run(&w, store, &["refresh"], None, None).code, 0);
    w.control("DELETE", "/_test/faults", None);
    t.run(&w, store, &["token", "--min-valid", "99999999"], None, None);
    seen.extend(tokens_in(&w.cache()));

    // Device login (v3), completed out of band; then an expired device code.
    if v3 {
        let approver = approve_next_device_code(base.clone(), "hyg");
        let r = t.run(
            &w,
            store,
            &[
                "login",
                "--device",
                "--no-qr",
                "--base-url",
                &base,
                "--client-id",
                client_id,
                "--profile",
                "device",
            ],
            None,
            Some(key),
        );
        assert!(approver.join().unwrap(), "the device code was approved");
        r.ok();
        seen.extend(tokens_in(&w.cache()));
        t.run(&w, store, &["--profile", "device", "token"], None, None)
            .ok();
        t.run(&w, store, &["--profile", "device", "status"], None, None)
            .ok();
        w.control(
            "POST",
            "/_test/config",
            Some(r#"{"v3_device_code_lifetime":1}"#),
        );
        let r = t.run(
            &w,
            store,
            &[
                "login",
                "--device",
                "--no-qr",
                "--base-url",
                &base,
                "--client-id",
                client_id,
                "--profile",
                "expired",
            ],
            None,
            Some(key),
        );
        assert_eq!(r.code, 4, "an expired device code: {}", r.stderr);
        // The test server has no way to deny a device code, so the denied path is not run.
        w.control(
            "POST",
            "/_test/config",
            Some(r#"{"v3_device_code_lifetime":600}"#),
        );
    }

    // Import from an agavepy cache logged in elsewhere (inside HOME, so the file scan sees it).
    let src = w.home.path().join("agave-src");
    let src_s = src.to_str().unwrap().to_owned();
    let mut a = vec![
        "--cache-dir".to_owned(),
        src_s.clone(),
        "--store".into(),
        "json".into(),
    ];
    a.extend(login_args("imported"));
    run(&mut t, &a, Some(&pw), Some(key)).ok();
    seen.extend(tokens_in(&src));
    t.run(&w, store, &["import", "--from", &src_s], None, None)
        .ok();
    t.run(&w, store, &["--profile", "imported", "token"], None, None)
        .ok();

    // Invalid client on refresh. (The rejected refresh after `clients create --use` above is one
    // already.) v3: the stored client is deleted on the server, then main refreshes (the test
    // server does not check that the client still exists, so the code is not asserted). Both:
    // a wrong client key given through the environment.
    if v3 {
        t.run(
            &w,
            store,
            &["--profile", "second", "clients", "delete", &used_id],
            None,
            None,
        )
        .ok();
        t.run(&w, store, &["--profile", "main", "refresh"], None, None);
        seen.extend(tokens_in(&w.cache()));
    }
    let mut c = w.cmd("env");
    c.env("TAPIS_BASE_URL", &base)
        .env("TAPIS_TOKEN", "opaque-hyg-token")
        .env("TAPIS_REFRESH_TOKEN", "opaque-hyg-refresh-token")
        .env("TAPIS_CLIENT_ID", client_id)
        .env("TAPIS_CLIENT_KEY", WRONG_KEY)
        .env("TAPIS_PLATFORM", platform)
        .env("RUST_LOG", "trace");
    let r = run_cmd(c, &["-v", "-v", "-v", "refresh"], None);
    assert_eq!(r.code, 3, "a rejected client: {}", r.stderr);
    t.outputs.push((
        "env: refresh, wrong client [stdout]".into(),
        r.stdout,
        false,
    ));
    t.outputs.push((
        "env: refresh, wrong client [stderr]".into(),
        r.stderr,
        false,
    ));

    // Single-profile logout.
    t.run(&w, store, &["--profile", "second", "logout"], None, None)
        .ok();
    check_modes(&w.cache());
    seen.extend(tokens_in(&w.cache()));

    // An unwritable cache directory (root ignores modes: use a path under a regular file).
    let ro = w.home.path().join("ro-cache");
    let ro_s = if uid() == "0" {
        std::fs::write(&ro, b"a file, not a directory").unwrap();
        ro.join("cache").to_str().unwrap().to_owned()
    } else {
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
        ro.to_str().unwrap().to_owned()
    };
    let mut a = vec!["--cache-dir".to_owned(), ro_s];
    a.extend(login_args("ro"));
    let r = run(&mut t, &a, Some(&pw), Some(key));
    assert_eq!(r.code, 7, "an unwritable cache: {}", r.stderr);
    if ro.is_dir() {
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
    }

    // A real repair of a corrupt store, then log out of everything.
    let victim = if store == "json" {
        w.cache().join("config.json")
    } else {
        w.cache().join(tapis_auth_storage::SQLITE_FILE)
    };
    seen.extend(tokens_in(&w.cache()));
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 3]).unwrap();
    assert_eq!(t.run(&w, store, &["token"], None, None).code, 7);
    t.run(&w, store, &["repair"], None, None).ok();
    t.run(&w, store, &["logout", "--all"], None, None).ok();
    check_modes(&w.cache());

    // No secret in any output.
    seen.sort();
    seen.dedup();
    assert!(seen.len() >= 4, "tokens were collected: {}", seen.len());
    let mut secrets = vec![
        PASSWORD.to_owned(),
        WRONG_PASSWORD.to_owned(),
        WRONG_KEY.to_owned(),
    ];
    secrets.extend(keys.iter().cloned());
    t.assert_clean(&secrets, &seen);

    // No secret in any file but the private (0600) cache files and their moved-aside copies.
    let mut files = Vec::new();
    files_under(w.home.path(), &mut files);
    let cache_dirs = [w.cache(), src.clone()];
    for (p, mode) in &files {
        let in_cache = cache_dirs.iter().any(|d| p.parent() == Some(d.as_path()));
        if in_cache {
            assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
        for s in secrets.iter().chain(seen.iter()) {
            assert!(
                !text.contains(s.as_str()),
                "{} (mode {mode:o}) holds a secret",
                p.display()
            );
        }
    }
    for d in &cache_dirs {
        let m = std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o700, "{} is {m:o}", d.display());
    }
}

#[test]
fn every_command_and_error_path_v3_json() {
    tour("v3", "json");
}

#[test]
fn every_command_and_error_path_v3_sqlite() {
    tour("v3", "sqlite");
}

#[test]
fn every_command_and_error_path_v2_json() {
    tour("v2", "json");
}

#[test]
fn every_command_and_error_path_v2_sqlite() {
    tour("v2", "sqlite");
}
