//! Agave v2 (WSO2 gateway) endpoints: tenants, clients, token, revoke, profile.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::faults::guarded;
use crate::state::{App, V2Client, V2Token};
use crate::util::{self, json_status, v2_env};

/// `GET /tenants`.
pub async fn tenants(State(app): State<Arc<App>>) -> Response {
    guarded(&app, "v2.tenants", None, async {
        v2_env(
            200,
            true,
            json!([{
                "id": "1", "name": "libtapis_auth test tenant (v2)",
                "baseUrl": format!("{}/", app.base_url), "code": app.v2_code,
                "contact": [{"name": "Admin", "email": "admin@example.org", "url": "", "type": "admin", "primary": true}]
            }]),
            "",
        )
    })
    .await
}

fn user_basic(app: &App, headers: &HeaderMap) -> Result<String, Response> {
    let deny = || {
        v2_env(
            401,
            false,
            Value::Null,
            "Login failed.Please recheck the username and password and try again.",
        )
    };
    let Some(Some((u, p))) = util::basic_auth(headers) else {
        return Err(deny());
    };
    if app.st().users.get(&u) == Some(&p) {
        Ok(u)
    } else {
        Err(deny())
    }
}

fn client_json(app: &App, c: &V2Client, with_secret: bool) -> Value {
    let b = &app.base_url;
    let mut v = json!({
        "_links": {
            "self": {"href": format!("{b}/clients/v2/{}", c.name)},
            "subscriber": {"href": format!("{b}/profiles/v2/{}", c.owner)},
            "subscriptions": {"href": format!("{b}/clients/v2/{}/subscriptions/", c.name)}
        },
        "callbackUrl": c.callback_url, "consumerKey": c.key, "description": c.description,
        "name": c.name, "tier": c.tier
    });
    if with_secret {
        v["consumerSecret"] = json!(c.secret);
    }
    v
}

/// `POST /clients/v2` (JSON `{clientName, description}` or form).
pub async fn create_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    guarded(&app, "v2.clients", None, async {
        let user = match user_basic(&app, &headers) {
            Ok(u) => u,
            Err(r) => return r,
        };
        let fields: HashMap<String, String> =
            if util::content_type(&headers).as_deref() == Some("application/json") {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Object(m)) => m
                        .into_iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                        .collect(),
                    _ => return v2_env(400, false, Value::Null, "Invalid JSON body."),
                }
            } else {
                util::parse_form(&body)
                    .unwrap_or_default()
                    .into_iter()
                    .collect()
            };
        let Some(name) = fields
            .get("clientName")
            .or_else(|| fields.get("name"))
            .filter(|n| !n.is_empty())
            .cloned()
        else {
            return v2_env(400, false, Value::Null, "No client name provided.");
        };
        let mut st = app.st();
        if st.v2_clients.contains_key(&name) {
            return v2_env(
                400,
                false,
                Value::Null,
                &format!("An application with name {name} already exists for user {user}."),
            );
        }
        let c = V2Client {
            name: name.clone(),
            key: util::random_from(util::ALNUM, 28),
            secret: util::random_from(util::ALNUM, 28),
            owner: user,
            description: fields.get("description").cloned().unwrap_or_default(),
            callback_url: fields.get("callbackUrl").cloned().unwrap_or_default(),
            tier: fields
                .get("tier")
                .cloned()
                .unwrap_or_else(|| "Unlimited".into()),
        };
        let out = client_json(&app, &c, true);
        st.v2_clients.insert(name, c);
        v2_env(201, true, out, "Client created successfully.")
    })
    .await
}

/// `GET /clients/v2`.
pub async fn list_clients(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v2.clients", None, async {
        let user = match user_basic(&app, &headers) {
            Ok(u) => u,
            Err(r) => return r,
        };
        let st = app.st();
        let mut list: Vec<&V2Client> = st.v2_clients.values().filter(|c| c.owner == user).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        let out: Vec<Value> = list.iter().map(|c| client_json(&app, c, false)).collect();
        v2_env(200, true, json!(out), "")
    })
    .await
}

