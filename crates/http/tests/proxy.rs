//! `HTTP_PROXY` / `NO_PROXY` are honoured. The test authenticator plays the proxy: a request for
//! `http://tapis.invalid/v3/tenants` reaches it only through the proxy (`.invalid` never
//! resolves), and with `NO_PROXY` naming the host the request goes direct and fails to resolve.
//! Its own test binary, because proxy variables are process-wide.

use tapis_auth_core::{HttpRequest, Method, Replay, Transport, TransportErrorKind};
use tapis_auth_http::{HttpTransport, TransportConfig};
use tapis_auth_testserver::{Config, TestServer};

#[test]
fn proxy_variables_are_honoured() {
    let srv = TestServer::start(Config::default());
    let insecure = || {
        HttpTransport::new(TransportConfig {
            allow_insecure_http: true,
            max_tries: 1,
            ..TransportConfig::default()
        })
    };
    let req = HttpRequest::new(Method::Get, "http://tapis.invalid/v3/tenants", Replay::Safe);
    for k in [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        std::env::remove_var(k);
    }
    std::env::set_var("HTTP_PROXY", srv.url());
    std::env::set_var("http_proxy", srv.url());
    let r = insecure()
        .send(&req)
        .expect("the request goes through the proxy");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(srv.stats().endpoint("v3.tenants") >= 1);

    std::env::set_var("NO_PROXY", "tapis.invalid");
    std::env::set_var("no_proxy", "tapis.invalid");
    let e = insecure().send(&req).unwrap_err();
    assert_eq!(
        e.kind,
        TransportErrorKind::Connect,
        "direct, and .invalid does not resolve: {e:?}"
    );
}
