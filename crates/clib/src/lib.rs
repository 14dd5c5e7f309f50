//! # libtapis_auth — the C library
//!
//! This crate only links: it turns [`tapis_auth_ffi`] (the C ABI written in Rust, with its
//! tests) into `libtapis_auth.so` and `libtapis_auth.a`, whose names C, C++, Fortran and Go
//! builds expect. It is separate so that the Rust facade crate can be called `tapis_auth`
//! without two libraries of one name in the workspace. The header is `include/tapis_auth.h`;
//! the API is documented in `docs/c-api.md`.

/// Every exported C function, re-exported so that the linker keeps them all.
pub use tapis_auth_ffi::*;
