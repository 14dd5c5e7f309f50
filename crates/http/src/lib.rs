//! # tapis-auth-http
//!
//! libtapis_auth's HTTP adapter: [`HttpTransport`], the core's
//! [`Transport`](tapis_auth_core::Transport) over reqwest's blocking client and rustls — TLS
//! trust (platform roots, `SSL_CERT_FILE`/`SSL_CERT_DIR`, a site CA file), proxies, timeouts,
//! bounded retries and response-size limits — configured by [`TransportConfig`]. Nothing
//! else: the session, the logins and tenant resolution are in the facade crate `tapis-auth`
//! (`AuthSession`), which uses this transport.
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

pub use transport::{HttpTransport, TransportConfig, DEFAULT_MAX_BODY_BYTES, USER_AGENT};
