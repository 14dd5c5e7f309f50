//! The env store's messages, through the real binary: with nothing set it names the variables
//! (a login cannot be saved there); with only a username and password on Agave v2 it points at
//! `tapis-auth clients create --export`, which sets up the client; an opaque token on a
//! `*.tapis.io` URL is Tapis v3; with nothing to tell the platform by, the message says how to
//! choose Tapis v3.

mod common;

use common::*;
use serde_json::Value;

fn env_run(w: &World, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut c = w.cmd("env");
    for (k, v) in vars {
        c.env(k, v);
    }
    run_cmd(c, args, None)
}

#[test]
fn nothing_set_names_the_variables_not_login() {
    let w = World::new();
    for args in [&["token"][..], &["status"], &["env"], &["clients", "list"]] {
        let r = env_run(&w, &[], args);
        r.code(3);
        assert!(r.stderr.contains("TAPIS_BASE_URL"), "{}", r.stderr);
        assert!(r.stderr.contains("TAPIS_TOKEN"), "{}", r.stderr);
        assert!(!r.stderr.contains("run `tapis-auth login`"), "{}", r.stderr);
    }
    let mut a = vec!["--json"];
    a.push("token");
    let r = env_run(&w, &[], &a);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["error"]["name"], "login_required");
    assert!(v["error"]["hint"].as_str().unwrap().contains("TAPIS_TOKEN"));
}

#[test]
fn v2_username_and_password_only_points_at_clients_create() {
    let w = World::new();
    let v2 = format!("{}/", w.url());
    let user = [
        ("TAPIS_BASE_URL", v2.as_str()),
        ("TAPIS_PLATFORM", "v2"),
        ("TAPIS_USERNAME", "testuser"),
        ("TAPIS_PASSWORD", "testpass"),
    ];
    let r = env_run(&w, &user, &["token"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("tapis-auth --store env clients create --export"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("POST /clients/v2"), "{}", r.stderr);
    assert!(!r.stderr.contains("testpass"));

    // Following the hint: the client is created with the password from the environment (no
    // prompt), and its id and key are printed as export lines.
    let r = env_run(
        &w,
        &user,
        &["clients", "create", "--name", "env-client", "--export"],
    );
    let exports = parse_exports(r.ok());
    let names: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["TAPIS_CLIENT_ID", "TAPIS_CLIENT_KEY"],
        "{}",
        r.stdout
    );
    // (On Agave v2 the client id is the generated consumer key, not the name.)
    assert!(exports[0].1.len() > 4 && exports[1].1.len() > 4);
    let mut vars: Vec<(&str, &str)> = user.to_vec();
    vars.extend(exports.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let t = env_run(&w, &vars, &["token"]);
    assert!(t.ok().trim().len() > 8);
    // --json carries the same variables.
    let r = env_run(
        &w,
        &user,
        &[
            "--json",
            "clients",
            "create",
            "--name",
            "env-client-2",
            "--export",
        ],
    );
    let v: Value = r.json();
    assert_eq!(v["variables"]["TAPIS_CLIENT_ID"], v["client"]["id"]);
    assert_eq!(v["client"]["name"], "env-client-2");
    assert!(v["variables"]["TAPIS_CLIENT_KEY"].as_str().unwrap().len() > 4);
}

#[test]
fn an_opaque_token_on_tapis_io_is_tapis_v3() {
    let w = World::new();
    for url in [
        "https://tacc.tapis.io",
        "https://tacc.tapis.io/",
        "https://TACC.Tapis.IO",
    ] {
        let vars = [("TAPIS_BASE_URL", url), ("TAPIS_TOKEN", "0123456789abcdef")];
        for store in ["env", "json"] {
            let mut c = w.cmd(store);
            for (k, v) in vars {
                c.env(k, v);
            }
            let r = run_cmd(c, &["--json", "status"], None);
            let v: Value = r.json();
            assert_eq!(v["platform"], "tapis-v3", "{store} {url}: {v}");
            let mut c = w.cmd(store);
            for (k, v) in vars {
                c.env(k, v);
            }
            let r = run_cmd(c, &["status"], None);
            assert!(r.ok().contains("tapis-v3"), "{}", r.stdout);
            assert!(!r.stdout.contains("agave"), "{}", r.stdout);
        }
    }
}

/// Only a username and password, on a base URL that is not `*.tapis.io`: nothing says which
/// platform it is, and it is taken as Agave v2. The message says so and how to say Tapis v3
/// (`-v` too); following it gets a token from the Tapis v3 server.
#[test]
fn username_and_password_on_an_unknown_url_say_how_to_choose_tapis_v3() {
    let w = World::new();
    let user = [
        ("TAPIS_BASE_URL", w.url()),
        ("TAPIS_USERNAME", "testuser"),
        ("TAPIS_PASSWORD", "testpass"),
    ];
    let r = env_run(&w, &user, &["-v", "token"]);
    r.code(2);
    assert!(r.stderr.contains("TAPIS_PLATFORM=v3"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("taken as Agave v2 (TAPIS_PLATFORM=v3 says otherwise)"),
        "-v says why: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("testpass"));
    let mut v3 = user.to_vec();
    v3.push(("TAPIS_PLATFORM", "v3"));
    let token = env_run(&w, &v3, &["token"]).ok().trim().to_owned();
    assert_eq!(jwt_claims(&token)["tapis/username"], "testuser");
}
