//! The `--json` contract, through the real binary: every command prints exactly one JSON object
//! on one line on stdout — on success and on failure (exit code, stable error name, reason,
//! message) — as documented in the crate's README ("JSON output").

mod common;

use common::*;
use serde_json::Value;

/// Checks the contract on one run and returns the object: stdout is one line holding one JSON
/// object; `ok` agrees with the exit code; `command` is `command`; a failure carries
/// `error.exit_code` = the exit code, `error.name` (its class), a `reason` and a message.
#[track_caller]
fn one_object(r: &Run, command: Option<&str>) -> Value {
    let out = r.stdout.strip_suffix('\n').unwrap_or_else(|| {
        panic!(
            "stdout does not end in one newline: {:?}\nstderr: {}",
            r.stdout, r.stderr
        )
    });
    assert!(
        !out.contains('\n'),
        "more than one line on stdout: {out}\nstderr: {}",
        r.stderr
    );
    let v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    assert!(v.is_object(), "{v}");
    assert_eq!(v["schema"], 1, "{v}");
    assert_eq!(
        v["ok"],
        r.code == 0,
        "ok disagrees with exit code {}: {v}",
        r.code
    );
    assert_eq!(v["command"].as_str(), command, "{v}");
    assert!(v["warnings"].is_array(), "{v}");
    if r.code != 0 {
        let e = &v["error"];
        assert_eq!(e["exit_code"], r.code, "{v}");
        let name = e["name"].as_str().unwrap();
        let expected = match r.code {
            2 => "usage",
            3 => "login_required",
            4 => "login_failed",
            5 => "network",
            6 => "server",
            7 => "storage",
            130 => "cancelled",
            _ => "internal",
        };
        assert_eq!(name, expected, "{v}");
        assert!(!e["reason"].as_str().unwrap().is_empty(), "{v}");
        assert!(!e["message"].as_str().unwrap().is_empty(), "{v}");
    }
    v
}

fn json_run(w: &World, store: &str, args: &[&str], input: Option<&str>) -> Run {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    w.run(store, &a, input)
}

#[test]
fn every_command_prints_one_object_on_success() {
    let w = World::new();
    let login = json_run(
        &w,
        "json",
        &[
            "login",
            "--base-url",
            w.url(),
            "--platform",
            "v3",
            "-u",
            "testuser",
            "--password-stdin",
        ],
        Some("testpass\n"),
    );
    let v = one_object(&login, Some("login"));
    assert_eq!(v["username"], "testuser");
    assert_eq!(v["platform"], "tapis-v3");

    let v = one_object(&json_run(&w, "json", &["token"], None), Some("token"));
    let token = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token, w.run("json", &["token"], None).ok().trim_end());
    let exp = jwt_claims(&token)["exp"].as_i64().unwrap();
    assert_eq!(
        v["expires"]["unix"], exp,
        "token --json gives the token's expiry: {v}"
    );
    assert!(v["expires"]["in_seconds"].as_i64().unwrap() > 3000, "{v}");
    assert!(v["expires"]["at"].as_str().unwrap().ends_with('Z'), "{v}");

    let v = one_object(&json_run(&w, "json", &["status"], None), Some("status"));
    assert_eq!(v["profile"], "default");
    assert_eq!(v["access_token"]["valid"], true);
    assert!(
        !v.to_string().contains(&token),
        "status never holds a secret"
    );

    let v = one_object(&json_run(&w, "json", &["refresh"], None), Some("refresh"));
    assert_eq!(v["profile"], "default");
    assert!(v["expires"]["unix"].as_i64().unwrap() >= exp);

    let v = one_object(&json_run(&w, "json", &["env"], None), Some("env"));
    let vars = &v["variables"];
    assert_eq!(vars["TAPIS_BASE_URL"].as_str().unwrap(), w.url());
    assert_eq!(vars["TAPIS_USERNAME"], "testuser");
    assert!(vars["TAPIS_TOKEN"].as_str().unwrap().len() > 20);
    assert!(v["expires"]["unix"].is_i64());

    let v = one_object(
        &json_run(&w, "json", &["profiles", "list"], None),
        Some("profiles list"),
    );
    assert_eq!(v["current"], "default");
    assert_eq!(v["profiles"][0]["name"], "default");
    let v = one_object(
        &json_run(&w, "json", &["profiles", "use", "default"], None),
        Some("profiles use"),
    );
    assert_eq!(v["current"], "default");

    let v = one_object(
        &json_run(
            &w,
            "json",
            &["clients", "create", "--name", "json-test-client"],
            None,
        ),
        Some("clients create"),
    );
    assert_eq!(v["client"]["id"], "json-test-client");
    assert!(v["client"].get("key").is_none(), "the key is never printed");
    let v = one_object(
        &json_run(&w, "json", &["clients", "list"], None),
        Some("clients list"),
    );
    assert!(v["clients"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "json-test-client"));
    let v = one_object(
        &json_run(&w, "json", &["clients", "delete", "json-test-client"], None),
        Some("clients delete"),
    );
    assert_eq!(v["deleted"], "json-test-client");

    let v = one_object(
        &json_run(
            &w,
            "json",
            &["tenants", "list", "--base-url", w.url(), "--platform", "v3"],
            None,
        ),
        Some("tenants list"),
    );
    assert!(!v["tenants"].as_array().unwrap().is_empty());

    let v = one_object(
        &json_run(
            &w,
            "sqlite",
            &["import", "--from", w.cache().to_str().unwrap()],
            None,
        ),
        Some("import"),
    );
    assert_eq!(v["imported"][0], "default");

    let v = one_object(&json_run(&w, "json", &["repair"], None), Some("repair"));
    assert_eq!(v["moved"].as_array().unwrap().len(), 0);

    let v = one_object(
        &json_run(&w, "json", &["completions", "bash"], None),
        Some("completions"),
    );
    assert_eq!(v["shell"], "bash");
    assert!(v["script"].as_str().unwrap().contains("tapis-auth"));

    let v = one_object(
        &json_run(
            &w,
            "json",
            &["job-session", "create", "jj", "--password-stdin"],
            Some("testpass\n"),
        ),
        Some("job-session create"),
    );
    assert_eq!(v["variables"]["TAPIS_AUTH_PROFILE"], "jj");
    let v = one_object(
        &json_run(&w, "json", &["job-session", "list"], None),
        Some("job-session list"),
    );
    assert_eq!(v["job_sessions"][0]["name"], "jj");
    let v = one_object(
        &json_run(&w, "json", &["job-session", "revoke", "jj"], None),
        Some("job-session revoke"),
    );
    assert!(v["client_deleted"].is_string(), "{v}");
    let r = json_run(&w, "json", &["job-session", "revoke", "jj"], None);
    one_object(r.code(2), Some("job-session revoke"));

    let v = one_object(&json_run(&w, "json", &["logout"], None), Some("logout"));
    assert_eq!(v["logged_out"][0], "default");
}

