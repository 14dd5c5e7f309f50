//! Shared helpers for the transcript tests.
#![allow(dead_code)]

use base64::Engine;
use tapis_auth_core::{
    Action, BaseUrl, Error, Flow, HttpRequest, HttpResponse, OAuthClient, Pending, Platform,
    Secret, Session, Tenant, TokenSet, UnixTime,
};

pub const CLIENT_KEY: &str = "3kRdPMv7arpRn";
pub const PASSWORD: &str = "pa55-w0rd!";
pub const REFRESH: &str = "refresh-token-abcdef";
pub const ACCESS: &str = "access-token-123456";

pub fn jwt(payload: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        e.encode(r#"{"typ":"JWT","alg":"RS256"}"#),
        e.encode(payload)
    )
}

pub fn session(platform: Platform) -> Session {
    let url = match platform {
        Platform::TapisV3 => "https://tacc.tapis.io",
        Platform::AgaveV2 => "https://api.tacc.utexas.edu/",
    };
    let mut s = Session::new(
        "default",
        Tenant::new(BaseUrl::parse(url).unwrap(), platform),
    );
    s.username = Some("testuser".into());
    s.password = Some(Secret::new(PASSWORD));
    s.client = Some(OAuthClient::new("cid", CLIENT_KEY));
    s.tokens = Some(TokenSet::new(
        UnixTime(0),
        Secret::new(ACCESS),
        Some(Secret::new(REFRESH)),
        Some(10),
    ));
    s
}

pub fn envelope_error(message: &str) -> String {
    serde_json::json!({"result": null, "status": "error", "version": "1.6.0", "message": message, "metadata": {}}).to_string()
}

/// Polls a multi-step flow once, expecting a request.
pub fn polled<F: Flow>(flow: &mut F, now: i64) -> HttpRequest {
    match flow.poll(UnixTime(now)).unwrap() {
        Action::Send(r) => r,
        other => panic!("expected Send, got {}", kind(&other)),
    }
}

pub fn kind<T>(a: &Action<T>) -> &'static str {
    match a {
        Action::Send(_) => "Send",
        Action::Prompt(_) => "Prompt",
        Action::WaitUntil(_) => "WaitUntil",
        Action::Done(_) => "Done",
    }
}

/// The request a one-request operation sends.
pub fn sent<T>(op: &Pending<T>) -> HttpRequest {
    op.request().clone()
}

/// Finishes a one-request operation with a canned response received at `now`.
pub fn run<T>(op: Pending<T>, now: i64, resp: HttpResponse) -> Result<T, Error> {
    op.finish(UnixTime(now), resp)
}

pub fn body(req: &HttpRequest) -> String {
    String::from_utf8(req.body.as_ref().expect("body").bytes.to_vec()).unwrap()
}

pub fn basic(id: &str, key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{key}"))
    )
}

pub const V3_TOKEN_OK: &str = r#"{
  "result": {
    "access_token": {
      "access_token": "ACCESS_JWT",
      "expires_at": "2024-01-24T19:17:53.284752+00:00",
      "expires_in": 14400,
      "jti": "f7b9b19e-6099-4f82-a722-b610c5d0ba0c"
    },
    "refresh_token": {
      "refresh_token": "REFRESH_JWT",
      "expires_at": "2025-01-23T15:17:53.301210+00:00",
      "expires_in": 31536000,
      "jti": "0f1c..."
    }
  },
  "status": "success",
  "message": "Token created successfully.",
  "version": "1.6.0",
  "metadata": {}
}"#;

/// The v3 success body with real (unsigned) JWTs substituted.
pub fn v3_token_ok(access_exp: i64, refresh_exp: i64) -> String {
    V3_TOKEN_OK
        .replace(
            "ACCESS_JWT",
            &jwt(&format!(
                r#"{{"jti":"f7b9b19e","exp":{access_exp},"tapis/token_type":"access"}}"#
            )),
        )
        .replace(
            "REFRESH_JWT",
            &jwt(&format!(
                r#"{{"jti":"0f1c","exp":{refresh_exp},"tapis/token_type":"refresh"}}"#
            )),
        )
}

pub const V2_TOKEN_OK: &str = r#"{"access_token":"abc1236eb2c917a4c5796eb1cc2c6f","expires_in":14400,"refresh_token":"abc12315b26ebc1aec5d6e232bb455b","token_type":"bearer"}"#;
