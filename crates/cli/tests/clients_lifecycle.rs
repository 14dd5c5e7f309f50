//! OAuth clients do not pile up: `logout` deletes the client that the profile's login created
//! (unless another profile uses it, `--keep-client` is given, or Agave v2 has no password), and
//! `clients list` marks the clients this cache uses.

mod common;

use std::io::{Read, Write};

use common::*;
use serde_json::Value;

/// The user's active clients that tapis-auth logins created, as the server sees them (v3:
/// with a minted token; v2: Basic). (The test server also has a fixed `test-client`.)
fn server_clients(w: &World, platform: &str) -> Vec<Value> {
    all_server_clients(w, platform)
        .into_iter()
        .filter(|c| {
            ["client_id", "name"]
                .iter()
                .any(|k| c[*k].as_str().is_some_and(|n| n.starts_with("tapis-auth-")))
        })
        .collect()
}

/// Every active client of the user, as the server sees them.
fn all_server_clients(w: &World, platform: &str) -> Vec<Value> {
    let hostport = w.url().trim_start_matches("http://").to_owned();
    let (path, auth) = match platform {
        "v3" => {
            let t = w.server.mint_v3("testuser", 600, None);
            let tok = t["access_token"]["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
            ("/v3/oauth2/clients", format!("X-Tapis-Token: {tok}"))
        }
        _ => {
            use base64::Engine as _;
            let b = base64::engine::general_purpose::STANDARD.encode("testuser:testpass");
            ("/clients/v2", format!("Authorization: Basic {b}"))
        }
    };
    let mut s = std::net::TcpStream::connect(&hostport).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\n{auth}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let body = resp.split_once("\r\n\r\n").unwrap().1;
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {resp}"));
    v["result"].as_array().cloned().unwrap_or_default()
}

#[test]
fn login_logout_cycles_leave_one_client_v3() {
    let w = World::new();
    for _ in 0..3 {
        w.login("json", "v3", &[]).ok();
        let r = w.run("json", &["logout"], None);
        r.ok();
        assert!(r.stderr.contains("Deleted OAuth client"), "{}", r.stderr);
    }
    assert_eq!(
        server_clients(&w, "v3").len(),
        0,
        "every login's client was deleted"
    );
    // A device login with the profile's client keeps knowing it is the login's own.
    w.login("json", "v3", &[]).ok();
    device_login_approved(&w, "json", &["login", "--device", "--no-qr"])
        .0
        .ok();
    let r = w.run("json", &["logout"], None);
    assert!(
        r.ok().is_empty() && r.stderr.contains("Deleted OAuth client"),
        "{}",
        r.stderr
    );
    assert_eq!(server_clients(&w, "v3").len(), 0);
    w.login("json", "v3", &[]).ok();
    let clients = server_clients(&w, "v3");
    assert_eq!(clients.len(), 1, "{clients:?}");
    // clients list marks it as this cache's, created by the login.
    let v: Value = w.run("json", &["--json", "clients", "list"], None).json();
    let c = &v["clients"][0];
    assert_eq!(c["used_by"][0], "default", "{v}");
    assert_eq!(c["created_by_login"], true, "{v}");
    let text = w.run("json", &["clients", "list"], None);
    assert!(text.ok().starts_with("* "), "{}", text.stdout);
    assert!(text.stdout.contains("used by default"), "{}", text.stdout);
    assert!(
        text.stderr.contains("* = used by a profile in json:"),
        "{}",
        text.stderr
    );

    // --keep-client keeps it, and says so in the JSON.
    let r = w.run("json", &["--json", "logout", "--keep-client"], None);
    let v: Value = r.json();
    assert_eq!(v["clients_kept"][0]["id"], clients[0]["client_id"], "{v}");
    assert_eq!(server_clients(&w, "v3").len(), 1);
}

#[test]
fn a_shared_or_self_made_client_is_kept() {
    let w = World::new();
    // Profile one's login creates a client; profile two logs in with the same client.
    w.login("json", "v3", &["--profile", "one"]).ok();
    let one: Value = w
        .run("json", &["--json", "--profile", "one", "status"], None)
        .json();
    let id = one["client_id"].as_str().unwrap().to_owned();
    let key = {
        let cfg = std::fs::read_to_string(w.cache().join("config.json")).unwrap();
        let v: Value = serde_json::from_str(&cfg).unwrap();
        fn find(v: &Value, id: &str) -> Option<String> {
            match v {
                Value::Object(m) => {
                    if m.get("apikey").and_then(Value::as_str) == Some(id) {
                        return m
                            .get("apisecret")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                    }
                    m.values().find_map(|x| find(x, id))
                }
                _ => None,
            }
        }
        find(&v, &id).unwrap()
    };
    let mut c = w.cmd("json");
    c.env("TAPIS_CLIENT_KEY", &key);
    run_cmd(
        c,
        &[
            "login",
            "--profile",
            "two",
            "--no-switch",
            "--base-url",
            w.url(),
            "--platform",
            "v3",
            "-u",
            "testuser",
            "--password-stdin",
            "--client-id",
            &id,
        ],
        Some("testpass\n"),
    )
    .ok();
    let r = w.run("json", &["--profile", "one", "logout"], None);
    r.ok();
    assert!(r.stderr.contains("profile two uses it too"), "{}", r.stderr);
    assert!(all_server_clients(&w, "v3")
        .iter()
        .any(|c| c["client_id"] == id.as_str()));
    w.run("json", &["--profile", "two", "logout"], None).ok();

    // A client made with `clients create --use` is the user's own: never deleted by logout.
    w.login("json", "v3", &["--profile", "three", "--no-create-client"])
        .ok();
    w.run(
        "json",
        &[
            "--profile",
            "three",
            "clients",
            "create",
            "--name",
            "mine-xyz",
            "--use",
            "--password-stdin",
        ],
        Some("testpass\n"),
    )
    .ok();
    let r = w.run("json", &["--profile", "three", "logout"], None);
    r.ok();
    assert!(!r.stderr.contains("Deleted OAuth client"), "{}", r.stderr);
    assert!(all_server_clients(&w, "v3")
        .iter()
        .any(|c| c["client_id"] == "mine-xyz"));
}

#[test]
fn agave_v2_deletes_with_the_password_else_names_the_client() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    assert_eq!(server_clients(&w, "v2").len(), 1);
    let r = w.run("json", &["logout"], None);
    r.ok();
    assert!(
        r.stderr.contains("Agave v2 needs your password"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("tapis-auth clients delete"),
        "{}",
        r.stderr
    );
    assert_eq!(server_clients(&w, "v2").len(), 1);
    w.login("json", "v2", &[]).ok();
    let r = w.run("json", &["logout", "--password-stdin"], Some("testpass\n"));
    r.ok();
    assert!(r.stderr.contains("Deleted OAuth client"), "{}", r.stderr);
    assert_eq!(
        server_clients(&w, "v2").len(),
        1,
        "only the first login's client is left"
    );
}
