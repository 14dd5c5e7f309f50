//! The version the C library reports, the header's version macros and Cargo.toml agree.

#![allow(unsafe_code)]
use std::ffi::CStr;

#[test]
fn version_matches_cargo() {
    // SAFETY: tapis_auth_version returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(tapis_auth_ffi::tapis_auth_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

fn header_macro(header: &str, name: &str) -> u32 {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} missing from include/tapis_auth.h"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn header_version_macros_match_cargo() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../include/tapis_auth.h");
    let header = std::fs::read_to_string(path).expect("include/tapis_auth.h");
    assert_eq!(
        header_macro(&header, "TAPIS_AUTH_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR").parse::<u32>().unwrap()
    );
    assert_eq!(
        header_macro(&header, "TAPIS_AUTH_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR").parse::<u32>().unwrap()
    );
    assert_eq!(
        header_macro(&header, "TAPIS_AUTH_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH").parse::<u32>().unwrap()
    );
    assert!(header.contains("#ifndef TAPIS_AUTH_H"));
    assert!(header.contains("extern \"C\""));
}
