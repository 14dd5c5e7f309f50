//! The refresh-token grant, in both dialects.
//!
//! * Tapis v3: `POST {base}/v3/oauth2/tokens`, JSON
//!   `{"grant_type":"refresh_token","refresh_token":"..."}`, `Authorization: Basic
//!   base64(client_id:client_key)` (required). Failures are classified by message:
//!   `Invalid refresh_token.` and friends ⇒ [`Error::RefreshRejected`]; `Invalid client
//!   credentials: ...` ⇒ [`Error::InvalidClient`] (with the echoed key redacted).
//! * Agave v2: `POST {base}/token`, form
//!   `grant_type=refresh_token&refresh_token=...&scope=PRODUCTION`, Basic `apikey:apisecret`.
//!   **Any 400 or 401 is [`Error::RefreshRejected`]** (v2 refresh tokens are single-use, and a
//!   spent one is indistinguishable from a bad one).
//!
//! Both requests are [`crate::Replay::OnlyIfNotSent`]: a refresh token may be spent by a
//! request whose answer was lost.

use super::Pending;
use crate::protocol::{self, v2, v3, Context};
use crate::{Error, Platform, Session, TokenSet};

/// The refresh-token grant for `session`, in its platform's dialect.
///
/// Needs a refresh token and a confidential client (id and key); otherwise
/// [`Error::LoginRequired`] explains what is missing.
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::refresh::refresh, BaseUrl, HttpResponse, OAuthClient,
///     Platform, Secret, Session, Tenant, TokenSet, UnixTime};
/// let tenant = Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3);
/// let mut s = Session::new("default", tenant);
/// s.client = Some(OAuthClient::new("cid", "ckey"));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("old"), Some(Secret::new("rt-1")), Some(10)));
/// let ex = refresh(&s).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/tokens");
/// assert_eq!(req.header_value("Authorization"), Some("Basic Y2lkOmNrZXk="));
/// assert_eq!(&req.body.unwrap().bytes[..], br#"{"grant_type":"refresh_token","refresh_token":"rt-1"}"#);
/// let body = r#"{"result":{"access_token":{"access_token":"new-at","expires_in":14400},
///   "refresh_token":{"refresh_token":"rt-2","expires_in":31536000}},"status":"success",
///   "message":"Token created successfully.","version":"1.6.0","metadata":{}}"#;
/// let t = ex.finish(UnixTime(100), HttpResponse::new(200, body)).unwrap();
/// assert_eq!(t.access_token.expose(), "new-at");
/// assert_eq!(t.expires_at, Some(UnixTime(14500)));
/// ```
pub fn refresh(session: &Session) -> Result<Pending<TokenSet>, Error> {
    let rt = session
        .refresh_token()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Error::LoginRequired {
            reason: format!("profile {:?} has no refresh token", session.profile),
        })?;
    let client = session
        .client
        .as_ref()
        .filter(|c| c.is_confidential())
        .ok_or_else(|| Error::LoginRequired {
            reason: "refreshing needs an OAuth client with a key, which this session does not have"
                .into(),
        })?;
    let key = client
        .key
        .as_ref()
        .ok_or(Error::ApiMisuse("confidential client without key"))?;
    let platform = session.platform();
    let base = &session.tenant.base_url;
    let request = match platform {
        Platform::TapisV3 => v3::token_request(
            base,
            &[
                ("grant_type", Some("refresh_token")),
                ("refresh_token", Some(rt.expose())),
            ],
            Some((&client.id, key)),
        ),
        Platform::AgaveV2 => v2::token_request(
            base,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.expose()),
                ("scope", v2::SCOPE),
            ],
            &client.id,
            key,
        ),
    };
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(request, move |now, resp| {
        protocol::token_response(
            platform,
            Context::RefreshGrant,
            now,
            &resp,
            &protocol::borrowed(&secrets),
        )
    }))
}
