//! `tapis_auth_options`: the options builder for `tapis_auth_session_restore` and
//! `tapis_auth_session_open`.
//!
//! Create with `tapis_auth_options_new`, set what you need, pass it to restore/open (which copy
//! it: the builder stays owned by the caller and may be reused or freed right away), free with
//! `tapis_auth_options_free`. Every setter copies its string arguments; passing NULL as the
//! value resets that option to its default. A builder must not be modified by two threads at
//! once.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use tapis_auth::Options;
use tapis_auth_core::{Platform, Secret};
use tapis_auth_storage::StoreKind;

use crate::boundary::{handle_mut, opt_str_arg, status_call, str_arg, value_call};
use crate::error::{tapis_auth_error, FfiError};
use crate::status::tapis_auth_status;

/// Options for restoring a session or logging in. Opaque; see `tapis_auth_options_new`.
pub struct tapis_auth_options {
    pub(crate) inner: Options,
}

/// Creates an options builder holding the defaults (environment enabled, JSON cache, 60 s
/// margin, 10 s connect / 30 s total timeouts). Free with `tapis_auth_options_free`. Returns
/// NULL only if the library failed internally.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_new() -> *mut tapis_auth_options {
    value_call(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(tapis_auth_options {
            inner: Options::default(),
        }))
    })
}

/// Frees an options builder (zeroising the secrets it holds). NULL is a no-op. Must not be
/// called twice on the same builder.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_free(opts: *mut tapis_auth_options) {
    value_call((), || {
        if !opts.is_null() {
            // SAFETY: `opts` came from `tapis_auth_options_new` and is freed once (contract).
            drop(unsafe { Box::from_raw(opts) });
        }
    })
}

/// Shared body of the setters: borrows the builder and applies `f`.
fn set(
    name: &'static str,
    opts: *mut tapis_auth_options,
    err: *mut *mut tapis_auth_error,
    f: impl FnOnce(&mut Options) -> Result<(), FfiError>,
) -> tapis_auth_status {
    status_call(name, err, || {
        // SAFETY: `opts` is NULL (rejected) or a live builder not used concurrently (contract).
        let o = unsafe { handle_mut(opts, "opts") }?;
        f(&mut o.inner)
    })
}

/// Reads an optional string setter value.
fn text(value: *const c_char, name: &str) -> Result<Option<String>, FfiError> {
    // SAFETY: `value` is NULL or a NUL-terminated string valid for this call (contract).
    Ok(unsafe { opt_str_arg(value, name) }?.map(str::to_owned))
}

/// Reads an optional secret setter value (never echoed in errors).
fn secret(value: *const c_char, name: &str) -> Result<Option<Secret>, FfiError> {
    // SAFETY: as in `text`.
    Ok(unsafe { opt_str_arg(value, name) }?.map(Secret::new))
}

/// Sets the tenant base URL, e.g. `"https://tacc.tapis.io"`. NULL resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_base_url(
    opts: *mut tapis_auth_options,
    base_url: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_base_url", opts, err, |o| {
        o.base_url = text(base_url, "base_url")?;
        Ok(())
    })
}

/// Sets the tenant id, e.g. `"tacc"` (Tapis v3: resolves to `https://tacc.tapis.io`). NULL
/// resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_tenant(
    opts: *mut tapis_auth_options,
    tenant_id: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_tenant", opts, err, |o| {
        o.tenant_id = text(tenant_id, "tenant_id")?;
        Ok(())
    })
}

/// Sets the platform: `"v3"`/`"tapis"`/`"tapis-v3"` or `"v2"`/`"agave"`/`"agave-v2"`
/// (case-insensitive). NULL resets to auto-detection. Unknown names ⇒
/// `TAPIS_AUTH_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_platform(
    opts: *mut tapis_auth_options,
    platform: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_platform", opts, err, |o| {
        o.platform = match text(platform, "platform")? {
            None => None,
            Some(p) => Some(Platform::parse(&p).map_err(|_| {
                FfiError::invalid("platform", "must be \"v3\" (Tapis) or \"v2\" (Agave)")
            })?),
        };
        Ok(())
    })
}

/// Sets the profile name (default: the store's current profile, else `"default"`). NULL
/// resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_profile(
    opts: *mut tapis_auth_options,
    profile: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_profile", opts, err, |o| {
        o.profile = text(profile, "profile")?;
        Ok(())
    })
}

/// Sets the username. NULL resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_username(
    opts: *mut tapis_auth_options,
    username: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_username", opts, err, |o| {
        o.username = text(username, "username")?;
        Ok(())
    })
}

/// Sets the password (kept in memory only, never stored, zeroised when freed). NULL resets.
/// The string is copied; the caller may wipe its copy right after the call.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_password(
    opts: *mut tapis_auth_options,
    password: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_password", opts, err, |o| {
        o.password = secret(password, "password")?;
        Ok(())
    })
}

/// Sets the OAuth client id. NULL resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_client_id(
    opts: *mut tapis_auth_options,
    client_id: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_client_id", opts, err, |o| {
        o.client_id = text(client_id, "client_id")?;
        Ok(())
    })
}

