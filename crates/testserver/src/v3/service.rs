//! A protected Tapis service written in Java (`/v3/systems`), for calls with the tokens: its JWT
//! filter answers plain-text 401s, unlike the Python services.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::caller::{check_jwt, TokCheck};
use crate::faults::guarded;
use crate::state::App;
use crate::util;

/// Java-service JWT filter: plain-text 401s.
fn java_filter(app: &App, headers: &HeaderMap) -> Result<Value, Response> {
    let deny = |msg: String| util::text_status(401, msg);
    let Some(tok) = headers.get("x-tapis-token").and_then(|v| v.to_str().ok()) else {
        return Err(deny("TAPIS_SECURITY_MISSING_JWT_INFO Missing JWT information in request header X-Tapis-Token.".into()));
    };
    for h in ["x-tapis-user", "x-tapis-tenant"] {
        if headers.contains_key(h) {
            return Err(deny(format!("TAPIS_SECURITY_UNEXPECTED_HEADER Unexpected header {h} received with a user token.")));
        }
    }
    match check_jwt(app, tok.trim()) {
        TokCheck::Invalid(e) => Err(deny(format!(
            "TAPIS_SECURITY_JWT_PARSE_ERROR Exception message: {e}. Unable to parse JWT."
        ))),
        TokCheck::Expired(c) => {
            let exp = c["exp"].as_i64().unwrap_or(0);
            let now = util::now_f64();
            let diff = ((now - exp as f64) * 1000.0).max(0.0) as i64;
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            Err(deny(format!(
                "TAPIS_SECURITY_JWT_EXPIRED Exception message: JWT expired at {}. Current time: {}, a difference of {diff} milliseconds. Allowed clock skew: 0 milliseconds. Claims: iss: {} sub: {} tapis/tenant_id: {} tapis/username: {} tapis/account_type: {}",
                util::iso_z(exp), util::iso_z(now as i64), s("iss"), s("sub"), s("tapis/tenant_id"), s("tapis/username"), s("tapis/account_type")
            )))
        }
        TokCheck::Revoked(c) => Err(deny(format!(
            "TAPIS_SECURITY_JWT_INVALID_CLAIM Exception message: token {} has been revoked.",
            c["jti"].as_str().unwrap_or("")
        ))),
        TokCheck::Ok(c) => {
            let tt = c["tapis/token_type"].as_str().unwrap_or("None").to_string();
            if tt != "access" {
                return Err(deny(format!("TAPIS_SECURITY_JWT_INVALID_CLAIM Invalid claim tapis/token_type: expected access but found {tt}.")));
            }
            Ok(c)
        }
    }
}
/// The Java services' success envelope.
fn java_ok(result: Value, message: &str) -> Response {
    util::json_status(
        200,
        json!({
            "status": "success", "message": message, "version": "1.6.0-test", "commit": "00000000",
            "build": "2026-01-01T00:00:00Z", "metadata": null, "result": result
        }),
    )
}

/// `GET /v3/systems` — a protected Java-style service endpoint.
pub async fn systems(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.systems", None, async {
        match java_filter(&app, &headers) {
            Ok(_) => java_ok(json!([]), "TAPIS_FOUND Systems found: 0 systems"),
            Err(r) => r,
        }
    })
    .await
}
