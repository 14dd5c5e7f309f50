//! The Tapis v3 authorization-code (browser) login. No PKCE exists on Tapis, so the client
//! must be confidential (id and key).
//!
//! 1. Send the browser to [`AuthCodeFlow::authorize_url`]:
//!    `GET {base}/v3/oauth2/authorize?client_id=..&redirect_uri=..&response_type=code&state=..`.
//!    `redirect_uri` must equal the client's registered `callback_url` exactly.
//! 2. The server redirects to `{callback_url}?code=..&state=..`.
//! 3. [`AuthCodeFlow::exchange`] checks `state`, then `POST {base}/v3/oauth2/tokens` JSON
//!    `{"grant_type":"authorization_code","code":"..","redirect_uri":".."}` with Basic
//!    `client_id:client_key`.
//!
//! `state` is random text supplied by the caller (the core has no RNG); a callback whose state
//! differs is rejected with [`Error::LoginFailed`].

use super::Pending;
use crate::protocol::{self, v3, Context};
use crate::{BaseUrl, Error, OAuthClient, Platform, Secret, Tenant, TokenSet};

/// An authorization-code login in progress.
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::auth_code::AuthCodeFlow, BaseUrl, OAuthClient, Platform, Tenant, UnixTime};
/// let tenant = Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3);
/// let f = AuthCodeFlow::new(&tenant, &OAuthClient::new("cid", "ckey"), "http://localhost:8080/cb", "s7a7e".into()).unwrap();
/// assert_eq!(f.authorize_url(), "https://tacc.tapis.io/v3/oauth2/authorize?client_id=cid&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcb&response_type=code&state=s7a7e");
/// let ex = f.exchange("http://localhost:8080/cb?code=abc&state=s7a7e").unwrap();
/// let req = ex.request().clone();
/// assert_eq!(&req.body.as_ref().unwrap().bytes[..],
///     br#"{"grant_type":"authorization_code","code":"abc","redirect_uri":"http://localhost:8080/cb"}"#);
/// assert!(f.exchange("code=abc&state=other").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct AuthCodeFlow {
    base: BaseUrl,
    client_id: String,
    client_key: Secret,
    redirect_uri: String,
    state: String,
}

impl AuthCodeFlow {
    /// Starts a login for a confidential client. Agave v2 gives [`Error::Unsupported`]; a public
    /// client or an empty `state` (it is the CSRF defence) is refused with [`Error::Config`].
    pub fn new(
        tenant: &Tenant,
        client: &OAuthClient,
        redirect_uri: &str,
        state: String,
    ) -> Result<Self, Error> {
        if tenant.platform != Platform::TapisV3 {
            return Err(Error::Unsupported {
                message: "the authorization-code flow is only implemented for Tapis v3".into(),
                status: None,
            });
        }
        let key = client.key.clone().filter(|_| client.is_confidential()).ok_or_else(|| {
            Error::Config("the authorization-code flow needs a confidential client (client id and key); Tapis has no PKCE".into())
        })?;
        if state.is_empty() {
            return Err(Error::Config(
                "the authorization-code flow needs a non-empty random state".into(),
            ));
        }
        if redirect_uri.is_empty() {
            return Err(Error::Config(
                "the authorization-code flow needs a redirect URI".into(),
            ));
        }
        Ok(Self {
            base: tenant.base_url.clone(),
            client_id: client.id.clone(),
            client_key: key,
            redirect_uri: redirect_uri.to_owned(),
            state,
        })
    }

    /// The URL to open in the user's browser.
    pub fn authorize_url(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("state", &self.state);
        format!("{}?{}", self.base.join(v3::AUTHORIZE_PATH), q.finish())
    }

    /// Exchanges the code from `callback` (the full redirect URL, or just its query string)
    /// for tokens. Errors before any request: an `error=` parameter, a missing or different
    /// `state`, or no `code` ⇒ [`Error::LoginFailed`].
    pub fn exchange(&self, callback: &str) -> Result<Pending<TokenSet>, Error> {
        let Callback {
            code,
            state,
            error,
            description,
        } = Callback::parse(callback);
        if let Some(e) = error {
            let text = match description {
                Some(d) => format!("{e}: {d}"),
                None => e,
            };
            return Err(Error::LoginFailed {
                status: None,
                message: format!(
                    "the authorization server returned an error: {}",
                    protocol::redact_message(&text, &[])
                ),
            });
        }
        if state.as_deref() != Some(self.state.as_str()) {
            return Err(Error::LoginFailed {
                status: None,
                message: "the callback's state does not match the state of this login (possible CSRF, or a stale browser tab); start again".into(),
            });
        }
        let code = code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::LoginFailed {
                status: None,
                message: "the callback has no authorization code".into(),
            })?;
        let request = v3::token_request(
            &self.base,
            &[
                ("grant_type", Some("authorization_code")),
                ("code", Some(code.expose())),
                ("redirect_uri", Some(&self.redirect_uri)),
            ],
            Some((&self.client_id, &self.client_key)),
        );
        let secrets = vec![self.client_key.clone(), code];
        Ok(Pending::new(request, move |now, resp| {
            protocol::token_response(
                Platform::TapisV3,
                Context::AuthCodeGrant,
                now,
                &resp,
                &protocol::borrowed(&secrets),
            )
        }))
    }

    /// True when `callback` (a redirect URL or its query string) carries this login's
    /// `state`: a redirect listener waits for such a request and ignores any other (a forged
    /// one, or one for another login), rather than letting it end the login.
    pub fn is_own_callback(&self, callback: &str) -> bool {
        Callback::parse(callback).state.as_deref() == Some(self.state.as_str())
    }
}

/// The parameters of a redirect to the callback URL.
struct Callback {
    code: Option<Secret>,
    state: Option<String>,
    error: Option<String>,
    description: Option<String>,
}

impl Callback {
    /// Reads `code`, `state`, `error` and `error_description` from a redirect URL (or its
    /// query string); a fragment is ignored.
    fn parse(callback: &str) -> Self {
        let query = callback.split_once('?').map_or(callback, |(_, q)| q);
        let query = query.split('#').next().unwrap_or_default();
        let mut c = Callback {
            code: None,
            state: None,
            error: None,
            description: None,
        };
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "code" => c.code = Some(Secret::new(v.into_owned())),
                "state" => c.state = Some(v.into_owned()),
                "error" => c.error = Some(v.into_owned()),
                "error_description" => c.description = Some(v.into_owned()),
                _ => {}
            }
        }
        c
    }
}
