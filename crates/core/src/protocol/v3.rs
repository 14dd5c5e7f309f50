//! Tapis v3 dialect: the token-endpoint request, the token envelope, and the error texts of
//! the Python services (envelope `message`, HTTP 400/500) and the Java services (plain-text
//! 401 starting with `TAPIS_SECURITY_*`).

use serde::Deserialize;
use serde_json::Value;

use super::{check_token, lifetime, malformed, with_json, Context};
use crate::{BaseUrl, Error, HttpRequest, Method, Replay, Secret, TokenSet, UnixTime};

/// Path of the token endpoint (plural; the metadata document's `/token` is wrong).
pub const TOKENS_PATH: &str = "/v3/oauth2/tokens";
/// Path of the device-code endpoint.
pub const DEVICE_CODE_PATH: &str = "/v3/oauth2/device/code";
/// Path of the revocation endpoint.
pub const REVOKE_PATH: &str = "/v3/oauth2/tokens/revoke";
/// Path of the OAuth clients collection.
pub const CLIENTS_PATH: &str = "/v3/oauth2/clients";
/// Path of the userinfo endpoint.
pub const USERINFO_PATH: &str = "/v3/oauth2/userinfo";
/// User profiles by username (`{PROFILES_PATH}/{username}`).
pub const PROFILES_PATH: &str = "/v3/oauth2/profiles";
/// Path of the browser authorization endpoint.
pub const AUTHORIZE_PATH: &str = "/v3/oauth2/authorize";
/// Path of the Tenants collection.
pub const TENANTS_PATH: &str = "/v3/tenants";
/// Header carrying the access JWT (Tapis never uses `Authorization: Bearer`).
pub const TOKEN_HEADER: &str = "X-Tapis-Token";

/// A `POST {base}/v3/oauth2/tokens` with an ordered JSON body and, when `basic` is given, the
/// client's HTTP Basic credentials. Token grants may spend a refresh token or code, so the
/// request is [`Replay::OnlyIfNotSent`].
pub fn token_request(
    base: &BaseUrl,
    body: &[(&str, Option<&str>)],
    basic: Option<(&str, &Secret)>,
) -> HttpRequest {
    let mut req = HttpRequest::new(Method::Post, base.join(TOKENS_PATH), Replay::OnlyIfNotSent);
    if let Some((id, key)) = basic {
        req = req.header("Authorization", super::basic_auth(id, key));
    }
    with_json(req, body)
}

#[derive(Deserialize)]
struct TokenEnvelope {
    result: Option<TokenResult>,
}

#[derive(Deserialize)]
struct TokenResult {
    access_token: AccessPart,
    #[serde(default)]
    refresh_token: Option<RefreshPart>,
}

#[derive(Deserialize)]
struct AccessPart {
    access_token: Secret,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    expires_at: Option<Value>,
    #[serde(default)]
    jti: Option<Value>,
}

#[derive(Deserialize)]
struct RefreshPart {
    refresh_token: Secret,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    expires_at: Option<Value>,
}

const TOKEN_SHAPE: &str =
    "a Tapis v3 token envelope {result:{access_token:{access_token,...},refresh_token?:{...}}}";

