//! When and how long to wait before trying a request again: exponential backoff with jitter,
//! and `Retry-After`.

use super::*;

/// Exponential backoff with up to 50 % jitter: base · 2^(attempt-1) · [0.5, 1.0).
pub(super) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
    // Jitter from the clock's sub-second nanos: no RNG dependency, and different in each
    // process, which is all that desynchronising a retry storm needs.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let frac = 0.5 + f64::from(nanos % 1000) / 2000.0;
    exp.mul_f64(frac)
}

/// The `Retry-After` header as a duration (seconds or HTTP-date), capped at `max`.
pub(super) fn retry_after(resp: &HttpResponse, max: Duration) -> Option<Duration> {
    let v = resp.header("retry-after")?.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(v).ok()?;
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(d.min(max))
}
