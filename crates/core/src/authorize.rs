//! Authorizing a call to a Tapis v3 or Agave v2 service with the session's access token, and
//! reading the service's answer to decide whether to refresh and retry.
//!
//! * Tapis v3: `X-Tapis-Token: <jwt>`. Never `Authorization: Bearer`, and never
//!   `X-Tapis-User` / `X-Tapis-Tenant` with a user token (Java services answer 401
//!   `TAPIS_SECURITY_UNEXPECTED_HEADER`).
//! * Agave v2: `Authorization: Bearer <token>`.
//!
//! Retry rule: refresh **once** and retry **once** on [`ServiceVerdict::RefreshAndRetry`];
//! never loop.

use crate::protocol::{self, classify, Context};
use crate::{Error, HttpRequest, HttpResponse, Platform, Session};

/// Adds the session's access token to `request` in the platform's header, replacing any
/// credential header already there. Does not check expiry (the token managers of
/// `tapis-auth-driver` hand out tokens that are valid long enough).
///
/// Errors: [`Error::LoginRequired`] when the session has no access token;
/// [`Error::Config`] when a v3 request carries `X-Tapis-User` / `X-Tapis-Tenant`.
///
/// # Example
/// ```
/// use tapis_auth_core::{authorize, BaseUrl, HttpRequest, Method, Platform, Replay, Secret,
///     Session, Tenant, TokenSet, UnixTime};
/// let mut s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("jwt"), None, Some(100)));
/// let req = HttpRequest::new(Method::Get, "https://tacc.tapis.io/v3/systems", Replay::Safe);
/// let req = authorize(&s, req).unwrap();
/// assert_eq!(req.header_value("X-Tapis-Token"), Some("jwt"));
/// assert_eq!(req.header_value("Authorization"), None);
/// ```
pub fn authorize(session: &Session, request: HttpRequest) -> Result<HttpRequest, Error> {
    let token = protocol::access_token(session)?;
    authorize_with(session.platform(), token, request)
}

/// Like [`authorize`], for a caller that already holds the token and knows the platform (the
/// high-level `send`, which must not re-read the store for every call).
pub fn authorize_with(
    platform: Platform,
    token: &crate::Secret,
    mut request: HttpRequest,
) -> Result<HttpRequest, Error> {
    let token = token.clone();
    request.headers.retain(|h| {
        !h.name.eq_ignore_ascii_case("authorization")
            && !h.name.eq_ignore_ascii_case("x-tapis-token")
    });
    Ok(match platform {
        Platform::TapisV3 => {
            if request.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("x-tapis-user")
                    || h.name.eq_ignore_ascii_case("x-tapis-tenant")
            }) {
                return Err(Error::Config(
                    "X-Tapis-User / X-Tapis-Tenant must not be sent with a user token (services reject them)".into(),
                ));
            }
            request.header(protocol::v3::TOKEN_HEADER, token)
        }
        Platform::AgaveV2 => request.header("Authorization", bearer(token.expose())),
    })
}

fn bearer(token: &str) -> crate::Secret {
    let mut s = String::with_capacity(7 + token.len());
    s.push_str("Bearer ");
    s.push_str(token);
    crate::Secret::new(s)
}

/// What to do with a service's response.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServiceVerdict {
    /// Not an authentication failure (status < 400): hand the response to the caller.
    Ok,
    /// The access token was rejected as expired or invalid: refresh once, retry once.
    RefreshAndRetry,
    /// Any other failure, classified.
    Failed(Error),
}

/// Classifies a service response. Tapis v3: 401 `TAPIS_SECURITY_JWT_EXPIRED` and 400
/// `"Invalid Tapis token."` ⇒ [`ServiceVerdict::RefreshAndRetry`]. Agave v2: 401 faults
/// 900901 / 900903 / 900904 ⇒ [`ServiceVerdict::RefreshAndRetry`]. Other failures go through
/// [`classify`](fn@classify) (messages are scrubbed of anything shaped like a credential).
///
/// # Example
/// ```
/// use tapis_auth_core::{classify_service_response, HttpResponse, Platform, ServiceVerdict};
/// let r = HttpResponse::new(401, "TAPIS_SECURITY_JWT_EXPIRED Exception message: JWT expired at ...");
/// assert!(matches!(classify_service_response(Platform::TapisV3, &r), ServiceVerdict::RefreshAndRetry));
/// let r = HttpResponse::new(200, "{}");
/// assert!(matches!(classify_service_response(Platform::TapisV3, &r), ServiceVerdict::Ok));
/// ```
pub fn classify_service_response(platform: Platform, response: &HttpResponse) -> ServiceVerdict {
    if response.status < 400 {
        return ServiceVerdict::Ok;
    }
    match classify(platform, Context::Service, response, &[]) {
        Error::TokenRejected { .. } => ServiceVerdict::RefreshAndRetry,
        e => ServiceVerdict::Failed(e),
    }
}
