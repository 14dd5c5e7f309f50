//! `tapis_auth_error`: the per-call error object.
//!
//! A failing call returns its status and, when the caller passed a non-NULL
//! `tapis_auth_error **err`, stores a new error object there, owned by the caller and freed with
//! `tapis_auth_error_free`. The object carries the status, a redacted message (never a
//! password, client key or token) and the HTTP status when the server sent one.

use std::ffi::{c_char, CString};
use std::fmt;

use tapis_auth_core::{Error, Secret, StoreError, TransportErrorKind};

use crate::boundary::value_call;
use crate::status::tapis_auth_status;

/// An error object: status, redacted message, HTTP status. Opaque; created by the library,
/// freed with `tapis_auth_error_free`. Immutable, so it may be read from any thread.
pub struct tapis_auth_error {
    status: tapis_auth_status,
    message: CString,
    http_status: u16,
    retryable: bool,
}

/// Prints the fields (the message is already redacted), for Rust code and tests.
impl fmt::Debug for tapis_auth_error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tapis_auth_error")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .field("retryable", &self.retryable)
            .finish()
    }
}

/// An error on its way to the C caller (inside the library).
#[derive(Debug, Clone)]
pub(crate) struct FfiError {
    pub(crate) status: tapis_auth_status,
    pub(crate) message: String,
    pub(crate) http_status: u16,
    pub(crate) retryable: bool,
}

impl FfiError {
    /// An error with a status and a message.
    pub(crate) fn new(status: tapis_auth_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            http_status: 0,
            retryable: false,
        }
    }

    /// `TAPIS_AUTH_ERR_INVALID_ARGUMENT` for a NULL pointer argument.
    pub(crate) fn null_argument(name: &str) -> Self {
        Self::new(
            tapis_auth_status::TAPIS_AUTH_ERR_INVALID_ARGUMENT,
            format!("argument `{name}` is NULL"),
        )
    }

    /// `TAPIS_AUTH_ERR_INVALID_ARGUMENT` for a string that is not UTF-8 (the value is never
    /// echoed: it may be a secret).
    pub(crate) fn not_utf8(name: &str) -> Self {
        Self::new(
            tapis_auth_status::TAPIS_AUTH_ERR_INVALID_ARGUMENT,
            format!("argument `{name}` is not valid UTF-8"),
        )
    }

    /// `TAPIS_AUTH_ERR_INVALID_ARGUMENT` with a reason.
    pub(crate) fn invalid(name: &str, why: &str) -> Self {
        Self::new(
            tapis_auth_status::TAPIS_AUTH_ERR_INVALID_ARGUMENT,
            format!("argument `{name}` {why}"),
        )
    }

    /// `TAPIS_AUTH_ERR_PANIC` for a panic caught in `function`, raised at `location`
    /// (`file:line`, when the library's panic hook recorded it).
    ///
    /// The panic payload is deliberately not part of the message: panic messages are free text
    /// (the standard library quotes the strings it was slicing, `expect` messages quote values)
    /// and may carry a password, client key or token. Only the function name, the source
    /// location and fixed text are reported.
    pub(crate) fn panic(function: &str, location: Option<&str>) -> Self {
        let at = location.unwrap_or("an unknown location");
        Self::new(
            tapis_auth_status::TAPIS_AUTH_ERR_PANIC,
            format!(
                "internal error (panic) in {function} at {at}; the panic message is withheld \
                 because it may quote a secret; please report this bug"
            ),
        )
    }

    /// Maps a library error to its status, redacting `secrets` from the message (the core
    /// already redacts server text; this is a second line of defence).
    pub(crate) fn from_core(e: &Error, secrets: &[&Secret]) -> Self {
        let status = status_of(e);
        let message = tapis_auth_core::secret::redact_all(&e.to_string(), secrets);
        Self {
            status,
            message,
            http_status: e.http_status().unwrap_or(0),
            retryable: e.is_retryable(),
        }
    }
}

