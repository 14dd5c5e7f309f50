//! The parsers and the classifier never panic, whatever the bytes.

use proptest::prelude::*;
use tapis_auth_core::protocol::{classify, redact_message, v2, v3, Context, Envelope};
use tapis_auth_core::{HttpResponse, Platform, Secret, UnixTime};

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        ".{0,300}".prop_map(String::into_bytes),
        // Near-miss structured bodies.
        (any::<i64>(), ".{0,40}").prop_map(|(c, m)| format!(r#"{{"fault":{{"code":{c},"message":{m:?}}}}}"#).into_bytes()),
        (".{0,12}", ".{0,40}").prop_map(|(c, m)| format!("<ams:fault><ams:code>{c}</ams:code><ams:message>{m}").into_bytes()),
        ".{0,60}".prop_map(|m| format!(r#"{{"result":null,"status":"error","message":{m:?}}}"#).into_bytes()),
        ".{0,60}".prop_map(|m| format!("TAPIS_SECURITY_{m}").into_bytes()),
        (any::<i64>(), ".{0,30}").prop_map(|(n, s)| format!(r#"{{"result":{{"access_token":{{"access_token":{s:?},"expires_in":{n},"expires_at":{s:?}}},"refresh_token":{{"refresh_token":"x","expires_in":{n}}}}}}}"#).into_bytes()),
        (any::<i64>(), ".{0,30}").prop_map(|(n, s)| format!(r#"{{"access_token":{s:?},"expires_in":{n},"token_type":{s:?}}}"#).into_bytes()),
    ]
}

proptest! {
    #[test]
    fn token_parsers_never_panic(b in bodies(), now in any::<i64>()) {
        let _ = v3::parse_token_response(UnixTime(now), &b);
        let _ = v2::parse_token_response(UnixTime(now), &b);
    }

    #[test]
    fn classifier_never_panics(b in bodies(), status in 100u16..600, v2p in any::<bool>(), date in ".{0,40}") {
        let p = if v2p { Platform::AgaveV2 } else { Platform::TapisV3 };
        let k = Secret::new("secretkey");
        for ctx in [Context::PasswordGrant, Context::RefreshGrant, Context::DeviceGrant, Context::Service] {
            let resp = HttpResponse::new(status, b.clone()).with_header("Date", &date);
            let _ = classify(p, ctx, &resp, &[&k]).to_string();
            let _ = tapis_auth_core::classify_service_response(p, &resp);
            let _ = tapis_auth_core::protocol::token_response(p, ctx, UnixTime(0), &resp, &[]);
        }
    }

    #[test]
    fn envelope_parser_never_panics(b in bodies()) {
        let _ = Envelope::parse(&b);
    }

    #[test]
    fn redaction_never_panics_and_hides_the_secret(prefix in ".{0,50}", suffix in ".{0,50}", secret in "[A-Za-z0-9]{8,20}") {
        let text = format!("{prefix}{secret}{suffix}");
        let out = redact_message(&text, &[&Secret::new(secret.clone())]);
        prop_assert!(!out.contains(&secret));
    }
}
