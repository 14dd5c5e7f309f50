//! Browser login (authorization code) end to end: the authorize URL carries a random `state`,
//! the test authenticator approves and redirects to our one-shot listener on 127.0.0.1, the code
//! is exchanged and the session saved. A tampered `state` is refused.

mod common;

use std::time::Duration;

use common::*;
use tapis_auth::HttpTransport;
use tapis_auth_core::{Error, HttpRequest, Method, Replay, Transport};
use tapis_auth_storage::StoreKind;

/// What the user's browser does: open the authorize URL (approved at once as `testuser`) and
/// follow the redirect, returning the redirect target.
fn browse(authorize_url: &str) -> String {
    let t = HttpTransport::default();
    let r = t
        .send(&HttpRequest::new(
            Method::Get,
            format!("{authorize_url}&test_user=testuser"),
            Replay::Safe,
        ))
        .unwrap();
    assert_eq!(r.status, 302, "{}", r.text());
    r.header("location").unwrap().to_owned()
}

#[test]
fn browser_login_through_the_loopback_listener() {
    let (srv, redirect, dir, s) = browser_setup();
    let login = s.browser_start(&redirect).unwrap();
    assert!(login.is_listening());
    let url = login.authorize_url();
    assert!(
        url.contains("response_type=code") && url.contains("state="),
        "{url}"
    );
    let location = browse(&url);
    assert!(location.starts_with(&redirect), "{location}");
    let browser = std::thread::spawn(move || {
        // The browser follows the redirect to our listener.
        HttpTransport::default()
            .send(&HttpRequest::new(Method::Get, location, Replay::Safe))
            .unwrap()
            .status
    });
    let session = login.wait(Duration::from_secs(20)).unwrap();
    assert_eq!(
        browser.join().unwrap(),
        200,
        "the listener answers the browser"
    );
    assert_eq!(session.username.as_deref(), Some("testuser"));
    assert_eq!(srv.stats().grant("v3.authorization_code"), 1);
    assert!(restore(dir.path(), StoreKind::Json)
        .access_token(600)
        .is_ok());
}

#[test]
fn a_redirect_with_the_wrong_state_is_refused() {
    let (srv, redirect, dir, s) = browser_setup();
    let login = s.browser_start(&redirect).unwrap();
    let location = browse(&login.authorize_url());
    let forged = {
        let (base, query) = location.split_once('?').unwrap();
        let q: Vec<String> = query
            .split('&')
            .map(|kv| {
                if kv.starts_with("state=") {
                    "state=forged".to_owned()
                } else {
                    kv.to_owned()
                }
            })
            .collect();
        format!("{base}?{}", q.join("&"))
    };
    let e = login.complete(&forged).unwrap_err();
    assert!(matches!(e, Error::LoginFailed { .. }), "{e:?}");
    assert!(e.to_string().contains("state"), "{e}");
    assert_eq!(
        srv.stats().grant("v3.authorization_code"),
        0,
        "no code exchange with a bad state"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing saved"
    );
}
