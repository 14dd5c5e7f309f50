//! The account on the server: one OAuth client read or changed, and the user's profile as the
//! server reports it (the "am I really logged in" check).

use tapis_auth_core::flow::clients::{self, ClientUpdate};
use tapis_auth_core::flow::userinfo::{self, UserInfo};
use tapis_auth_core::{Error, OAuthClient, Platform};

use crate::session::AuthSession;

impl AuthSession {
    /// Reads one of the user's OAuth clients: Tapis v3 by client id (`GET
    /// /v3/oauth2/clients/{id}`; the result carries the key, a self-redacting secret), Agave v2
    /// by client name (`GET /clients/v2/{name}` with the username and password).
    pub fn get_client(&self, id: &str) -> Result<OAuthClient, Error> {
        let s = self.fresh_session()?;
        clients::get_client(&s, id)?.send(self.clock(), self.transport())
    }

    /// Changes a Tapis v3 OAuth client's callback URL and/or display name (`PUT
    /// /v3/oauth2/clients/{id}`); returns the client as the server now has it. The browser
    /// login needs the client's callback URL to be its redirect URI.
    pub fn update_client(&self, id: &str, update: &ClientUpdate) -> Result<OAuthClient, Error> {
        let s = self.fresh_session()?;
        clients::update_client(&s, id, update)?.send(self.clock(), self.transport())
    }

    /// The user's profile as the server reports it, which proves the server accepts the
    /// session's token: Tapis v3 `GET /v3/oauth2/profiles/{username}` (the username from the
    /// session, else from its token; `/v3/oauth2/userinfo` when neither knows it), Agave v2
    /// `GET /profiles/v2/me`. The token is refreshed first when needed, and once more when the
    /// server refuses it (as [`AuthSession::send`] does); a token that cannot be renewed is
    /// the refresh's error ([`Error::RefreshRejected`], [`Error::LoginRequired`]).
    pub fn user_profile(&self) -> Result<UserInfo, Error> {
        let token = self.access_token(0)?;
        match self.profile_once() {
            Err(Error::TokenRejected { .. }) => {
                self.manager().refresh(Some(&token))?;
                self.profile_once()
            }
            other => other,
        }
    }

    fn profile_once(&self) -> Result<UserInfo, Error> {
        let s = self.manager().session()?;
        let username = match s.platform() {
            Platform::AgaveV2 => None,
            Platform::TapisV3 => self.whoami()?.username,
        };
        userinfo::profile(&s, username.as_deref())?.send(self.clock(), self.transport())
    }
}
