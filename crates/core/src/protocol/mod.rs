//! The wire protocol shared by every flow: request-body encoding, client authentication
//! headers, the Tapis response envelope, token-response parsing for both dialects, and the
//! redaction every server message passes through before it may enter an [`Error`].
//!
//! Error classification lives in [`classify`](mod@classify) (one function, one place); the per-dialect
//! details are in [`v3`] (Tapis v3: envelope messages, Java `TAPIS_SECURITY_*` texts, token
//! envelope) and [`v2`] (Agave v2: WSO2 faults, RFC 6749 errors and token JSON).

use base64::Engine;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::http::{Body, CONTENT_TYPE_JSON};
use crate::secret::{redact_all, REDACTED};
use crate::{Error, HttpRequest, HttpResponse, JwtClaims, Platform, Secret, TokenSet, UnixTime};

pub mod classify;
pub mod v2;
pub mod v3;

pub use classify::{classify, Context};

/// Longest server message (in characters) kept in an error; longer bodies are truncated.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// A server `Date` header further than this from the local clock (in seconds) counts as
/// clock skew and shifts JWT-derived expiries (see [`token_response`]).
pub const CLOCK_SKEW_TOLERANCE_SECS: i64 = 5;

/// Encodes a JSON object whose keys keep the given order (Tapis' password grant is sent as
/// `{"username","password","grant_type"}`, like tapipy). `None` values are left out. The
/// buffer is zeroed on drop and allocated once, so no stray copy of a secret is left behind.
pub fn json_object(pairs: &[(&str, Option<&str>)]) -> Zeroizing<Vec<u8>> {
    // Worst case every byte escapes to `\u00XX` (6 bytes).
    let cap = pairs
        .iter()
        .map(|(k, v)| 6 * (k.len() + v.map_or(0, str::len)) + 8)
        .sum::<usize>()
        + 2;
    let mut out = Zeroizing::new(Vec::with_capacity(cap));
    out.push(b'{');
    let mut first = true;
    for (k, v) in pairs {
        let Some(v) = v else { continue };
        if !first {
            out.push(b',');
        }
        first = false;
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, v);
    }
    out.push(b'}');
    out
}

/// Sets an ordered JSON body (see [`json_object`]) on a request.
pub fn with_json(mut request: HttpRequest, pairs: &[(&str, Option<&str>)]) -> HttpRequest {
    request.body = Some(Body {
        content_type: CONTENT_TYPE_JSON,
        bytes: json_object(pairs),
    });
    request
}

/// The value of an HTTP Basic `Authorization` header: `Basic base64(user:pass)`.
pub fn basic_auth(user: &str, pass: &Secret) -> Secret {
    let mut joined = Zeroizing::new(String::with_capacity(user.len() + pass.len() + 1));
    joined.push_str(user);
    joined.push(':');
    joined.push_str(pass.expose());
    let encoded =
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(joined.as_bytes()));
    let mut value = String::with_capacity(6 + encoded.len());
    value.push_str("Basic ");
    value.push_str(&encoded);
    Secret::new(value)
}

/// Owned copies of secrets, for parsers that outlive the borrowed session.
pub(crate) fn owned_secrets(secrets: &[&Secret]) -> Vec<Secret> {
    secrets.iter().map(|s| (*s).clone()).collect()
}

/// Borrows a list of owned secrets.
pub(crate) fn borrowed(secrets: &[Secret]) -> Vec<&Secret> {
    secrets.iter().collect()
}

/// Makes server text safe to put in an error: removes every known secret in every form a
/// server may echo it in ([`redact_all`]), the client key the Authenticator echoes in
/// `Invalid client credentials: {id}, {key}. session: ...` (everything after the comma, known
/// or not), the credentials of any `Basic …` or `Bearer …` authorization (a server echoing
/// `Basic base64(user:password)`), `key=value` / `"key": "value"` assignments of
/// credential-looking keys, and anything shaped like a JWT; escapes control characters
/// ([`crate::display::printable`]: server text never acts on a terminal); then truncates to
/// [`MAX_MESSAGE_CHARS`].
pub fn redact_message(text: &str, secrets: &[&Secret]) -> String {
    let s = redact_all(text, secrets);
    let s = redact_client_credentials(&s);
    let s = scrub_auth_schemes(&s);
    let s = scrub_assignments(&s);
    let s = scrub_jwts(&s);
    let s = crate::display::printable(s.trim());
    truncate(&s, MAX_MESSAGE_CHARS)
}

