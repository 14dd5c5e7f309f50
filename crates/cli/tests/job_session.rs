//! `job-session`: a separate, revocable credential for a batch job — its own OAuth client, its
//! own cache directory — created, used the way the printed lines say, listed and revoked,
//! through the real binary.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use serde_json::Value;

/// A command in the job's environment: the printed variables, nothing of the user's.
fn in_job(w: &World, vars: &[(String, String)], args: &[&str]) -> Run {
    let mut c = w.cmd("json");
    c.env_remove("TAPIS_CACHE_DIR");
    for (k, v) in vars {
        c.env(k, v);
    }
    run_cmd(c, args, None)
}

/// GET `path` with `X-Tapis-Token: token`; returns the HTTP status.
fn status_with_token(w: &World, path: &str, token: &str) -> u16 {
    let hostport = w.url().trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&hostport).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nX-Tapis-Token: {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn create_use_list_and_revoke_v3() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let own_token = w.run("json", &["token"], None).ok().trim().to_owned();
    let own_client = {
        let v: Value = w.run("json", &["--json", "status"], None).json();
        v["client_id"].as_str().unwrap().to_owned()
    };

    let r = w.run(
        "json",
        &["job-session", "create", "job42", "--password-stdin"],
        Some("testpass\n"),
    );
    let vars = parse_exports(r.ok());
    assert_eq!(vars.len(), 2, "{}", r.stdout);
    assert_eq!(vars[0].0, "TAPIS_CACHE_DIR");
    assert_eq!(vars[1], ("TAPIS_AUTH_PROFILE".into(), "job42".into()));
    assert!(
        r.stderr.contains("job-session revoke job42"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("renewed with its own client"),
        "{}",
        r.stderr
    );
    let dir = std::path::PathBuf::from(&vars[0].1);
    assert_eq!(dir, w.cache().join("job-sessions").join("job42"));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("config.json")), 0o600);

    // The job: its own profile, its own client, its own tokens.
    let st: Value = in_job(&w, &vars, &["--json", "status"]).json();
    assert_eq!(st["profile"], "job42");
    assert_eq!(st["username"], "testuser");
    let job_client = st["client_id"].as_str().unwrap().to_owned();
    assert_ne!(job_client, own_client);
    let job_token = in_job(&w, &vars, &["token"]).ok().trim().to_owned();
    assert_ne!(job_token, own_token);
    // Refreshing in the job uses the job's client and leaves the user's cache alone.
    let own_cache = std::fs::read(w.cache().join("config.json")).unwrap();
    in_job(&w, &vars, &["refresh"]).ok();
    assert_eq!(
        std::fs::read(w.cache().join("config.json")).unwrap(),
        own_cache
    );
    let job_token = in_job(&w, &vars, &["token"]).ok().trim().to_owned();
    assert_eq!(
        status_with_token(&w, "/v3/oauth2/userinfo", &job_token),
        200
    );

    // Listed, from the user's side.
    let v: Value = w
        .run("json", &["--json", "job-session", "list"], None)
        .json();
    assert_eq!(v["job_sessions"][0]["name"], "job42");
    assert_eq!(v["job_sessions"][0]["client_id"], job_client.as_str());
    // `clients list` marks the job session's client as in use (no profile of the cache names
    // it), so that it is not taken for a leftover.
    let clients = |w: &World| -> Vec<Value> {
        let r = w.run("json", &["--json", "clients", "list"], None);
        let v: Value = r.json();
        v["clients"].as_array().unwrap().clone()
    };
    let of = |list: &[Value], id: &str| list.iter().find(|c| c["id"] == id).cloned().unwrap();
    let list = clients(&w);
    assert_eq!(of(&list, &job_client)["job_session"], "job42");
    assert_eq!(of(&list, &job_client)["used_by"], serde_json::json!([]));
    assert_eq!(of(&list, &own_client)["job_session"], Value::Null);
    let text = w.run("json", &["clients", "list"], None);
    let row = text.ok().lines().find(|l| l.contains(&job_client)).unwrap();
    assert!(
        row.starts_with('*') && row.ends_with("used by job session job42"),
        "{row}"
    );
    // A second one of the same name is refused, naming the way out.
    let r = w.run(
        "json",
        &["job-session", "create", "job42", "--password-stdin"],
        Some("testpass\n"),
    );
    r.code(2);
    assert!(
        r.stderr.contains("job-session revoke job42"),
        "{}",
        r.stderr
    );
    w.run(
        "json",
        &["job-session", "create", "../x", "--password-stdin"],
        Some("testpass\n"),
    )
    .code(2);

    // Someone copied the job's cache before it was revoked.
    let copy = w.home.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(dir.join("config.json"), copy.join("config.json")).unwrap();

    let r = w.run("json", &["--json", "job-session", "revoke", "job42"], None);
    let v: Value = r.json();
    assert_eq!(v["client_deleted"], job_client.as_str(), "{v}");
    assert!(!dir.exists(), "the directory is removed");
    // The copy is dead: its access token is revoked, and it cannot be renewed (no client).
    let st = status_with_token(&w, "/v3/oauth2/userinfo", &job_token);
    assert!(
        matches!(st, 400 | 401),
        "a revoked token was accepted: {st}"
    );
    let copied = vec![
        ("TAPIS_CACHE_DIR".to_owned(), copy.display().to_string()),
        ("TAPIS_AUTH_PROFILE".to_owned(), "job42".to_owned()),
    ];
    in_job(&w, &copied, &["refresh"]).code(3);
    assert!(
        clients(&w).iter().all(|c| c["id"] != job_client.as_str()),
        "the job session's client is gone from the server"
    );
    // The user's own login is untouched.
    assert_eq!(w.run("json", &["token"], None).ok().trim(), own_token);
    assert_eq!(
        status_with_token(&w, "/v3/oauth2/userinfo", &own_token),
        200
    );
}

