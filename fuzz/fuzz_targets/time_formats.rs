//! Timestamps from servers and caches: `UnixTime::from_iso8601` (Tapis `expires_at`) and
//! `UnixTime::from_http_date` (device-code and client timestamps, the `Date` header).
//!
//! Invariants beyond "no panic":
//! - whatever `from_iso8601` accepts in years 0001–9998 formats with `to_rfc3339` and parses
//!   back to the same instant (the caches write what the parser reads);
//! - whatever `from_http_date` accepts is the same instant when re-read as RFC 3339;
//! - an arbitrary instant in 0001–9999 round-trips through `to_rfc3339` / `from_iso8601`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::UnixTime;

/// 0001-01-01T00:00:00Z and 9998-12-31T23:59:59Z.
const LOW: i64 = -62_135_596_800;
const HIGH: i64 = 253_370_764_799;

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let raw = i64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
        let t = UnixTime(LOW + raw.rem_euclid(HIGH - LOW + 1));
        assert_eq!(UnixTime::from_iso8601(&t.to_rfc3339()), Some(t));
    }
    let text = String::from_utf8_lossy(data);
    if let Some(t) = UnixTime::from_iso8601(&text) {
        if (LOW..=HIGH).contains(&t.0) {
            assert_eq!(UnixTime::from_iso8601(&t.to_rfc3339()), Some(t), "{text:?}");
        }
        let _ = t.to_string();
    }
    if let Some(t) = UnixTime::from_http_date(&text) {
        assert_eq!(UnixTime::from_iso8601(&t.to_rfc3339()), Some(t), "{text:?}");
    }
});
