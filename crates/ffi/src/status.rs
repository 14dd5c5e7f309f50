//! `tapis_auth_status`: the status code every fallible function returns.
//!
//! The numbers are part of the ABI: they never change and retired numbers are never reused.
//! They are grouped by hundreds and all are below 2^31, so Fortran's `integer(c_int32_t)` and
//! Go's `uint32` hold them unchanged.

use std::ffi::c_char;

use crate::boundary::value_call;

/// Status code returned by every fallible function. `TAPIS_AUTH_OK` (0) is success; every
/// other value is an error and comes with an error object when the caller asked for one.
///
/// Groups: 1xx bad call (argument, buffer, panic, misuse); 2xx a new login is required;
/// 3xx a login flow is not finished (pending, failed); 4xx network/TLS; 5xx the server;
/// 6xx the credential store; 7xx configuration; 9xx anything else.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum tapis_auth_status {
    /// Success.
    TAPIS_AUTH_OK = 0,
    /// A pointer argument was NULL, a string argument was not valid UTF-8, or a value was out
    /// of range. The message names the argument.
    TAPIS_AUTH_ERR_INVALID_ARGUMENT = 100,
    /// The caller's buffer is too small; `*needed` holds the size required.
    TAPIS_AUTH_ERR_BUFFER_TOO_SMALL = 101,
    /// A bug inside the library was caught (a Rust panic); the handle may be unusable.
    TAPIS_AUTH_ERR_PANIC = 102,
    /// Functions were called out of order (e.g. polling a finished device login).
    TAPIS_AUTH_ERR_API_MISUSE = 103,
    /// The operation was cancelled.
    TAPIS_AUTH_ERR_CANCELLED = 104,
    /// There is no credential that can produce a token: log in.
    TAPIS_AUTH_ERR_LOGIN_REQUIRED = 200,
    /// Wrong username or password.
    TAPIS_AUTH_ERR_INVALID_CREDENTIALS = 201,
    /// The OAuth client id/key pair was rejected.
    TAPIS_AUTH_ERR_INVALID_CLIENT = 202,
    /// The refresh token is dead (expired, revoked or already used): log in again.
    TAPIS_AUTH_ERR_REFRESH_REJECTED = 203,
    /// The device code expired before the user approved it: start the device login again.
    TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED = 204,
    /// The device login is not approved yet: poll again later (not a failure).
    TAPIS_AUTH_PENDING = 300,
    /// A login flow failed for good (invalid code, state mismatch, ...).
    TAPIS_AUTH_ERR_LOGIN_FAILED = 301,
    /// A service rejected the access token as expired or invalid.
    TAPIS_AUTH_ERR_TOKEN_REJECTED = 302,
    /// Network failure of another kind (the connection broke, ...).
    TAPIS_AUTH_ERR_NETWORK = 400,
    /// The server could not be reached (connection refused, DNS).
    TAPIS_AUTH_ERR_CONNECT = 401,
    /// The request timed out.
    TAPIS_AUTH_ERR_TIMEOUT = 402,
    /// TLS failure (unknown CA, bad certificate).
    TAPIS_AUTH_ERR_TLS = 403,
    /// Plain `http://` to a non-loopback host was refused.
    TAPIS_AUTH_ERR_INSECURE_HTTP = 404,
    /// The server answered with an error status (see `tapis_auth_error_http_status`).
    TAPIS_AUTH_ERR_SERVER = 500,
    /// The server's response did not have the expected shape.
    TAPIS_AUTH_ERR_MALFORMED_RESPONSE = 501,
    /// The server refused the request as invalid (a body it could not validate, missing data,
    /// a client id already taken, headers a user token must not carry). Not retryable: change
    /// the request (see `tapis_auth_error_http_status` and the message).
    TAPIS_AUTH_ERR_REQUEST_REFUSED = 502,
    /// The credential store failed (I/O error).
    TAPIS_AUTH_ERR_STORAGE = 600,
    /// The credential cache file is corrupt; it was left unchanged.
    TAPIS_AUTH_ERR_CORRUPT_CACHE = 601,
    /// The cache lock was not obtained in time.
    TAPIS_AUTH_ERR_LOCK_TIMEOUT = 602,
    /// The store is not available here (no keyring service, feature not built).
    TAPIS_AUTH_ERR_STORE_UNAVAILABLE = 603,
    /// The store is read-only (the environment store).
    TAPIS_AUTH_ERR_STORE_READ_ONLY = 604,
    /// A stored record is not a valid session.
    TAPIS_AUTH_ERR_INVALID_RECORD = 605,
    /// A cache file or directory others could have planted or changed was refused (owned by
    /// another user, writable by group or others, a link, a FIFO, too large); the message
    /// names it and the fix.
    TAPIS_AUTH_ERR_UNSAFE_CACHE = 606,
    /// The cache was written by a newer version of this library in a format this one cannot
    /// read; it was left unchanged (it is not corrupt): upgrade, or use another cache.
    TAPIS_AUTH_ERR_CACHE_TOO_NEW = 607,
    /// Bad configuration (no tenant, unknown tenant or platform, bad URL, ...).
    TAPIS_AUTH_ERR_CONFIG = 700,
    /// The platform or server does not offer this operation (device login or client updates
    /// on Agave v2, a grant type the tenant does not accept, an endpoint the server lacks).
    TAPIS_AUTH_ERR_UNSUPPORTED = 701,
    /// Any other error.
    TAPIS_AUTH_ERR_OTHER = 900,
}

