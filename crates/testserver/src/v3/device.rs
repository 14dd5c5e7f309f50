//! Device login: `POST /v3/oauth2/device/code` makes a device code and user code, the user
//! enters it (here: the test control endpoint, through [`approve_device`]), and the token
//! endpoint's device grant takes it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use crate::faults::guarded;
use crate::schema;
use crate::state::{App, DeviceCode, DeviceStatus};
use crate::util::{self, v3_err, v3_ok};

/// Lifetime of the access token the device grant gives (the real server's default: 30 days).
pub(super) const DEVICE_ACCESS_TTL: i64 = 2_592_000;

/// `POST /v3/oauth2/device/code` (JSON only).
pub async fn device_code(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&app, "v3.device_code", None, async {
        if util::content_type(&headers).as_deref() != Some("application/json") {
            return v3_err(
                400,
                "Invalid POST data: [MediaTypeNotFound: Content for the following mimetype not found: the request body must be application/json]."
            );
        }
        let fields = match schema::validate(&body, &schema::NEW_DEVICE_CODE, "POST") {
            Ok(f) => f,
            Err(r) => return r,
        };
        let cid = fields["client_id"].clone();
        let mut st = app.st();
        let Some(client_key) = st.v3_clients.get(&cid).map(|c| c.client_key.clone()) else {
            return v3_err(400, &format!("Invalid client: {cid}"));
        };
        let device_code = util::random_from(util::ALNUM, 40);
        let user_code = loop_user_code();
        let expires_at = util::now() + st.rt.v3_device_code_lifetime;
        st.device_codes.insert(
            device_code.clone(),
            DeviceCode {
                user_code: user_code.clone(),
                client_id: cid.clone(),
                client_key: Some(client_key),
                status: DeviceStatus::Created,
                expires_at,
            },
        );
        v3_ok(
            json!({
                "client_id": cid, "device_code": device_code,
                "expires_in": util::http_date(expires_at), "user_code": user_code,
                "verification_uri": format!("{}/v3/oauth2/device?client_id={}", app.base_url, util::qenc(&cid))
            }),
            "Token created successfully.",
        )
    })
    .await
}

fn loop_user_code() -> String {
    let mut code = util::random_from(util::LETTERS, 8);
    for _ in 0..100 {
        if code.chars().any(|c| c.is_ascii_uppercase())
            && code.chars().any(|c| c.is_ascii_lowercase())
        {
            break;
        }
        code = util::random_from(util::LETTERS, 8);
    }
    code
}

/// Marks the device code with `user_code` as entered by `username`; returns the device code.
pub(crate) fn approve_device(app: &App, user_code: &str, username: &str) -> Result<String, String> {
    let mut st = app.st();
    if !st.users.contains_key(username) {
        return Err(format!("unknown user {username}"));
    }
    let row = st
        .device_codes
        .iter_mut()
        .find(|(_, d)| d.user_code == user_code)
        .ok_or_else(|| format!("no pending device code with user_code {user_code}"))?;
    row.1.status = DeviceStatus::Entered {
        username: username.to_string(),
    };
    Ok(row.0.clone())
}
