//! Error bodies of both platforms through `protocol::classify`: WSO2 faults (JSON and XML),
//! RFC 6749 errors, the Tapis envelope, Java `TAPIS_SECURITY_*` plain text and anything else,
//! under every request context and a fuzzed HTTP status. The fuzzer may splice the session's
//! (planted) secrets anywhere into the body.
//!
//! Invariants beyond "no panic":
//! - neither `Display` nor `Debug` of the error contains a planted secret (redaction);
//! - the message stays bounded (server text is truncated to `MAX_MESSAGE_CHARS`);
//! - Agave v2 refresh grants answered 400/401 are always `RefreshRejected`;
//! - `Envelope::parse` and `envelope_message` agree and never panic on the same body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::{protocol, Context, Error, HttpResponse, Platform, Secret};
use tapis_auth_fuzz::{assert_error_clean, planted_secrets, splice_secret, Params, CONTEXTS};

fuzz_target!(|data: &[u8]| {
    let mut p = Params::new(data);
    let platform = p.platform();
    let ctx = CONTEXTS[usize::from(p.byte()) % CONTEXTS.len()];
    let status = p.status();
    let sel = p.byte();
    let at = p.u16();
    let body = splice_secret(p.rest(), sel, at);

    let secrets = planted_secrets();
    let borrowed: Vec<&Secret> = secrets.iter().collect();
    let resp = HttpResponse::new(status, body.clone());
    let e = protocol::classify(platform, ctx, &resp, &borrowed);
    let shown = e.to_string();
    assert_error_clean(&e, &shown);
    // Fixed text (≤ ~150 chars) + a status + a message of at most MAX_MESSAGE_CHARS chars and
    // its "(truncated, N bytes in total)" suffix.
    assert!(
        shown.chars().count() <= protocol::MAX_MESSAGE_CHARS + 260,
        "unbounded error text ({} chars)",
        shown.chars().count()
    );
    if platform == Platform::AgaveV2 && ctx == Context::RefreshGrant && matches!(status, 400 | 401)
    {
        assert!(matches!(e, Error::RefreshRejected { .. }), "{e:?}");
    }
    let env = protocol::Envelope::parse(&body).ok();
    assert_eq!(
        env.and_then(|e| e.message),
        protocol::envelope_message(&resp)
    );
    // The message redactor on its own, on the raw text.
    let text = String::from_utf8_lossy(&body);
    let red = protocol::redact_message(&text, &borrowed);
    tapis_auth_fuzz::assert_no_planted(&red, "redact_message");
});