/// Replaces the credentials after `Basic ` or `Bearer ` (any case) with [`REDACTED`].
fn scrub_auth_schemes(text: &str) -> String {
    let is_cred = |b: u8| b.is_ascii_alphanumeric() || b"+/=-._~".contains(&b);
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(at) = ["basic", "bearer"]
        .iter()
        .filter_map(|k| lower[from..].find(k).map(|p| (p + from, k.len())))
        .min()
    {
        let (pos, klen) = at;
        let b = text.as_bytes();
        let word_start = pos == 0 || !b[pos - 1].is_ascii_alphanumeric();
        let mut i = pos + klen;
        let spaced = i < b.len() && (b[i] == b' ' || b[i] == b'\t');
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let start = i;
        while i < b.len() && is_cred(b[i]) {
            i += 1;
        }
        // An encoded credential, not a word ("Basic authentication required"): 8 characters
        // or more, not all lower-case letters.
        let cred = &b[start..i];
        let encoded = cred.len() >= 8 && !cred.iter().all(u8::is_ascii_lowercase);
        if word_start && spaced && encoded {
            out.push_str(&text[last..start]);
            out.push_str(REDACTED);
            last = i;
        }
        from = i.max(pos + klen);
    }
    out.push_str(&text[last..]);
    out
}

fn redact_client_credentials(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let Some(at) = lower.find("client credentials:") else {
        return text.to_owned();
    };
    let after = at + "client credentials:".len();
    match text[after..].find(',') {
        Some(comma) => format!("{}, {REDACTED}", &text[..after + comma]),
        None => format!("{} {REDACTED}", &text[..after]),
    }
}

/// Keys whose values are credentials wherever they appear in server text.
const SECRET_KEYS: [&str; 9] = [
    "client_key",
    "client_secret",
    "consumerSecret",
    "password",
    "access_token",
    "refresh_token",
    "device_code",
    "id_token",
    "token",
];

fn scrub_assignments(text: &str) -> String {
    let mut out = text.to_owned();
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(pos) = out[from..].find(key).map(|p| p + from) {
            let b = out.as_bytes();
            // Skip matches inside a longer word (`token` in `access_token`).
            let word_before = pos > 0 && (b[pos - 1].is_ascii_alphanumeric() || b[pos - 1] == b'_');
            let mut i = pos + key.len();
            if word_before || i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                from = i;
                continue;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                i += 1;
            }
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            if i >= b.len() || !(b[i] == b':' || b[i] == b'=') {
                from = i.min(b.len());
                continue;
            }
            i += 1;
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            let quoted = i < b.len() && (b[i] == b'"' || b[i] == b'\'');
            if quoted {
                i += 1;
            }
            let start = i;
            while i < b.len() && !b"\"'&,;}) \n\r\t".contains(&b[i]) {
                i += 1;
            }
            if i > start && &out[start..i] != REDACTED && &out[start..i] != "null" {
                out.replace_range(start..i, REDACTED);
                from = start + REDACTED.len();
            } else {
                from = i;
            }
            if from >= out.len() {
                break;
            }
        }
    }
    out
}

fn scrub_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("eyJ") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.=".contains(c)))
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        if candidate.matches('.').count() >= 2 {
            out.push_str(REDACTED);
        } else {
            out.push_str(candidate);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Truncates to `max` characters, saying how much was cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!(
            "{}... (truncated, {} bytes in total)",
            &text[..cut],
            text.len()
        ),
    }
}

/// The response envelope of Tapis v3 services and Agave v2 core services:
/// `{"result", "status", "message", "version", "metadata"}`. Every field is optional and
/// unknown fields are ignored (Java services add `commit`, `build`; `metadata` may be null).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Envelope {
    /// `success` or `error`.
    pub status: Option<String>,
    /// Human-readable message (the error text that classification keys on).
    pub message: Option<String>,
    /// Service version.
    pub version: Option<String>,
    /// The payload (`null` on errors).
    pub result: Option<Value>,
    /// Paging metadata.
    pub metadata: Option<Value>,
}

