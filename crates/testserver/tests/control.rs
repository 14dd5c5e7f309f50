//! Fault injection, stats, config, device approval, stopping, TLS and the binary.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tapis_auth_testserver::{Config, Fault, FaultKind, TestServer};

fn refresh_body(s: &TestServer) -> serde_json::Value {
    let r = password_login(s, true);
    json!({"grant_type": "refresh_token", "refresh_token": r["refresh_token"]["refresh_token"]})
}

#[test]
fn status_and_rate_limit_faults_for_n_occurrences() {
    let s = server();
    s.inject_fault(
        Fault::new("v3.tokens", FaultKind::Status)
            .status(503)
            .times(2),
    );
    let body = json!({"username": U, "password": P, "grant_type": "password"});
    assert_eq!(tokens_json(&s, body.clone(), None).0, 503);
    assert_eq!(tokens_json(&s, body.clone(), None).0, 503);
    assert_eq!(tokens_json(&s, body.clone(), None).0, 200);
    s.inject_fault(Fault::new("v3.tokens", FaultKind::Status).status(502));
    assert_eq!(tokens_json(&s, body.clone(), None).0, 502);
    s.inject_fault(Fault::new("v3.tokens", FaultKind::Status).status(500));
    let (st, v) = tokens_json(&s, body.clone(), None);
    assert_eq!(st, 500);
    assert!(msg(&v).starts_with("Unrecognized exception type"));
    s.inject_fault(Fault::new("v3.tokens", FaultKind::RateLimit).retry_after(7));
    let r = http()
        .post(format!("{}/v3/oauth2/tokens", s.url()))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let stats = s.stats();
    assert_eq!(stats.faults_fired["status"], 4);
    assert_eq!(stats.faults_fired["rate_limit"], 1);
}

#[test]
fn grant_filter_delay_and_malformed() {
    let s = server();
    s.inject_fault(Fault::new("v3.tokens", FaultKind::Malformed).grant("refresh_token"));
    let body = refresh_body(&s); // password grant: not affected
    let (st, _, text) = send(
        http()
            .post(format!("{}/v3/oauth2/tokens", s.url()))
            .basic_auth(CID, Some(CKEY))
            .json(&body),
    );
    assert_eq!(st, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );
    s.inject_fault(Fault::new("v3.tenants", FaultKind::Delay).delay_ms(300));
    let t = Instant::now();
    assert_eq!(send(http().get(format!("{}/v3/tenants", s.url()))).0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn drop_closes_connection_without_response() {
    let s = server();
    s.inject_fault(Fault::new("v3.tenants", FaultKind::Drop));
    assert!(http()
        .get(format!("{}/v3/tenants", s.url()))
        .send()
        .is_err());
    assert_eq!(send(http().get(format!("{}/v3/tenants", s.url()))).0, 200);
    // Raw socket: EOF with zero bytes.
    s.inject_fault(Fault::new("v3.tenants", FaultKind::Drop));
    let mut sock = std::net::TcpStream::connect(s.url().trim_start_matches("http://")).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock.write_all(b"GET /v3/tenants HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let _ = sock.read_to_end(&mut buf);
    assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf));
}

#[test]
fn drop_after_spending_refresh_token() {
    let s = server();
    // v3 with single-use refresh on.
    s.set_config(tapis_auth_testserver::ConfigPatch {
        v3_single_use_refresh: Some(true),
        ..Default::default()
    });
    let body = refresh_body(&s);
    s.inject_fault(Fault::new("v3.tokens", FaultKind::DropAfter).grant("refresh_token"));
    assert!(http()
        .post(format!("{}/v3/oauth2/tokens", s.url()))
        .basic_auth(CID, Some(CKEY))
        .json(&body)
        .send()
        .is_err());
    let (st, v) = tokens_json(&s, body, Some((CID, CKEY)));
    assert_eq!((st, msg(&v)), (400, "Invalid refresh_token."));
    // v2 (always single-use) via the HTTP control endpoint.
    let (st, _, _) =
        send(http().post(format!("{}/_test/faults", s.url())).json(
            &json!([{"endpoint": "v2.token", "grant": "refresh_token", "kind": "drop_after"}]),
        ));
    assert_eq!(st, 200);
    let (_, v, _) = send(
        http()
            .post(format!("{}/token", s.url()))
            .basic_auth(V2KEY, Some(V2SECRET))
            .form(&[("grant_type", "password"), ("username", U), ("password", P)]),
    );
    let rt = v["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt)];
    assert!(http()
        .post(format!("{}/token", s.url()))
        .basic_auth(V2KEY, Some(V2SECRET))
        .form(&form)
        .send()
        .is_err());
    let (st, v, _) = send(
        http()
            .post(format!("{}/token", s.url()))
            .basic_auth(V2KEY, Some(V2SECRET))
            .form(&form),
    );
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));
    let stats = s.stats();
    assert_eq!(stats.faults_fired["drop_after"], 2);
    assert_eq!(stats.rejected_refresh("v3"), 1);
    assert_eq!(stats.rejected_refresh("v2"), 1);
}

