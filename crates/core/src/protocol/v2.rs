//! Agave v2 dialect: the WSO2 `/token` endpoint (form bodies, Basic `apikey:apisecret`,
//! `scope=PRODUCTION`), its RFC 6749 JSON responses and errors, and the gateway's 401 faults.

use serde::Deserialize;
use serde_json::Value;

use super::{check_token, lifetime, malformed, Context};
use crate::{BaseUrl, Error, HttpRequest, Method, Replay, Secret, TokenSet, UnixTime};

/// Path of the WSO2 token endpoint (exactly one `/` after the base; a path prefix is kept).
pub const TOKEN_PATH: &str = "/token";
/// Path of the WSO2 revocation endpoint.
pub const REVOKE_PATH: &str = "/revoke";
/// Path of the OAuth clients collection.
pub const CLIENTS_PATH: &str = "/clients/v2";
/// Path of the caller's profile.
pub const PROFILE_PATH: &str = "/profiles/v2/me";
/// User profiles by username (`{PROFILES_PATH}/{username}`).
pub const PROFILES_PATH: &str = "/profiles/v2";
/// The scope every TACC client sends.
pub const SCOPE: &str = "PRODUCTION";
/// The default tenants listing (agavepy's `DEFAULT_TENANTS_URL`).
pub const DEFAULT_TENANTS_URL: &str = "https://api.tacc.utexas.edu/tenants";

/// A `POST {base}/token`, form-encoded in the given field order, with Basic `key:secret`.
/// [`Replay::OnlyIfNotSent`]: v2 refresh tokens are single-use.
pub fn token_request(
    base: &BaseUrl,
    form: &[(&str, &str)],
    key: &str,
    secret: &Secret,
) -> HttpRequest {
    HttpRequest::new(Method::Post, base.join(TOKEN_PATH), Replay::OnlyIfNotSent)
        .header("Authorization", super::basic_auth(key, secret))
        .form(form)
}

#[derive(Deserialize)]
struct TokenJson {
    access_token: Secret,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

const TOKEN_SHAPE: &str =
    "an OAuth2 token response {access_token, refresh_token, expires_in, token_type}";

/// Parses a successful WSO2 token response (RFC 6749 §5.1): `access_token`, `refresh_token`,
/// `expires_in` (integer seconds; numeric strings tolerated), `token_type` (must be `bearer`,
/// compared case-insensitively; assumed when absent), `scope` (kept, not interpreted). Agave
/// tokens are opaque, so expiry is `now + expires_in`.
pub fn parse_token_response(now: UnixTime, body: &[u8]) -> Result<TokenSet, Error> {
    let t: TokenJson = serde_json::from_slice(body).map_err(|e| malformed(TOKEN_SHAPE, &e))?;
    check_token("access token", TOKEN_SHAPE, &t.access_token)?;
    let token_type = t
        .token_type
        .unwrap_or_else(|| "bearer".into())
        .to_ascii_lowercase();
    if token_type != "bearer" {
        return Err(Error::Malformed {
            expected: "token_type \"bearer\"".into(),
            detail: format!("token_type is {:?}", super::truncate(&token_type, 40)),
        });
    }
    let refresh = t.refresh_token.filter(|r| !r.is_empty());
    if let Some(r) = &refresh {
        check_token("refresh token", TOKEN_SHAPE, r)?;
    }
    let mut set = TokenSet::new(
        now,
        t.access_token,
        refresh,
        lifetime(t.expires_in.as_ref()),
    );
    set.token_type = Some(token_type);
    set.scope = t.scope;
    Ok(set)
}

/// Classifies a WSO2 gateway fault by code: 900901 (Invalid Credentials), 900903 (Access Token
/// Expired) and 900904 (Access Token Inactive) ⇒ [`Error::TokenRejected`] (refresh once, retry
/// once); 900902 (Missing Credentials) ⇒ [`Error::LoginRequired`]; 900908 (Resource forbidden)
/// ⇒ [`Error::Server`] 403; anything else ⇒ [`Error::Server`] with the HTTP status.
pub fn fault_error(code: Option<i64>, status: u16, message: String) -> Error {
    match code {
        Some(900_901 | 900_903 | 900_904) => Error::TokenRejected {
            message,
            status: None,
        },
        Some(900_902) => Error::LoginRequired {
            reason: format!("the gateway received no credentials ({message})"),
        },
        Some(900_908) => Error::Server {
            status: 403,
            message,
        },
        _ => Error::Server { status, message },
    }
}

/// Classifies an RFC 6749 §5.2 error (`{"error":"invalid_grant","error_description":...}`) by
/// its `error` code and the grant it answers.
pub fn oauth_error(ctx: Context, status: u16, error: &str, message: String) -> Error {
    match (error, ctx) {
        ("invalid_grant", Context::RefreshGrant) => Error::RefreshRejected {
            message,
            status: None,
        },
        ("invalid_grant", Context::PasswordGrant) => Error::InvalidCredentials {
            message,
            status: None,
        },
        ("invalid_grant", Context::AuthCodeGrant | Context::DeviceGrant) => Error::LoginFailed {
            message,
            status: None,
        },
        ("invalid_client" | "unauthorized_client", _) => Error::InvalidClient {
            message,
            status: None,
        },
        ("authorization_pending" | "slow_down", Context::DeviceGrant) => {
            Error::AuthorizationPending
        }
        ("expired_token", Context::DeviceGrant) => Error::DeviceCodeExpired,
        ("access_denied", _) => Error::LoginFailed {
            message,
            status: None,
        },
        // The server does not offer this grant (WSO2 tenants configure theirs).
        ("unsupported_grant_type", _) => Error::Unsupported {
            message: format!("the token endpoint does not offer this grant type: {message}"),
            status: None,
        },
        ("invalid_request" | "invalid_scope", _) => Error::RequestRefused {
            message: format!("the token endpoint refused it: {message}"),
            status: None,
        },
        _ => Error::Server { status, message },
    }
}