impl Envelope {
    /// Parses an envelope. Errors are [`Error::Malformed`] and never quote the body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| malformed("a JSON response envelope", &e))?;
        let Value::Object(mut m) = v else {
            return Err(Error::Malformed {
                expected: "a JSON object (response envelope)".into(),
                detail: "the body is JSON but not an object".into(),
            });
        };
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        Ok(Self {
            status: text(m.remove("status")),
            message: text(m.remove("message")),
            version: text(m.remove("version")),
            result: m.remove("result").filter(|r| !r.is_null()),
            metadata: m.remove("metadata").filter(|r| !r.is_null()),
        })
    }

    /// The `result`, or [`Error::Malformed`] naming what was expected.
    pub fn into_result(self, expected: &str) -> Result<Value, Error> {
        self.result.ok_or_else(|| Error::Malformed {
            expected: expected.to_owned(),
            detail: "the envelope has no result".into(),
        })
    }
}

/// A [`Error::Malformed`] from a serde error, keeping only its category and position (serde
/// messages can quote the offending value, which may be a token).
pub(crate) fn malformed(expected: &str, e: &serde_json::Error) -> Error {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    Error::Malformed {
        expected: expected.to_owned(),
        detail: format!("{kind} at line {}, column {}", e.line(), e.column()),
    }
}

/// An integer from a JSON number or numeric string (`14400`, `"14400"`, `14400.0`,
/// `"14400.0"`); values beyond `i64` saturate (`1e300` is `i64::MAX`).
pub fn lenient_i64(v: Option<&Value>) -> Option<i64> {
    let float = |f: f64| f.is_finite().then_some(f as i64);
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(float)),
        Value::String(s) => {
            let s = s.trim();
            s.parse()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float))
        }
        _ => None,
    }
}

/// A string field of a JSON object, trying several names (`given_name`, `first_name`).
pub fn str_field(obj: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match obj.get(n)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(x) => Some(x.to_string()),
        _ => None,
    })
}

/// Turns a token-endpoint response into a [`TokenSet`]: a non-2xx status goes through
/// [`classify`](fn@classify); a 2xx body is parsed in the platform's dialect ([`v3::parse_token_response`],
/// [`v2::parse_token_response`]).
///
/// **Clock skew.** Expiry from a JWT `exp` is in the *server's* clock. When the response
/// carries a `Date` header that differs from `now` by more than
/// [`CLOCK_SKEW_TOLERANCE_SECS`], JWT-derived expiries are shifted by `now - server_date`, so
/// that `expires_at` is in local-clock terms and the refresh margin works on a machine whose
/// clock is off. Expiries computed as `now + expires_in` are already local and are not shifted.
pub fn token_response(
    platform: Platform,
    ctx: Context,
    now: UnixTime,
    resp: &HttpResponse,
    secrets: &[&Secret],
) -> Result<TokenSet, Error> {
    if !resp.is_success() {
        return Err(classify(platform, ctx, resp, secrets));
    }
    let mut tokens = match platform {
        Platform::TapisV3 => v3::parse_token_response(now, &resp.body)?,
        Platform::AgaveV2 => v2::parse_token_response(now, &resp.body)?,
    };
    adjust_for_server_clock(&mut tokens, now, resp);
    Ok(tokens.bounded(now))
}

/// The longest token accepted from a server, in bytes (Tapis JWTs are about 1 KiB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Checks a token from a server's response: non-empty, at most [`MAX_TOKEN_BYTES`], and only
/// visible ASCII (`!` to `~`). A token with CR/LF or another control character, a space or a
/// non-ASCII character would be cached and then printed into a header (`curl -H
/// "X-Tapis-Token: $TOKEN"` sends an injected header): [`Error::Malformed`], which names the
/// offending byte's position, never the token.
pub fn check_token(what: &str, expected: &str, token: &Secret) -> Result<(), Error> {
    let bad = |detail: String| {
        Err(Error::Malformed {
            expected: expected.to_owned(),
            detail,
        })
    };
    let t = token.expose().as_bytes();
    if t.is_empty() {
        return bad(format!("the {what} is empty"));
    }
    if t.len() > MAX_TOKEN_BYTES {
        return bad(format!(
            "the {what} is {} bytes long, more than {MAX_TOKEN_BYTES}",
            t.len()
        ));
    }
    if let Some(i) = t.iter().position(|b| !(b'!'..=b'~').contains(b)) {
        let kind = match t[i] {
            b'\r' | b'\n' => "a line break (CR or LF)",
            b' ' => "a space",
            b if b.is_ascii_control() => "a control character",
            _ => "a non-ASCII character",
        };
        return bad(format!(
            "the {what} holds {kind} at byte {i}; a token is visible ASCII only"
        ));
    }
    Ok(())
}

