//! [`SystemClock`]: the core's [`Clock`] over the system's real-time clock.

use tapis_auth_core::{Clock, UnixTime};

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

/// Random bytes from the operating system, hex-encoded (OAuth `state`, client-id suffixes).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() {
        // No OS randomness (never seen on supported systems): fall back to the clock and pid,
        // which is still unique enough for a client-id suffix; `state` checks stay exact.
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ u128::from(std::process::id());
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (n >> ((i % 16) * 8)) as u8;
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_clock_agrees_with_the_system_clock() {
        let precise = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let coarse = SystemClock.now().secs();
        assert!((coarse - precise).abs() <= 1, "{coarse} vs {precise}");
    }
}
