//! Exit codes: one per failure class, so scripts can branch on `$?`.
//!
//! The table is part of the command's contract: it is printed in `tapis-auth --help` and in the
//! crate's README, and the integration tests check every class.

use std::fmt;

use tapis_auth_core::{Error, StoreError, TransportErrorKind};

/// Success.
pub const OK: u8 = 0;
/// Any failure not covered by a more specific code (a bug, an unexpected state).
pub const FAILURE: u8 = 1;
/// Bad command line, bad configuration or an impossible request (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// There is no usable session: log in (no session, refresh token or client rejected).
pub const LOGIN_REQUIRED: u8 = 3;
/// A login attempt failed (wrong username or password, device code expired, denied).
pub const AUTH_FAILED: u8 = 4;
/// No response from the server (DNS, connection refused, timeout, TLS, plain HTTP refused).
pub const NETWORK: u8 = 5;
/// The server answered with an error or an unexpected response.
pub const SERVER: u8 = 6;
/// The credential store failed (corrupt cache, not writable, lock timeout, keyring missing).
pub const STORAGE: u8 = 7;
/// Interrupted by the user (Ctrl-C), as shells report SIGINT.
pub const CANCELLED: u8 = 130;

/// The exit-code table, as shown in `--help` and the README.
pub const TABLE: &str = "\
Exit codes:
    0    success
    1    unexpected failure (a bug)
    2    usage or configuration error (bad option, unknown profile or tenant, no tenant
         given, a write asked of the read-only env store), or an operation the platform
         does not offer (device login or client updates on Agave v2)
    3    login required: no session, or the refresh token/OAuth client was rejected
         (run `tapis-auth login`)
    4    login failed: wrong username or password, device code expired or denied
    5    network error: no response (DNS, refused, timeout, TLS, plain http:// refused)
    6    server error: an error status or a malformed response from the server, or the
         server refused the request as invalid (e.g. a client id already taken)
    7    storage error: the credential cache is corrupt, unwritable, locked or unreachable
         (a corrupt cache can be moved aside with `tapis-auth repair`)
  130    cancelled (Ctrl-C)";

/// The stable name of an exit code's class, as `--json` reports it in `error.name`.
pub fn name_of(code: u8) -> &'static str {
    match code {
        OK => "ok",
        USAGE => "usage",
        LOGIN_REQUIRED => "login_required",
        AUTH_FAILED => "login_failed",
        NETWORK => "network",
        SERVER => "server",
        STORAGE => "storage",
        CANCELLED => "cancelled",
        _ => "internal",
    }
}

/// A failure of a command: an exit code, a message and what to do next.
#[derive(Debug)]
pub struct CliError {
    /// The process exit code.
    pub code: u8,
    /// The specific cause, a stable snake_case name (`refresh_rejected`, `lock_timeout`,
    /// `login_wait_timeout`, ...): `error.reason` in `--json` output.
    pub reason: &'static str,
    /// What went wrong (never a secret).
    pub message: String,
    /// What to do next, when there is a useful suggestion.
    pub hint: Option<String>,
}

impl CliError {
    /// A failure with an explicit code; its reason is the code's class name until
    /// [`with_reason`](Self::with_reason) names a more specific one.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: name_of(code),
            message: message.into(),
            hint: None,
        }
    }

    /// Names the specific cause (`error.reason` in `--json` output).
    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = reason;
        self
    }

    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }

    /// Adds a hint ("run `tapis-auth login`").
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The exit code for a library error.
pub fn code_for(e: &Error) -> u8 {
    match e {
        // Wrong settings, or asking for what the platform does not offer: no retry helps.
        Error::Config(_) | Error::Unsupported { .. } | Error::Store(StoreError::Config(_)) => USAGE,
        Error::LoginRequired { .. }
        | Error::RefreshRejected { .. }
        | Error::InvalidClient { .. } => LOGIN_REQUIRED,
        Error::InvalidCredentials { .. }
        | Error::LoginFailed { .. }
        | Error::DeviceCodeExpired
        | Error::AuthorizationPending => AUTH_FAILED,
        Error::Transport(t) if t.kind == TransportErrorKind::Cancelled => CANCELLED,
        // A response came, but not one to accept (an endless body): the server's fault.
        Error::Transport(t) if t.kind == TransportErrorKind::Malformed => SERVER,
        Error::Transport(_) => NETWORK,
        Error::Server { .. }
        | Error::Malformed { .. }
        | Error::TokenRejected { .. }
        | Error::RequestRefused { .. } => SERVER,
        // Asking the read-only store (the environment) to write is a usage error, like
        // `login` with `--store env`.
        Error::Store(StoreError::ReadOnly(_)) => USAGE,
        Error::Store(_) => STORAGE,
        Error::Cancelled => CANCELLED,
        _ => FAILURE,
    }
}

