//! Profiles as people use them: a login to another profile does not silently become current
//! for every process (it asks on a terminal; --switch / --no-switch decide), `import --profile`
//! imports that profile only, and `--min-valid` takes 90s / 10m / 1h.

mod common;

use std::time::Duration;

use common::*;
use expectrl::{Eof, Session};
use serde_json::Value;

fn current(w: &World) -> Value {
    let v: Value = w.run("json", &["--json", "profiles", "list"], None).json();
    v["current"].clone()
}

#[test]
fn login_to_another_profile_leaves_the_current_one_unless_asked() {
    let w = World::new();
    // The first login becomes current.
    w.login("json", "v3", &[]).ok();
    assert_eq!(current(&w), "default");
    // A script logging in to another profile: the current one stays, and it says so.
    let r = w.login("json", "v3", &["--profile", "job42"]);
    r.ok();
    assert!(
        r.stderr.contains("Profile default stays current"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--profile job42"), "{}", r.stderr);
    assert_eq!(current(&w), "default");
    // JSON says whether it became current.
    let r = w.login("json", "v3", &["--profile", "job42", "--json"]);
    let v: Value = r.json();
    assert_eq!(v["current"], false);
    // --switch makes it current; logging in to the current profile again keeps it current.
    let r = w.login("json", "v3", &["--profile", "job42", "--switch", "--json"]);
    let v: Value = r.json();
    assert_eq!(v["current"], true);
    assert_eq!(current(&w), "job42");
    w.login("json", "v3", &["--profile", "job42"]).ok();
    assert_eq!(current(&w), "job42");
    // --no-switch: the current profile stays.
    let r = w.login("json", "v3", &["--profile", "p", "--no-switch", "--json"]);
    let v: Value = r.json();
    assert_eq!(v["current"], false);
    assert_eq!(current(&w), "job42");
    w.run("json", &["login", "--switch", "--no-switch"], None)
        .code(2);
    // With no current profile at all the JSON cache makes the first one current whatever the
    // flag: the login's JSON says so truthfully.
    let w2 = World::new();
    let r = w2.login("json", "v3", &["--profile", "p", "--no-switch", "--json"]);
    let v: Value = r.json();
    assert_eq!(v["current"] == true, current(&w2) == "p");
}

#[test]
fn on_a_terminal_login_asks_before_switching() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    for (answer, expected) in [("", "default"), ("y", "other")] {
        let mut c = w.cmd("json");
        c.args([
            "login",
            "--profile",
            "other",
            "--base-url",
            w.url(),
            "--platform",
            "v3",
            "-u",
            "testuser",
            "--password",
        ])
        .stdin(std::process::Stdio::inherit());
        let mut s = Session::spawn(c).unwrap();
        s.set_expect_timeout(Some(Duration::from_secs(30)));
        s.expect("Password for").unwrap();
        s.send_line("testpass").unwrap();
        s.expect("Make other the current profile instead of default?")
            .unwrap();
        s.send_line(answer).unwrap();
        s.expect(Eof).unwrap();
        assert_eq!(current(&w), expected, "answer {answer:?}");
    }
}

#[test]
fn import_profile_imports_that_one_only() {
    let w = World::new();
    w.login("json", "v3", &["--profile", "job42"]).ok();
    w.login("json", "v3", &["--profile", "other"]).ok();
    let from = w.cache().display().to_string();
    let dst = w.home.path().join("dst");
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", &dst);
    let r = run_cmd(
        c,
        &["--json", "--profile", "job42", "import", "--from", &from],
        None,
    );
    let v: Value = r.json();
    assert_eq!(v["imported"], serde_json::json!(["job42"]), "{v}");
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", &dst);
    let v: Value = run_cmd(c, &["--json", "profiles", "list"], None).json();
    assert_eq!(v["profiles"].as_array().unwrap().len(), 1, "{v}");
    // A profile the source does not have is an error naming what it has.
    let mut c = w.cmd("sqlite");
    c.env("TAPIS_CACHE_DIR", &dst);
    let r = run_cmd(c, &["--profile", "nope", "import", "--from", &from], None);
    r.code(2);
    assert!(
        r.stderr.contains("job42") && r.stderr.contains("other"),
        "{}",
        r.stderr
    );
}

#[test]
fn min_valid_takes_units() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let grants = w.grants("v3.refresh_token");
    for d in ["90", "90s", "10m", "1h", "3h"] {
        w.run("json", &["token", "--min-valid", d], None).ok();
        w.run("json", &["env", "--min-valid", d], None).ok();
    }
    assert_eq!(
        w.grants("v3.refresh_token"),
        grants,
        "4 h tokens last 3 h: no refresh"
    );
    // 5h is more than the server issues: refreshed once, then refused by name.
    let r = w.run("json", &["token", "--min-valid=5h"], None);
    r.code(2);
    assert!(r.stderr.contains("18000 s asked for"), "{}", r.stderr);
    let r = w.run("json", &["token", "--min-valid", "5x"], None);
    r.code(2);
    assert!(r.stderr.contains("90s, 10m, 1h"), "{}", r.stderr);
}