/// A positive number of seconds (`expires_in`); zero, negative or unreadable values are no
/// lifetime at all (the token then gets [`crate::token::ASSUMED_LIFETIME_SECS`]).
pub(crate) fn lifetime(v: Option<&Value>) -> Option<i64> {
    lenient_i64(v).filter(|s| *s > 0)
}

/// Applies the clock-skew rule described on [`token_response`].
pub fn adjust_for_server_clock(tokens: &mut TokenSet, now: UnixTime, resp: &HttpResponse) {
    let Some(server) = resp.header("date").and_then(UnixTime::from_http_date) else {
        return;
    };
    let offset = now.since(server);
    if offset.saturating_abs() <= CLOCK_SKEW_TOLERANCE_SECS {
        return;
    }
    let exp_of = |s: &Secret| JwtClaims::decode(s.expose()).and_then(|c| c.exp);
    if let Some(exp) = exp_of(&tokens.access_token) {
        tokens.expires_at = Some(UnixTime(exp).plus(offset));
    }
    if let Some(exp) = tokens.refresh_token.as_ref().and_then(exp_of) {
        tokens.refresh_expires_at = Some(UnixTime(exp).plus(offset));
    }
}

/// The `message` of a JSON envelope body, if the body is one.
pub fn envelope_message(resp: &HttpResponse) -> Option<String> {
    Envelope::parse(&resp.body).ok()?.message
}

/// The session's access token, or [`Error::LoginRequired`].
pub(crate) fn access_token(session: &crate::Session) -> Result<&Secret, Error> {
    session
        .tokens
        .as_ref()
        .map(|t| &t.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::LoginRequired {
            reason: format!("profile {:?} has no access token", session.profile),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_object_keeps_order_and_escapes() {
        let b = json_object(&[
            ("username", Some("a\"b")),
            ("skip", None),
            ("grant_type", Some("password")),
        ]);
        assert_eq!(&b[..], br#"{"username":"a\"b","grant_type":"password"}"#);
        assert_eq!(&json_object(&[])[..], b"{}");
    }

    #[test]
    fn basic_header() {
        assert_eq!(
            basic_auth("cid", &Secret::new("ckey")).expose(),
            "Basic Y2lkOmNrZXk="
        );
    }

    #[test]
    fn redaction_rules() {
        let m = redact_message(
            "Invalid client credentials: cid, unknownkey123. session: {'x': 1}",
            &[],
        );
        assert_eq!(m, "Invalid client credentials: cid, [redacted]");
        let m = redact_message(
            r#"bad "refresh_token": "abc123def" and password=hunter2&x=1"#,
            &[],
        );
        assert!(!m.contains("abc123def") && !m.contains("hunter2"), "{m}");
        let m = redact_message(
            "echo: Authorization: Basic dGVzdHVzZXI6aHVudGVyMg== and bearer abcdef123456789",
            &[],
        );
        assert_eq!(
            m,
            "echo: Authorization: Basic [redacted] and bearer [redacted]"
        );
        for words in ["Basic auth failed", "Basic authentication required"] {
            assert_eq!(
                redact_message(words, &[]),
                words,
                "words are no credentials"
            );
        }
        let m = redact_message("bad \x1b]52;c;ZXZpbA==\x07 thing\x1b[2J", &[]);
        assert!(!m.contains('\x1b') && !m.contains('\x07'), "{m:?}");
        let m = redact_message("debug data: eyJhbGciOi.eyJzdWIi.c2ln end", &[]);
        assert_eq!(m, "debug data: [redacted] end");
        let long = "x".repeat(1000);
        assert!(redact_message(&long, &[]).len() < 400);
        assert_eq!(
            redact_message("Invalid Tapis token.", &[]),
            "Invalid Tapis token."
        );
    }

    #[test]
    fn envelope_tolerates_java_shape() {
        let e = Envelope::parse(br#"{"status":"success","message":"m","version":"26Q1.0-a","commit":"a","metadata":null,"result":"ok"}"#).unwrap();
        assert_eq!(e.status.as_deref(), Some("success"));
        assert_eq!(e.result, Some(Value::String("ok".into())));
        assert!(e.metadata.is_none());
        assert!(Envelope::parse(b"[1]").is_err());
    }
}