#[test]
fn logout_in_the_job_directory_revokes_it_too() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let r = w.run(
        "json",
        &[
            "--json",
            "job-session",
            "create",
            "nightly",
            "--password-stdin",
        ],
        Some("testpass\n"),
    );
    let v: Value = r.json();
    let dir = v["dir"].as_str().unwrap().to_owned();
    let client = v["client_id"].as_str().unwrap().to_owned();
    assert_eq!(v["variables"]["TAPIS_CACHE_DIR"], dir.as_str());
    let r = w.run(
        "json",
        &["--cache-dir", &dir, "--profile", "nightly", "logout"],
        None,
    );
    r.ok();
    assert!(
        r.stderr.contains(&format!("Deleted OAuth client {client}")),
        "{}",
        r.stderr
    );
}

#[test]
fn device_approved_job_session() {
    let w = World::new();
    w.login("json", "v3", &[]).ok();
    let (r, _) = device_login_approved(&w, "json", &["job-session", "create", "dev1", "--device"]);
    let vars = parse_exports(r.ok());
    let t = in_job(&w, &vars, &["token"]).ok().trim().to_owned();
    assert_eq!(jwt_claims(&t)["tapis/grant_type"], "device_code");
    w.run("json", &["job-session", "revoke", "dev1"], None).ok();
}

#[test]
fn agave_v2_job_session_needs_the_password_to_delete_its_client() {
    let w = World::new();
    w.login("json", "v2", &[]).ok();
    let r = w.run(
        "json",
        &["job-session", "create", "v2job", "--password-stdin"],
        Some("testpass\n"),
    );
    let vars = parse_exports(r.ok());
    in_job(&w, &vars, &["token"]).ok();
    let r = w.run(
        "json",
        &["job-session", "revoke", "v2job", "--password-stdin"],
        Some("testpass\n"),
    );
    r.ok();
    assert!(r.stderr.contains("Deleted OAuth client"), "{}", r.stderr);
}
