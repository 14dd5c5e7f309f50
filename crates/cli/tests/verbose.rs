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

    // More validity than the server issues: refused, and no grant spent.
    let r = w.run("json", &["-v", "token", "--min-valid", "5h"], None);
    r.code(2); // the server issues 4 h tokens
    assert!(
        r.stderr
            .contains("valid for only 14400 s, less than the 18000 s asked for"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("refresh-token grant"), "{}", r.stderr);

    // Refreshed, and why.
    let r = w.run("json", &["-v", "refresh"], None);
    r.ok();
    assert!(r.stderr.contains("a refresh was asked for"), "{}", r.stderr);
    assert!(r.stderr.contains("refresh-token grant"), "{}", r.stderr);
    assert!(r.stderr.contains("refreshed (valid"), "{}", r.stderr);

    // Watched and adopted: while another process refreshes (its grant held up 1.5 s at the
    // server), this one finds its claim, watches it instead of refreshing, and adopts the token.
    w.control("POST", "/_test/config", Some(r#"{"v3_access_ttl":62}"#));
    w.run("json", &["refresh"], None).ok();
    std::thread::sleep(std::time::Duration::from_secs(2)); // < 61 s left
    let grants = w.grants("v3.refresh_token");
    let fault = r#"{"endpoint":"v3.tokens","grant":"refresh_token","kind":"delay","delay_ms":1500,"count":1}"#;
    w.control("POST", "/_test/faults", Some(fault));
    let mut first = w.cmd("json");
    first
        .args(["token", "--min-valid", "61"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut first = first.spawn().unwrap();
    let claims = w.cache().join(".tapis-auth.claims");
    let claimed = || {
        std::fs::read_dir(&claims).is_ok_and(|d| {
            d.flatten().any(|e| {
                let n = e.file_name();
                !n.to_string_lossy().contains('.')
                    && std::fs::read_to_string(e.path()).is_ok_and(|t| t.starts_with("claimed"))
            })
        })
    };
    let t0 = std::time::Instant::now();
    while !claimed() && t0.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(claimed(), "the first process never claimed the refresh");
    let r = w.run("json", &["-v", "token", "--min-valid", "61"], None);
    assert!(first.wait().unwrap().success());
    r.ok();
    assert!(r.stderr.contains("watching its claim"), "{}", r.stderr);
    assert!(r.stderr.contains("adopted its token"), "{}", r.stderr);
    assert_eq!(
        w.grants("v3.refresh_token"),
        grants + 1,
        "one refresh, by the first process"
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