impl tapis_auth_status {
    /// Every status, in numeric order.
    pub const ALL: &'static [tapis_auth_status] = &[
        Self::TAPIS_AUTH_OK,
        Self::TAPIS_AUTH_ERR_INVALID_ARGUMENT,
        Self::TAPIS_AUTH_ERR_BUFFER_TOO_SMALL,
        Self::TAPIS_AUTH_ERR_PANIC,
        Self::TAPIS_AUTH_ERR_API_MISUSE,
        Self::TAPIS_AUTH_ERR_CANCELLED,
        Self::TAPIS_AUTH_ERR_LOGIN_REQUIRED,
        Self::TAPIS_AUTH_ERR_INVALID_CREDENTIALS,
        Self::TAPIS_AUTH_ERR_INVALID_CLIENT,
        Self::TAPIS_AUTH_ERR_REFRESH_REJECTED,
        Self::TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED,
        Self::TAPIS_AUTH_PENDING,
        Self::TAPIS_AUTH_ERR_LOGIN_FAILED,
        Self::TAPIS_AUTH_ERR_TOKEN_REJECTED,
        Self::TAPIS_AUTH_ERR_NETWORK,
        Self::TAPIS_AUTH_ERR_CONNECT,
        Self::TAPIS_AUTH_ERR_TIMEOUT,
        Self::TAPIS_AUTH_ERR_TLS,
        Self::TAPIS_AUTH_ERR_INSECURE_HTTP,
        Self::TAPIS_AUTH_ERR_SERVER,
        Self::TAPIS_AUTH_ERR_MALFORMED_RESPONSE,
        Self::TAPIS_AUTH_ERR_REQUEST_REFUSED,
        Self::TAPIS_AUTH_ERR_STORAGE,
        Self::TAPIS_AUTH_ERR_CORRUPT_CACHE,
        Self::TAPIS_AUTH_ERR_LOCK_TIMEOUT,
        Self::TAPIS_AUTH_ERR_STORE_UNAVAILABLE,
        Self::TAPIS_AUTH_ERR_STORE_READ_ONLY,
        Self::TAPIS_AUTH_ERR_INVALID_RECORD,
        Self::TAPIS_AUTH_ERR_UNSAFE_CACHE,
        Self::TAPIS_AUTH_ERR_CACHE_TOO_NEW,
        Self::TAPIS_AUTH_ERR_CONFIG,
        Self::TAPIS_AUTH_ERR_UNSUPPORTED,
        Self::TAPIS_AUTH_ERR_OTHER,
    ];

    /// The status with this number, if any.
    pub fn from_u32(code: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The constant's name as a NUL-terminated static string.
    pub fn name_cstr(self) -> &'static [u8] {
        use tapis_auth_status::*;
        match self {
            TAPIS_AUTH_OK => b"TAPIS_AUTH_OK\0",
            TAPIS_AUTH_ERR_INVALID_ARGUMENT => b"TAPIS_AUTH_ERR_INVALID_ARGUMENT\0",
            TAPIS_AUTH_ERR_BUFFER_TOO_SMALL => b"TAPIS_AUTH_ERR_BUFFER_TOO_SMALL\0",
            TAPIS_AUTH_ERR_PANIC => b"TAPIS_AUTH_ERR_PANIC\0",
            TAPIS_AUTH_ERR_API_MISUSE => b"TAPIS_AUTH_ERR_API_MISUSE\0",
            TAPIS_AUTH_ERR_CANCELLED => b"TAPIS_AUTH_ERR_CANCELLED\0",
            TAPIS_AUTH_ERR_LOGIN_REQUIRED => b"TAPIS_AUTH_ERR_LOGIN_REQUIRED\0",
            TAPIS_AUTH_ERR_INVALID_CREDENTIALS => b"TAPIS_AUTH_ERR_INVALID_CREDENTIALS\0",
            TAPIS_AUTH_ERR_INVALID_CLIENT => b"TAPIS_AUTH_ERR_INVALID_CLIENT\0",
            TAPIS_AUTH_ERR_REFRESH_REJECTED => b"TAPIS_AUTH_ERR_REFRESH_REJECTED\0",
            TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED => b"TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED\0",
            TAPIS_AUTH_PENDING => b"TAPIS_AUTH_PENDING\0",
            TAPIS_AUTH_ERR_LOGIN_FAILED => b"TAPIS_AUTH_ERR_LOGIN_FAILED\0",
            TAPIS_AUTH_ERR_TOKEN_REJECTED => b"TAPIS_AUTH_ERR_TOKEN_REJECTED\0",
            TAPIS_AUTH_ERR_NETWORK => b"TAPIS_AUTH_ERR_NETWORK\0",
            TAPIS_AUTH_ERR_CONNECT => b"TAPIS_AUTH_ERR_CONNECT\0",
            TAPIS_AUTH_ERR_TIMEOUT => b"TAPIS_AUTH_ERR_TIMEOUT\0",
            TAPIS_AUTH_ERR_TLS => b"TAPIS_AUTH_ERR_TLS\0",
            TAPIS_AUTH_ERR_INSECURE_HTTP => b"TAPIS_AUTH_ERR_INSECURE_HTTP\0",
            TAPIS_AUTH_ERR_SERVER => b"TAPIS_AUTH_ERR_SERVER\0",
            TAPIS_AUTH_ERR_MALFORMED_RESPONSE => b"TAPIS_AUTH_ERR_MALFORMED_RESPONSE\0",
            TAPIS_AUTH_ERR_REQUEST_REFUSED => b"TAPIS_AUTH_ERR_REQUEST_REFUSED\0",
            TAPIS_AUTH_ERR_STORAGE => b"TAPIS_AUTH_ERR_STORAGE\0",
            TAPIS_AUTH_ERR_CORRUPT_CACHE => b"TAPIS_AUTH_ERR_CORRUPT_CACHE\0",
            TAPIS_AUTH_ERR_LOCK_TIMEOUT => b"TAPIS_AUTH_ERR_LOCK_TIMEOUT\0",
            TAPIS_AUTH_ERR_STORE_UNAVAILABLE => b"TAPIS_AUTH_ERR_STORE_UNAVAILABLE\0",
            TAPIS_AUTH_ERR_STORE_READ_ONLY => b"TAPIS_AUTH_ERR_STORE_READ_ONLY\0",
            TAPIS_AUTH_ERR_INVALID_RECORD => b"TAPIS_AUTH_ERR_INVALID_RECORD\0",
            TAPIS_AUTH_ERR_UNSAFE_CACHE => b"TAPIS_AUTH_ERR_UNSAFE_CACHE\0",
            TAPIS_AUTH_ERR_CACHE_TOO_NEW => b"TAPIS_AUTH_ERR_CACHE_TOO_NEW\0",
            TAPIS_AUTH_ERR_CONFIG => b"TAPIS_AUTH_ERR_CONFIG\0",
            TAPIS_AUTH_ERR_UNSUPPORTED => b"TAPIS_AUTH_ERR_UNSUPPORTED\0",
            TAPIS_AUTH_ERR_OTHER => b"TAPIS_AUTH_ERR_OTHER\0",
        }
    }
}

