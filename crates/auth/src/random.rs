//! OS randomness for OAuth `state` values and client-id suffixes.

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