#[test]
fn every_failure_prints_one_object_with_code_name_and_message() {
    let w = World::new();
    // 3 login_required: no session, for each command that needs one.
    for (args, name) in [
        (&["token"][..], "token"),
        (&["status"], "status"),
        (&["refresh"], "refresh"),
        (&["env"], "env"),
        (&["clients", "list"], "clients list"),
    ] {
        let r = json_run(&w, "json", args, None);
        r.code(3);
        let v = one_object(&r, Some(name));
        assert_eq!(v["error"]["reason"], "login_required", "{v}");
        // The person still reads the error on stderr.
        assert!(r.stderr.contains("error:"), "{}", r.stderr);
    }
    // 2 usage: a command line clap rejects, an unknown profile, no tenant.
    let r = json_run(&w, "json", &["token", "--min-valid", "soon"], None);
    r.code(2);
    let v = one_object(&r, None);
    assert_eq!(v["error"]["reason"], "invalid_arguments");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("soon"),
        "{v}"
    );
    let r = json_run(&w, "json", &["no-such-command"], None);
    one_object(r.code(2), None);
    // A typo: clap's suggestion is the hint.
    let r = json_run(&w, "json", &["tokne"], None);
    let v = one_object(r.code(2), None);
    assert_eq!(
        v["error"]["hint"], "a similar subcommand exists: 'token'",
        "{v}"
    );
    let r = json_run(&w, "json", &["profiles", "use", "nope"], None);
    one_object(r.code(2), Some("profiles use"));
    let r = json_run(
        &w,
        "json",
        &["login", "--password-stdin", "-u", "x"],
        Some("p\n"),
    );
    let v = one_object(r.code(2), Some("login"));
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("--tenant"),
        "{v}"
    );
    // The env switch asks for JSON too.
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_JSON", "1");
    one_object(run_cmd(c, &["bogus"], None).code(2), None);
    let mut c = w.cmd("json");
    c.env("TAPIS_AUTH_JSON", "1");
    one_object(run_cmd(c, &["token"], None).code(3), Some("token"));
    // 4 login_failed: a wrong password.
    let r = json_run(
        &w,
        "json",
        &[
            "login",
            "--base-url",
            w.url(),
            "--platform",
            "v3",
            "-u",
            "testuser",
            "--password-stdin",
        ],
        Some("wrong\n"),
    );
    let v = one_object(r.code(4), Some("login"));
    assert_eq!(v["error"]["reason"], "invalid_credentials");
    assert!(!r.stdout.contains("wrong\""), "the password is not echoed");
    // 5 network: nothing listening.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let r = json_run(
        &w,
        "json",
        &["tenants", "list", "--base-url", &dead, "--platform", "v3"],
        None,
    );
    let v = one_object(r.code(5), Some("tenants list"));
    assert_eq!(v["error"]["reason"], "connect");
    // 7 storage: a corrupt cache.
    w.login("json", "v3", &[]).ok();
    std::fs::write(w.cache().join("config.json"), "{ not json").unwrap();
    std::fs::write(w.cache().join("current"), "{ not json").unwrap();
    let r = json_run(&w, "json", &["token"], None);
    let v = one_object(r.code(7), Some("token"));
    assert_eq!(v["error"]["reason"], "corrupt_cache");
    let r = json_run(&w, "json", &["repair", "--dry-run"], None);
    one_object(r.code(7), Some("repair"));
    let r = json_run(&w, "json", &["repair"], None);
    let v = one_object(r.code(0), Some("repair"));
    assert!(!v["moved"].as_array().unwrap().is_empty());
    // `--help` and `--version` stay text: they are not commands.
    assert!(json_run(&w, "json", &["--version"], None)
        .ok()
        .starts_with("tapis-auth "));
}

