//! The resource-owner password grant, in both dialects.
//!
//! * Tapis v3: `POST {base}/v3/oauth2/tokens`, JSON
//!   `{"username":"..","password":"..","grant_type":"password"}` — exactly this key order, as
//!   tapipy sends it (compact separators). HTTP Basic `client_id:client_key` only when the
//!   session's client is confidential; without a client the server returns an access token
//!   and **no refresh token**.
//! * Agave v2: `POST {base}/token`, form
//!   `grant_type=password&username=..&password=..&scope=PRODUCTION`, Basic
//!   `apikey:apisecret` (required: WSO2 has no public clients).
//!
//! Errors: `Invalid username/password combination.` (v3) and `invalid_grant` (v2) ⇒
//! [`Error::InvalidCredentials`]; `Invalid client credentials: ...` / `invalid_client` ⇒
//! [`Error::InvalidClient`]; see [`crate::protocol::classify`](mod@crate::protocol::classify).

use super::Pending;
use crate::protocol::{self, v2, v3, Context};
use crate::{Error, Platform, Session, TokenSet};

/// The password grant for `session` (its `username`, in-memory `password` and client).
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::password::password_grant, BaseUrl, HttpResponse,
///     Platform, Secret, Session, Tenant, UnixTime, Error};
/// let tenant = Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3);
/// let mut s = Session::new("default", tenant);
/// s.username = Some("testuser".into());
/// s.password = Some(Secret::new("pw"));
/// let ex = password_grant(&s).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(&req.body.as_ref().unwrap().bytes[..],
///            br#"{"username":"testuser","password":"pw","grant_type":"password"}"#);
/// assert_eq!(req.header_value("Authorization"), None); // no client: no Basic
/// let body = r#"{"result":null,"status":"error","version":"1.6.0",
///   "message":"Invalid username/password combination.","metadata":{}}"#;
/// let e = ex.finish(UnixTime(0), HttpResponse::new(400, body)).unwrap_err();
/// assert!(matches!(e, Error::InvalidCredentials { .. }));
/// ```
pub fn password_grant(session: &Session) -> Result<Pending<TokenSet>, Error> {
    let username = session
        .username
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::Config("the password grant needs a username".into()))?;
    let password = session
        .password
        .as_ref()
        .ok_or_else(|| Error::LoginRequired {
            reason: "no password is held for this session (supply one to log in)".into(),
        })?;
    let client = session.client.as_ref().filter(|c| c.is_confidential());
    let platform = session.platform();
    let base = &session.tenant.base_url;
    let request = match platform {
        Platform::TapisV3 => v3::token_request(
            base,
            &[
                ("username", Some(username)),
                ("password", Some(password.expose())),
                ("grant_type", Some("password")),
            ],
            client.and_then(|c| c.key.as_ref().map(|k| (c.id.as_str(), k))),
        ),
        Platform::AgaveV2 => {
            let (id, key) = client
                .and_then(|c| c.key.as_ref().map(|k| (c.id.as_str(), k)))
                .ok_or_else(|| {
                    Error::Config(
                        "the Agave v2 password grant needs an OAuth client (id and key): \
                         `tapis-auth login --password` creates one and keeps it in the cache; \
                         with the env store, `eval \"$(tapis-auth --store env clients create --export)\"` \
                         sets TAPIS_CLIENT_ID and TAPIS_CLIENT_KEY (and if the tenant is Tapis v3, \
                         TAPIS_PLATFORM=v3 says so: a base URL outside *.tapis.io with no token is \
                         taken as Agave v2)"
                            .into(),
                    )
                })?;
            v2::token_request(
                base,
                &[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", password.expose()),
                    ("scope", v2::SCOPE),
                ],
                id,
                key,
            )
        }
    };
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(request, move |now, resp| {
        protocol::token_response(
            platform,
            Context::PasswordGrant,
            now,
            &resp,
            &protocol::borrowed(&secrets),
        )
    }))
}
