//! Tapis v3 Authenticator, Tenants/Sites and a Java-style protected service endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::faults::guarded;
use crate::state::{App, AuthCode, DeviceCode, DeviceStatus, PendingLogin, V3Client};
use crate::util::{self, v3_err, v3_ok};

type Fields = HashMap<String, String>;

const BASIC_MISSING: &str =
    "Invalid headers. Basic authentication with client id and key required but missing.";
const SESSION: &str = "<SecureCookieSession {}>";
const INVALID_TOKEN: &str = "Invalid Tapis token.";
const NO_TOKEN: &str = "No Tapis access token found in the request.";
/// Fields read by the 1.6.0 form parser.
const FORM_FIELDS: &[&str] = &[
    "grant_type",
    "username",
    "password",
    "redirect_uri",
    "code",
    "refresh_token",
];

fn json_fields(v: &Value) -> Option<Fields> {
    let obj = v.as_object()?;
    let mut out = Fields::new();
    for (k, v) in obj {
        match v {
            Value::Null => {}
            Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            other => {
                out.insert(k.clone(), other.to_string());
            }
        }
    }
    Some(out)
}

/// Parses a `/tokens` body the way 1.6.0 does.
fn parse_token_body(headers: &HeaderMap, body: &[u8]) -> Result<Fields, Response> {
    match util::content_type(headers).as_deref() {
        None => Err(v3_err(
            500,
            "Unrecognized exception type: <class 'AttributeError'>. Exception: 'NoneType' object has no attribute 'startswith'",
        )),
        Some("application/json") => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| json_fields(&v))
            .ok_or_else(|| v3_err(400, "Invalid POST data; unable to parse JSON body.")),
        Some("application/x-www-form-urlencoded") => {
            let pairs = util::parse_form(body)
                .ok_or_else(|| v3_err(400, "Invalid POST data; unable to parse form body."))?;
            Ok(pairs
                .into_iter()
                .filter(|(k, _)| FORM_FIELDS.contains(&k.as_str()))
                .collect())
        }
        Some(other) => Err(v3_err(
            400,
            &format!("Invalid content type {other}; application/json or application/x-www-form-urlencoded required."),
        )),
    }
}

/// Checks HTTP Basic client credentials. `Ok(None)` only when absent and not required.
fn client_from_basic(
    app: &App,
    headers: &HeaderMap,
    required: bool,
) -> Result<Option<(String, String)>, Response> {
    match util::basic_auth(headers) {
        None if !required => Ok(None),
        None | Some(None) => Err(v3_err(400, BASIC_MISSING)),
        Some(Some((id, key))) => {
            let ok = app
                .st()
                .v3_clients
                .get(&id)
                .is_some_and(|c| c.client_key == key);
            if ok {
                Ok(Some((id, key)))
            } else {
                Err(v3_err(
                    400,
                    &format!("Invalid client credentials: {id}, {key}. session: {SESSION}"),
                ))
            }
        }
    }
}

/// Parameters of a token issue.
pub(crate) struct Issue<'a> {
    pub username: &'a str,
    pub client_id: Option<&'a str>,
    pub grant: &'a str,
    pub refresh: bool,
    pub access_ttl: i64,
    pub refresh_count: i64,
    pub redirect_uri: Option<String>,
}

