//! `POST /v3/oauth2/tokens/revoke`: revoking an access or refresh token by its `jti`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::caller::{check_jwt, TokCheck};
use crate::faults::guarded;
use crate::schema;
use crate::state::App;
use crate::util::{self, v3_err, v3_ok};

/// `POST /v3/oauth2/tokens/revoke`: JSON only (the authentication layer reads the token with
/// `request.get_json()`), then the `RevokeTokenRequest` schema.
pub async fn revoke(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&app, "v3.revoke", None, async {
        let is_json = util::content_type(&headers).as_deref() == Some("application/json");
        let object = serde_json::from_slice::<Value>(&body).is_ok_and(|v| v.is_object());
        if !is_json || !object {
            return v3_err(400, "Unable to parse message payload; is it JSON?");
        }
        let f = match schema::validate(&body, &schema::REVOKE, "POST") {
            Ok(f) => f,
            Err(r) => return r,
        };
        let Some(token) = f.get("token").cloned() else {
            return v3_err(
                500,
                "Unrecognized exception type: <class 'AttributeError'>. Exception: 'RevokeTokenRequest' object has no attribute 'token'",
            );
        };
        match check_jwt(&app, &token) {
            TokCheck::Ok(c) | TokCheck::Revoked(c) => {
                let jti = c["jti"].as_str().unwrap_or("").to_string();
                app.st().revoked.insert(jti.clone());
                v3_ok(json!(""), &format!("Token {jti} has been revoked."))
            }
            TokCheck::Expired(_) => v3_err(
                400,
                "Invalid POST data; could not validate the token: debug data: Signature has expired.",
            ),
            TokCheck::Invalid(e) => v3_err(
                400,
                &format!("Invalid POST data; could not validate the token: debug data: {e}."),
            ),
        }
    })
    .await
}