/// `status` when the shared cache records that the server rejected the refresh token: exit 3,
/// one object naming why, no secret.
#[test]
fn status_after_a_rejected_refresh_is_a_login_required_object() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    // A short access token, so that nothing usable is left once the refresh token is rejected.
    w.control("POST", "/_test/config", Some(r#"{"v3_access_ttl":62}"#));
    w.run("json", &["refresh"], None).ok();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let cfg: Value =
        serde_json::from_str(&std::fs::read_to_string(w.cache().join("config.json")).unwrap())
            .unwrap();
    fn find(v: &Value, k: &str) -> Option<String> {
        match v {
            Value::Object(m) => m
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| m.values().find_map(|x| find(x, k))),
            _ => None,
        }
    }
    let refresh = find(&cfg, "refresh_token").unwrap();
    w.control(
        "POST",
        "/v3/oauth2/tokens/revoke",
        Some(&serde_json::json!({ "token": refresh }).to_string()),
    );
    let r = json_run(&w, "json", &["refresh"], None);
    let v = one_object(r.code(3), Some("refresh"));
    assert_eq!(v["error"]["reason"], "refresh_rejected", "{v}");
    // The token is inside the 60 s margin: refreshing is what it needs, and that was refused.
    let r = json_run(&w, "json", &["status"], None);
    let v = one_object(r.code(3), Some("status"));
    assert_eq!(v["error"]["name"], "login_required", "{v}");
    assert_eq!(v["error"]["reason"], "refresh_rejected", "{v}");
    assert!(!r.stdout.contains(&refresh) && !r.stderr.contains(&refresh));
}

/// A warning (a cache file others can read) is both on stderr and in the object; `status`
/// only reads, so it leaves the mode as it found it (issue 12 item 6: the next write
/// tightens it).
#[test]
fn warnings_are_in_the_object() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for platform in ["v3", "v2"] {
        let w = World::new();
        w.login("json", platform, &[]).ok();
        let files: Vec<_> = ["config.json", "current"]
            .iter()
            .map(|f| w.cache().join(f))
            .filter(|p| p.exists())
            .collect();
        // Agave v2 logins are written to `current` too, for the other Agave tools.
        assert_eq!(
            files.len(),
            if platform == "v2" { 2 } else { 1 },
            "{files:?}"
        );
        for f in &files {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let r = json_run(&w, "json", &["status"], None);
        let v = one_object(r.code(0), Some("status"));
        assert!(v["warnings"][0].as_str().unwrap().contains("644"), "{v}");
        assert!(r.stderr.contains("warning"), "{}", r.stderr);
        for f in &files {
            assert_eq!(mode(f), 0o644, "{platform}: status changed {f:?}'s mode");
        }
        w.run("json", &["refresh"], None).ok();
        for f in &files {
            assert_eq!(mode(f), 0o600, "{platform}: a refresh writes {f:?} private");
        }
    }
}