#[test]
fn control_endpoints_over_http() {
    let s = server();
    let base = s.url().to_string();
    password_login(&s, false);
    let (st, v, _) = send(http().get(format!("{base}/_test/stats")));
    assert_eq!(st, 200);
    assert_eq!(v["endpoints"]["v3.tokens"], 1);
    assert_eq!(v["grants"]["v3.password"], 1);
    assert_eq!(v["total"], 1);
    assert_eq!(
        send(http().post(format!("{base}/_test/stats/reset"))).0,
        200
    );
    let (_, v, _) = send(http().get(format!("{base}/_test/stats")));
    assert_eq!(v["total"], 0);
    let (st, v, _) = send(
        http()
            .post(format!("{base}/_test/config"))
            .json(&json!({"v3_access_ttl": 60})),
    );
    assert_eq!((st, v["v3_access_ttl"].as_i64()), (200, Some(60)));
    assert_eq!(v["v2_access_ttl"], 14400);
    let (st, _, _) = send(
        http()
            .post(format!("{base}/_test/config"))
            .json(&json!({"no_such": 1})),
    );
    assert_eq!(st, 400);
    let (st, v, _) = send(
        http()
            .post(format!("{base}/_test/faults"))
            .json(&json!({"endpoint": "v3.tenants", "kind": "status", "status": 503, "count": 3})),
    );
    assert_eq!((st, v["queued"].as_i64()), (200, Some(1)));
    assert_eq!(send(http().get(format!("{base}/v3/tenants"))).0, 503);
    let (_, v, _) = send(http().delete(format!("{base}/_test/faults")));
    assert_eq!(v["cleared"], 1);
    assert_eq!(send(http().get(format!("{base}/v3/tenants"))).0, 200);
    // A device code waits in the pending list until approved.
    let (st, v, _) = send(
        http()
            .post(format!("{base}/v3/oauth2/device/code"))
            .json(&json!({"client_id": CID})),
    );
    assert_eq!(st, 200, "{v}");
    let code = v["result"]["user_code"].as_str().unwrap().to_string();
    let pending = |entered: bool| {
        let (st, v, _) = send(http().get(format!("{base}/_test/device/pending")));
        assert_eq!(st, 200);
        assert_eq!(
            v,
            json!([{"user_code": code, "client_id": CID, "entered": entered, "expires_at": v[0]["expires_at"]}])
        );
        assert!(v[0]["expires_at"].as_i64().unwrap() > 0);
    };
    pending(false);
    let (st, v, _) = send(
        http()
            .post(format!("{base}/_test/device/approve"))
            .json(&json!({"user_code": code})),
    );
    assert_eq!((st, v["username"].as_str()), (200, Some(U)));
    pending(true);
    let (st, v, _) = send(
        http()
            .post(format!("{base}/_test/device/approve"))
            .json(&json!({"user_code": "nope"})),
    );
    assert_eq!((st, v["error"].is_string()), (404, true));
}

#[test]
fn dropping_the_server_or_its_time_limit_stops_it() {
    let s = server();
    let url = s.url().to_string();
    drop(s);
    assert!(http().get(format!("{url}/v3/tenants")).send().is_err());
    let s = TestServer::start(Config {
        time_limit: Some(Duration::from_millis(300)),
        ..Default::default()
    });
    let t = Instant::now();
    s.wait();
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn tls_mode_with_generated_ca() {
    use rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls;
    let s = TestServer::start(Config {
        tls: true,
        ..Default::default()
    });
    assert!(s.url().starts_with("https://127.0.0.1:"));
    let ca = s.ca_pem().unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let cfg = std::sync::Arc::new(cfg);
    let addr = s.url().trim_start_matches("https://").to_string();
    for name in ["127.0.0.1", "localhost"] {
        let server_name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
        let mut conn = rustls::ClientConnection::new(cfg.clone(), server_name).unwrap();
        let mut sock = std::net::TcpStream::connect(&addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        tls.write_all(b"GET /v3/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(
            text.contains(&format!("\"base_url\":\"{}\"", s.url())),
            "{text}"
        );
    }
    // Without the CA, plain reqwest (no TLS support compiled) cannot talk to it; HTTP to an HTTPS port fails.
    assert!(http()
        .get(format!("http://{addr}/v3/tenants"))
        .send()
        .map(|r| r.status().as_u16() != 200)
        .unwrap_or(true));
}

#[test]
fn binary_prints_url_writes_files_and_exits_on_a_signal_or_its_time_limit() {
    let dir = std::env::temp_dir().join(format!("ts-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url_file = dir.join("url");
    let ca_file = dir.join("ca.pem");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tapis-auth-testserver"))
        .args(["--time-limit", "60", "--tls", "--single-use-refresh"])
        .arg("--url-file")
        .arg(&url_file)
        .arg("--ca-out")
        .arg(&ca_file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("tapis-auth-testserver listening on ")
        .expect(&line)
        .to_string();
    assert!(url.starts_with("https://127.0.0.1:"));
    assert_eq!(std::fs::read_to_string(&url_file).unwrap().trim(), url);
    assert!(std::fs::read_to_string(&ca_file)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    // Shut down via a raw TLS-less kill: send SIGTERM.
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "{st:?}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The time limit.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tapis-auth-testserver"))
        .args(["--time-limit", "1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "did not exit after --time-limit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
