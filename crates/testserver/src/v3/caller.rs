//! Who is calling: verifying the Tapis JWTs that requests carry (signature, revocation, expiry)
//! and the Python services' `X-Tapis-Token` checks, required or optional.

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::state::App;
use crate::util::{self, v3_err};

const INVALID_TOKEN: &str = "Invalid Tapis token.";
const NO_TOKEN: &str = "No Tapis access token found in the request.";

/// Token check outcome for incoming JWTs.
pub(crate) enum TokCheck {
    Ok(Value),
    Expired(Value),
    Revoked(Value),
    Invalid(String),
}

/// Verifies an incoming JWT: signature, then revocation, then expiry.
pub(crate) fn check_jwt(app: &App, token: &str) -> TokCheck {
    let claims = match app.keys.verify(token) {
        Ok(c) => c,
        Err(e) => return TokCheck::Invalid(e),
    };
    let jti = claims["jti"].as_str().unwrap_or("");
    if app.st().revoked.contains(jti) {
        return TokCheck::Revoked(claims);
    }
    let exp = claims["exp"].as_i64().unwrap_or(0);
    if exp <= util::now() {
        return TokCheck::Expired(claims);
    }
    TokCheck::Ok(claims)
}

/// Python-service style user authentication via `X-Tapis-Token`; returns (username, claims).
pub(crate) fn require_user(app: &App, headers: &HeaderMap) -> Result<(String, Value), Response> {
    let Some(tok) = headers.get("x-tapis-token").and_then(|v| v.to_str().ok()) else {
        return Err(v3_err(400, NO_TOKEN));
    };
    match check_jwt(app, tok.trim()) {
        TokCheck::Ok(c) if c["tapis/token_type"] == "access" => {
            let u = c["tapis/username"].as_str().unwrap_or("").to_string();
            Ok((u, c))
        }
        _ => Err(v3_err(400, INVALID_TOKEN)),
    }
}

/// Validates an optional `X-Tapis-Token` on public endpoints.
pub(super) fn optional_token_ok(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    match headers.get("x-tapis-token").and_then(|v| v.to_str().ok()) {
        None => Ok(()),
        Some(t) => match check_jwt(app, t.trim()) {
            TokCheck::Ok(_) => Ok(()),
            _ => Err(v3_err(400, INVALID_TOKEN)),
        },
    }
}
