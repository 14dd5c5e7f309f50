//! Tenants: which platform a server speaks ([`Platform`]), its normalised [`BaseUrl`], and the
//! tenant record ([`Tenant`]) as the Tapis v3 Tenants API or the Agave v2 tenants listing give it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The wire dialect a tenant speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Platform {
    /// Tapis v3 (`https://<tenant>.tapis.io/v3/...`): JSON bodies, `X-Tapis-Token`, JWT tokens.
    #[serde(rename = "tapis-v3", alias = "v3", alias = "tapis")]
    TapisV3,
    /// Agave v2 (WSO2 gateway): form-encoded `/token`, `Authorization: Bearer`, opaque tokens.
    #[serde(rename = "agave-v2", alias = "v2", alias = "agave")]
    AgaveV2,
}

impl Platform {
    /// Stable short name: `"tapis-v3"` or `"agave-v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::TapisV3 => "tapis-v3",
            Platform::AgaveV2 => "agave-v2",
        }
    }

    /// Parses `v3`, `tapis`, `tapis-v3`, `v2`, `agave`, `agave-v2` (case-insensitive).
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "v3" | "tapis" | "tapis-v3" | "tapisv3" => Ok(Platform::TapisV3),
            "v2" | "agave" | "agave-v2" | "agavev2" => Ok(Platform::AgaveV2),
            other => Err(Error::Config(format!(
                "unknown platform {other:?}: expected v3 (Tapis) or v2 (Agave)"
            ))),
        }
    }

    /// Guesses the platform from a base URL: `*.tapis.io` and URLs ending in `/v3` are Tapis v3;
    /// everything else is unknown (`None`).
    pub fn guess_from_url(url: &BaseUrl) -> Option<Self> {
        let host = url.host();
        if host.ends_with(".tapis.io") || host == "tapis.io" {
            Some(Platform::TapisV3)
        } else {
            None
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant's base URL, normalised so that `https://X.tapis.io/` and `https://x.tapis.io`
/// compare equal: scheme and host lower-case, default port dropped, no trailing slash, no
/// query or fragment. A path prefix is kept (`https://host/prefix`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Parses and normalises a base URL. Only `http` and `https` are accepted.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let trimmed = &*without_userinfo(text.trim());
        let url = url::Url::parse(trimmed)
            .map_err(|e| Error::Config(format!("invalid base URL {trimmed:?}: {e}")))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(Error::Config(format!(
                "invalid base URL {trimmed:?}: scheme must be https (or http for a local server)"
            )));
        }
        if url.host_str().is_none() {
            return Err(Error::Config(format!(
                "invalid base URL {trimmed:?}: no host"
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Config(
                "invalid base URL: credentials must not be part of the URL".into(),
            ));
        }
        // url::Url already lower-cases scheme and host and drops default ports.
        let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
        if let Some(port) = url.port() {
            s.push(':');
            s.push_str(&port.to_string());
        }
        s.push_str(url.path().trim_end_matches('/'));
        Ok(Self(s))
    }

    /// The normalised URL text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of an endpoint below the base: `join("/v3/oauth2/tokens")`. Exactly one `/`
    /// separates base and path (no `//token`, and a path prefix is kept, unlike `urljoin`).
    pub fn join(&self, path: &str) -> String {
        let mut s = String::with_capacity(self.0.len() + path.len() + 1);
        s.push_str(&self.0);
        if !path.starts_with('/') {
            s.push('/');
        }
        s.push_str(path);
        s
    }

    /// The host (lower-case, without port).
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map(|x| x.1).unwrap_or(&self.0);
        let end = rest.find(['/', ':']).unwrap_or(rest.len());
        // IPv6 literals keep their brackets; good enough for comparisons.
        if rest.starts_with('[') {
            return &rest[..rest.find(']').map(|i| i + 1).unwrap_or(rest.len())];
        }
        &rest[..end]
    }

    /// True for `https://` URLs.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// True when the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        let h = self.host();
        h == "localhost" || h.starts_with("127.") || h == "[::1]"
    }
}

