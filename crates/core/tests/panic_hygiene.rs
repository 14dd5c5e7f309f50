//! A panic message never carries a secret: whatever a panicking thread formats with `{:?}` or
//! `{}` — sessions, tokens, requests, errors — prints redacted.

use tapis_auth_core::*;

#[test]
fn panic_payloads_are_redacted() {
    let mut s = Session::new(
        "p",
        Tenant::new(
            BaseUrl::parse("https://tacc.tapis.io").unwrap(),
            Platform::TapisV3,
        ),
    );
    s.password = Some(Secret::new("panic-password-1"));
    s.client = Some(OAuthClient::new("cid", "panic-client-key-2"));
    s.tokens = Some(TokenSet::new(
        UnixTime(0),
        Secret::new("panic-access-3"),
        Some(Secret::new("panic-refresh-4")),
        Some(60),
    ));
    let req = flow::refresh::refresh(&s).unwrap();
    let secrets = [
        "panic-password-1",
        "panic-client-key-2",
        "panic-access-3",
        "panic-refresh-4",
    ];
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for what in 0..4 {
        let (s, req) = (s.clone(), format!("{req:?}"));
        let payload = std::panic::catch_unwind(move || match what {
            0 => panic!("session: {s:?}"),
            1 => panic!(
                "tokens: {:?} {}",
                s.tokens,
                s.tokens.as_ref().unwrap().access_token
            ),
            2 => panic!("request: {req}"),
            _ => panic!("secret: {} {:?}", s.password.clone().unwrap(), s.client),
        })
        .unwrap_err();
        let text = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(text.contains("redacted"), "{text}");
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "panic {what} carried {secret}: {text}"
            );
        }
    }
    std::panic::set_hook(prev);
}