/// The status a library error is reported with — the one mapping from [`Error`] to
/// [`tapis_auth_status`], used by the C ABI and by the other bindings built on the Rust
/// crates (the Python package's exception classes).
pub fn status_of(e: &Error) -> tapis_auth_status {
    use tapis_auth_status::*;
    match e {
        Error::InvalidCredentials { .. } => TAPIS_AUTH_ERR_INVALID_CREDENTIALS,
        Error::InvalidClient { .. } => TAPIS_AUTH_ERR_INVALID_CLIENT,
        Error::RefreshRejected { .. } => TAPIS_AUTH_ERR_REFRESH_REJECTED,
        Error::LoginRequired { .. } => TAPIS_AUTH_ERR_LOGIN_REQUIRED,
        Error::AuthorizationPending => TAPIS_AUTH_PENDING,
        Error::DeviceCodeExpired => TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED,
        Error::LoginFailed { .. } => TAPIS_AUTH_ERR_LOGIN_FAILED,
        Error::TokenRejected { .. } => TAPIS_AUTH_ERR_TOKEN_REJECTED,
        Error::Server { .. } => TAPIS_AUTH_ERR_SERVER,
        Error::RequestRefused { .. } => TAPIS_AUTH_ERR_REQUEST_REFUSED,
        Error::Malformed { .. } => TAPIS_AUTH_ERR_MALFORMED_RESPONSE,
        Error::Transport(t) => match t.kind {
            TransportErrorKind::Connect => TAPIS_AUTH_ERR_CONNECT,
            TransportErrorKind::Timeout => TAPIS_AUTH_ERR_TIMEOUT,
            TransportErrorKind::Tls => TAPIS_AUTH_ERR_TLS,
            TransportErrorKind::Insecure => TAPIS_AUTH_ERR_INSECURE_HTTP,
            TransportErrorKind::Cancelled => TAPIS_AUTH_ERR_CANCELLED,
            TransportErrorKind::Other => TAPIS_AUTH_ERR_NETWORK,
            TransportErrorKind::Malformed => TAPIS_AUTH_ERR_MALFORMED_RESPONSE,
        },
        Error::Store(s) => match s {
            StoreError::Corrupt { .. } => TAPIS_AUTH_ERR_CORRUPT_CACHE,
            StoreError::Io { .. } => TAPIS_AUTH_ERR_STORAGE,
            StoreError::LockTimeout { .. } => TAPIS_AUTH_ERR_LOCK_TIMEOUT,
            StoreError::Unavailable(_) => TAPIS_AUTH_ERR_STORE_UNAVAILABLE,
            StoreError::ReadOnly(_) => TAPIS_AUTH_ERR_STORE_READ_ONLY,
            StoreError::Invalid(_) => TAPIS_AUTH_ERR_INVALID_RECORD,
            StoreError::Config(_) => TAPIS_AUTH_ERR_CONFIG,
            StoreError::Unsafe { .. } => TAPIS_AUTH_ERR_UNSAFE_CACHE,
            StoreError::TooNew { .. } => TAPIS_AUTH_ERR_CACHE_TOO_NEW,
            #[allow(unreachable_patterns)]
            _ => TAPIS_AUTH_ERR_STORAGE,
        },
        Error::Config(_) => TAPIS_AUTH_ERR_CONFIG,
        Error::Unsupported { .. } => TAPIS_AUTH_ERR_UNSUPPORTED,
        Error::Cancelled => TAPIS_AUTH_ERR_CANCELLED,
        Error::ApiMisuse(_) => TAPIS_AUTH_ERR_API_MISUSE,
        #[allow(unreachable_patterns)]
        _ => TAPIS_AUTH_ERR_OTHER,
    }
}

impl From<FfiError> for tapis_auth_error {
    fn from(e: FfiError) -> Self {
        let message = CString::new(e.message.replace('\0', "\u{fffd}")).unwrap_or_default();
        Self {
            status: e.status,
            message,
            http_status: e.http_status,
            retryable: e.retryable,
        }
    }
}

/// The status carried by an error object; `TAPIS_AUTH_OK` when `err` is NULL (no error).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_error_status(err: *const tapis_auth_error) -> tapis_auth_status {
    value_call(tapis_auth_status::TAPIS_AUTH_ERR_PANIC, || {
        // SAFETY: `err` is NULL or a live error object from this library (documented contract).
        unsafe { err.as_ref() }.map_or(tapis_auth_status::TAPIS_AUTH_OK, |e| e.status)
    })
}

