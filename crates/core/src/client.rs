//! [`OAuthClient`]: the OAuth client (Tapis v3 `client_id`/`client_key`, Agave v2
//! `consumerKey`/`consumerSecret`, agavepy `apikey`/`apisecret`) a session logs in and refreshes with.

use serde::{Deserialize, Serialize};

use crate::Secret;

/// An OAuth client. `key` is the confidential part and is a [`Secret`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    /// Client id (v3 `client_id`, v2 `consumerKey` / agavepy `apikey`).
    pub id: String,
    /// Client key (v3 `client_key`, v2 `consumerSecret` / agavepy `apisecret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Secret>,
    /// Display name (v2: the `clientName` used in `/clients/v2/{name}` URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Registered callback URL (needed by the authorization-code flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl OAuthClient {
    /// A client with an id and a key.
    pub fn new(id: impl Into<String>, key: impl Into<Secret>) -> Self {
        Self {
            id: id.into(),
            key: Some(key.into()),
            name: None,
            callback_url: None,
            description: None,
        }
    }

    /// A public client: an id with no key (enough for the Tapis device-code flow, not for refresh).
    pub fn public(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            key: None,
            name: None,
            callback_url: None,
            description: None,
        }
    }

    /// True when both id and key are known, so the client can authenticate (refresh, code exchange).
    pub fn is_confidential(&self) -> bool {
        !self.id.is_empty() && self.key.as_ref().is_some_and(|k| !k.is_empty())
    }

    /// Whether this client was created by a tapis-auth login for `profile` (its description is
    /// [`login_client_description`]`(profile)`, or the profile-less one older versions wrote):
    /// such a client belongs to the login, and logging out may delete it.
    pub fn created_by_login_for(&self, profile: &str) -> bool {
        self.description.as_deref().is_some_and(|d| {
            d == login_client_description(profile) || d == LEGACY_LOGIN_CLIENT_DESCRIPTION
        })
    }
}

/// The description versions before 0.1 gave every client a login created.
const LEGACY_LOGIN_CLIENT_DESCRIPTION: &str = "Created by tapis-auth";

/// The description of the OAuth client a login creates for `profile`, by which `logout`
/// recognises it: at most 70 characters (the Tapis v3 limit), the profile name shortened if
/// needed.
pub fn login_client_description(profile: &str) -> String {
    const PREFIX: &str = "Created by tapis-auth login for profile ";
    let room = 70 - PREFIX.len();
    let name: String = profile.chars().take(room).collect();
    format!("{PREFIX}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_clients_are_recognised_by_profile() {
        let mut c = OAuthClient::new("id", "key");
        assert!(!c.created_by_login_for("default"));
        c.description = Some(login_client_description("default"));
        assert!(c.created_by_login_for("default"));
        assert!(!c.created_by_login_for("job42"));
        c.description = Some("Created by tapis-auth".into());
        assert!(c.created_by_login_for("anything"));
        let long = "p".repeat(200);
        let d = login_client_description(&long);
        assert_eq!(d.chars().count(), 70);
        c.description = Some(d);
        assert!(c.created_by_login_for(&long));
    }
}