fn in_range(status: u32, lo: u32, hi: u32) -> bool {
    (lo..hi).contains(&status)
}

/// The name of a status constant, e.g. `"TAPIS_AUTH_ERR_LOGIN_REQUIRED"`, or
/// `"TAPIS_AUTH_UNKNOWN_STATUS"` for a number this library does not define. The string is
/// static: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_name(status: u32) -> *const c_char {
    const UNKNOWN: &[u8] = b"TAPIS_AUTH_UNKNOWN_STATUS\0";
    value_call(UNKNOWN.as_ptr().cast(), || {
        tapis_auth_status::from_u32(status)
            .map_or(UNKNOWN, tapis_auth_status::name_cstr)
            .as_ptr()
            .cast()
    })
}

/// True when the only way forward is a new login (2xx: login required, invalid credentials,
/// invalid client, refresh token rejected, device code expired).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_is_login_required(status: u32) -> bool {
    in_range(status, 200, 300)
}

/// True for `TAPIS_AUTH_PENDING`: a device login is waiting for the user; poll again.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_is_pending(status: u32) -> bool {
    status == tapis_auth_status::TAPIS_AUTH_PENDING as u32
}

/// True for network and TLS failures (4xx statuses): no usable HTTP response was received.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_is_network(status: u32) -> bool {
    in_range(status, 400, 500)
}

/// True when the server answered with an error, refused the request, or sent an unreadable
/// response (5xx statuses).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_is_server(status: u32) -> bool {
    in_range(status, 500, 600)
}

/// True for credential-store failures (6xx statuses), including a corrupt cache.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_is_storage(status: u32) -> bool {
    in_range(status, 600, 700)
}

/// True for a bad call: invalid argument, buffer too small, caught panic, misuse (1xx).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_status_is_usage(status: u32) -> bool {
    in_range(status, 100, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_sorted_and_fortran_safe() {
        let all = tapis_auth_status::ALL;
        for w in all.windows(2) {
            assert!((w[0] as u32) < (w[1] as u32));
        }
        for s in all {
            assert!((*s as u32) < (1 << 31));
            assert_eq!(tapis_auth_status::from_u32(*s as u32), Some(*s));
            let name = s.name_cstr();
            assert_eq!(name.last(), Some(&0));
            assert_eq!(format!("{s:?}").as_bytes(), &name[..name.len() - 1]);
        }
    }
}
