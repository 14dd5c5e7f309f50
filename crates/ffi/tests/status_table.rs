//! One status table: the Rust enum (`crates/ffi/src/status.rs`) is the source; the C header,
//! the Fortran module's constants and the Go binding's constants must name every status with
//! the same number, and nothing else.

#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::path::Path;

use tapis_auth_ffi::{tapis_auth_status, tapis_auth_status_name};

/// Name -> number, from the Rust enum.
fn table() -> BTreeMap<String, u32> {
    (0..10_000)
        .filter_map(tapis_auth_status::from_u32)
        .map(|s| {
            let name = CStr::from_bytes_with_nul(s.name_cstr()).unwrap();
            (name.to_str().unwrap().to_owned(), s as u32)
        })
        .collect()
}

fn read(rel: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `NAME = number` pairs for names starting with TAPIS_AUTH_ and not followed by `(`.
fn assignments(text: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(start) = line.find("TAPIS_AUTH_") else {
            continue;
        };
        let rest = &line[start..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let digits: String = value
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse() {
            out.insert(name, n);
        }
    }
    out
}

#[test]
fn the_table_has_every_group_and_names_agree_with_the_c_function() {
    let t = table();
    assert!(t.len() >= 33, "{t:?}");
    // Added by the typed-errors split (issue 15); numbers never change.
    for (name, n) in [
        ("TAPIS_AUTH_ERR_REQUEST_REFUSED", 502),
        ("TAPIS_AUTH_ERR_CACHE_TOO_NEW", 607),
        ("TAPIS_AUTH_ERR_UNSUPPORTED", 701),
    ] {
        assert_eq!(t.get(name), Some(&n), "{name}");
    }
    for (name, n) in &t {
        let s = tapis_auth_status::from_u32(*n).unwrap();
        // SAFETY: the function returns a static NUL-terminated string.
        let c = unsafe { CStr::from_ptr(tapis_auth_status_name(s as u32)) };
        assert_eq!(c.to_str().unwrap(), name);
    }
}

#[test]
fn the_c_header_lists_exactly_the_table() {
    let header = assignments(&read("include/tapis_auth.h"));
    assert_eq!(header, table());
}

#[test]
fn the_fortran_constants_are_exactly_the_table() {
    let fortran = assignments(&read("bindings/fortran/tapis_auth.f90"));
    assert_eq!(fortran, table());
}

#[test]
fn the_go_constants_name_every_status() {
    let go = read("bindings/go/tapisauth.go");
    let named: Vec<String> = go
        .lines()
        .filter_map(|l| l.split("Status = C.").nth(1))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .filter(|n: &String| n.starts_with("TAPIS_AUTH_"))
        .collect();
    let mut sorted = named.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), named.len(), "a Go constant is repeated");
    let want: Vec<String> = table().into_keys().collect();
    assert_eq!(
        sorted, want,
        "Go's Status constants (bindings/go/tapisauth.go)"
    );
}