/// The specific cause of a library error, as `--json` reports it in `error.reason`: the C
/// ABI's status name without its `TAPIS_AUTH_ERR_` prefix, in lower case.
pub fn reason_for(e: &Error) -> &'static str {
    match e {
        Error::Config(_) => "config",
        Error::Unsupported { .. } => "unsupported",
        Error::LoginRequired { .. } => "login_required",
        Error::RefreshRejected { .. } => "refresh_rejected",
        Error::InvalidClient { .. } => "invalid_client",
        Error::InvalidCredentials { .. } => "invalid_credentials",
        Error::LoginFailed { .. } => "login_failed",
        Error::DeviceCodeExpired => "device_code_expired",
        Error::AuthorizationPending => "pending",
        Error::Transport(t) => match t.kind {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Insecure => "insecure_http",
            TransportErrorKind::Cancelled => "cancelled",
            TransportErrorKind::Other => "network",
            TransportErrorKind::Malformed => "malformed_response",
        },
        Error::Server { .. } => "server",
        Error::RequestRefused { .. } => "request_refused",
        Error::Malformed { .. } => "malformed_response",
        Error::TokenRejected { .. } => "token_rejected",
        Error::Store(s) => match s {
            StoreError::Corrupt { .. } => "corrupt_cache",
            StoreError::LockTimeout { .. } => "lock_timeout",
            StoreError::Unavailable(_) => "store_unavailable",
            StoreError::ReadOnly(_) => "store_read_only",
            StoreError::Invalid(_) => "invalid_record",
            StoreError::Config(_) => "config",
            StoreError::Unsafe { .. } => "unsafe_cache",
            StoreError::TooNew { .. } => "cache_too_new",
            _ => "storage",
        },
        Error::Cancelled => "cancelled",
        Error::ApiMisuse(_) => "api_misuse",
        _ => "other",
    }
}

fn hint_for(e: &Error) -> Option<&'static str> {
    match e {
        // These messages already say "run `tapis-auth login`".
        Error::LoginRequired { .. } | Error::RefreshRejected { .. } => None,
        Error::InvalidClient { .. } => {
            Some("run `tapis-auth login --password` (it creates a new OAuth client), or pass --client-id with TAPIS_CLIENT_KEY")
        }
        Error::InvalidCredentials { .. } => Some("check the username and password, then run `tapis-auth login` again"),
        Error::DeviceCodeExpired => Some("run `tapis-auth login --device` again and approve the code sooner"),
        Error::LoginFailed { .. } => Some("run `tapis-auth login` again"),
        Error::Transport(t)
            if t.kind == TransportErrorKind::Tls
                && (t.message.contains("SSL_CERT_FILE") || t.message.contains("SSL_CERT_DIR")) =>
        {
            Some("SSL_CERT_FILE / SSL_CERT_DIR replace the system's trusted certificates: fix or unset them (and pass --ca-file for a site's own certificate authority)")
        }
        Error::Transport(t) if t.kind == TransportErrorKind::Tls => {
            Some("if your site uses its own certificate authority, pass --ca-file (or set TAPIS_AUTH_CA_FILE)")
        }
        Error::Transport(t) if t.kind == TransportErrorKind::Insecure => {
            Some("use an https:// base URL, or pass --insecure-http if you really mean plain HTTP")
        }
        Error::Transport(_) => Some("check the network and the base URL, then try again"),
        Error::Server { status, .. } if *status >= 500 => Some("the server failed; try again later"),
        Error::Store(StoreError::Corrupt { .. }) => None,
        Error::Store(StoreError::LockTimeout { .. }) => Some("another tapis-auth may be refreshing; try again"),
        Error::Store(StoreError::Unavailable(_)) => Some("choose another store with --store json|sqlite"),
        Error::Store(StoreError::ReadOnly(_)) => Some("choose a writable store with --store json|sqlite|keyring"),
        _ => None,
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError {
            code: code_for(&e),
            reason: reason_for(&e),
            message: e.to_string(),
            hint: hint_for(&e).map(str::to_owned),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        Error::Store(e).into()
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away: exit quietly with success.
            CliError::new(OK, String::new())
        } else {
            CliError::new(FAILURE, format!("cannot write output: {e}")).with_reason("output")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants split out of `Config` and `Invalid` exit as their class and name themselves.
    #[test]
    fn split_variants_have_their_own_reason_and_class() {
        let table: Vec<(Error, u8, &str)> = vec![
            (Error::Config("bad base URL".into()), USAGE, "config"),
            (
                Error::Unsupported {
                    message: "Agave v2 has no device-code flow".into(),
                    status: None,
                },
                USAGE,
                "unsupported",
            ),
            (
                Error::RequestRefused {
                    message: "that client id is already taken".into(),
                    status: Some(400),
                },
                SERVER,
                "request_refused",
            ),
            (
                Error::Store(StoreError::TooNew {
                    path: "/c/db".into(),
                    found: 2,
                    supported: 1,
                }),
                STORAGE,
                "cache_too_new",
            ),
            (
                Error::Store(StoreError::Config("TAPIS_AUTH_LOCK_TIMEOUT".into())),
                USAGE,
                "config",
            ),
            (
                Error::Store(StoreError::Unsafe {
                    path: "/c/.tapis-auth.claims".into(),
                    reason: "not yours".into(),
                }),
                STORAGE,
                "unsafe_cache",
            ),
            (
                Error::Store(StoreError::Invalid("not a session".into())),
                STORAGE,
                "invalid_record",
            ),
        ];
        for (e, code, reason) in table {
            let c = CliError::from(e);
            assert_eq!((c.code, c.reason), (code, reason), "{}", c.message);
        }
    }
}