/// `GET` and `DELETE /clients/v2/{name}`, as the clients service does them: `GET` looks the name
/// up among the user's own applications (`400 "Application not found"` otherwise, whoever owns
/// it); `DELETE` asks WSO2 to remove the user's application of that name and reports success
/// whether or not there was one (the service does not check), removing only the user's own.
pub async fn client(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    guarded(&app, "v2.client", None, async {
        let user = match user_basic(&app, &headers) {
            Ok(u) => u,
            Err(r) => return r,
        };
        let mut st = app.st();
        let mine = st.v2_clients.get(&name).is_some_and(|c| c.owner == user);
        if method == Method::DELETE {
            if mine {
                st.v2_clients.remove(&name);
            }
            return v2_env(200, true, Value::Null, "Client removed successfully.");
        }
        match st.v2_clients.get(&name).filter(|_| mine) {
            Some(c) => v2_env(
                200,
                true,
                client_json(&app, c, false),
                "Client details retrieved successfully.",
            ),
            None => v2_env(400, false, Value::Null, "Application not found"),
        }
    })
    .await
}

fn oauth_err(status: u16, error: &str, desc: &str) -> Response {
    json_status(status, json!({"error": error, "error_description": desc}))
}

/// Checks Basic `key:secret`; returns the consumer key.
fn client_basic(app: &App, headers: &HeaderMap) -> Result<String, Response> {
    let Some(Some((k, s))) = util::basic_auth(headers) else {
        return Err(oauth_err(
            401,
            "invalid_client",
            "Client Authentication failed.",
        ));
    };
    if app
        .st()
        .v2_clients
        .values()
        .any(|c| c.key == k && c.secret == s)
    {
        Ok(k)
    } else {
        Err(oauth_err(
            401,
            "invalid_client",
            "Client Authentication failed.",
        ))
    }
}

fn mint(app: &App, username: &str, key: &str) -> Response {
    let (access, refresh) = (util::random_hex(16), util::random_hex(16));
    let mut st = app.st();
    let (ttl, rttl, now) = (st.rt.v2_access_ttl, REFRESH_TTL, util::now());
    st.v2_access.insert(
        access.clone(),
        V2Token {
            username: username.into(),
            client_key: key.into(),
            expires_at: now + ttl,
            dead: false,
            access: None,
        },
    );
    st.v2_refresh.insert(
        refresh.clone(),
        V2Token {
            username: username.into(),
            client_key: key.into(),
            expires_at: now + rttl,
            dead: false,
            access: Some(access.clone()),
        },
    );
    json_status(
        200,
        json!({"access_token": access, "refresh_token": refresh, "expires_in": ttl,
               "token_type": "bearer", "scope": "default"}),
    )
}

/// Lifetime of a refresh token (one year; spent by its first use).
const REFRESH_TTL: i64 = 31_536_000;

