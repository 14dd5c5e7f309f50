//! Shared helpers for the transport's integration tests: the request a password login sends,
//! sent through an [`HttpTransport`] alone (no session, no store).

#![allow(dead_code)]

use tapis_auth_core::flow::password;
use tapis_auth_core::{
    BaseUrl, Error, OAuthClient, Platform, Secret, Session, SystemClock, Tenant, TokenSet,
};
use tapis_auth_http::{HttpTransport, TransportConfig};

/// The test user's Tapis v3 password grant with the pre-registered client — the request a
/// password login sends, password and client key in it — sent to the test authenticator at
/// `url` through a transport with `config`. Checks that the token it returns is a JWT.
pub fn password_grant(url: &str, config: TransportConfig) -> Result<TokenSet, Error> {
    let tenant = Tenant::new(BaseUrl::parse(url)?, Platform::TapisV3);
    let mut session = Session::new("default", tenant);
    session.username = Some("testuser".into());
    session.password = Some(Secret::new("testpass"));
    session.client = Some(OAuthClient::new("test-client", "test-client-key"));
    let transport = HttpTransport::new(config);
    let tokens = password::password_grant(&session)?.send(&SystemClock, &transport)?;
    assert!(tokens.access_token.expose().starts_with("ey"));
    Ok(tokens)
}
