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
}
