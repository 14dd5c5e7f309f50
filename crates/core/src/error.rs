//! The core's errors. [`Error`] tells the caller what to do next; [`TransportError`] and
//! [`StoreError`] are what the two seams report. No variant ever carries a secret: server text
//! is redacted before it is stored here (see [`crate::secret::redact_all`]).

use std::path::PathBuf;

/// Why a request did not produce a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The request certainly did not reach the server (DNS, connection refused).
    Connect,
    /// Timed out; the request may have reached the server.
    Timeout,
    /// TLS failure (unknown CA, bad certificate).
    Tls,
    /// Refused by policy (plain `http://` to a non-loopback host).
    Insecure,
    /// The caller cancelled.
    Cancelled,
    /// The connection broke after the request may have been sent.
    Other,
    /// A response arrived but could not be accepted as it came: its body is larger than the
    /// transport's limit (authentication responses are small; an endless body is an attack).
    /// Not retried.
    Malformed,
}

/// A transport failure: no HTTP response was received.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// Human-readable description (never contains credentials).
    pub message: String,
}

impl TransportError {
    /// A transport error of a kind with a message.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A cache file could not be parsed. The file is left byte-for-byte unchanged.
    #[error("credential cache {path} is corrupt{}: {reason}; the file was left unchanged (run `tapis-auth repair` to move it aside, or fix it by hand)", position(*.line, *.column))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error, when known.
        line: Option<usize>,
        /// 1-based column of the error, when known.
        column: Option<usize>,
        /// What was wrong.
        reason: String,
    },
    /// An I/O operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done (`read`, `write`, `rename`, ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The cross-process lock was not obtained in time.
    #[error("timed out after {waited_secs} s waiting for the lock {path} (another process holds it; if none does, the file system may not support locks)")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        waited_secs: u64,
    },
    /// The backend is not reachable here (no keyring service on a compute node, ...).
    #[error("{0}")]
    Unavailable(String),
    /// The store cannot be written (the environment store).
    #[error("the {0} store is read-only")]
    ReadOnly(String),
    /// A stored record is well-formed JSON but not a valid session (an agavepy entry that does
    /// not convert, several keyring items answering for one profile).
    #[error("{0}")]
    Invalid(String),
    /// A cache written by a newer version of this library, in a format this one cannot read
    /// (the SQLite store's schema version). Not corrupt: nothing was read from it or written
    /// to it, and `tapis-auth repair` leaves it alone. Upgrade the library, or point this
    /// version at another cache.
    #[error("{path} has format version {found}, newer than this library's {supported}; it was left unchanged: upgrade libtapis_auth, or point this version at another cache")]
    TooNew {
        /// The cache file.
        path: PathBuf,
        /// The format version found in it.
        found: i64,
        /// The newest format version this library reads.
        supported: i64,
    },
    /// The store's settings are wrong, not its contents: an environment variable of the
    /// environment store (`TAPIS_BASE_URL`, `TAPIS_PLATFORM`, a bearer token) or of the lock
    /// (`TAPIS_AUTH_LOCK_TIMEOUT`), a store or profile name (one the keyring store reserves or
    /// cannot hold), the cache path (a file where a directory belongs, a directory where the
    /// SQLite file belongs, no file name). The message names the setting and how to fix it.
    #[error("{0}")]
    Config(String),
    /// A cache file or directory others could have planted or changed (owned by another
    /// user, writable by group or others, a symbolic link, a FIFO or device, absurdly large)
    /// was refused; nothing was read from it or written to it.
    #[error("refusing to use {path}: {reason}")]
    Unsafe {
        /// The file or directory refused.
        path: PathBuf,
        /// What is wrong with it and how to fix it.
        reason: String,
    },
}