/// Mints an access (and optionally refresh) token; returns the `result` object of §3.2.
pub(crate) fn issue(app: &App, i: Issue<'_>) -> Value {
    let (refresh_ttl, now) = (app.st().rt.v3_refresh_ttl, util::now_f64());
    let tenant = &app.tenant_id;
    let iss = format!("{}/v3/tokens", app.base_url);
    let sub = format!("{}@{}", i.username, tenant);
    let jti = util::uuid4();
    let exp_f = now + i.access_ttl as f64;
    let mut claims = Map::new();
    claims.insert("jti".into(), json!(jti));
    claims.insert("iss".into(), json!(iss));
    claims.insert("sub".into(), json!(sub));
    claims.insert("tapis/tenant_id".into(), json!(tenant));
    claims.insert("tapis/token_type".into(), json!("access"));
    claims.insert("tapis/delegation".into(), json!(false));
    claims.insert("tapis/delegation_sub".into(), Value::Null);
    claims.insert("tapis/username".into(), json!(i.username));
    claims.insert("tapis/account_type".into(), json!("user"));
    claims.insert("tapis/client_id".into(), json!(i.client_id));
    claims.insert("tapis/grant_type".into(), json!(i.grant));
    if i.refresh {
        claims.insert("tapis/refresh_count".into(), json!(i.refresh_count));
    }
    if let Some(r) = &i.redirect_uri {
        claims.insert("tapis/redirect_uri".into(), json!(r));
    }
    let mut embedded = claims.clone();
    claims.insert("exp".into(), json!(exp_f.floor() as i64));
    let access = app.keys.sign(&Value::Object(claims));
    let mut result = json!({
        "access_token": {
            "access_token": access, "expires_at": util::iso_micros(exp_f),
            "expires_in": i.access_ttl, "jti": jti, "id_token": access
        }
    });
    if i.refresh {
        embedded.insert("ttl".into(), json!(i.access_ttl));
        let rjti = util::uuid4();
        let rexp = now + refresh_ttl as f64;
        let rclaims = json!({
            "jti": rjti, "iss": iss, "sub": sub, "exp": rexp.floor() as i64,
            "tapis/tenant_id": tenant, "tapis/token_type": "refresh",
            "tapis/initial_ttl": refresh_ttl, "tapis/access_token": Value::Object(embedded)
        });
        result["refresh_token"] = json!({
            "refresh_token": app.keys.sign(&rclaims), "expires_at": util::iso_micros(rexp),
            "expires_in": refresh_ttl, "jti": rjti
        });
    }
    result
}

fn created(result: Value) -> Response {
    v3_ok(result, "Token created successfully.")
}

