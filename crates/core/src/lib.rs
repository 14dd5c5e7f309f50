//! # tapis-auth-core
//!
//! The transport-free core of libtapis_auth: tokens, tenants, OAuth clients and sessions for
//! Tapis v3 and Agave v2; every login and refresh flow as a state machine that emits HTTP
//! requests and consumes responses; the refresh rules ([`rules`]: serve, adopt, refresh, log in
//! again, merge the rotated tokens) as pure functions; error classification; and the seams the
//! other layers implement: [`Transport`] and [`AsyncTransport`] (HTTP) and [`Store`] (the
//! credential cache).
//!
//! This crate does no I/O and holds no locks: no sockets, no files, no threads, no environment,
//! and no clock reads except through a [`Clock`] ([`SystemClock`] reads the system's). Bring
//! your own HTTP client by implementing [`Transport`] or [`AsyncTransport`] (a closure is
//! one); `tapis-auth-http` provides both over reqwest. The token managers that carry the rules
//! out over a store and a transport, blocking or async, are in `tapis-auth-driver`.
//!
//! ```
//! use tapis_auth_core::{BaseUrl, Platform, Tenant, Session, OAuthClient, Secret};
//! let tenant = Tenant::new(BaseUrl::parse("https://tacc.tapis.io/").unwrap(), Platform::TapisV3);
//! let mut session = Session::new("default", tenant);
//! session.client = Some(OAuthClient::new("my_client", "my_key"));
//! assert_eq!(session.tenant.base_url.as_str(), "https://tacc.tapis.io");
//! assert_eq!(format!("{:?}", Secret::new("pw")), "Secret([redacted])");
//! ```

pub mod authorize;
pub mod client;
pub mod display;
pub mod error;
pub mod flow;
pub mod http;
#[cfg(feature = "http")]
mod http_compat;
pub mod jwt;
pub mod protocol;
pub mod rules;
pub mod secret;
pub mod session;
pub mod store;
pub mod tenant;
pub mod time;
pub mod token;
pub mod transport;

pub use authorize::{authorize, authorize_with, classify_service_response, ServiceVerdict};
pub use client::{login_client_description, OAuthClient};
pub use error::{Error, StoreError, TransportError, TransportErrorKind};
pub use flow::{Action, DevicePrompt, Flow, Pending};
pub use http::{Body, Header, HttpRequest, HttpResponse, Method, Replay};
pub use jwt::JwtClaims;
pub use protocol::{classify, Context, Envelope};
pub use secret::Secret;
pub use session::{Session, DEFAULT_PROFILE};
pub use store::{Store, StoreLock};
pub use tenant::{BaseUrl, Platform, Tenant};
pub use time::{Civil, Clock, SystemClock, UnixTime};
pub use token::{TokenSet, DEFAULT_MARGIN_SECS};
pub use transport::{AsyncTransport, ResponseFuture, Transport};

/// The crate version, for `User-Agent` strings.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
