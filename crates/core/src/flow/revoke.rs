//! Token revocation (logout).
//!
//! * Tapis v3: `POST {base}/v3/oauth2/tokens/revoke`, JSON `{"token":".."}`, **no
//!   authentication**. A 400 `"Invalid POST data; could not validate the token: ..."` means the
//!   token has already expired: nothing to do, reported as success.
//! * Agave v2: best effort `POST {base}/revoke`, form `token=..`, Basic `apikey:apisecret`.
//!   **WSO2 revocation is broken on TACC** (TACC-Cloud/agave-cli#35: the bash CLI's
//!   `auth-tokens-revoke` was removed as non-functional), so callers must delete local
//!   credentials whatever this returns; logout always does.

use super::Pending;
use crate::protocol::{self, v2, v3, Context};
use crate::{Error, HttpRequest, Method, Platform, Replay, Secret, Session};

/// Revokes `token` (an access or refresh token) on the session's tenant.
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::revoke::revoke, BaseUrl, HttpResponse, Platform,
///     Secret, Session, Tenant, UnixTime};
/// let s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// let ex = revoke(&s, &Secret::new("eyJ.a.b")).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(&req.body.as_ref().unwrap().bytes[..], br#"{"token":"eyJ.a.b"}"#);
/// assert!(req.headers.is_empty());
/// ex.finish(UnixTime(0), HttpResponse::new(400, r#"{"result":null,"status":"error","version":"1.6.0",
///   "message":"Invalid POST data; could not validate the token: debug data: ...","metadata":{}}"#)).unwrap();
/// ```
pub fn revoke(session: &Session, token: &Secret) -> Result<Pending<()>, Error> {
    let platform = session.platform();
    let base = &session.tenant.base_url;
    let request = match platform {
        Platform::TapisV3 => protocol::with_json(
            HttpRequest::new(Method::Post, base.join(v3::REVOKE_PATH), Replay::Safe),
            &[("token", Some(token.expose()))],
        ),
        Platform::AgaveV2 => {
            let client = session
                .client
                .as_ref()
                .filter(|c| c.is_confidential())
                .ok_or_else(|| {
                    Error::Config(
                        "revoking on Agave v2 needs the OAuth client's key and secret".into(),
                    )
                })?;
            let key = client
                .key
                .as_ref()
                .ok_or(Error::ApiMisuse("confidential client without key"))?;
            HttpRequest::new(Method::Post, base.join(v2::REVOKE_PATH), Replay::Safe)
                .header("Authorization", protocol::basic_auth(&client.id, key))
                .form(&[("token", token.expose())])
        }
    };
    let mut secrets = protocol::owned_secrets(&session.secrets());
    secrets.push(token.clone());
    Ok(Pending::new(request, move |_now, resp| {
        if resp.is_success() {
            return Ok(());
        }
        if platform == Platform::TapisV3
            && resp.status == 400
            && protocol::envelope_message(&resp)
                .is_some_and(|m| m.contains("could not validate the token"))
        {
            return Ok(());
        }
        Err(protocol::classify(
            platform,
            Context::Revoke,
            &resp,
            &protocol::borrowed(&secrets),
        ))
    }))
}