/// Token check outcome for incoming JWTs.
pub(crate) enum TokCheck {
    Ok(Value),
    Expired(Value),
    Revoked(Value),
    Invalid(String),
}

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
fn require_user(app: &App, headers: &HeaderMap) -> Result<(String, Value), Response> {
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

/// `POST /v3/oauth2/tokens`.
pub async fn tokens(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match parse_token_body(&headers, &body) {
        Ok(f) => f,
        Err(r) => {
            app.begin("v3.tokens", None);
            return r;
        }
    };
    let grant = fields.get("grant_type").cloned().unwrap_or_default();
    let is_json = util::content_type(&headers).as_deref() == Some("application/json");
    guarded(&app, "v3.tokens", Some(("v3", &grant)), async {
        match grant.as_str() {
            "password" => password_grant(&app, &headers, &fields),
            "refresh_token" => {
                let r = refresh_grant(&app, &headers, &fields);
                if r.status().is_success() {
                    app.refreshed("v3");
                } else {
                    app.rejected_refresh("v3");
                }
                r
            }
            "authorization_code" => auth_code_grant(&app, &headers, &fields),
            "device_code" => device_grant(&app, &fields, is_json),
            _ => v3_err(400, "Invalid grant_type"),
        }
    })
    .await
}

fn password_grant(app: &App, headers: &HeaderMap, f: &Fields) -> Response {
    let client = match client_from_basic(app, headers, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (Some(u), Some(p)) = (f.get("username"), f.get("password")) else {
        return v3_err(400, "Missing required payload data; username and password are required for the password grant type.");
    };
    let (ok, ttl) = {
        let st = app.st();
        (st.users.get(u).is_some_and(|x| x == p), st.rt.v3_access_ttl)
    };
    if !ok {
        return v3_err(400, "Invalid username/password combination.");
    }
    created(issue(
        app,
        Issue {
            username: u,
            client_id: client.as_ref().map(|c| c.0.as_str()),
            grant: "password",
            refresh: client.is_some(),
            access_ttl: ttl,
            refresh_count: 0,
            redirect_uri: None,
        },
    ))
}

fn refresh_grant(app: &App, headers: &HeaderMap, f: &Fields) -> Response {
    let (cid, _) = match client_from_basic(app, headers, true) {
        Ok(Some(c)) => c,
        Ok(None) => return v3_err(400, BASIC_MISSING),
        Err(r) => return r,
    };
    let invalid = || v3_err(400, "Invalid refresh_token.");
    let Some(rt) = f.get("refresh_token") else {
        return invalid();
    };
    let claims = match check_jwt(app, rt) {
        TokCheck::Ok(c) => c,
        _ => return invalid(),
    };
    let ttype = claims["tapis/token_type"].as_str().unwrap_or("None");
    if ttype != "refresh" {
        return v3_err(400, &format!("Invalid token type. The refresh_token grant type required a token of type refresh. Instead a token of type {ttype} was passed."));
    }
    let Some(at) = claims.get("tapis/access_token").and_then(Value::as_object) else {
        return v3_err(
            400,
            "Invalid refresh_token format; this token was missing the access_token claim.",
        );
    };
    let token_cid = at
        .get("tapis/client_id")
        .and_then(Value::as_str)
        .unwrap_or("None");
    if token_cid != cid {
        return v3_err(
            400,
            &format!("client_id from header ({cid}) does not match the client_id in the token claim ({token_cid})."),
        );
    }
    let ttl = {
        let mut st = app.st();
        let jti = claims["jti"].as_str().unwrap_or("").to_string();
        if st.rt.v3_single_use_refresh && !st.used_refresh.insert(jti) {
            return invalid();
        }
        st.rt.v3_access_ttl
    };
    let username = at
        .get("tapis/username")
        .and_then(Value::as_str)
        .unwrap_or("");
    created(issue(
        app,
        Issue {
            username,
            client_id: Some(&cid),
            grant: "refresh_token",
            refresh: true,
            access_ttl: ttl,
            refresh_count: at
                .get("tapis/refresh_count")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1,
            redirect_uri: at
                .get("tapis/redirect_uri")
                .and_then(Value::as_str)
                .map(String::from),
        },
    ))
}

fn auth_code_grant(app: &App, headers: &HeaderMap, f: &Fields) -> Response {
    let (cid, _) = match client_from_basic(app, headers, true) {
        Ok(Some(c)) => c,
        Ok(None) => return v3_err(400, BASIC_MISSING),
        Err(r) => return r,
    };
    let Some(redirect) = f.get("redirect_uri") else {
        return v3_err(400, "Required redirect_uri parameter missing.");
    };
    let mut st = app.st();
    let callback = st
        .v3_clients
        .get(&cid)
        .map(|c| c.callback_url.clone())
        .unwrap_or_default();
    if &callback != redirect {
        return v3_err(
            400,
            "Invalid redirect_uri parameter: does not match callback URL registered with client.",
        );
    }
    let Some(code) = f.get("code") else {
        return v3_err(400, "Required authorization_code parameter missing.");
    };
    let Some(ac) = st.auth_codes.get(code).cloned() else {
        return v3_err(400, "authorization code not valid.");
    };
    if ac.client_id != cid {
        return v3_err(400, "authorization code not valid.");
    }
    st.auth_codes.remove(code);
    if util::now() > ac.expires_at + 6 {
        return v3_err(400, "authorization code has expired.");
    }
    let ttl = st.rt.v3_access_ttl;
    drop(st);
    created(issue(
        app,
        Issue {
            username: &ac.username,
            client_id: Some(&cid),
            grant: "authorization_code",
            refresh: true,
            access_ttl: ttl,
            refresh_count: 0,
            redirect_uri: Some(ac.redirect_uri),
        },
    ))
}

fn device_grant(app: &App, f: &Fields, _is_json: bool) -> Response {
    let Some(cid) = f.get("client_id") else {
        return v3_err(400, "Required client_id parameter missing.");
    };
    let Some(dc) = f.get("device_code") else {
        return v3_err(400, "Required device_code parameter missing.");
    };
    let mut st = app.st();
    let Some(row) = st.device_codes.get(dc).cloned() else {
        return v3_err(400, "device code not valid.");
    };
    if &row.client_id != cid {
        return v3_err(
            400,
            "Client IDs do not match between device code and passed in client_id",
        );
    }
    let DeviceStatus::Entered { username, ttl } = row.status else {
        return v3_err(400, "device code not ready.");
    };
    st.device_codes.remove(dc);
    if util::now() > row.expires_at + 6 {
        return v3_err(400, "device code has expired and is now deleted.");
    }
    drop(st);
    created(issue(
        app,
        Issue {
            username: &username,
            client_id: Some(cid),
            grant: "device_code",
            refresh: true,
            access_ttl: ttl,
            refresh_count: 0,
            redirect_uri: None,
        },
    ))
}

/// `POST /v3/oauth2/device/code` (JSON only).
pub async fn device_code(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&app, "v3.device_code", None, async {
        if util::content_type(&headers).as_deref() != Some("application/json") {
            return v3_err(
                400,
                "Invalid POST data; the request body must be application/json.",
            );
        }
        let fields = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| json_fields(&v));
        let Some(cid) = fields.as_ref().and_then(|f| f.get("client_id")).cloned() else {
            return v3_err(400, "Required client_id parameter missing.");
        };
        let mut st = app.st();
        if !st.v3_clients.contains_key(&cid) {
            return v3_err(400, &format!("Invalid client: {cid}"));
        }
        let device_code = util::random_from(util::ALNUM, 40);
        let user_code = loop_user_code();
        let expires_at = util::now() + st.rt.v3_device_code_lifetime;
        st.device_codes.insert(
            device_code.clone(),
            DeviceCode {
                user_code: user_code.clone(),
                client_id: cid.clone(),
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

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

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
        return Ok(format!(
            "{}?access_token={}&state={}&expires_in={}&token_type=Bearer",
            login.redirect_uri,
            tok,
            util::qenc(&state),
            ttl
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
        login.redirect_uri,
        code,
        util::qenc(&state)
    ))
}

/// `GET /v3/oauth2/authorize` (and `/login`): `client_id`, `redirect_uri`, `response_type`, `state`;
/// test extension `test_user=NAME` approves at once.
pub async fn authorize(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    guarded(&app, "v3.authorize", None, async {
        let Some(cid) = q.get("client_id") else {
            return v3_err(400, "Required query parameter client_id missing.");
        };
        let Some(client) = app.st().v3_clients.get(cid).cloned() else {
            return v3_err(400, &format!("Invalid client: {cid}"));
        };
        let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
        if redirect_uri != client.callback_url {
            return v3_err(400, "Invalid redirect_uri parameter: does not match callback URL registered with client.");
        }
        let rt = q.get("response_type").cloned().unwrap_or_else(|| "code".into());
        if !["code", "token", "device_code"].contains(&rt.as_str()) {
            return v3_err(400, &format!("Invalid response_type: {rt}"));
        }
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

/// `GET /v3/oauth2/clients`.
pub async fn list_clients(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    guarded(&app, "v3.clients", None, async {
        let (user, _) = match require_user(&app, &headers) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let inactive = q.get("show_inactive").is_some_and(|v| !v.is_empty());
        let st = app.st();
        let mut list: Vec<&V3Client> = st
            .v3_clients
            .values()
            .filter(|c| c.owner == user && (c.active || inactive))
            .collect();
        list.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        let out: Vec<Value> = list.iter().map(|c| c.to_json(&app.tenant_id)).collect();
        v3_ok(json!(out), "Clients retrieved successfully.")
    })
    .await
}

/// `POST /v3/oauth2/clients` (JSON `NewClient`).
pub async fn create_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    guarded(&app, "v3.clients", None, async {
        let (user, _) = match require_user(&app, &headers) {
            Ok(x) => x,
            Err(r) => return r,
        };
        let f = if body.is_empty() {
            Some(Fields::new())
        } else {
            serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| json_fields(&v))
        };
        let Some(f) = f else {
            return v3_err(400, "Invalid POST data; unable to parse JSON body.");
        };
        let id = f
            .get("client_id")
            .cloned()
            .unwrap_or_else(|| util::random_from(util::ALNUM, 13));
        let key = f
            .get("client_key")
            .cloned()
            .unwrap_or_else(|| util::random_from(util::ALNUM, 13));
        for (field, max) in [
            ("client_id", 80),
            ("client_key", 80),
            ("callback_url", 200),
            ("display_name", 50),
            ("description", 70),
        ] {
            if f.get(field).is_some_and(|v| v.chars().count() > max) {
                return v3_err(400, &format!("Invalid POST data; {field} is too long (maximum {max} characters)."));
            }
        }
        let mut st = app.st();
        if st.v3_clients.contains_key(&id) {
            return v3_err(400, &format!("Invalid POST data; This change would violate uniqueness constraints. Details: duplicate key value violates unique constraint \"clients_client_id_key\" DETAIL: Key (client_id)=({id}) already exists."));
        }
        let now = util::now();
        let c = V3Client {
            client_id: id.clone(),
            client_key: key,
            owner: user,
            callback_url: f.get("callback_url").cloned().unwrap_or_default(),
            display_name: f
                .get("display_name")
                .cloned()
                .unwrap_or_else(|| id.chars().take(50).collect()),
            description: f.get("description").cloned().unwrap_or_default(),
            active: true,
            create_time: now,
            last_update_time: now,
        };
        let out = c.to_json(&app.tenant_id);
        st.v3_clients.insert(id, c);
        v3_ok(out, "Client created successfully.")
    })
    .await
}

fn owned_client(app: &App, headers: &HeaderMap, id: &str) -> Result<V3Client, Response> {
    let (user, _) = require_user(app, headers)?;
    let st = app.st();
    let c = st
        .v3_clients
        .get(id)
        .ok_or_else(|| v3_err(400, &format!("No client found with id {id}.")))?;
    if c.owner != user {
        return Err(v3_err(400, "Not authorized for this client."));
    }
    Ok(c.clone())
}

/// `GET /v3/oauth2/clients/{id}`.
pub async fn get_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, "v3.client", None, async {
        match owned_client(&app, &headers, &id) {
            Ok(c) => v3_ok(
                c.to_json(&app.tenant_id),
                "Client object retrieved successfully.",
            ),
            Err(r) => r,
        }
    })
    .await
}

/// `DELETE /v3/oauth2/clients/{id}` (soft delete).
pub async fn delete_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, "v3.client", None, async {
        if let Err(r) = owned_client(&app, &headers, &id) {
            return r;
        }
        let mut st = app.st();
        let Some(c) = st.v3_clients.get_mut(&id) else {
            return v3_err(400, &format!("No client found with id {id}."));
        };
        c.active = false;
        c.last_update_time = util::now();
        v3_ok(
            c.to_json(&app.tenant_id),
            "Client status updated to inactive successfully",
        )
    })
    .await
}

/// `GET /v3/oauth2/userinfo`.
pub async fn userinfo(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.userinfo", None, async {
        match require_user(&app, &headers) {
            Ok((u, _)) => v3_ok(
                json!({
                    "username": u, "given_name": u, "last_name": "Tester",
                    "email": format!("{u}@example.org"), "phone": null, "mobile_phone": null,
                    "create_time": null, "dn": format!("uid={u},ou=People,dc=test"), "uid": 1000
                }),
                "User profile retrieved successfully.",
            ),
            Err(r) => r,
        }
    })
    .await
}

