//! `POST /v3/oauth2/tokens`: reading the body as 1.6.0 does, then the checks in the real
//! server's order (grant type and the tenant's allow-list, the device code, the client
//! credentials) before handing over to the grant (`grants.rs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::device::DEVICE_ACCESS_TTL;
use super::grants::{auth_code_grant, password_grant, refresh_grant, take_device_code};
use super::issue::{issue, Issue};
use super::python::{py_list, py_str};
use crate::faults::guarded;
use crate::schema::{self, Fields};
use crate::state::App;
use crate::util::{self, v3_err, v3_ok};

/// The tenant's allowable grant types, as a new tenant gets them.
const GRANT_TYPES: &[&str] = &[
    "password",
    "implicit",
    "authorization_code",
    "refresh_token",
    "device_code",
];
const SESSION: &str = "<SecureCookieSession {}>";
/// Fields read by the 1.6.0 form parser (`TokenRequestBody`): no `client_id`, no `device_code`.
const FORM_FIELDS: &[&str] = &[
    "grant_type",
    "username",
    "password",
    "redirect_uri",
    "code",
    "refresh_token",
];

/// Parses a `/tokens` body the way 1.6.0 does: a form through `TokenRequestBody`, anything else
/// through the `NewToken` schema.
fn parse_token_body(headers: &HeaderMap, body: &[u8]) -> Result<Fields, Response> {
    match util::content_type(headers).as_deref() {
        None => Err(v3_err(
            500,
            "Unrecognized exception type: <class 'AttributeError'>. Exception: 'NoneType' object has no attribute 'startswith'",
        )),
        Some("application/x-www-form-urlencoded") => {
            let pairs = util::parse_form(body)
                .ok_or_else(|| v3_err(400, "Invalid POST data; unable to parse form body."))?;
            Ok(pairs
                .into_iter()
                .filter(|(k, v)| FORM_FIELDS.contains(&k.as_str()) && !v.is_empty())
                .collect())
        }
        Some("application/json") => schema::validate(body, &schema::NEW_TOKEN, "POST"),
        Some(other) => Err(v3_err(
            400,
            &format!("Invalid POST data: [MediaTypeNotFound: Content for the following mimetype not found: {other}. Valid mimetypes: ['application/json', 'application/x-www-form-urlencoded']]."),
        )),
    }
}

/// HTTP Basic client credentials as werkzeug reads them: a header that does not parse counts as
/// none.
fn basic(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    match util::basic_auth(headers) {
        Some(Some((id, key))) => (Some(id), Some(key)),
        _ => (None, None),
    }
}

/// The token endpoint's success answer.
pub(super) fn created(result: Value) -> Response {
    v3_ok(result, "Token created successfully.")
}

/// `POST /v3/oauth2/tokens`, checking in the real server's order: the grant type (present, on
/// the tenant's allow-list), the device code (for that grant), the client credentials, then
/// the grant's own parameters.
pub async fn tokens(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match parse_token_body(&headers, &body) {
        Ok(f) => f,
        Err(r) => {
            app.begin("v3.tokens", None);
            return r;
        }
    };
    let grant = fields.get("grant_type").cloned().unwrap_or_default();
    guarded(&app, "v3.tokens", Some(("v3", &grant)), async {
        let r = token_grant(&app, &headers, &fields, &grant);
        if grant == "refresh_token" && !r.status().is_success() {
            app.rejected_refresh("v3");
        }
        r
    })
    .await
}

fn token_grant(app: &App, headers: &HeaderMap, f: &Fields, grant: &str) -> Response {
    if grant.is_empty() {
        return v3_err(400, "Missing the required grant_type parameter.");
    }
    if !GRANT_TYPES.contains(&grant) {
        return v3_err(
            400,
            &format!(
                "Invalid grant_type ({grant}); this grant type is not allowed for this tenant. Allowable grant types: {}",
                py_list(GRANT_TYPES)
            ),
        );
    }
    let (mut client_id, mut client_key) = basic(headers);
    let mut device = None;
    if grant == "device_code" {
        match take_device_code(app, f) {
            Ok((cid, key, d)) => {
                client_id = Some(cid);
                client_key = key;
                device = Some(d);
            }
            Err(r) => return r,
        }
    }
    let anonymous_password = grant == "password" && client_id.is_none() && client_key.is_none();
    if !anonymous_password {
        let known = match (&client_id, &client_key) {
            (Some(id), Some(key)) => app
                .st()
                .v3_clients
                .get(id)
                .is_some_and(|c| &c.client_key == key),
            _ => false,
        };
        if !known {
            return v3_err(
                400,
                &format!(
                    "Invalid client credentials: {}, {}. session: {SESSION}",
                    py_str(&client_id),
                    py_str(&client_key)
                ),
            );
        }
    }
    let cid = client_id.as_deref();
    match grant {
        "password" => password_grant(app, f, cid),
        "refresh_token" => refresh_grant(app, f, cid.unwrap_or_default()),
        "authorization_code" => auth_code_grant(app, f, cid.unwrap_or_default()),
        "device_code" => match device {
            Some(username) => created(issue(
                app,
                Issue {
                    username: &username,
                    client_id: cid,
                    grant: "device_code",
                    refresh: true,
                    access_ttl: DEVICE_ACCESS_TTL,
                    refresh_count: 0,
                    redirect_uri: None,
                },
            )),
            None => v3_err(400, "Invalid grant_type"),
        },
        _ => v3_err(400, "Invalid grant_type"),
    }
}
