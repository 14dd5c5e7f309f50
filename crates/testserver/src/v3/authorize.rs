//! Browser login (authorization code and implicit): `GET /v3/oauth2/authorize` checks the client
//! and the redirect URI in the real server's order and words, then approves at once as the user
//! named by the test extension `test_user=NAME` and redirects to the callback with a code (or,
//! for `response_type=token`, the access token) and the `state`, inserted raw.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::issue::{issue, Issue};
use crate::faults::guarded;
use crate::state::{App, AuthCode};
use crate::util::{self, v3_err};

/// A browser login the authorize request asked for.
struct Login {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    state: Option<String>,
}

/// A 302 to `url`.
fn redirect(url: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = url.parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Approves a browser login as `username`; returns the redirect URL.
fn complete_login(app: &App, login: &Login, username: &str) -> Result<String, String> {
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

/// `GET /v3/oauth2/authorize`: `client_id`, `redirect_uri`, `response_type`, `state`; the test
/// extension `test_user=NAME` approves at once. Without it the answer is a page (as the real
/// server's login page is) saying so: nobody can log in on it.
pub async fn authorize(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    guarded(&app, "v3.authorize", None, async {
        // check_client(), then the redirect URI, in the real order and words (every response
        // type is on the tenant's allow-list).
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
        let Some(user) = q.get("test_user") else {
            return Html(
                "<html><body><h1>Tapis test login</h1><p>This test server logs in only the user \
that <code>test_user=NAME</code> in the authorize URL names.</p></body></html>",
            )
            .into_response();
        };
        let login = Login {
            client_id: cid,
            redirect_uri,
            response_type: rt,
            state: q.get("state").cloned(),
        };
        match complete_login(&app, &login, user) {
            Ok(url) => redirect(&url),
            Err(e) => v3_err(400, &e),
        }
    })
    .await
}
