//! Whether to try a request again, and how long to wait first: exponential backoff with
//! jitter, and `Retry-After`.

use super::*;

/// Whether a response with `status` is worth another attempt: a 429 always (the server did not
/// process the request), a 502/503/504 only when the request may be sent twice.
pub(super) fn retry_status(status: u16, replay: Replay) -> bool {
    match status {
        429 => true,
        502..=504 => replay == Replay::Safe,
        _ => false,
    }
}

/// Whether a failed attempt is worth another: one that certainly never left (a connection
/// failure, a timeout while connecting) always; a timeout after the connection was made or a
/// broken connection only when the request may be sent twice; TLS, insecure and oversized
/// never.
pub(super) fn retry_error(kind: TransportErrorKind, replay: Replay) -> bool {
    match kind {
        TransportErrorKind::Connect => true,
        TransportErrorKind::Timeout | TransportErrorKind::Other => replay == Replay::Safe,
        _ => false,
    }
}

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
