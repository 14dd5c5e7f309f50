//! Tenant resolution, in one place: which tenant (base URL, platform, id) the options name, for
//! a restore from explicit options and for a login; where Agave v2 tenants are listed; and
//! listing tenants ([`list_tenants`], [`AuthSession::list_tenants`]).
//!
//! A tenant is named by its base URL, or by a tenant id: a Tapis v3 id is
//! `https://<id>.tapis.io` (no request); an Agave v2 id (the platform says v2, or none is given
//! and the id is dotted, like `tacc.prod`) is looked up in the tenants listing — the
//! configured one ([`Options::tenants_url`]), else `TAPIS_TENANTS_URL`, else
//! `AGAVE_TENANTS_API_BASEURL`, else TACC's. Those variables are read through the environment
//! lookup the restore or login took at its start, never from the process by the functions here.

use tapis_auth_core::flow::tenants;
use tapis_auth_core::{
    BaseUrl, Clock, Error, HttpRequest, Method, Platform, Replay, Tenant, Transport,
};

use crate::options::Options;
use crate::precedence::{process_env, Env};
use crate::session::AuthSession;

impl AuthSession {
    /// Resolves the tenant named by the options: base URL (normalised) or tenant id; the
    /// platform given, else guessed from the URL, else detected by asking the server.
    pub fn resolve_tenant(&self) -> Result<Tenant, Error> {
        self.resolver(&process_env).for_login()
    }

    /// Lists tenants (never sends a token).
    pub fn list_tenants(
        &self,
        base_url: &BaseUrl,
        platform: Platform,
    ) -> Result<Vec<Tenant>, Error> {
        self.resolver(&process_env).list(base_url, platform)
    }

    /// Tenant resolution with this session's options, transport and clock.
    fn resolver<'a>(&'a self, env: Env<'a>) -> Resolver<'a> {
        Resolver {
            options: self.options(),
            env,
            transport: self.transport(),
            clock: self.clock(),
        }
    }
}

/// Lists tenants at `base_url` (v3: `/v3/tenants`; v2: the tenants listing URL —
/// `tenants_url`, else `TAPIS_TENANTS_URL`, else `AGAVE_TENANTS_API_BASEURL`, else
/// `<base_url>/tenants`). Never sends a token.
pub fn list_tenants(
    transport: &dyn Transport,
    clock: &dyn Clock,
    base_url: &BaseUrl,
    platform: Platform,
    tenants_url: Option<&str>,
) -> Result<Vec<Tenant>, Error> {
    list_at(
        transport,
        clock,
        base_url,
        platform,
        tenants_url,
        &process_env,
    )
}

/// [`list_tenants`] with the environment `env`.
fn list_at(
    transport: &dyn Transport,
    clock: &dyn Clock,
    base_url: &BaseUrl,
    platform: Platform,
    tenants_url: Option<&str>,
    env: Env,
) -> Result<Vec<Tenant>, Error> {
    let url = match platform {
        Platform::TapisV3 => base_url.to_string(),
        Platform::AgaveV2 => {
            v2_tenants_url(tenants_url, env).unwrap_or_else(|| base_url.join("/tenants"))
        }
    };
    tenants::list_tenants(&url, platform)?.send(clock, transport)
}

/// What the options name as the tenant, before its platform is settled.
enum Named {
    /// A base URL (given, or a Tapis v3 tenant id's).
    Base(BaseUrl),
    /// An Agave v2 tenant, found in the tenants listing by its id.
    Listed(Tenant),
}

/// Resolves the tenant the options name. It holds the environment lookup taken by the restore
/// or login it serves, and the transport and clock for the requests it may send (tenant
/// listings and a platform probe, never with a token).
pub(crate) struct Resolver<'a> {
    /// The options naming the tenant.
    pub(crate) options: &'a Options,
    /// The environment, as the restore or login took it.
    pub(crate) env: Env<'a>,
    /// For tenant listings and the platform probe.
    pub(crate) transport: &'a dyn Transport,
    /// For the flows' timestamps.
    pub(crate) clock: &'a dyn Clock,
}

