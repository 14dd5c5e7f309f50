//! Owned strings handed to the caller: NUL-terminated UTF-8 `char *`, allocated by the library,
//! freed only with `tapis_auth_string_free`, which overwrites the bytes with zeros first (they
//! are often tokens). Never pass them to `free()`.

use std::ffi::{c_char, c_int, c_void, CString};

use crate::boundary::value_call;
use crate::error::FfiError;
use crate::status::tapis_auth_status;

/// Fails with `TAPIS_AUTH_ERR_MALFORMED_RESPONSE` when `text` (the `what`: a token, a key, ...)
/// holds a NUL byte, which C would read as its end.
///
/// The token calls scan every token they hand out, so the scan is libc's vectorised `memchr`:
/// `<[u8]>::contains` and `CString`'s own check cost about 100 ns each on a 900-byte token,
/// most of a `tapis_auth_access_token` call.
pub(crate) fn check_no_nul(text: &str, what: &str) -> Result<(), FfiError> {
    extern "C" {
        fn memchr(s: *const c_void, c: c_int, n: usize) -> *mut c_void;
    }
    // SAFETY: `text` is valid for reads of `text.len()` bytes; `memchr` reads no further.
    let found = unsafe { memchr(text.as_ptr().cast(), 0, text.len()) };
    if found.is_null() {
        Ok(())
    } else {
        Err(FfiError::new(
            tapis_auth_status::TAPIS_AUTH_ERR_MALFORMED_RESPONSE,
            format!("the {what} contains a NUL byte and cannot be returned as a C string"),
        ))
    }
}

/// Copies `text` into a new NUL-terminated string without leaving an unzeroed copy behind
/// (the buffer is allocated once with room for the terminator). `text` is scanned once.
pub(crate) fn owned_c_string(text: &str, what: &str) -> Result<*mut c_char, FfiError> {
    check_no_nul(text, what)?;
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    // SAFETY: `bytes` ends with its only NUL (`text` has none, checked above). Capacity was
    // exact, so no reallocation (and no stray copy) happens here.
    let c = unsafe { CString::from_vec_with_nul_unchecked(bytes) };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_at_every_position_and_alignment() {
        assert!(check_no_nul("", "t").is_ok());
        for len in 1..80 {
            let clean = "a".repeat(len);
            assert!(check_no_nul(&clean, "t").is_ok());
            // Every offset into the string, so the vectorised scan's head, body and tail
            // are each exercised.
            for start in 0..len.min(17) {
                for at in start..len {
                    let mut t = clean.clone().into_bytes();
                    t[at] = 0;
                    let t = String::from_utf8(t).unwrap();
                    let e = check_no_nul(&t[start..], "token").unwrap_err();
                    assert_eq!(
                        e.status,
                        tapis_auth_status::TAPIS_AUTH_ERR_MALFORMED_RESPONSE
                    );
                    assert!(e.message.contains("token"), "{}", e.message);
                }
            }
        }
    }

    #[test]
    fn owned_strings_copy_the_text_and_refuse_a_nul() {
        let p = owned_c_string("tok-\u{e9}", "token").unwrap();
        // SAFETY: `p` is a live string from `owned_c_string`.
        assert_eq!(
            unsafe { std::ffi::CStr::from_ptr(p) }.to_str(),
            Ok("tok-\u{e9}")
        );
        tapis_auth_string_free(p);
        let e = owned_c_string("Zq\0k9", "client key").unwrap_err();
        assert_eq!(
            e.status,
            tapis_auth_status::TAPIS_AUTH_ERR_MALFORMED_RESPONSE
        );
        assert!(
            e.message.contains("client key") && !e.message.contains("Zq"),
            "{}",
            e.message
        );
    }
}