/// `POST /token` (form only; Basic key:secret; `password` and `refresh_token` grants).
pub async fn token(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let is_form =
        util::content_type(&headers).as_deref() == Some("application/x-www-form-urlencoded");
    let fields: HashMap<String, String> = if is_form {
        util::parse_form(&body)
            .unwrap_or_default()
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let grant = fields.get("grant_type").cloned().unwrap_or_default();
    guarded(&app, "v2.token", Some(("v2", &grant)), async {
        if !is_form {
            return oauth_err(
                400,
                "invalid_request",
                "Unsupported Content-Type; application/x-www-form-urlencoded required.",
            );
        }
        let key = match client_basic(&app, &headers) {
            Ok(k) => k,
            Err(r) => {
                if grant == "refresh_token" {
                    app.rejected_refresh("v2");
                }
                return r;
            }
        };
        match grant.as_str() {
            "password" => {
                let (u, p) = (fields.get("username"), fields.get("password"));
                let ok = match (u, p) {
                    (Some(u), Some(p)) => app.st().users.get(u) == Some(p),
                    _ => false,
                };
                match (ok, u) {
                    (true, Some(u)) => mint(&app, u, &key),
                    _ => oauth_err(
                        400,
                        "invalid_grant",
                        "Provided Authorization Grant is invalid",
                    ),
                }
            }
            "refresh_token" => {
                let rt = fields.get("refresh_token").cloned().unwrap_or_default();
                // Single use, and (WSO2's default on renewal) the access token issued with it
                // is revoked.
                let user = {
                    let mut st = app.st();
                    let spent = match st.v2_refresh.get_mut(&rt) {
                        Some(t) if !t.dead && t.client_key == key && t.expires_at > util::now() => {
                            t.dead = true;
                            Some((t.username.clone(), t.access.clone()))
                        }
                        _ => None,
                    };
                    if let Some(a) = spent.as_ref().and_then(|x| x.1.as_ref()) {
                        if let Some(t) = st.v2_access.get_mut(a) {
                            t.dead = true;
                        }
                    }
                    spent.map(|x| x.0)
                };
                match user {
                    Some(u) => mint(&app, &u, &key),
                    None => {
                        app.rejected_refresh("v2");
                        oauth_err(
                            400,
                            "invalid_grant",
                            "Persisted access token data not found",
                        )
                    }
                }
            }
            "" => oauth_err(400, "invalid_request", "Missing parameters: grant_type"),
            _ => oauth_err(
                400,
                "unsupported_grant_type",
                "Unsupported grant_type value",
            ),
        }
    })
    .await
}

/// `POST /revoke` (form `token=`, Basic key:secret; empty 200).
pub async fn revoke(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&app, "v2.revoke", None, async {
        if let Err(r) = client_basic(&app, &headers) {
            return r;
        }
        let fields: HashMap<String, String> = util::parse_form(&body)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let tok = fields.get("token").cloned().unwrap_or_default();
        let mut st = app.st();
        if let Some(t) = st.v2_access.get_mut(&tok) {
            t.dead = true;
        }
        if let Some(t) = st.v2_refresh.get_mut(&tok) {
            t.dead = true;
        }
        StatusCode::OK.into_response()
    })
    .await
}

/// The WSO2 gateway's 401 fault (JSON).
fn fault(code: u32, message: &str) -> Response {
    let desc = "Access failure for API: /profiles/v2, version: v2. Make sure your have given the correct access token";
    json_status(
        401,
        json!({"fault": {"code": code, "message": message, "description": desc}}),
    )
}

/// A user's Agave v2 profile.
fn v2_profile(u: &str) -> Value {
    json!({
        "username": u, "first_name": u, "last_name": "Tester",
        "full_name": format!("{u} Tester"), "email": format!("{u}@example.org"),
        "phone": "", "mobile_phone": "", "status": "Active", "create_time": "20140515180317Z", "uid": 1000
    })
}

/// The user a v2 bearer token belongs to, or the gateway's fault.
fn bearer_user(app: &App, headers: &HeaderMap) -> Result<String, Response> {
    let Some(tok) = util::bearer(headers) else {
        return Err(fault(900902, "Missing Credentials"));
    };
    let found = app.st().v2_access.get(&tok).cloned();
    match found {
        None => Err(fault(900901, "Invalid Credentials")),
        Some(t) if t.dead => Err(fault(900901, "Invalid Credentials")),
        Some(t) if t.expires_at <= util::now() => Err(fault(900903, "Access Token Expired")),
        Some(t) => Ok(t.username),
    }
}

/// `GET /profiles/v2/me` with `Authorization: Bearer`.
pub async fn profile_me(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    guarded(&app, "v2.profile", None, async {
        match bearer_user(&app, &headers) {
            Ok(u) => v2_env(
                200,
                true,
                v2_profile(&u),
                "User details retrieved successfully.",
            ),
            Err(r) => r,
        }
    })
    .await
}

/// `GET /profiles/v2/{username}` with `Authorization: Bearer`.
pub async fn profile(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    guarded(&app, "v2.profile", None, async {
        if let Err(r) = bearer_user(&app, &headers) {
            return r;
        }
        if !app.st().users.contains_key(&name) {
            return v2_env(
                404,
                false,
                Value::Null,
                &format!("No user found matching {name}"),
            );
        }
        v2_env(
            200,
            true,
            v2_profile(&name),
            "User details retrieved successfully.",
        )
    })
    .await
}
