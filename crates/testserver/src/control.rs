//! Test-only control endpoints under `/_test/` (never counted in stats, never subject to faults).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{App, ConfigPatch, Fault, Stats};
use crate::util::json_status;
use crate::v3;

fn bad(msg: impl Into<String>) -> Response {
    json_status(400, json!({"error": msg.into()}))
}

fn parse<T: for<'a> Deserialize<'a>>(body: &[u8]) -> Result<T, Response> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON: {e}")))
}

/// `GET /_test/stats`.
pub async fn stats(State(app): State<Arc<App>>) -> Response {
    json_status(200, json!(app.st().stats))
}

/// `POST /_test/stats/reset`.
pub async fn reset_stats(State(app): State<Arc<App>>) -> Response {
    app.st().stats = Stats::default();
    json_status(200, json!({"reset": true}))
}

/// `POST /_test/config` with a partial [`ConfigPatch`]; returns the new runtime config.
pub async fn set_config(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let patch: ConfigPatch = match parse(&body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut st = app.st();
    st.rt.apply(&patch);
    json_status(200, json!(st.rt))
}

/// `POST /_test/faults` with one [`Fault`] or an array of them.
pub async fn add_faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let v: Value = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let list: Result<Vec<Fault>, _> = if v.is_array() {
        serde_json::from_value(v)
    } else {
        serde_json::from_value(v).map(|f| vec![f])
    };
    match list {
        Ok(list) => {
            let n = list.len();
            app.st().faults.extend(list);
            json_status(200, json!({"queued": n}))
        }
        Err(e) => bad(format!("invalid fault: {e}")),
    }
}

/// `DELETE /_test/faults`.
pub async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    let mut st = app.st();
    let n = st.faults.len();
    st.faults.clear();
    json_status(200, json!({"cleared": n}))
}

#[derive(Deserialize)]
struct ApproveDevice {
    user_code: String,
    username: Option<String>,
}

fn default_user(app: &App) -> String {
    let st = app.st();
    if st.users.contains_key("testuser") {
        return "testuser".into();
    }
    let mut names: Vec<&String> = st.users.keys().collect();
    names.sort();
    names.first().map(|s| s.to_string()).unwrap_or_default()
}

/// `POST /_test/device/approve` `{"user_code", "username"?}`.
pub async fn approve_device(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let req: ApproveDevice = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let user = req.username.unwrap_or_else(|| default_user(&app));
    match v3::device::approve_device(&app, &req.user_code, &user) {
        Ok(dc) => json_status(
            200,
            json!({"approved": true, "device_code": dc, "username": user}),
        ),
        Err(e) => json_status(404, json!({"error": e})),
    }
}

/// `GET /_test/device/pending`.
pub async fn pending_devices(State(app): State<Arc<App>>) -> Response {
    let st = app.st();
    let list: Vec<Value> = st
        .device_codes
        .values()
        .map(|d| {
            json!({"user_code": d.user_code, "client_id": d.client_id,
                   "entered": matches!(d.status, crate::state::DeviceStatus::Entered { .. }),
                   "expires_at": d.expires_at})
        })
        .collect();
    json_status(200, json!(list))
}

/// Body of `POST /_test/mint`.
#[derive(Deserialize, Default)]
pub(crate) struct Mint {
    pub username: Option<String>,
    pub ttl: Option<i64>,
    pub client_id: Option<String>,
    pub refresh: Option<bool>,
}

/// Mints a v3 token pair directly (no request counted).
pub(crate) fn mint_v3(app: &App, m: Mint) -> Value {
    let user = m.username.unwrap_or_else(|| default_user(app));
    let ttl = m.ttl.unwrap_or_else(|| app.st().rt.v3_access_ttl);
    let refresh = m.refresh.unwrap_or(m.client_id.is_some());
    v3::issue::issue(
        app,
        v3::issue::Issue {
            username: &user,
            client_id: m.client_id.as_deref(),
            grant: "password",
            refresh,
            access_ttl: ttl,
            refresh_count: 0,
            redirect_uri: None,
        },
    )
}

/// `POST /_test/mint` `{"username"?, "ttl"?, "client_id"?, "refresh"?}` — a v3 token result
/// (negative `ttl` = already expired).
pub async fn mint(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match parse::<Mint>(&body) {
        Ok(m) => json_status(200, mint_v3(&app, m)),
        Err(r) => r,
    }
}
