//! `whoami`, `clients show`, `clients update` and the browser login's callback check, through
//! the real binary against the test authenticator.

mod common;

use common::{run_cmd, World};
use serde_json::Value;

#[test]
fn whoami_is_confirmed_by_the_server_on_both_platforms() {
    for platform in ["v3", "v2"] {
        let w = World::new();
        w.login("json", platform, &[]).ok();
        let before = w.server.stats().total;
        let r = w.run("json", &["whoami"], None);
        let out = r.ok();
        assert!(out.starts_with("testuser on "), "{out}");
        assert!(out.contains("email:   testuser@example.org"), "{out}");
        assert!(w.server.stats().total > before, "asked the server");
        let key = if platform == "v3" {
            "v3.profile"
        } else {
            "v2.profile"
        };
        assert_eq!(w.server.stats().endpoint(key), 1, "{platform}");
        let v = w.run("json", &["--json", "whoami"], None).json();
        assert_eq!(v["username"], "testuser");
        assert_eq!(v["command"], "whoami");
    }
}

/// A token the server no longer accepts, which cannot be renewed: `whoami` says to log in
/// (exit 3), where `status` (local only) would still look fine.
#[test]
fn whoami_says_login_required_when_the_server_refuses() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    let cur: Value =
        serde_json::from_slice(&std::fs::read(w.cache().join("current")).unwrap()).unwrap();
    // Another party spends the refresh token (which also revokes the access token).
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&scope=PRODUCTION",
        cur["refresh_token"].as_str().unwrap()
    );
    let basic = format!(
        "{}:{}",
        cur["apikey"].as_str().unwrap(),
        cur["apisecret"].as_str().unwrap()
    );
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-u",
            &basic,
            "-d",
            &form,
            &format!("{}/token", w.url()),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    w.run("json", &["status"], None).ok();
    let r = w.run("json", &["whoami"], None);
    r.code(3);
    assert!(r.stderr.contains("log in"), "{}", r.stderr);
}

#[test]
fn clients_show_and_update_on_tapis_v3() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let v = w.run("json", &["--json", "clients", "show"], None).json();
    let id = v["client"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("tapis-auth-testuser"), "{v}");
    let shown = w.run("json", &["clients", "show", &id], None);
    assert!(
        shown.ok().contains(&format!("id           {id}")),
        "{}",
        shown.stdout
    );
    for s in common::secrets_in_cache(&w.cache()) {
        assert!(!shown.stdout.contains(&s) && !shown.stderr.contains(&s));
    }
    let r = w.run(
        "json",
        &[
            "clients",
            "update",
            "--callback-url",
            "http://127.0.0.1:9999/cb",
        ],
        None,
    );
    assert!(r.ok().contains("http://127.0.0.1:9999/cb"), "{}", r.stdout);
    let v = w.run("json", &["--json", "clients", "show"], None).json();
    assert_eq!(v["client"]["callback_url"], "http://127.0.0.1:9999/cb");
    w.run("json", &["clients", "update"], None).code(2);
    for args in [
        &["clients", "show", "no-such-client"][..],
        &["clients", "update", "no-such-client", "--display-name", "x"],
    ] {
        let r = w.run("json", args, None);
        r.code(6);
        assert!(
            r.stderr.contains("no OAuth client no-such-client")
                && r.stderr.contains("clients list"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn clients_show_on_agave_v2_and_no_update() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    let r = w.run(
        "json",
        &["--json", "clients", "show", "--password-stdin"],
        Some("testpass\n"),
    );
    let v = r.json();
    assert!(
        v["client"]["name"]
            .as_str()
            .unwrap()
            .starts_with("tapis-auth-testuser"),
        "{v}"
    );
    let r = w.run(
        "json",
        &["clients", "show", "nope", "--password-stdin"],
        Some("testpass\n"),
    );
    r.code(6);
    // The service's words do not say which client: the hint does.
    assert!(
        r.stderr.contains("Application not found") && r.stderr.contains("no OAuth client nope"),
        "{}",
        r.stderr
    );
    let r = w.run(
        "json",
        &["clients", "update", "--callback-url", "http://x"],
        None,
    );
    r.code(2);
    assert!(r.stderr.contains("cannot be changed"), "{}", r.stderr);
    // What Agave v2 does not offer is named as such in --json (exit 2, reason `unsupported`):
    // the CLI's own check (client update) and the library's (device login).
    let r = w.run(
        "json",
        &["--json", "clients", "update", "--callback-url", "http://x"],
        None,
    );
    r.code(2);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["error"]["reason"], "unsupported", "{v}");
    let r = w.run(
        "json",
        &[
            "--json",
            "login",
            "--device",
            "--base-url",
            w.url(),
            "--platform",
            "v2",
            "--client-id",
            "c",
        ],
        None,
    );
    r.code(2);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["error"]["reason"], "unsupported", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("not supported: Agave v2"),
        "{v}"
    );
}

/// `login --browser` with a client whose callback URL is not the redirect URI: refused with the
/// fixing command where nobody can be asked, fixed with --fix-callback, then the login works.
#[test]
fn browser_login_fixes_a_mismatched_callback() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let script = common::fake_browser(&w);
    let browser = |extra: &[&str]| {
        let mut c = w.cmd("json");
        c.env("BROWSER", &script);
        let mut args = vec!["login", "--browser", "--redirect-uri", &redirect];
        args.extend_from_slice(extra);
        run_cmd(c, &args, None)
    };
    let r = browser(&[]);
    r.code(2);
    assert!(
        r.stderr.contains("callback URL") && r.stderr.contains("clients update"),
        "{}",
        r.stderr
    );
    let r = browser(&["--fix-callback"]);
    r.ok();
    assert!(
        r.stderr.contains("Changed the callback URL"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Logged in as testuser"), "{}", r.stderr);
    let v = w.run("json", &["--json", "clients", "show"], None).json();
    assert_eq!(v["client"]["callback_url"], redirect.as_str());
}