/// The error's message: NUL-terminated UTF-8, redacted (it never contains a password, client
/// key or token). Borrowed from `err`: valid until `tapis_auth_error_free(err)`; do not free
/// it. Returns an empty string when `err` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_error_message(err: *const tapis_auth_error) -> *const c_char {
    const EMPTY: &[u8] = b"\0";
    value_call(EMPTY.as_ptr().cast(), || {
        // SAFETY: `err` is NULL or a live error object from this library (documented contract).
        match unsafe { err.as_ref() } {
            Some(e) => e.message.as_ptr(),
            None => EMPTY.as_ptr().cast(),
        }
    })
}

/// The HTTP status of the server response behind the error, or 0 when there was none (network
/// failure, argument error, ...) or `err` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_error_http_status(err: *const tapis_auth_error) -> u16 {
    value_call(0, || {
        // SAFETY: `err` is NULL or a live error object from this library (documented contract).
        unsafe { err.as_ref() }.map_or(0, |e| e.http_status)
    })
}

/// True when trying the same call again later may succeed (network failures, HTTP 5xx and
/// 429, a lock timeout). False when `err` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_error_is_retryable(err: *const tapis_auth_error) -> bool {
    value_call(false, || {
        // SAFETY: `err` is NULL or a live error object from this library (documented contract).
        unsafe { err.as_ref() }.is_some_and(|e| e.retryable)
    })
}

/// Frees an error object. NULL is a no-op. Must not be called twice on the same object.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_error_free(err: *mut tapis_auth_error) {
    value_call((), || {
        if !err.is_null() {
            // SAFETY: `err` came from `Box::into_raw` in this library and is freed only once
            // (documented contract).
            drop(unsafe { Box::from_raw(err) });
        }
    })
}

#[cfg(test)]
mod status_tests {
    use super::*;
    use std::path::PathBuf;
    use tapis_auth_core::StoreError;
    use tapis_auth_status::*;

    fn status(e: &Error) -> tapis_auth_status {
        FfiError::from_core(e, &[]).status
    }

    #[test]
    fn a_wrong_setting_is_config_and_a_bad_record_is_invalid_record() {
        let config = Error::Store(StoreError::Config("TAPIS_BASE_URL: not a URL".into()));
        assert_eq!(status(&config), TAPIS_AUTH_ERR_CONFIG);
        let record = Error::Store(StoreError::Invalid("no tenant in the record".into()));
        assert_eq!(status(&record), TAPIS_AUTH_ERR_INVALID_RECORD);
        let expired = Error::TokenRejected {
            message: String::new(),
            status: Some(401),
        };
        assert_eq!(status(&expired), TAPIS_AUTH_ERR_TOKEN_REJECTED);
    }

    #[test]
    fn unsupported_refused_and_too_new_have_their_own_statuses() {
        let unsupported = Error::Unsupported {
            message: "Agave v2 has no device-code flow".into(),
            status: None,
        };
        assert_eq!(status(&unsupported), TAPIS_AUTH_ERR_UNSUPPORTED);
        assert_eq!(TAPIS_AUTH_ERR_UNSUPPORTED as u32, 701);

        let refused = Error::RequestRefused {
            message: "that client id is already taken".into(),
            status: Some(400),
        };
        let e = FfiError::from_core(&refused, &[]);
        assert_eq!(e.status, TAPIS_AUTH_ERR_REQUEST_REFUSED);
        assert_eq!(TAPIS_AUTH_ERR_REQUEST_REFUSED as u32, 502);
        assert_eq!(e.http_status, 400, "the refusal's HTTP status reaches C");
        assert!(!e.retryable, "the same request would be refused again");
        assert!(crate::status::tapis_auth_status_is_server(e.status as u32));

        let too_new = Error::Store(StoreError::TooNew {
            path: PathBuf::from("/c/tapis-auth.sqlite"),
            found: 2,
            supported: 1,
        });
        assert_eq!(status(&too_new), TAPIS_AUTH_ERR_CACHE_TOO_NEW);
        assert_eq!(TAPIS_AUTH_ERR_CACHE_TOO_NEW as u32, 607);
        assert!(crate::status::tapis_auth_status_is_storage(
            TAPIS_AUTH_ERR_CACHE_TOO_NEW as u32
        ));

        // Planted claims are unsafe, not invalid records.
        let unsafe_claim = Error::Store(StoreError::Unsafe {
            path: PathBuf::from("/c/.tapis-auth.claims"),
            reason: "not yours".into(),
        });
        assert_eq!(status(&unsafe_claim), TAPIS_AUTH_ERR_UNSAFE_CACHE);
    }
}