/// Sets the OAuth client key (secret). NULL resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_client_key(
    opts: *mut tapis_auth_options,
    client_key: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_client_key", opts, err, |o| {
        o.client_key = secret(client_key, "client_key")?;
        Ok(())
    })
}

/// Sets an access token to start from (with a base URL this makes an explicit, in-memory
/// session). NULL resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_access_token(
    opts: *mut tapis_auth_options,
    access_token: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_access_token", opts, err, |o| {
        o.access_token = secret(access_token, "access_token")?;
        Ok(())
    })
}

/// Sets a refresh token to start from. NULL resets. The string is copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_refresh_token(
    opts: *mut tapis_auth_options,
    refresh_token: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_refresh_token", opts, err, |o| {
        o.refresh_token = secret(refresh_token, "refresh_token")?;
        Ok(())
    })
}

/// Chooses the credential store: `kind` is `"json"` (the agavepy-compatible cache, default),
/// `"sqlite"`, `"keyring"`, `"env"` or `"memory"` (`sqlite`/`keyring` only when the library
/// was built with them); `path` is the cache directory / database file, or NULL for the
/// default (`TAPIS_CACHE_DIR`, `AGAVE_CACHE_DIR`, else `~/.agave`). Strings are copied.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_store(
    opts: *mut tapis_auth_options,
    kind: *const c_char,
    path: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_store", opts, err, |o| {
        // SAFETY: `kind` is a NUL-terminated string valid for this call (contract).
        let k = unsafe { str_arg(kind, "kind") }?;
        let kind = StoreKind::parse(k).map_err(|_| {
            FfiError::invalid("kind", "must be one of json, sqlite, keyring, env, memory")
        })?;
        let path = text(path, "path")?.map(PathBuf::from);
        o.store = kind;
        o.store_path = path;
        Ok(())
    })
}

/// When `persist` is true, a session given explicitly (base URL + password or tokens) and the
/// result of a login are saved in the store; when false (default) an explicit session lives in
/// memory only.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_persist(
    opts: *mut tapis_auth_options,
    persist: bool,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_persist", opts, err, |o| {
        o.persist_explicit = persist;
        Ok(())
    })
}

/// Whether the `TAPIS_*` environment variables are consulted (default true).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_use_environment(
    opts: *mut tapis_auth_options,
    use_environment: bool,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_use_environment", opts, err, |o| {
        o.use_environment = use_environment;
        Ok(())
    })
}

/// Sets the default minimum validity, in seconds, that every returned token keeps in hand
/// (default 60). A call's own `min_valid_seconds` applies when it is larger. Negative ⇒
/// `TAPIS_AUTH_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_min_valid(
    opts: *mut tapis_auth_options,
    seconds: i64,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_min_valid", opts, err, |o| {
        if seconds < 0 {
            return Err(FfiError::invalid("seconds", "must not be negative"));
        }
        o.margin_secs = seconds;
        Ok(())
    })
}

/// Sets the connection timeout in milliseconds (default 10000). 0 ⇒ invalid argument.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_connect_timeout_ms(
    opts: *mut tapis_auth_options,
    milliseconds: u64,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set(
        "tapis_auth_options_set_connect_timeout_ms",
        opts,
        err,
        |o| {
            if milliseconds == 0 {
                return Err(FfiError::invalid("milliseconds", "must be positive"));
            }
            o.transport.connect_timeout = Duration::from_millis(milliseconds);
            Ok(())
        },
    )
}

/// Sets the total time allowed per HTTP request in milliseconds (default 30000). 0 ⇒ invalid
/// argument.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_timeout_ms(
    opts: *mut tapis_auth_options,
    milliseconds: u64,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_timeout_ms", opts, err, |o| {
        if milliseconds == 0 {
            return Err(FfiError::invalid("milliseconds", "must be positive"));
        }
        o.transport.timeout = Duration::from_millis(milliseconds);
        Ok(())
    })
}

/// Sets the number of attempts per HTTP request, the first included (default 3; 1 disables
/// retries). 0 ⇒ invalid argument.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_max_tries(
    opts: *mut tapis_auth_options,
    tries: u32,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_max_tries", opts, err, |o| {
        if tries == 0 {
            return Err(FfiError::invalid("tries", "must be at least 1"));
        }
        o.transport.max_tries = tries;
        Ok(())
    })
}

/// Adds a PEM file of extra trusted CA certificates (sites running their own CA). NULL resets.
/// The path is copied; the file is read when the first request is made.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_ca_file(
    opts: *mut tapis_auth_options,
    path: *const c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set("tapis_auth_options_set_ca_file", opts, err, |o| {
        o.transport.ca_file = text(path, "path")?.map(PathBuf::from);
        Ok(())
    })
}

/// Allows plain `http://` to non-loopback hosts (default false: refused, because credentials
/// would cross the network unencrypted). Plain HTTP to 127.0.0.1/::1/localhost is always
/// allowed (local test servers and tunnels).
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_options_set_allow_insecure_http(
    opts: *mut tapis_auth_options,
    allow: bool,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    set(
        "tapis_auth_options_set_allow_insecure_http",
        opts,
        err,
        |o| {
            o.transport.allow_insecure_http = allow;
            Ok(())
        },
    )
}
