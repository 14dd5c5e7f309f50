//! # tapis-auth-http
//!
//! libtapis_auth's HTTP adapter, with two drivers over reqwest and rustls that take the same
//! [`TransportConfig`] and behave the same — TLS trust (platform roots,
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`, a site CA file), proxies, timeouts, bounded retries and
//! response-size limits:
//!
//! - [`HttpTransport`]: the core's [`Transport`](tapis_auth_core::Transport) over reqwest's
//!   blocking client;
//! - `AsyncHttpTransport` (feature `tokio`): the core's
//!   [`AsyncTransport`](tapis_auth_core::AsyncTransport) over reqwest's async client, for
//!   tokio.
//!
//! Everything but sending, reading the body and sleeping between attempts is one piece of code
//! for both (see [`transport`]). Nothing else is here: the session, the logins and tenant
//! resolution are in the facade crate `tapis-auth` (`AuthSession`), which uses these
//! transports.
//!
//! ```no_run
//! use tapis_auth_core::{HttpRequest, Method, Replay, Transport};
//! use tapis_auth_http::{HttpTransport, TransportConfig};
//! let transport = HttpTransport::new(TransportConfig::default());
//! let req = HttpRequest::new(Method::Get, "https://tacc.tapis.io/v3/tenants", Replay::Safe);
//! let resp = transport.send(&req)?;
//! # let _ = resp;
//! # Ok::<(), tapis_auth_core::TransportError>(())
//! ```

pub mod transport;

#[cfg(feature = "tokio")]
pub use transport::AsyncHttpTransport;
pub use transport::{HttpTransport, TransportConfig, DEFAULT_MAX_BODY_BYTES, USER_AGENT};
