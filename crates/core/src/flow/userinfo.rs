//! Who am I: the cheapest call that proves a token works, and user profiles.
//!
//! * Tapis v3: `GET {base}/v3/oauth2/userinfo`, or `GET {base}/v3/oauth2/profiles/{username}`
//!   (anyone's profile, for any signed-in user), with `X-Tapis-Token`. An unknown username is
//!   a 500 from the 1.6.0 Authenticator.
//! * Agave v2: `GET {base}/profiles/v2/me`, or `GET {base}/profiles/v2/{username}`, with
//!   `Authorization: Bearer`.
//!
//! Only `username` is guaranteed; every other field may be missing or null.

use serde_json::Value;

use super::Pending;
use crate::protocol::{self, str_field, v2, v3, Context, Envelope};
use crate::{Error, HttpRequest, Method, Replay, Session};

/// A user profile. Field names follow Tapis (`given_name`) and Agave (`first_name`,
/// `firstName`); all optional except `username`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserInfo {
    /// Username.
    pub username: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Given name (`given_name`, `first_name`, `firstName`).
    pub first_name: Option<String>,
    /// Family name (`last_name`, `lastName`).
    pub last_name: Option<String>,
    /// Full name (Agave `full_name`).
    pub full_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Numeric uid (`uid`), as text.
    pub uid: Option<String>,
}

impl UserInfo {
    /// Reads a profile object (the envelope's `result`).
    pub fn from_json(v: &Value) -> Option<Self> {
        Some(Self {
            username: str_field(v, &["username"])?,
            email: str_field(v, &["email"]),
            first_name: str_field(v, &["given_name", "first_name", "firstName"]),
            last_name: str_field(v, &["last_name", "lastName", "family_name"]),
            full_name: str_field(v, &["full_name"]),
            phone: str_field(v, &["phone"]),
            uid: str_field(v, &["uid"]),
        })
    }
}

/// The profile of the session's user.
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::userinfo::userinfo, BaseUrl, HttpResponse, Platform,
///     Secret, Session, Tenant, TokenSet, UnixTime};
/// let mut s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("jwt"), None, Some(100)));
/// let ex = userinfo(&s).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(req.header_value("X-Tapis-Token"), Some("jwt"));
/// let u = ex.finish(UnixTime(0), HttpResponse::new(200, r#"{"result":{"username":"apitest","given_name":null},
///   "status":"success","message":"User profile retrieved successfully.","version":"1.6.0","metadata":{}}"#)).unwrap();
/// assert_eq!(u.username, "apitest");
/// ```
pub fn userinfo(session: &Session) -> Result<Pending<UserInfo>, Error> {
    profile(session, None)
}

/// The profile of `username`, or with `None` the session's own user (the same requests as
/// [`userinfo`]).
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::userinfo::profile, BaseUrl, Platform, Secret,
///     Session, Tenant, TokenSet, UnixTime};
/// let mut s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("jwt"), None, Some(100)));
/// let ex = profile(&s, Some("j doe")).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(req.url.as_str(), "https://tacc.tapis.io/v3/oauth2/profiles/j%20doe");
/// ```
pub fn profile(session: &Session, username: Option<&str>) -> Result<Pending<UserInfo>, Error> {
    let platform = session.platform();
    let base = session.tenant.base_url.clone();
    let url = match (platform, username) {
        (crate::Platform::TapisV3, None) => base.join(v3::USERINFO_PATH),
        (crate::Platform::AgaveV2, None) => base.join(v2::PROFILE_PATH),
        (_, Some(u)) => {
            if u.is_empty() {
                return Err(Error::Config("empty username".into()));
            }
            let dir = match platform {
                crate::Platform::TapisV3 => v3::PROFILES_PATH,
                crate::Platform::AgaveV2 => v2::PROFILES_PATH,
            };
            let mut url =
                url::Url::parse(&base.join(dir)).map_err(|e| Error::Config(e.to_string()))?;
            url.path_segments_mut()
                .map_err(|()| Error::Config("invalid base URL".into()))?
                .push(u);
            url.to_string()
        }
    };
    let request = HttpRequest::new(Method::Get, url, Replay::Safe);
    let request = crate::authorize(session, request)?;
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(request, move |_now, resp| {
        if !resp.is_success() {
            return Err(protocol::classify(
                platform,
                Context::UserInfo,
                &resp,
                &protocol::borrowed(&secrets),
            ));
        }
        let result = Envelope::parse(&resp.body)?.into_result("a user profile")?;
        UserInfo::from_json(&result).ok_or_else(|| Error::Malformed {
            expected: "a user profile with a username".into(),
            detail: "username is missing".into(),
        })
    }))
}
