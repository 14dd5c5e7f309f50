//! Tokens from the shared cache, refreshed with your own HTTP client (here `ureq`): any closure
//! from request to response is a transport, and the refresh rules, the cross-process protocol
//! and the cache format come from the library.
//!
//! Usage: `cargo run -p tapis-auth --example ureq_refresh [CACHE_DIR]` (default `~/.agave`).
//! In your own crate, enable `tapis-auth`'s `http` feature for `to_http` / `from_http`. This build of `ureq` has no TLS, so it reaches `http://` loopback
//! servers (the test authenticator) only; enable a ureq TLS feature for a real tenant.

use std::sync::Arc;

use tapis_auth::storage::JsonStore;
use tapis_auth::{HttpRequest, HttpResponse, SystemClock, TokenManager, TransportError};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = match std::env::args().nth(1) {
        Some(dir) => JsonStore::open(dir)?,
        None => JsonStore::open_default()?,
    };

    // The transport: eight lines with ureq and the `http` feature's conversions.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let send = move |r: &HttpRequest| -> Result<HttpResponse, TransportError> {
        let resp = agent.run(r.to_http().map_err(other)?).map_err(other)?;
        let (parts, mut body) = resp.into_parts();
        let bytes = body.read_to_vec().map_err(other)?;
        Ok(HttpResponse::from_http(ureq::http::Response::from_parts(
            parts, bytes,
        )))
    };

    let manager = TokenManager::new(
        Arc::new(store),
        Arc::new(send),
        Arc::new(SystemClock),
        Default::default(),
    );
    let token = manager.access_token(600)?;
    println!(
        "got an access token valid for at least 10 minutes (fingerprint {})",
        token.fingerprint()
    );
    Ok(())
}

/// A ureq error as a transport error (the URL and message never carry the request's secrets).
fn other(e: impl std::fmt::Display) -> TransportError {
    TransportError::new(tapis_auth::TransportErrorKind::Other, e.to_string())
}