/// How a transport error reads inside an [`Error`]: a network error, or a response refused as
/// it came ([`TransportErrorKind::Malformed`]).
fn transport_text(t: &TransportError) -> String {
    match t.kind {
        TransportErrorKind::Malformed => format!("malformed response: {}", t.message),
        _ => format!("network error: {}", t.message),
    }
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// Every failure the core reports, named for what the caller should do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Wrong username or password: ask the user again.
    #[error("wrong username or password: {message}")]
    InvalidCredentials {
        /// The server's message (redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// The OAuth client id/key pair was rejected: create a new client or log in again.
    #[error("the OAuth client was rejected: {message}")]
    InvalidClient {
        /// The server's message (redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// The refresh token is dead (expired, revoked or already used): log in again.
    #[error("the refresh token was rejected ({message}); log in again (`tapis-auth login`)")]
    RefreshRejected {
        /// The server's message (redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// There is no credential that can produce a token: log in.
    #[error("login required: {reason} (run `tapis-auth login`)")]
    LoginRequired {
        /// Why.
        reason: String,
    },
    /// Device code not yet approved by the user: keep polling.
    #[error("authorization pending: the device code has not been approved yet")]
    AuthorizationPending,
    /// The device code expired before it was approved: start the device login again.
    #[error("the device code expired before it was approved; start the login again")]
    DeviceCodeExpired,
    /// A login flow failed for good (invalid or expired authorization code, device code not
    /// valid, state mismatch).
    #[error("login failed: {message}")]
    LoginFailed {
        /// What went wrong (redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// A service rejected the access token as expired or invalid: refresh once and retry.
    #[error("the access token was rejected by the service: {message}")]
    TokenRejected {
        /// The service's message (redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// Any other error status from a server.
    #[error("server error (HTTP {status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's message (redacted).
        message: String,
    },
    /// The server refused the request as invalid: a body it could not parse or validate,
    /// required data or the grant type missing, a client id that is already taken, headers a
    /// user token must not carry. Trying the same request again will not help: change it (or,
    /// when nothing the caller gave is named, report a bug: the library built the request).
    #[error("the server refused the request: {message}")]
    RequestRefused {
        /// What was refused and the server's message (redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// A response did not have the expected shape.
    #[error("malformed response: expected {expected}: {detail}")]
    Malformed {
        /// What was expected.
        expected: String,
        /// What was found (redacted).
        detail: String,
    },
    /// No (acceptable) response was received.
    #[error("{}", transport_text(.0))]
    Transport(#[from] TransportError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller's settings or arguments are wrong, found before anything was sent (a bad
    /// base URL or tenant id, no username, password or client, `X-Tapis-User` headers on a
    /// user token, a redirect port another program holds, more validity asked for than the
    /// server issues), or named something the server does not know (an unknown tenant id).
    /// The message names the setting; fix it and try again.
    #[error("{0}")]
    Config(String),
    /// The platform or server does not offer this operation: device login, client updates or
    /// tenant lookup by id on Agave v2, a grant type the tenant does not accept, an endpoint
    /// this server (an older Authenticator, not a Tapis v3 URL) lacks. No setting of this
    /// operation makes it work: do it another way (the message says how, when there is one).
    #[error("not supported: {message}")]
    Unsupported {
        /// What is not offered, and what to do instead (server text redacted).
        message: String,
        /// The HTTP status of the response that said so, when there was one.
        status: Option<u16>,
    },
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// A flow was driven out of order (a bug in the caller).
    #[error("flow misuse: {0}")]
    ApiMisuse(&'static str),
}

impl Error {
    /// True when the only way forward is a new login.
    pub fn is_login_required(&self) -> bool {
        matches!(
            self,
            Error::InvalidCredentials { .. }
                | Error::InvalidClient { .. }
                | Error::RefreshRejected { .. }
                | Error::LoginRequired { .. }
                | Error::DeviceCodeExpired
        )
    }

    /// True when trying again later may succeed (network failures, 5xx, 429).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(t) => matches!(
                t.kind,
                TransportErrorKind::Connect
                    | TransportErrorKind::Timeout
                    | TransportErrorKind::Other
            ),
            Error::Server { status, .. } => *status >= 500 || *status == 429,
            Error::Store(StoreError::LockTimeout { .. }) => true,
            _ => false,
        }
    }

    /// The HTTP status behind the error, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Server { status, .. } => Some(*status),
            Error::InvalidCredentials { status, .. }
            | Error::InvalidClient { status, .. }
            | Error::RefreshRejected { status, .. }
            | Error::LoginFailed { status, .. }
            | Error::TokenRejected { status, .. }
            | Error::RequestRefused { status, .. }
            | Error::Unsupported { status, .. } => *status,
            _ => None,
        }
    }

    /// Records the HTTP status of the response an error was classified from (kept if one is
    /// already set).
    pub fn with_http_status(mut self, code: u16) -> Self {
        match &mut self {
            Error::InvalidCredentials { status, .. }
            | Error::InvalidClient { status, .. }
            | Error::RefreshRejected { status, .. }
            | Error::LoginFailed { status, .. }
            | Error::TokenRejected { status, .. }
            | Error::RequestRefused { status, .. }
            | Error::Unsupported { status, .. } => {
                status.get_or_insert(code);
            }
            _ => {}
        }
        self
    }
}
