//! Owned strings handed to the caller: NUL-terminated UTF-8 `char *`, allocated by the library,
//! freed only with `tapis_auth_string_free`, which overwrites the bytes with zeros first (they
//! are often tokens). Never pass them to `free()`.

use std::ffi::{c_char, CString};

use crate::boundary::value_call;
use crate::error::FfiError;
use crate::status::tapis_auth_status;

/// Copies `text` into a new NUL-terminated string without leaving an unzeroed copy behind
/// (the buffer is allocated once with room for the terminator).
pub(crate) fn owned_c_string(text: &str, what: &str) -> Result<*mut c_char, FfiError> {
    if text.as_bytes().contains(&0) {
        return Err(FfiError::new(
            tapis_auth_status::TAPIS_AUTH_ERR_MALFORMED_RESPONSE,
            format!("the {what} contains a NUL byte and cannot be returned as a C string"),
        ));
    }
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    // Capacity was exact, so no reallocation (and no stray copy) happens here.
    let c = CString::from_vec_with_nul(bytes).map_err(|_| {
        FfiError::new(
            tapis_auth_status::TAPIS_AUTH_ERR_OTHER,
            "internal string error",
        )
    })?;
    Ok(c.into_raw())
}

/// Frees a string returned by this library (tokens, ids, keys, ...), first overwriting its
/// bytes with zeros. NULL is a no-op. Must be called at most once per string, only on strings
/// this library returned as owned (`char **` out-parameters), never on borrowed `const char *`
/// results. Do not modify the string's length (do not write a NUL inside it) before freeing.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_string_free(s: *mut c_char) {
    value_call((), || {
        if s.is_null() {
            return;
        }
        // SAFETY: `s` came from `CString::into_raw` in this library (documented contract) and
        // has not been freed; its length is unchanged, so `from_raw` recovers the allocation.
        let owned = unsafe { CString::from_raw(s) };
        tapis_auth_core::secret::wipe(owned.into_bytes_with_nul());
    })
}

/// A borrowed C string for an optional owned Rust string held by a handle (NULL for `None`).
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// Converts held text into a `CString` for borrowed accessors (interior NULs replaced).
pub(crate) fn held(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{fffd}")).unwrap_or_default()
}
