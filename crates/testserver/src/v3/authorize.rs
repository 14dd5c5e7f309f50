//! Browser login (authorization code and implicit): `GET /v3/oauth2/authorize` checks the client
//! and the redirect URI, then approves at once (`test_user`, auto-approve) or serves a login page
//! whose form posts to `POST /v3/oauth2/login`; an approved login redirects to the callback.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::issue::{issue, Issue};
use super::python::py_list;
use crate::faults::guarded;
use crate::schema::Fields;
use crate::state::{App, AuthCode, PendingLogin};
use crate::util::{self, v3_err};

/// Escapes text for an HTML page.
pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A 302 to `url`.
fn redirect(url: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = url.parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Approves a pending browser login as `username`; returns the redirect URL.
pub(crate) fn complete_login(
    app: &App,
    login: &PendingLogin,
    username: &str,
) -> Result<String, String> {
    let state = login.state.clone().unwrap_or_else(|| "None".into());
    let mut st = app.st();
    if !st.users.contains_key(username) {
        return Err(format!("unknown user {username}"));
    }
    if login.response_type == "token" {
        let ttl = st.rt.v3_access_ttl;
        drop(st);
        let res = issue(
            app,
            Issue {
                username,
                client_id: Some(&login.client_id),
                grant: "implicit",
                refresh: false,
                access_ttl: ttl,
                refresh_count: 0,
                redirect_uri: Some(login.redirect_uri.clone()),
            },
        );
        let tok = res["access_token"]["access_token"].as_str().unwrap_or("");
        // The state goes in as it came, unencoded, as the real server does.
        return Ok(format!(
            "{}?access_token={}&state={}&expires_in={}&token_type=Bearer",
            login.redirect_uri, tok, state, ttl
        ));
    }
    let code = util::random_from(util::ALNUM, 40);
    st.auth_codes.insert(
        code.clone(),
        AuthCode {
            client_id: login.client_id.clone(),
            username: username.to_string(),
            redirect_uri: login.redirect_uri.clone(),
            expires_at: util::now() + 600,
        },
    );
    Ok(format!(
        "{}?code={}&state={}",
        login.redirect_uri, code, state
    ))
}

/// `GET /v3/oauth2/authorize` (and `/login`): `client_id`, `redirect_uri`, `response_type`, `state`;
/// test extension `test_user=NAME` approves at once.
pub async fn authorize(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    guarded(&app, "v3.authorize", None, async {
        // check_client(), then the tenant's allow-list, in the real order and words.
        let arg = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let Some(cid) = arg("client_id") else {
            return v3_err(400, "Required query parameter client_id missing.");
        };
        let Some(client) = app.st().v3_clients.get(&cid).cloned() else {
            return v3_err(400, "Invalid client.");
        };
        let rt = arg("response_type").unwrap_or_default();
        if !["code", "token", "device_code"].contains(&rt.as_str()) {
            return v3_err(
                400,
                "Required query parameter response_type missing or not supported.",
            );
        }
        let Some(redirect_uri) = arg("redirect_uri") else {
            return v3_err(400, "Required query parameter redirect_uri missing.");
        };
        if redirect_uri != client.callback_url {
            return v3_err(
                400,
                "redirect_uri query parameter does not match the registered callback_url for the client.",
            );
        }
        let grant = match rt.as_str() {
            "token" => "implicit",
            "code" => "authorization_code",
            _ => "device_code",
        };
        let allowed = app.st().rt.v3_grant_types.clone();
        if !allowed.iter().any(|g| g == grant) {
            return v3_err(
                400,
                &format!(
                    "The {grant} grant type is not allowed for this tenant. Allowable grant types: {}",
                    py_list(&allowed)
                ),
            );
        }
        let cid = &cid;
        let login = PendingLogin {
            client_id: cid.clone(),
            redirect_uri,
            response_type: rt,
            state: q.get("state").cloned(),
        };
        let auto = q
            .get("test_user")
            .cloned()
            .or_else(|| app.st().rt.auto_approve_user.clone());
        if let Some(user) = auto {
            return match complete_login(&app, &login, &user) {
                Ok(url) => redirect(&url),
                Err(e) => v3_err(400, &e),
            };
        }
        let id = util::random_from(util::ALNUM, 16);
        let mut st = app.st();
        if st.logins.len() >= 1000 {
            st.logins.remove(0);
        }
        st.logins.push((id.clone(), login));
        Html(format!(
            "<html><body><h1>Tapis test login</h1><form method=\"post\" action=\"/v3/oauth2/login\">\
<input type=\"hidden\" name=\"login_id\" value=\"{id}\">Username <input name=\"username\"><br>\
Password <input type=\"password\" name=\"password\"><br><input type=\"submit\" value=\"Log in\"></form></body></html>"
        ))
        .into_response()
    })
    .await
}

/// `POST /v3/oauth2/login` — form `login_id`, `username`, `password` from the page served by `authorize`.
pub async fn login_submit(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let f: Fields = util::parse_form(&body)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let (id, u, p) = (
        f.get("login_id").cloned().unwrap_or_default(),
        f.get("username").cloned().unwrap_or_default(),
        f.get("password").cloned().unwrap_or_default(),
    );
    let login = {
        let mut st = app.st();
        if st.users.get(&u) != Some(&p) {
            return v3_err(400, "Invalid username/password combination.");
        }
        let Some(pos) = st.logins.iter().position(|(i, _)| *i == id) else {
            return v3_err(400, "No pending login found.");
        };
        st.logins.remove(pos).1
    };
    match complete_login(&app, &login, &u) {
        Ok(url) => redirect(&url),
        Err(e) => v3_err(400, &e),
    }
}