/// `POST /v3/oauth2/tokens/revoke` (JSON `{"token"}`; form accepted too).
pub async fn revoke(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&app, "v3.revoke", None, async {
        let f = if util::content_type(&headers).as_deref() == Some("application/x-www-form-urlencoded") {
            util::parse_form(&body).map(|p| p.into_iter().collect::<Fields>())
        } else {
            serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| json_fields(&v))
        };
        let Some(token) = f.and_then(|f| f.get("token").cloned()) else {
            return v3_err(400, "Invalid POST data; token is required.");
        };
        match check_jwt(&app, &token) {
            TokCheck::Ok(c) | TokCheck::Revoked(c) => {
                let jti = c["jti"].as_str().unwrap_or("").to_string();
                app.st().revoked.insert(jti.clone());
                v3_ok(json!(""), &format!("Token {jti} has been revoked."))
            }
            TokCheck::Expired(_) => v3_err(
                400,
                "Invalid POST data; could not validate the token: debug data: Signature has expired",
            ),
            TokCheck::Invalid(e) => v3_err(
                400,
                &format!("Invalid POST data; could not validate the token: debug data: {e}"),
            ),
        }
    })
    .await
}

/// The tenant record.
pub(crate) fn tenant_json(app: &App) -> Value {
    let b = &app.base_url;
    let t = util::http_date(app.started);
    json!({
        "tenant_id": app.tenant_id, "base_url": b, "site_id": "test", "status": "ACTIVE",
        "token_service": format!("{b}/v3/tokens"), "security_kernel": format!("{b}/v3/security"),
        "authenticator": format!("{b}/v3/oauth2"), "owner": "admin@example.org", "admin_user": "admin",
        "token_gen_services": ["authenticator"], "create_time": t, "created_by": "admin",
        "last_update_time": t, "last_updated_by": "admin", "public_key": app.keys.public_pem(),
        "user_ldap_connection_id": "test-ldap", "description": "libtapis_auth local test tenant."
    })
}