/// `text` with any `user:password@` part removed, so that error messages never echo
/// credentials someone put into a URL.
fn without_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(at) = text.rfind('@') else {
        return text.into();
    };
    let start = text.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = text[start..]
        .find('/')
        .map(|i| i + start)
        .unwrap_or(text.len());
    if at < start || at > host_end {
        return text.into();
    }
    format!(
        "{}[credentials removed]@{}",
        &text[..start],
        &text[at + 1..]
    )
    .into()
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.0)
    }
}

impl TryFrom<String> for BaseUrl {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<BaseUrl> for String {
    fn from(value: BaseUrl) -> Self {
        value.0
    }
}

/// A tenant. Only `base_url` and `platform` are required; every field the server may omit is
/// optional (Tapis omits falsy fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Tenant id (`tacc`, `designsafe`; Agave: `code` such as `tacc.prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Normalised base URL.
    pub base_url: BaseUrl,
    /// Which dialect the tenant speaks.
    pub platform: Platform,
    /// Human-readable name or description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tapis v3: the site this tenant belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// Tapis v3: `ACTIVE`, `DRAFT` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Tapis v3: the Tokens service URL (the JWT `iss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_service: Option<String>,
    /// Tapis v3: the Authenticator URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<String>,
    /// Tapis v3: the tenant's RS256 public key (PEM SPKI) that signs its tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

impl Tenant {
    /// A tenant known only by its base URL and platform.
    pub fn new(base_url: BaseUrl, platform: Platform) -> Self {
        Self {
            id: None,
            base_url,
            platform,
            name: None,
            site_id: None,
            status: None,
            token_service: None,
            authenticator: None,
            public_key: None,
        }
    }

    /// Sets the tenant id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_normalises() {
        let a = BaseUrl::parse("HTTPS://Tacc.Tapis.IO/").unwrap();
        let b = BaseUrl::parse("https://tacc.tapis.io").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "https://tacc.tapis.io");
        assert_eq!(
            BaseUrl::parse("https://host:443/prefix/").unwrap().as_str(),
            "https://host/prefix"
        );
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn join_keeps_prefix_and_single_slash() {
        let u = BaseUrl::parse("https://agave.iplantc.org/").unwrap();
        assert_eq!(u.join("/token"), "https://agave.iplantc.org/token");
        let p = BaseUrl::parse("https://host/prefix").unwrap();
        assert_eq!(p.join("token"), "https://host/prefix/token");
    }

    #[test]
    fn base_url_rejects_bad_input_with_a_clear_message() {
        let e = BaseUrl::parse("ftp://x").unwrap_err().to_string();
        assert!(e.contains("scheme"), "{e}");
        assert!(BaseUrl::parse("not a url").is_err());
        let e = BaseUrl::parse("https://user:s3cr3t-pw@host")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cr3t-pw"), "{e}");
        let e = BaseUrl::parse("ftp://user:s3cr3t-pw@host/x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cr3t-pw") && e.contains("scheme"), "{e}");
    }

    #[test]
    fn host_and_loopback() {
        let u = BaseUrl::parse("http://127.0.0.1:9999/x").unwrap();
        assert_eq!(u.host(), "127.0.0.1");
        assert!(u.is_loopback());
        assert!(!BaseUrl::parse("https://tacc.tapis.io")
            .unwrap()
            .is_loopback());
        assert_eq!(
            Platform::guess_from_url(&BaseUrl::parse("https://tacc.tapis.io").unwrap()),
            Some(Platform::TapisV3)
        );
    }

    #[test]
    fn platform_parse() {
        assert_eq!(Platform::parse("V3").unwrap(), Platform::TapisV3);
        assert_eq!(Platform::parse("agave").unwrap(), Platform::AgaveV2);
        assert!(Platform::parse("v4")
            .unwrap_err()
            .to_string()
            .contains("v4"));
    }
}
