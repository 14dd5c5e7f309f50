//! [`UnixTime`]: seconds since the Unix epoch, UTC. The core never reads a clock: every
//! time-dependent function takes `now: UnixTime` from the caller (or a [`Clock`] the caller
//! injects), so tests drive time by hand.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An instant as whole seconds since 1970-01-01T00:00:00Z. Arithmetic saturates, never overflows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// The epoch itself.
    pub const EPOCH: Self = Self(0);

    /// Seconds since the epoch.
    pub fn secs(self) -> i64 {
        self.0
    }

    /// `self + secs`, saturating at the ends of `i64`.
    pub fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// `self - secs`, saturating at the ends of `i64`.
    pub fn minus(self, secs: i64) -> Self {
        Self(self.0.saturating_sub(secs))
    }

    /// Seconds from `earlier` to `self` (negative when `self` is earlier), saturating.
    pub fn since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Formats as an RFC 3339 UTC timestamp (`2026-11-22T05:49:13Z`).
    pub fn to_rfc3339(self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }

    /// The UTC calendar date and time of day (proleptic Gregorian, Howard Hinnant's
    /// algorithm): the one conversion every layer formats dates with.
    pub fn civil(self) -> Civil {
        let (year, month, day, hour, minute, second) = civil_from_unix(self.0);
        // In range by construction: month 1-12, day 1-31, hour < 24, minute and second < 60.
        let small = |v: i64| u32::try_from(v).unwrap_or(0);
        Civil {
            year,
            month: small(month),
            day: small(day),
            hour: small(hour),
            minute: small(minute),
            second: small(second),
        }
    }

    /// Parses an HTTP-date (RFC 1123, `Mon, 06 Apr 2026 10:27:50 GMT`), as Tapis sends for the
    /// device code's `expires_in` and client timestamps.
    pub fn from_http_date(text: &str) -> Option<Self> {
        let t = httpdate::parse_http_date(text.trim()).ok()?;
        let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
        i64::try_from(d.as_secs()).ok().map(Self)
    }

    /// Parses an ISO-8601 / RFC 3339 timestamp such as `2024-01-24T19:17:53.284752+00:00`
    /// (Tapis token `expires_at`). Fractions are dropped; a missing offset means UTC.
    pub fn from_iso8601(text: &str) -> Option<Self> {
        parse_iso8601(text.trim())
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A source of the current time, injected into the token managers of `tapis-auth-driver`. The
/// refresh rules and flows never read a clock themselves: time is passed in, so tests choose
/// it. Drivers use [`SystemClock`].
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The real-time clock, to the second. On Linux it reads `CLOCK_REALTIME_COARSE`: a memory
/// read through the vDSO that costs a few nanoseconds, where the precise clock can cost 20 to
/// 200 ns on virtual machines — and expiry needs whole seconds only (its resolution is a few
/// milliseconds). Elsewhere it reads `SystemTime::now()`. A clock before 1970 reads as the epoch.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn now(&self) -> UnixTime {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        UnixTime(ts.tv_sec.max(0))
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn now(&self) -> UnixTime {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

impl UnixTime {
    /// Now, from [`SystemClock`].
    pub fn now() -> UnixTime {
        SystemClock.now()
    }
}

/// A UTC calendar date and time of day ([`UnixTime::civil`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year (proleptic Gregorian; may be before 1970 or negative).
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of the month, 1-31.
    pub day: u32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute, 0-59.
    pub minute: u32,
    /// Second, 0-59.
    pub second: u32,
}

/// Days since the epoch for a civil date (Howard Hinnant's algorithm), total for all inputs
/// the parser accepts.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_unix(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = t.div_euclid(86_400);
    let rem = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

fn parse_iso8601(s: &str) -> Option<UnixTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    let offset = match s.get(i..)? {
        "" | "Z" | "z" => 0,
        rest => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || rb[3] != b':' || !(rb[0] == b'+' || rb[0] == b'-') {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let v = oh * 3600 + om * 60;
            if rb[0] == b'-' {
                -v
            } else {
                v
            }
        }
    };
    let days = days_from_civil(y, mo, d);
    Some(UnixTime(days * 86_400 + h * 3600 + mi * 60 + se - offset))
}

#[cfg(test)]
mod tests {
    #[test]
    fn coarse_clock_agrees_with_the_system_clock() {
        let precise = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let coarse = UnixTime::now().secs();
        assert!((coarse - precise).abs() <= 1, "{coarse} vs {precise}");
    }

    use super::*;

    #[test]
    fn iso8601_with_micros_and_offset() {
        let t = UnixTime::from_iso8601("2024-01-24T19:17:53.284752+00:00").unwrap();
        assert_eq!(t, UnixTime(1_706_123_873));
        assert_eq!(t.to_rfc3339(), "2024-01-24T19:17:53Z");
        let t2 = UnixTime::from_iso8601("2024-01-24T14:17:53-05:00").unwrap();
        assert_eq!(t, t2);
        assert!(UnixTime::from_iso8601("2024-13-01T00:00:00Z").is_none());
        assert!(UnixTime::from_iso8601("garbage").is_none());
    }

    #[test]
    fn http_date() {
        let t = UnixTime::from_http_date("Mon, 06 Apr 2026 10:27:50 GMT").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-04-06T10:27:50Z");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixTime(i64::MAX).plus(10), UnixTime(i64::MAX));
        assert_eq!(UnixTime(i64::MIN).minus(10), UnixTime(i64::MIN));
        assert_eq!(UnixTime(i64::MIN).since(UnixTime(i64::MAX)), i64::MIN);
    }

    proptest::proptest! {
        #[test]
        fn iso_parser_never_panics(s in ".*") { let _ = UnixTime::from_iso8601(&s); }
        #[test]
        fn rfc3339_round_trips(t in -62_135_596_800i64..253_402_300_799i64) {
            let u = UnixTime(t);
            proptest::prop_assert_eq!(UnixTime::from_iso8601(&u.to_rfc3339()), Some(u));
        }
    }
}
