//! Tenant discovery. **No token is ever sent**: the listings are public, and an expired token
//! would turn them into failures.
//!
//! * Tapis v3: `GET {base}/v3/tenants` and `GET {base}/v3/tenants/{id}`; every field of a record
//!   is optional (falsy fields are omitted); an unknown tenant is HTTP 400 `"No tenant found
//!   with tenant_id {id}."` ⇒ [`Error::Config`] (the caller named a tenant that does not exist).
//! * Agave v2: `GET {tenants_url}` (default [`DEFAULT_V2_TENANTS_URL`]); records
//!   `{code, baseUrl, name}`.
//!
//! Records without a usable base URL are skipped.

use serde_json::Value;

use super::Pending;
pub use crate::protocol::v2::DEFAULT_TENANTS_URL as DEFAULT_V2_TENANTS_URL;
use crate::protocol::{self, str_field, v3, Context, Envelope};
use crate::{BaseUrl, Error, HttpRequest, Method, Platform, Replay, Tenant};

/// Lists tenants. `url` is a tenant base URL for Tapis v3 (the listing is served under every
/// tenant's base URL) and the listing URL itself for Agave v2.
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::tenants::list_tenants, HttpResponse, Platform, UnixTime};
/// let ex = list_tenants("https://tacc.tapis.io/", Platform::TapisV3).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(req.url, "https://tacc.tapis.io/v3/tenants");
/// assert!(req.headers.is_empty());
/// let t = ex.finish(UnixTime(0), HttpResponse::new(200, r#"{"result":[{"tenant_id":"tacc",
///   "base_url":"https://tacc.tapis.io","status":"ACTIVE"}],"status":"success","message":"Tenants retrieved successfully.",
///   "version":"1.2.2","metadata":{}}"#)).unwrap();
/// assert_eq!(t[0].id.as_deref(), Some("tacc"));
/// ```
pub fn list_tenants(url: &str, platform: Platform) -> Result<Pending<Vec<Tenant>>, Error> {
    let target = match platform {
        Platform::TapisV3 => BaseUrl::parse(url)?.join(v3::TENANTS_PATH),
        Platform::AgaveV2 => {
            let u = url::Url::parse(url.trim())
                .map_err(|e| Error::Config(format!("invalid tenants URL {url:?}: {e}")))?;
            if !matches!(u.scheme(), "https" | "http") {
                return Err(Error::Config(format!(
                    "invalid tenants URL {url:?}: scheme must be https"
                )));
            }
            u.to_string()
        }
    };
    let request = HttpRequest::new(Method::Get, target, Replay::Safe);
    Ok(Pending::new(request, move |_now, resp| {
        if !resp.is_success() {
            return Err(protocol::classify(platform, Context::Tenants, &resp, &[]));
        }
        let result = Envelope::parse(&resp.body)?.into_result("a list of tenants")?;
        let Value::Array(items) = result else {
            return Err(Error::Malformed {
                expected: "a list of tenants".into(),
                detail: "result is not an array".into(),
            });
        };
        Ok(items
            .iter()
            .filter_map(|v| tenant_from_json(v, platform))
            .collect())
    }))
}

/// Gets one Tapis v3 tenant by id (`GET {base}/v3/tenants/{id}`). Agave v2 has no such
/// endpoint ([`Error::Unsupported`]; list and [`resolve`] instead).
pub fn get_tenant(base: &str, platform: Platform, id: &str) -> Result<Pending<Tenant>, Error> {
    if platform != Platform::TapisV3 {
        return Err(Error::Unsupported {
            message: "Agave v2 has no per-tenant endpoint; list the tenants and resolve the id"
                .into(),
            status: None,
        });
    }
    let base = BaseUrl::parse(base)?;
    let mut url =
        url::Url::parse(&base.join(v3::TENANTS_PATH)).map_err(|e| Error::Config(e.to_string()))?;
    url.path_segments_mut()
        .map_err(|()| Error::Config("base URL cannot have a path".into()))?
        .push(id);
    let request = HttpRequest::new(Method::Get, url.to_string(), Replay::Safe);
    Ok(Pending::new(request, move |_now, resp| {
        if !resp.is_success() {
            return Err(protocol::classify(platform, Context::Tenants, &resp, &[]));
        }
        let result = Envelope::parse(&resp.body)?.into_result("a tenant record")?;
        tenant_from_json(&result, platform).ok_or_else(|| Error::Malformed {
            expected: "a tenant record with a base_url".into(),
            detail: "base_url is missing or invalid".into(),
        })
    }))
}

/// Builds a [`Tenant`] from a v3 Tenants record or a v2 listing entry; `None` without a
/// usable base URL.
pub fn tenant_from_json(v: &Value, platform: Platform) -> Option<Tenant> {
    match platform {
        Platform::TapisV3 => {
            let mut t = Tenant::new(
                BaseUrl::parse(&str_field(v, &["base_url"])?).ok()?,
                platform,
            );
            t.id = str_field(v, &["tenant_id"]);
            t.name = str_field(v, &["description"]);
            t.site_id = str_field(v, &["site_id"]);
            t.status = str_field(v, &["status"]);
            t.token_service = str_field(v, &["token_service"]);
            t.authenticator = str_field(v, &["authenticator"]);
            t.public_key = str_field(v, &["public_key"]);
            Some(t)
        }
        Platform::AgaveV2 => {
            let mut t = Tenant::new(
                BaseUrl::parse(&str_field(v, &["baseUrl", "base_url"])?).ok()?,
                platform,
            );
            t.id = str_field(v, &["code", "tenant_id"]);
            t.name = str_field(v, &["name"]);
            Some(t)
        }
    }
}

/// Finds a tenant by id (case-insensitive) or by base URL (normalised with [`BaseUrl::parse`],
/// so a trailing slash or upper-case host does not matter).
pub fn resolve<'a>(tenants: &'a [Tenant], id_or_url: &str) -> Option<&'a Tenant> {
    let key = id_or_url.trim();
    if let Some(t) = tenants.iter().find(|t| {
        t.id.as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(key))
    }) {
        return Some(t);
    }
    let url = BaseUrl::parse(key).ok()?;
    tenants.iter().find(|t| t.base_url == url)
}
