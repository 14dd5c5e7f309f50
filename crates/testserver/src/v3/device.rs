//! Device login: `POST /v3/oauth2/device/code` makes a device code and user code, the user
//! enters it (the `/v3/oauth2/device` page, or the test control endpoint through
//! [`approve_device`]), and the token endpoint's device grant takes it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::authorize::html_escape;
use crate::faults::guarded;
use crate::schema::{self, Fields};
use crate::state::{App, DeviceCode, DeviceStatus};
use crate::util::{self, v3_err, v3_ok};

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

/// Marks the device code with `user_code` as entered by `username` (token TTL `ttl` seconds or the configured default).
pub(crate) fn approve_device(
    app: &App,
    user_code: &str,
    username: &str,
    ttl: Option<i64>,
) -> Result<String, String> {
    let mut st = app.st();
    if !st.users.contains_key(username) {
        return Err(format!("unknown user {username}"));
    }
    let default_ttl = st.rt.v3_device_access_ttl;
    let row = st
        .device_codes
        .iter_mut()
        .find(|(_, d)| d.user_code == user_code)
        .ok_or_else(|| format!("no pending device code with user_code {user_code}"))?;
    row.1.status = DeviceStatus::Entered {
        username: username.to_string(),
        ttl: ttl.unwrap_or(default_ttl),
    };
    Ok(row.0.clone())
}

/// `GET /v3/oauth2/device` — a minimal user-code entry page for manual use.
pub async fn device_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let cid = q.get("client_id").cloned().unwrap_or_default();
    Html(format!(
        "<html><body><h1>Tapis test device login</h1><form method=\"post\" action=\"/v3/oauth2/device\">\
<input type=\"hidden\" name=\"client_id\" value=\"{}\">User code <input name=\"user_code\"><br>\
Username <input name=\"username\"><br>Password <input type=\"password\" name=\"password\"><br>\
<input type=\"submit\" value=\"Approve\"></form></body></html>",
        html_escape(&cid)
    ))
    .into_response()
}

/// `POST /v3/oauth2/device` — form `user_code`, `username`, `password`.
pub async fn device_submit(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let f: Fields = util::parse_form(&body)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let (u, p, c) = (
        f.get("username").cloned().unwrap_or_default(),
        f.get("password").cloned().unwrap_or_default(),
        f.get("user_code").cloned().unwrap_or_default(),
    );
    if app.st().users.get(&u) != Some(&p) {
        return Html(
            "<html><body>Invalid username/password combination.</body></html>".to_string(),
        )
        .into_response();
    }
    match approve_device(&app, &c, &u, None) {
        Ok(_) => Html(
            "<html><body>Device approved. You may close this window.</body></html>".to_string(),
        )
        .into_response(),
        Err(e) => Html(format!("<html><body>{}</body></html>", html_escape(&e))).into_response(),
    }
}
