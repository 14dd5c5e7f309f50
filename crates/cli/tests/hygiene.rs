//! Secret hygiene, end to end: every command of the real binary, with `-v` and
//! `RUST_LOG=trace`, on both platforms and both file stores, through the success paths and the
//! error paths (wrong password, a client key the server echoes back, a dead refresh token, a
//! server error, a corrupt cache). No password, client key, access or refresh token may appear
//! in stdout or stderr — except the token on `token`'s and `env`'s stdout, which is their job.
//! Cache files must be 0600 and the directory 0700.

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
        let prints_token = matches!(args.first(), Some(&"token") | Some(&"env"));
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