/// Validates an optional `X-Tapis-Token` on public endpoints.
fn optional_token_ok(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    match headers.get("x-tapis-token").and_then(|v| v.to_str().ok()) {
        None => Ok(()),
        Some(t) => match check_jwt(app, t.trim()) {
            TokCheck::Ok(_) => Ok(()),
            _ => Err(v3_err(400, INVALID_TOKEN)),
        },
    }
}

/// `GET /v3/tenants`.
pub async fn tenants(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.tenants", None, async {
        if let Err(r) = optional_token_ok(&app, &headers) {
            return r;
        }
        v3_ok(
            json!([tenant_json(&app)]),
            "Tenants retrieved successfully.",
        )
    })
    .await
}

/// `GET /v3/tenants/{id}`.
pub async fn tenant(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, "v3.tenant", None, async {
        if let Err(r) = optional_token_ok(&app, &headers) {
            return r;
        }
        if id != app.tenant_id {
            return v3_err(400, &format!("No tenant found with tenant_id {id}."));
        }
        v3_ok(tenant_json(&app), "Tenant retrieved successfully.")
    })
    .await
}

/// `GET /v3/sites`.
pub async fn sites(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.sites", None, async {
        if let Err(r) = optional_token_ok(&app, &headers) {
            return r;
        }
        let t = util::http_date(app.started);
        v3_ok(
            json!([{
                "site_id": "test", "base_url": app.base_url, "primary": true,
                "services": ["authenticator", "tokens", "tenants", "systems"],
                "tenant_base_url_template": "", "site_admin_tenant_id": "admin",
                "create_time": t, "created_by": "admin", "last_update_time": t, "last_updated_by": "admin"
            }]),
            "Sites retrieved successfully.",
        )
    })
    .await
}

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