impl Resolver<'_> {
    /// What the options name ([`Resolver::named`]), or [`Error::Config`] saying `missing`.
    fn named_or(&self, missing: &str) -> Result<Named, Error> {
        self.named()?.ok_or_else(|| Error::Config(missing.into()))
    }

    /// The tenant named by explicit options for a restore: the base URL when given; else the
    /// tenant id — Tapis v3 `https://<id>.tapis.io` (no request), or an Agave v2 one
    /// ([`names_v2_tenant`]) looked up in the tenants listing. The platform is the one given,
    /// else guessed from the URL, else Tapis v3 when the access token is a JWT, else Agave v2.
    pub(crate) fn for_restore(&self) -> Result<Tenant, Error> {
        let o = self.options;
        let base = match self
            .named_or("explicit credentials need a tenant: give a base URL or a tenant id")?
        {
            Named::Base(base) => base,
            Named::Listed(tenant) => return Ok(tenant),
        };
        let platform = o
            .platform
            .or_else(|| Platform::guess_from_url(&base))
            .or_else(|| {
                o.access_token
                    .as_ref()
                    .and_then(|t| tapis_auth_core::JwtClaims::decode(t.expose()))
                    .map(|_| Platform::TapisV3)
            })
            .unwrap_or(Platform::AgaveV2);
        let mut tenant = Tenant::new(base, platform);
        tenant.id = o.tenant_id.clone();
        Ok(tenant)
    }

    /// The tenant named by the options for a login: base URL (normalised) or tenant id; the
    /// platform given, else guessed from the URL, else detected by asking the server. An Agave
    /// v2 tenant's id is filled in from the tenants listing, a Tapis v3 tenant's record (id,
    /// public key) from the server's; both best effort.
    pub(crate) fn for_login(&self) -> Result<Tenant, Error> {
        let o = self.options;
        let base = match self.named_or("no tenant given: pass a tenant id (e.g. --tenant tacc) or a base URL (--base-url https://tacc.tapis.io)")? {
            Named::Base(base) => base,
            Named::Listed(tenant) => return Ok(tenant),
        };
        let platform = match o.platform.or_else(|| Platform::guess_from_url(&base)) {
            Some(p) => p,
            None => self.detect_platform(&base)?,
        };
        let mut tenant = Tenant::new(base, platform);
        tenant.id = o.tenant_id.clone();
        if platform == Platform::AgaveV2 && tenant.id.is_none() {
            tenant.id = self.v2_tenant_id(&tenant.base_url);
        }
        if platform == Platform::TapisV3 {
            // Fill in the tenant record (id, public key) when the server has it; best effort.
            if let Ok(all) = self.list(&tenant.base_url, platform) {
                if let Some(t) = tenants::resolve(&all, tenant.base_url.as_str()).or_else(|| {
                    o.tenant_id
                        .as_deref()
                        .and_then(|id| tenants::resolve(&all, id))
                }) {
                    let mut t = t.clone();
                    t.base_url = tenant.base_url.clone();
                    t.platform = platform;
                    tenant = t;
                }
            }
        }
        Ok(tenant)
    }

    /// Lists tenants at `base_url` with the options' tenants listing and this environment.
    pub(crate) fn list(
        &self,
        base_url: &BaseUrl,
        platform: Platform,
    ) -> Result<Vec<Tenant>, Error> {
        list_at(
            self.transport,
            self.clock,
            base_url,
            platform,
            self.options.tenants_url.as_deref(),
            self.env,
        )
    }

    /// What the options name: a base URL (given, or a Tapis v3 tenant id's) or an Agave v2
    /// tenant looked up by its id; `None` when they give neither a base URL nor a tenant id.
    fn named(&self) -> Result<Option<Named>, Error> {
        let o = self.options;
        Ok(Some(match (&o.base_url, &o.tenant_id) {
            (Some(url), _) => Named::Base(BaseUrl::parse(url)?),
            (None, Some(id)) if names_v2_tenant(o.platform, id) => {
                Named::Listed(self.find_v2_tenant(id)?)
            }
            (None, Some(id)) => Named::Base(v3_tenant_url(id)?),
            (None, None) => return Ok(None),
        }))
    }

    /// Looks the Agave v2 tenant `id` up in the tenants listing named by the options
    /// ([`Options::tenants_url`], else `TAPIS_TENANTS_URL`, else `AGAVE_TENANTS_API_BASEURL`,
    /// else TACC's). One request.
    fn find_v2_tenant(&self, id: &str) -> Result<Tenant, Error> {
        let listing = v2_tenants_url(self.options.tenants_url.as_deref(), self.env)
            .unwrap_or_else(|| tenants::DEFAULT_V2_TENANTS_URL.to_owned());
        let all =
            tenants::list_tenants(&listing, Platform::AgaveV2)?.send(self.clock, self.transport)?;
        tenants::resolve(&all, id).cloned().ok_or_else(|| {
            // The listing was fetched, so it parses; named without `user:password@` or query.
            let shown = url::Url::parse(&listing)
                .map(|mut u| {
                    let _ = u.set_username("");
                    let _ = u.set_password(None);
                    u.set_query(None);
                    u.to_string()
                })
                .unwrap_or_default();
            Error::Config(format!(
                "no Agave v2 tenant {id:?} at {shown}; give the tenant's base URL instead"
            ))
        })
    }

    /// The Agave v2 tenant id of `base`, from the tenants listing (the configured one, else
    /// `<base>/tenants`); `None` when it is not listed or cannot be read. Best effort: the
    /// bash Agave CLI refuses a `current` without a tenant id, so a login fills it in.
    fn v2_tenant_id(&self, base: &BaseUrl) -> Option<String> {
        let all = self.list(base, Platform::AgaveV2).ok()?;
        tenants::resolve(&all, base.as_str()).and_then(|t| t.id.clone())
    }

    /// Asks the server which platform it speaks: a Tapis v3 tenants listing (2xx), or Agave v2
    /// when `/v3/tenants` definitely is not there (404, 410). Any other answer is an error.
    fn detect_platform(&self, base: &BaseUrl) -> Result<Platform, Error> {
        let req = HttpRequest::new(Method::Get, base.join("/v3/tenants"), Replay::Safe);
        // Only a definite "not here" means Agave v2: a Tapis v3 tenant that is down (503),
        // rate-limiting or refusing would otherwise be sent the password as HTTP Basic on
        // `/clients/v2`.
        match self.transport.send(&req) {
            Ok(r) if r.is_success() => Ok(Platform::TapisV3),
            Ok(r) if matches!(r.status, 404 | 410) => Ok(Platform::AgaveV2),
            Ok(r) => Err(Error::Server {
                status: r.status,
                message: format!(
                    "cannot tell whether {base} is a Tapis v3 or an Agave v2 tenant: GET /v3/tenants \
                     answered HTTP {} (only 404 means \"not Tapis v3\"); try again later, or name \
                     the platform (--platform v3 or v2)",
                    r.status
                ),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

/// The Tapis v3 base URL of tenant `id`: `https://<id>.tapis.io`. The id must be DNS labels
/// (letters, digits, `-`, separated by `.`), so that it cannot name another host
/// (`evil.example/`, `user@host`, `host:port`). The id is not echoed: it may be a pasted URL.
pub(crate) fn v3_tenant_url(id: &str) -> Result<BaseUrl, Error> {
    if !is_tenant_id(id) {
        return Err(Error::Config(
            "invalid tenant id: a tenant id holds only letters, digits, '-' and '.'; give the tenant's base URL instead".into(),
        ));
    }
    BaseUrl::parse(&format!("https://{}.tapis.io", id.to_ascii_lowercase()))
}

/// Whether `id` has the shape of a tenant id: DNS labels (letters, digits, `-`) joined by `.`.
fn is_tenant_id(id: &str) -> bool {
    let is_label =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    id.split('.').all(is_label)
}

/// Where Agave v2 tenants are listed: `configured` (the option), else `TAPIS_TENANTS_URL`
/// (agavepy 1.0, tapis-cli), else `AGAVE_TENANTS_API_BASEURL` (the bash Agave CLI's
/// `tenants-common.sh`, which uses it as the listing URL itself), read through `env`. Empty
/// values count as unset.
pub(crate) fn v2_tenants_url(configured: Option<&str>, env: Env) -> Option<String> {
    let set = |u: &String| !u.trim().is_empty();
    configured
        .map(str::to_owned)
        .filter(set)
        .or_else(|| env("TAPIS_TENANTS_URL").filter(set))
        .or_else(|| env("AGAVE_TENANTS_API_BASEURL").filter(set))
}

/// Whether tenant id `id` names an Agave v2 tenant (looked up in the tenants listing) rather
/// than the Tapis v3 `https://<id>.tapis.io`: the platform says so, or none is given and the
/// id is dotted ("tacc.prod", "iplantc.org"; a Tapis v3 tenant id is one DNS label).
/// An id of any other shape is neither: it is refused as an invalid tenant id.
pub(crate) fn names_v2_tenant(platform: Option<Platform>, id: &str) -> bool {
    match platform {
        Some(p) => p == Platform::AgaveV2,
        None => id.contains('.') && is_tenant_id(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_id_is_dns_labels_and_names_only_tapis_io() {
        assert_eq!(
            v3_tenant_url("TACC").unwrap().as_str(),
            BaseUrl::parse("https://tacc.tapis.io").unwrap().as_str()
        );
        for bad in ["", "a..b", "evil.example/", "user@host", "host:443", "a b"] {
            assert!(v3_tenant_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_dotted_id_names_agave_v2_unless_the_platform_says_otherwise() {
        assert!(names_v2_tenant(None, "tacc.prod"));
        assert!(!names_v2_tenant(None, "tacc"));
        assert!(!names_v2_tenant(None, "evil.example/"));
        assert!(names_v2_tenant(Some(Platform::AgaveV2), "tacc"));
        assert!(!names_v2_tenant(Some(Platform::TapisV3), "tacc.prod"));
    }

    #[test]
    fn the_v2_listing_is_the_option_then_tapis_tenants_url_then_agaves() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both = env(&[
            ("TAPIS_TENANTS_URL", "https://t.example/tenants"),
            ("AGAVE_TENANTS_API_BASEURL", "https://a.example/tenants"),
        ]);
        assert_eq!(
            v2_tenants_url(Some("https://o.example/t"), &both).as_deref(),
            Some("https://o.example/t")
        );
        assert_eq!(
            v2_tenants_url(None, &both).as_deref(),
            Some("https://t.example/tenants")
        );
        let agave = env(&[("AGAVE_TENANTS_API_BASEURL", "https://a.example/tenants")]);
        assert_eq!(
            v2_tenants_url(None, &agave).as_deref(),
            Some("https://a.example/tenants")
        );
        assert_eq!(v2_tenants_url(None, &env(&[])), None);
        // Empty values count as unset: the next setting is used.
        let blank = env(&[
            ("TAPIS_TENANTS_URL", "  "),
            ("AGAVE_TENANTS_API_BASEURL", "https://a.example/tenants"),
        ]);
        assert_eq!(
            v2_tenants_url(Some(""), &blank).as_deref(),
            Some("https://a.example/tenants")
        );
    }
}
