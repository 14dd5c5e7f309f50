//! The `~/.agave/config.json` cache file, written to a scratch directory (on tmpfs when
//! there is one) and read through the public `JsonStore` API, as agavepy, the bash CLI or a
//! damaged disk may have left it. See `tapis_auth_fuzz::check_cache` for the invariants:
//! invalid JSON is always `StoreError::Corrupt` and never overwritten; reads never write;
//! what loads saves and loads back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_fuzz::{check_cache, CacheFile};

fuzz_target!(|data: &[u8]| check_cache(CacheFile::ConfigJson, data));
