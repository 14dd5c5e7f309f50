//! Small helpers: randomness, time formatting and JSON envelopes.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rsa::rand_core::{OsRng, RngCore};
use serde_json::{json, Value};

/// Version string reported in Tapis v3 envelopes.
pub const V3_VERSION: &str = "1.6.0";
/// Version string reported in Agave v2 envelopes.
pub const V2_VERSION: &str = "2.2.27";

/// Current Unix time in seconds.
pub fn now() -> i64 {
    now_f64().floor() as i64
}

/// Current Unix time in seconds, with sub-second precision.
pub fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `n` random bytes from the OS.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    OsRng.fill_bytes(&mut v);
    v
}

/// A random string of `n` characters drawn from `alphabet`.
pub fn random_from(alphabet: &[u8], n: usize) -> String {
    random_bytes(n)
        .into_iter()
        .map(|b| alphabet[(b as usize) % alphabet.len()] as char)
        .collect()
}

/// Letters and digits.
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Letters only.
pub const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Lower-case hex of `n` random bytes.
pub fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// A random UUID version 4 string.
pub fn uuid4() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Converts days since 1970-01-01 into (year, month, day). The library has this conversion too
/// (`UnixTime::civil`); the test authenticator keeps its own so that it shares no code with the
/// library it tests.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Python `datetime.isoformat()` style: `2024-01-24T19:17:53.284752+00:00`.
pub fn iso_micros(t: f64) -> String {
    let secs = t.floor() as i64;
    let micros = ((t - secs as f64) * 1_000_000.0).floor() as i64;
    let (y, mo, d, h, mi, s) = split(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}+00:00")
}

/// Java-style UTC instant: `2025-06-09T08:51:38Z`.
pub fn iso_z(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = split(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// RFC 1123 HTTP-date (Flask `jsonify` format): `Mon, 06 Apr 2026 10:27:50 GMT`.
pub fn http_date(secs: i64) -> String {
    let t = UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// The Tapis v3 success envelope (HTTP 200).
pub fn v3_ok(result: Value, message: &str) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({
            "result": result, "status": "success", "version": V3_VERSION,
            "message": message, "metadata": {}
        })),
    )
        .into_response()
}

/// The Tapis v3 error envelope with the given status (normally 400).
pub fn v3_err(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(json!({
            "result": null, "status": "error", "version": V3_VERSION,
            "message": message, "metadata": {}
        })),
    )
        .into_response()
}

/// The Agave v2 envelope.
pub fn v2_env(status: u16, ok: bool, result: Value, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        axum::Json(json!({
            "status": if ok { "success" } else { "error" },
            "message": message, "version": V2_VERSION, "result": result
        })),
    )
        .into_response()
}

/// A JSON body with an arbitrary status.
pub fn json_status(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        axum::Json(body),
    )
        .into_response()
}

/// A plain-text body with an arbitrary status.
pub fn text_status(status: u16, body: String) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    r
}

/// Parses `Authorization: Basic ...`. `None` = header absent; `Some(None)` = present but unparseable.
pub fn basic_auth(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let parsed = (|| {
        let s = v.to_str().ok()?;
        let (scheme, rest) = s.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (a, b) = text.split_once(':')?;
        Some((a.to_string(), b.to_string()))
    })();
    Some(parsed)
}

/// The `Authorization: Bearer ...` token, if present.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let s = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = s.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim().to_string())
}

/// Lower-cased media type of the request (without parameters), if any.
pub fn content_type(headers: &HeaderMap) -> Option<String> {
    let s = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Parses a form body into ordered pairs.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()
}

/// Percent-encodes a query value.
pub fn qenc(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|x| x[2..].to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso_z(1_749_459_098), "2025-06-09T08:51:38Z");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(iso_micros(1.5), "1970-01-01T00:00:01.500000+00:00");
        assert_eq!(uuid4().len(), 36);
    }
}
