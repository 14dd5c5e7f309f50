//! Tapis v3 Authenticator, Tenants/Sites and a Java-style protected service endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::faults::guarded;
use crate::state::{App, AuthCode, DeviceCode, DeviceStatus, PendingLogin};
use crate::util::{self, v3_err, v3_ok};

use crate::schema::{self, Fields};

const SESSION: &str = "<SecureCookieSession {}>";
const INVALID_TOKEN: &str = "Invalid Tapis token.";
const NO_TOKEN: &str = "No Tapis access token found in the request.";
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

/// Python's `str()` of an optional string.
fn py_str(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("None")
}

/// Python's `repr()` of a list of strings.
fn py_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|g| format!("'{g}'")).collect();
    format!("[{}]", items.join(", "))
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
        if grant == "refresh_token" {
            if r.status().is_success() {
                app.refreshed("v3");
            } else {
                app.rejected_refresh("v3");
            }
        }
        r
    })
    .await
}

fn token_grant(app: &App, headers: &HeaderMap, f: &Fields, grant: &str) -> Response {
    if grant.is_empty() {
        return v3_err(400, "Missing the required grant_type parameter.");
    }
    let allowed = app.st().rt.v3_grant_types.clone();
    if !allowed.iter().any(|g| g == grant) {
        return v3_err(
            400,
            &format!(
                "Invalid grant_type ({grant}); this grant type is not allowed for this tenant. Allowable grant types: {}",
                py_list(&allowed)
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
            Some((username, ttl)) => created(issue(
                app,
                Issue {
                    username: &username,
                    client_id: cid,
                    grant: "device_code",
                    refresh: true,
                    access_ttl: ttl,
                    refresh_count: 0,
                    redirect_uri: None,
                },
            )),
            None => v3_err(400, "Invalid grant_type"),
        },
        _ => v3_err(400, "Invalid grant_type"),
    }
}

/// A consumed device code: its client id and key, and the (user, TTL) it was entered for.
type TakenCode = (String, Option<String>, (String, i64));

/// The device-code checks, in the real order (`DeviceCode.validate_code` before the client id
/// comparison, so a wrong client id keeps hearing "device code not ready." until the user
/// enters the code): returns the code's client id and key and the (user, TTL) it was entered
/// for, having consumed it.
fn take_device_code(app: &App, f: &Fields) -> Result<TakenCode, Response> {
    let Some(cid) = f.get("client_id") else {
        return Err(v3_err(400, "Required client_id parameter missing."));
    };
    let Some(dc) = f.get("device_code") else {
        return Err(v3_err(400, "Required device_code parameter missing."));
    };
    let mut st = app.st();
    let Some(row) = st.device_codes.get(dc).cloned() else {
        return Err(v3_err(400, "device code not valid."));
    };
    let DeviceStatus::Entered { username, ttl } = row.status else {
        return Err(v3_err(400, "device code not ready."));
    };
    if util::now() > row.expires_at + 6 {
        st.device_codes.remove(dc);
        return Err(v3_err(400, "device code has expired and is now deleted."));
    }
    if &row.client_id != cid {
        return Err(v3_err(
            400,
            "Client IDs do not match between device code and passed in client_id",
        ));
    }
    st.device_codes.remove(dc);
    Ok((row.client_id, row.client_key, (username, ttl)))
}

fn password_grant(app: &App, f: &Fields, client: Option<&str>) -> Response {
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
            client_id: client,
            grant: "password",
            refresh: client.is_some(),
            access_ttl: ttl,
            refresh_count: 0,
            redirect_uri: None,
        },
    ))
}

fn refresh_grant(app: &App, f: &Fields, cid: &str) -> Response {
    let Some(rt) = f.get("refresh_token") else {
        return v3_err(400, "Required refresh_token parameter missing.");
    };
    let invalid = || v3_err(400, "Invalid refresh_token.");
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
            client_id: Some(cid),
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

fn auth_code_grant(app: &App, f: &Fields, cid: &str) -> Response {
    let Some(redirect) = f.get("redirect_uri") else {
        return v3_err(400, "Required redirect_uri parameter missing.");
    };
    let mut st = app.st();
    let callback = st
        .v3_clients
        .get(cid)
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
    let Some(ac) = st
        .auth_codes
        .get(code)
        .cloned()
        .filter(|c| c.client_id == cid)
    else {
        return v3_err(400, "authorization code not valid.");
    };
    if util::now() > ac.expires_at + 6 {
        return v3_err(400, "authorization code has expired.");
    }
    st.auth_codes.remove(code);
    let ttl = st.rt.v3_access_ttl;
    drop(st);
    created(issue(
        app,
        Issue {
            username: &ac.username,
            client_id: Some(cid),
            grant: "authorization_code",
            refresh: true,
            access_ttl: ttl,
            refresh_count: 0,
            redirect_uri: Some(ac.redirect_uri),
        },
    ))
}

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

/// `GET /v3/oauth2/.well-known/oauth-authorization-server`, in the envelope (faithfully wrong
/// `token_endpoint`; `grant_types_supported` is the tenant's allow-list).
pub async fn well_known(State(app): State<Arc<App>>) -> Response {
    guarded(&app, "v3.well_known", None, async {
        let b = &app.base_url;
        let grants = app.st().rt.v3_grant_types.clone();
        v3_ok(
            json!({
                "issuer": format!("{b}/v3/oauth2"), "authorization_endpoint": format!("{b}/v3/oauth2/authorize"),
                "token_endpoint": format!("{b}/v3/oauth2/token"), "jwks_uri": format!("{b}/v3/tenants/{}", app.tenant_id),
                "registration_endpoint": format!("{b}/v3/oauth2/clients"),
                "grant_types_supported": grants
            }),
            "OAuth server metadata retrieved successfully.",
        )
    })
    .await
}
