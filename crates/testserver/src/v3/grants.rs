//! The grants' own checks, once the token endpoint has checked the grant type and the client:
//! password, refresh token, authorization code, and taking a device code for the device grant.

use axum::response::Response;
use serde_json::Value;

use super::caller::{check_jwt, TokCheck};
use super::issue::{issue, Issue};
use super::tokens::created;
use crate::schema::Fields;
use crate::state::{App, DeviceStatus};
use crate::util::{self, v3_err};

/// A consumed device code: its client id and key, and the user who entered it.
type TakenCode = (String, Option<String>, String);

/// The device-code checks, in the real order (`DeviceCode.validate_code` before the client id
/// comparison, so a wrong client id keeps hearing "device code not ready." until the user
/// enters the code): returns the code's client id and key and the user who entered it, having
/// consumed it.
pub(super) fn take_device_code(app: &App, f: &Fields) -> Result<TakenCode, Response> {
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
    let DeviceStatus::Entered { username } = row.status else {
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
    Ok((row.client_id, row.client_key, username))
}

pub(super) fn password_grant(app: &App, f: &Fields, client: Option<&str>) -> Response {
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

pub(super) fn refresh_grant(app: &App, f: &Fields, cid: &str) -> Response {
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

pub(super) fn auth_code_grant(app: &App, f: &Fields, cid: &str) -> Response {
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
