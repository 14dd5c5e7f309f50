//! Sets the shared library's SONAME: `libtapis_auth.so.0.MINOR` for 0.x releases (each minor
//! version may break the ABI), `libtapis_auth.so.MAJOR` from 1.0 on. scripts/install.sh
//! installs the matching symlinks.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        let soname = if major == "0" {
            format!("libtapis_auth.so.0.{minor}")
        } else {
            format!("libtapis_auth.so.{major}")
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
