//! # tapis-auth
//!
//! Tapis v3 and Agave v2 access tokens for Rust. The principal type is [`AuthSession`]: one
//! profile's credentials, restored with the documented precedence (explicit arguments, then
//! the `TAPIS_*` environment, then the shared cache in `~/.agave`), handing out access tokens
//! valid for as long as the caller needs and refreshing them exactly once however many threads,
//! processes and cluster nodes ask at the same moment. With the `tokio` feature,
//! `AsyncSession` gives the same guarantees to async code.
//!
//! ```no_run
//! use tapis_auth::{AuthSession, Options};
//! let session = AuthSession::restore(Options::default())?;
//! let token = session.access_token(600)?; // valid for at least 10 more minutes
//! # let _ = token;
//! # Ok::<(), tapis_auth::Error>(())
//! ```
//!
//! ## Which crate to depend on
//!
//! | You want | Depend on |
//! |---|---|
//! | Sessions, logins, tokens, clients, async: everything | `tapis-auth` (this crate) |
//! | Your own HTTP client and store, the protocol and refresh rules only | `tapis-auth-core` |
//! | Your own HTTP client over the shared cache | `tapis-auth-core` + `tapis-auth-storage` |
//!
//! The layers are re-exported here as [`core`], [`storage`] and [`http`], so one dependency
//! reaches all of them. With your own client, any closure is a [`Transport`]; see
//! `examples/ureq_refresh.rs` (the refresh with `ureq` in a few lines) and
//! `examples/async_service.rs` (many tokio tasks asking at once).
//!
//! ## What is where
//!
//! - [`session`]: [`AuthSession`] — restore, tokens, [`AuthSession::send`], logout, clients;
//!   [`login`]: the password, device and browser logins; [`account`]: one client read or
//!   changed, the user's profile.
//! - [`options`]: [`Options`] and the sources they choose between; the precedence itself
//!   (explicit options > `TAPIS_*` environment > store) is applied in one place,
//!   `src/precedence.rs`.
//! - [`tenant`]: which tenant the options name (base URL, Tapis v3 or Agave v2 tenant id), and
//!   [`tenant::list_tenants`].
//! - [`drive`]: the loop that runs a flow which waits (the device login's polling).
//! - `log` (feature `stderr-log`): this library's diagnostics on stderr.

pub mod account;
#[cfg(feature = "tokio")]
mod async_session;
pub mod drive;
#[cfg(feature = "stderr-log")]
pub mod log;
pub mod login;
pub mod options;
mod precedence;
mod random;
pub mod session;
pub mod tenant;

#[cfg(feature = "tokio")]
pub use async_session::AsyncSession;
pub use login::{BrowserLogin, DeviceLogin, DevicePoll};
pub use options::{Options, Source};
pub use session::{AuthSession, Logout, WhoAmI};
pub use tapis_auth_core::{
    Clock, Error, HttpRequest, HttpResponse, Method, Platform, Secret, Session, StoreError,
    SystemClock, TokenSet, Transport, TransportError, TransportErrorKind, UnixTime,
};
#[cfg(feature = "tokio")]
pub use tapis_auth_driver::AsyncTokenManager;
pub use tapis_auth_driver::{TokenManager, TokenManagerConfig};
pub use tapis_auth_http::{HttpTransport, TransportConfig};
pub use tapis_auth_storage::StoreKind;

/// The transport-free layer: protocol, flows and the refresh rules ([`core::rules`]).
pub use tapis_auth_core as core;
/// The token managers that carry the refresh rules out: blocking ([`TokenManager`]) and async
/// (`AsyncTokenManager`, feature `tokio`).
pub use tapis_auth_driver as driver;
/// The HTTP adapter: reqwest with rustls, proxies, timeouts, retries, body limits.
pub use tapis_auth_http as http;
/// The stores: the agavepy-compatible JSON cache, SQLite, keyrings, environment, memory.
pub use tapis_auth_storage as storage;
