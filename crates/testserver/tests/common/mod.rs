//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;
use tapis_auth_testserver::{Config, TestServer};

pub const U: &str = "testuser";
pub const P: &str = "testpass";
pub const CID: &str = "test-client";
pub const CKEY: &str = "test-client-key";
pub const CALLBACK: &str = "http://127.0.0.1/callback";
pub const V2KEY: &str = "v2-test-key";
pub const V2SECRET: &str = "v2-test-secret";

pub fn server() -> TestServer {
    TestServer::start(Config::default())
}

pub fn http() -> Client {
    // In a whole-workspace build, cargo unifies reqwest's features and the HTTP adapter's
    // `rustls-no-provider` reaches this client too: it then needs a process-wide provider.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends and returns (status, parsed JSON or Null, raw text).
pub fn send(rb: RequestBuilder) -> (u16, Value, String) {
    let r: Response = rb.send().expect("request failed");
    let status = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

pub fn tokens_json(s: &TestServer, body: Value, basic: Option<(&str, &str)>) -> (u16, Value) {
    let mut rb = http()
        .post(format!("{}/v3/oauth2/tokens", s.url()))
        .json(&body);
    if let Some((a, b)) = basic {
        rb = rb.basic_auth(a, Some(b));
    }
    let (st, v, _) = send(rb);
    (st, v)
}

pub fn password_login(s: &TestServer, with_client: bool) -> Value {
    let (st, v) = tokens_json(
        s,
        serde_json::json!({"username": U, "password": P, "grant_type": "password"}),
        with_client.then_some((CID, CKEY)),
    );
    assert_eq!(st, 200, "{v}");
    v["result"].clone()
}

pub fn msg(v: &Value) -> &str {
    v["message"].as_str().unwrap_or("")
}