/// `GET /v3/test/whoami` — like `/v3/systems` but returns the token's identity.
pub async fn whoami(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v3.whoami", None, async {
        match java_filter(&app, &headers) {
            Ok(c) => java_ok(
                json!({
                    "username": c["tapis/username"], "tenant_id": c["tapis/tenant_id"],
                    "client_id": c["tapis/client_id"], "grant_type": c["tapis/grant_type"],
                    "jti": c["jti"], "exp": c["exp"]
                }),
                "TAPIS_FOUND whoami",
            ),
            Err(r) => r,
        }
    })
    .await
}

/// `GET /v3/oauth2/.well-known/oauth-authorization-server` (faithfully wrong `token_endpoint`).
pub async fn well_known(State(app): State<Arc<App>>) -> Response {
    guarded(&app, "v3.well_known", None, async {
        let b = &app.base_url;
        util::json_status(
            200,
            json!({
                "issuer": format!("{b}/v3/oauth2"), "authorization_endpoint": format!("{b}/v3/oauth2/authorize"),
                "token_endpoint": format!("{b}/v3/oauth2/token"), "jwks_uri": format!("{b}/v3/tenants/{}", app.tenant_id),
                "registration_endpoint": format!("{b}/v3/oauth2/clients"),
                "grant_types_supported": ["password", "implicit", "authorization_code", "refresh_token", "device_code"]
            }),
        )
    })
    .await
}
