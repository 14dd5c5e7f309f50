//! `-v` and `-vv` through the real binary: `-v` names the store and profile and says what was
//! decided (cached, adopted, refreshed) and why; `-vv` adds every HTTP request (method, URL
//! without query), its status and time, retries and lock waits. Never a secret.

mod common;

use common::*;

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn v_says_which_store_and_profile_and_what_was_decided() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let store = format!("json:{}", w.cache().display());

    // Cached: no request.
    let r = w.run("json", &["-v", "token"], None);
    r.ok();
    assert!(r.stderr.contains(&store), "{}", r.stderr);
    assert!(r.stderr.contains("profile default"), "{}", r.stderr);
    assert!(r.stderr.contains("cached access token"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("> POST"),
        "-v shows no requests: {}",
        r.stderr
    );

    // Refreshed, and why.
    let r = w.run("json", &["-v", "token", "--min-valid", "5h"], None);
    r.code(2); // the server issues 4 h tokens: refreshed, then refused as too short
    assert!(
        r.stderr.contains("less than the 18000 s needed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("refresh-token grant"), "{}", r.stderr);
    assert!(r.stderr.contains("refreshed (valid"), "{}", r.stderr);

    // Adopted: while this process waits for the lock, "another process" (flock(1) holding the
    // lock, then writing a longer-lived token into the cache) refreshes; this one adopts it.
    let long = w.home.path().join("long");
    std::fs::create_dir_all(&long).unwrap();
    // (A v3 session lives in config.json only: `current` is for Agave v2 tools.)
    std::fs::copy(w.cache().join("config.json"), long.join("config.json")).unwrap();
    w.control("POST", "/_test/config", Some(r#"{"v3_access_ttl":62}"#));
    w.run("json", &["refresh"], None).ok();
    let grants = w.grants("v3.refresh_token");
    let lock = w.cache().join(".tapis-auth.lock");
    let script = format!(
        "sleep 1; cp {0}/config.json {1}/",
        long.display(),
        w.cache().display()
    );
    let mut other = std::process::Command::new("flock")
        .arg("-x")
        .arg(&lock)
        .args(["sh", "-c", &script])
        .spawn()
        .expect("flock(1) (util-linux)");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let r = w.run("json", &["-v", "token", "--min-valid", "10m"], None);
    other.wait().unwrap();
    r.ok();
    assert!(
        r.stderr.contains("valid 62 s more") || r.stderr.contains("valid 61 s more"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("ms for the lock"),
        "the wait is reported: {}",
        r.stderr
    );
    assert!(r.stderr.contains("adopted its token"), "{}", r.stderr);
    assert_eq!(
        w.grants("v3.refresh_token"),
        grants,
        "no refresh of its own"
    );
}

#[test]
fn vv_shows_each_request_status_timing_retries_and_locks() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let r = w.run("json", &["-vv", "refresh"], None);
    r.ok();
    let out = lines_with(&r.stderr, "> POST");
    assert_eq!(out.len(), 1, "{}", r.stderr);
    assert!(
        out[0].contains(&format!("{}/v3/oauth2/tokens", w.url())),
        "{}",
        r.stderr
    );
    let back = lines_with(&r.stderr, "< 200 from POST");
    assert_eq!(back.len(), 1, "{}", r.stderr);
    assert!(back[0].contains(" ms"), "{}", r.stderr);
    assert!(r.stderr.contains("took the lock"), "{}", r.stderr);
    // Each line carries the time since start.
    assert!(
        r.stderr
            .lines()
            .filter(|l| l.starts_with("tapis-auth: ["))
            .count()
            >= 4,
        "{}",
        r.stderr
    );

    // Retries against a port nothing listens on: every attempt and the wait before the next.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let r = w.run(
        "json",
        &[
            "-vv",
            "tenants",
            "list",
            "--base-url",
            &dead,
            "--platform",
            "v3",
        ],
        None,
    );
    r.code(5);
    assert_eq!(lines_with(&r.stderr, "> GET").len(), 3, "{}", r.stderr);
    assert_eq!(lines_with(&r.stderr, "retrying").len(), 2, "{}", r.stderr);
    assert!(r.stderr.contains("attempt 3 of 3"), "{}", r.stderr);
}

/// `-vv` over every command that sends a secret: no password, client key or token on stderr,
/// and no query string in a logged URL.
#[test]
fn vv_never_prints_a_secret() {
    let w = World::new();
    let mut all = String::new();
    let login = w.login("json", "v3", &["-vv"]);
    login.ok();
    all += &login.stderr;
    for args in [
        &["-vv", "token"][..],
        &["-vv", "refresh"],
        &["-vv", "status"],
        &["-vv", "env"],
        &["-vv", "clients", "list"],
        &["-vv", "clients", "create", "--name", "vv-client"],
        &["-vv", "token", "--min-valid", "3h"],
    ] {
        let r = w.run("json", args, None);
        all += &r.stderr;
    }
    let mut secrets = secrets_in_cache(&w.cache());
    secrets.push("testpass".into());
    let v2 = World::new();
    let r = v2.login("json", "v2", &["-vv"]);
    r.ok();
    all += &r.stderr;
    all += &v2.run("json", &["-vv", "refresh"], None).stderr;
    secrets.extend(secrets_in_cache(&v2.cache()));
    assert!(secrets.len() >= 4, "{secrets:?}");
    for s in &secrets {
        assert!(
            !all.contains(s.as_str()),
            "a secret reached -vv output: {all}"
        );
    }
    let logout = w.run("json", &["-vv", "logout"], None);
    logout.ok();
    for s in &secrets {
        assert!(!logout.stderr.contains(s.as_str()), "{}", logout.stderr);
    }
    for l in all.lines().filter(|l| l.contains("> ") || l.contains("< ")) {
        assert!(!l.contains('?'), "a query in a logged URL: {l}");
    }
}
