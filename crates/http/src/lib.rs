//! # tapis-auth-http
//!
//! The reqwest adapter of libtapis_auth ([`HttpTransport`]: TLS, proxies, timeouts, retries)
//! and the high-level API that joins core + storage + transport: [`AuthSession`].
//!
//! ```no_run
//! use tapis_auth_http::{AuthSession, Options};
//! // Explicit arguments > TAPIS_* environment > the ~/.agave cache.
//! let session = AuthSession::restore(Options::default())?;
//! let token = session.access_token(600)?; // valid for at least 10 more minutes
//! # let _ = token;
//! # Ok::<(), tapis_auth_core::Error>(())
//! ```

pub mod account;
pub mod clock;
pub mod drive;
#[cfg(feature = "stderr-log")]
pub mod log;
pub mod login;
pub mod options;
pub mod session;
pub mod transport;

pub use clock::SystemClock;
pub use login::{BrowserLogin, DeviceLogin, DevicePoll};
pub use options::{Options, Source};
pub use session::{AuthSession, Logout, WhoAmI};
pub use transport::{HttpTransport, TransportConfig, DEFAULT_MAX_BODY_BYTES, USER_AGENT};
