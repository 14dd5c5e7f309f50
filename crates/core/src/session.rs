//! [`Session`]: everything needed to hand out tokens for one login — tenant, user, OAuth
//! client and tokens — stored under a profile name.

use serde::{Deserialize, Serialize};

use crate::{OAuthClient, Platform, Secret, Tenant, TokenSet};

/// The profile name used when the caller names none.
pub const DEFAULT_PROFILE: &str = "default";

/// One login: what a store saves under a profile name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Profile name (the store key).
    pub profile: String,
    /// The tenant the session belongs to.
    pub tenant: Tenant,
    /// Username, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The OAuth client used to log in and refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<OAuthClient>,
    /// Current tokens; `None` before the first login or after logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenSet>,
    /// A password supplied by the caller or the environment (Standard profile). Held in memory
    /// only: never serialised, never written by any store.
    #[serde(skip)]
    pub password: Option<Secret>,
}

impl Session {
    /// A session with no user, client or tokens yet.
    pub fn new(profile: impl Into<String>, tenant: Tenant) -> Self {
        Self {
            profile: profile.into(),
            tenant,
            username: None,
            client: None,
            tokens: None,
            password: None,
        }
    }

    /// The tenant's platform.
    pub fn platform(&self) -> Platform {
        self.tenant.platform
    }

    /// The refresh token, if the session has one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.tokens.as_ref().and_then(|t| t.refresh_token.as_ref())
    }

    /// The secrets this session holds, for redacting server messages.
    pub fn secrets(&self) -> Vec<&Secret> {
        let mut v = Vec::with_capacity(4);
        if let Some(k) = self.client.as_ref().and_then(|c| c.key.as_ref()) {
            v.push(k);
        }
        if let Some(t) = &self.tokens {
            v.push(&t.access_token);
            if let Some(r) = &t.refresh_token {
                v.push(r);
            }
        }
        if let Some(p) = &self.password {
            v.push(p);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BaseUrl, UnixTime};

    #[test]
    fn password_is_never_serialised_and_debug_redacts() {
        let mut s = Session::new(
            "p",
            Tenant::new(
                BaseUrl::parse("https://tacc.tapis.io").unwrap(),
                Platform::TapisV3,
            ),
        );
        s.password = Some(Secret::new("pa55word!"));
        s.client = Some(OAuthClient::new("cid", "client-key-xyz"));
        s.tokens = Some(TokenSet::new(
            UnixTime(0),
            Secret::new("access-abc"),
            Some(Secret::new("refresh-def")),
            Some(10),
        ));
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("pa55word!"));
        let dbg = format!("{s:?}");
        for secret in ["pa55word!", "client-key-xyz", "access-abc", "refresh-def"] {
            assert!(!dbg.contains(secret), "{secret} leaked into Debug: {dbg}");
        }
        let back: Session = serde_json::from_str(&json).unwrap();
        assert_eq!(back.password, None);
        assert_eq!(back.tokens, s.tokens);
    }
}