/// Parses a successful v3 token response (password, refresh, authorization-code and
/// device-code grants all answer with it):
/// `result.access_token.{access_token, expires_in, expires_at, jti, id_token?}` and optional
/// `result.refresh_token.{refresh_token, expires_in, expires_at, jti}`. Unknown fields are
/// ignored. Expiry: JWT `exp`, else `now + expires_in`, else the ISO-8601 `expires_at`; the
/// refresh token's expiry likewise. `token_type` stays `None` (v3 uses `X-Tapis-Token`).
pub fn parse_token_response(now: UnixTime, body: &[u8]) -> Result<TokenSet, Error> {
    let env: TokenEnvelope =
        serde_json::from_slice(body).map_err(|e| malformed(TOKEN_SHAPE, &e))?;
    let result = env.result.ok_or_else(|| Error::Malformed {
        expected: TOKEN_SHAPE.into(),
        detail: "the envelope has no result".into(),
    })?;
    let access = result.access_token;
    check_token("access token", TOKEN_SHAPE, &access.access_token)?;
    let iso = |v: &Option<Value>| {
        v.as_ref()
            .and_then(Value::as_str)
            .and_then(UnixTime::from_iso8601)
    };
    let access_in = lifetime(access.expires_in.as_ref());
    let access_at = iso(&access.expires_at);
    let (refresh, r_in, r_at) = match result.refresh_token {
        Some(r) if !r.refresh_token.is_empty() => {
            check_token("refresh token", TOKEN_SHAPE, &r.refresh_token)?;
            (
                Some(r.refresh_token),
                lifetime(r.expires_in.as_ref()),
                iso(&r.expires_at),
            )
        }
        _ => (None, None, None),
    };
    let mut t = TokenSet::new(now, access.access_token, refresh, access_in);
    if t.expires_at.is_none() {
        t.expires_at = access_at;
    }
    if t.refresh_token.is_some() && t.refresh_expires_at.is_none() {
        t.refresh_expires_at = r_in.map(|s| now.plus(s)).or(r_at);
    }
    if t.jti.is_none() {
        t.jti = access
            .jti
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    Ok(t)
}

/// Classifies a Python-service envelope `message` (the tables in tapis-v3.md §3.3–§3.7, §4,
/// §6, §10). `raw` is matched; `message` (already redacted) is what the error carries.
pub fn message_error(ctx: Context, status: u16, raw: &str, message: String) -> Error {
    let m = raw.trim();
    let starts = |p: &str| m.starts_with(p);
    // Order matters: "Invalid client credentials" before "Invalid client:".
    if starts("Invalid client credentials") || starts("Invalid headers. Basic authentication") {
        return Error::InvalidClient {
            message,
            status: None,
        };
    }
    if starts("Invalid client:") || m == "Invalid client." {
        return Error::InvalidClient {
            message,
            status: None,
        };
    }
    if m == "Invalid username/password combination." {
        return Error::InvalidCredentials {
            message,
            status: None,
        };
    }
    // Every way the Authenticator says the refresh token is unusable (missing, expired,
    // revoked, not a refresh token, another client's, or without its embedded access-token
    // claims — worded "Invalid refresh_token format; ..." in 1.6.0 and "Refresh token did NOT
    // have an access_token claim." where that log line became the message).
    if starts("Invalid refresh_token")
        || m == "Required refresh_token parameter missing."
        || starts("Refresh token did NOT have an access_token claim")
        || starts("Invalid token type.")
        || (starts("client_id from header") && m.contains("does not match"))
    {
        return Error::RefreshRejected {
            message,
            status: None,
        };
    }
    if m == "device code not ready." {
        return Error::AuthorizationPending;
    }
    if starts("device code has expired") {
        return Error::DeviceCodeExpired;
    }
    if m == "device code not valid."
        || starts("Client IDs do not match")
        || starts("Device code client id and passed in client id do not match")
        || m == "Required client_id parameter missing."
        || m == "Required device_code parameter missing."
        || m == "Required redirect_uri parameter missing."
        || starts("Invalid redirect_uri parameter")
        || m == "Required authorization_code parameter missing."
        || m == "authorization code not valid."
        || m == "authorization code has expired."
    {
        return Error::LoginFailed {
            message,
            status: None,
        };
    }
    if m == "Invalid Tapis token." {
        return Error::TokenRejected {
            message,
            status: None,
        };
    }
    // Not offered: the tenant does not allow this grant; the server has no such endpoint.
    if starts("Invalid grant_type") {
        return Error::Unsupported {
            message: format!("the tenant does not accept this grant type: {message}"),
            status: None,
        };
    }
    if starts("The endpoint and HTTP method combination are not available") {
        return Error::Unsupported {
            message: format!(
                "this server does not offer that request (an older Authenticator, or not a Tapis v3 base URL?): {message}"
            ),
            status: None,
        };
    }
    // The caller named a tenant the server does not know: a setting to fix, like an invalid
    // tenant id found before sending (so it is `Config`, whatever the HTTP status).
    if starts("No tenant found with tenant_id") {
        return Error::Config(format!("unknown tenant: {message}"));
    }
    // Refused as invalid: the body, its data, a client id that is taken, OBO headers.
    let refused = |what: &str| Error::RequestRefused {
        message: format!("{what}: {message}"),
        status: None,
    };
    if m == "Missing the required grant_type parameter." {
        return refused("the token request named no grant type");
    }
    if starts("Invalid POST data; This change would violate uniqueness constraints") {
        return refused(
            "that client id is already taken (client ids are unique across all tenants; choose another)",
        );
    }
    if starts("Invalid POST data: [")
        || starts("Invalid PUT data: [")
        || m == "Unable to parse message payload; is it JSON?"
    {
        return refused("invalid request body");
    }
    if starts("Missing required payload data") {
        return refused("required data is missing");
    }
    if starts("Invalid request; cannot set OBO headers") {
        return refused("do not send X-Tapis-User / X-Tapis-Tenant with a user token");
    }
    let _ = ctx;
    Error::Server { status, message }
}

/// Classifies a Java service's plain-text security error (`TAPIS_SECURITY_JWT_EXPIRED ...`).
/// `text` is matched; `message` (redacted) is what the error carries.
pub fn java_error(status: u16, text: &str, message: String) -> Error {
    let key = text.split_whitespace().next().unwrap_or_default();
    match key {
        "TAPIS_SECURITY_JWT_EXPIRED" => Error::TokenRejected {
            message,
            status: None,
        },
        "TAPIS_SECURITY_MISSING_JWT_INFO" => Error::LoginRequired {
            reason: format!("the service received no usable token: {message}"),
        },
        "TAPIS_SECURITY_UNEXPECTED_HEADER" => Error::RequestRefused {
            message: format!(
                "do not send X-Tapis-User / X-Tapis-Tenant with a user token: {message}"
            ),
            status: None,
        },
        // JWT_PARSE_ERROR, JWT_INVALID_CLAIM (e.g. a refresh token sent as an access token),
        // JWT_KEY_ERROR (500): a new token from a refresh will not help.
        _ => Error::Server { status, message },
    }
}
