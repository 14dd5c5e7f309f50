//! JWT payloads through `JwtClaims::decode` and the expiry rules of `TokenSet::new`.
//! The first byte picks the shape: the raw input as a token string, or the input as the
//! payload of an otherwise well-formed compact JWT (so the fuzzer works on the JSON, not on
//! base64).
//!
//! Invariants beyond "no panic":
//! - a decoded payload is a JSON object, and a decoded integer `exp` equals the payload's;
//! - `TokenSet::new` takes its expiry from the JWT `exp` when there is one, else
//!   `now + expires_in`, and never panics on extreme values (saturating arithmetic).
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use tapis_auth_core::{JwtClaims, Secret, TokenSet, UnixTime};
use tapis_auth_fuzz::{Params, NOW};

fuzz_target!(|data: &[u8]| {
    let mut p = Params::new(data);
    let mode = p.byte();
    let expires_in = i64::from(p.u16() as i16) * 1_000_000_007;
    let payload = p.rest();
    let token = if mode & 1 == 0 {
        String::from_utf8_lossy(payload).into_owned()
    } else {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let pad = if mode & 2 != 0 { "==" } else { "" };
        format!(
            "{}.{}{pad}.c2ln",
            e.encode(br#"{"typ":"JWT","alg":"RS256"}"#),
            e.encode(payload)
        )
    };
    let claims = JwtClaims::decode(&token);
    if mode & 1 == 1 {
        if let Some(c) = &claims {
            let first = payload.iter().find(|b| !b.is_ascii_whitespace());
            assert_eq!(first, Some(&b'{'), "decoded payload is not an object");
            // (serde skips unknown claims without validating their UTF-8, so the payload
            // need not be strict JSON; compare `exp` when it is.)
            if let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice(payload) {
                if let Some(exp) = obj.get("exp").and_then(serde_json::Value::as_i64) {
                    assert_eq!(c.exp, Some(exp));
                }
            }
        }
    }
    let now = if mode & 4 != 0 { UnixTime(i64::MAX - 10) } else { NOW };
    let t = TokenSet::new(now, Secret::new(token.clone()), None, Some(expires_in));
    match claims.and_then(|c| c.exp) {
        Some(exp) => assert_eq!(t.expires_at, Some(UnixTime(exp))),
        None => assert_eq!(t.expires_at, Some(now.plus(expires_in))),
    }
    let _ = t.needs_refresh(now, 60);
    let _ = t.remaining(now);
});
