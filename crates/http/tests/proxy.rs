//! The proxy variables are honoured as documented on `TransportConfig`.
//!
//! - `http://` through `HTTP_PROXY`: the test authenticator plays the proxy. A request for
//!   `http://tapis.invalid/v3/tenants` reaches it only through the proxy (`.invalid` never
//!   resolves), and with `NO_PROXY` naming the host the request goes direct and fails to resolve.
//! - `https://` through `HTTPS_PROXY`: a tiny `CONNECT` proxy in the test tunnels to the TLS test
//!   authenticator; it records every `CONNECT` so the tests can tell whether the proxy was used.
//!
//! Its own test binary, because proxy variables are process-wide; the tests here hold `ENV`
//! while they change the environment and make requests. A "login" here is a password login's
//! grant, sent through a transport; each test runs for each transport (blocking, and with the
//! `tokio` feature async), from a clean environment.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use common::{password_grant, Driver, DRIVERS};
use tapis_auth_core::{Error, HttpRequest, Method, Replay, TransportErrorKind};
use tapis_auth_http::TransportConfig;
use tapis_auth_testserver::{Config, TestServer};

/// Serialises the tests of this binary: they all change the process environment.
static ENV: Mutex<()> = Mutex::new(());

const PROXY_VARS: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Takes the environment lock.
fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|e| e.into_inner())
}

/// Clears every proxy variable (with the lock held).
fn clear_proxy_vars() {
    for k in PROXY_VARS {
        std::env::remove_var(k);
    }
}

/// One request seen by [`ConnectProxy`].
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    proxy_authorization: Option<String>,
}

/// An HTTP `CONNECT` proxy on loopback: records each request line, connects to the target,
/// answers `200 Connection established` and copies bytes both ways. With `refuse` set it
/// answers that status line instead and closes.
struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ConnectProxy {
    fn start(refuse: Option<&'static str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = serve(client, &log, refuse);
                });
            }
        });
        Self { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    client: TcpStream,
    log: &Mutex<Vec<Seen>>,
    refuse: Option<&'static str>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().unwrap_or_default().to_owned();
    let mut proxy_authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("proxy-authorization") {
                proxy_authorization = Some(value.trim().to_owned());
            }
        }
    }
    log.lock().unwrap().push(Seen {
        method: method.clone(),
        target: target.clone(),
        proxy_authorization,
    });
    let mut to_client = client;
    if method != "CONNECT" {
        return to_client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    }
    if let Some(status) = refuse {
        return to_client
            .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes());
    }
    let upstream = TcpStream::connect(&target)?;
    to_client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let mut from_upstream = upstream.try_clone()?;
    let mut to_upstream = upstream;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_upstream, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    // The reader copies whatever it had buffered past the headers first.
    let _ = std::io::copy(&mut reader, &mut to_upstream);
    let _ = to_upstream.shutdown(Shutdown::Write);
    Ok(())
}

/// A TLS test authenticator, and the file holding its CA.
struct Tls {
    srv: TestServer,
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tls {
    fn start() -> Self {
        let srv = TestServer::start(Config {
            tls: true,
            ..Config::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, srv.ca_pem().unwrap()).unwrap();
        Self { srv, ca, _dir: dir }
    }

    /// `host:port` of the server, as a `CONNECT` names it.
    fn authority(&self) -> String {
        url::Url::parse(self.srv.url())
            .map(|u| format!("{}:{}", u.host_str().unwrap(), u.port().unwrap()))
            .unwrap()
    }

    /// Gets a token with the password grant through `driver`.
    fn login(&self, driver: Driver) -> Result<(), Error> {
        password_grant(
            driver,
            self.srv.url(),
            TransportConfig {
                ca_file: Some(self.ca.clone()),
                max_tries: 1,
                ..TransportConfig::default()
            },
        )
        .map(drop)
    }
}

#[test]
fn proxy_variables_are_honoured() {
    let _env = env_lock();
    let srv = TestServer::start(Config::default());
    let insecure = TransportConfig {
        allow_insecure_http: true,
        max_tries: 1,
        ..TransportConfig::default()
    };
    let req = HttpRequest::new(Method::Get, "http://tapis.invalid/v3/tenants", Replay::Safe);
    for &driver in DRIVERS {
        clear_proxy_vars();
        srv.reset_stats();
        std::env::set_var("HTTP_PROXY", srv.url());
        std::env::set_var("http_proxy", srv.url());
        let r = driver
            .send(insecure.clone(), &req)
            .expect("the request goes through the proxy");
        assert_eq!(r.status, 200, "{driver:?}: {}", r.text());
        assert_eq!(srv.stats().endpoint("v3.tenants"), 1, "{driver:?}");

        std::env::set_var("NO_PROXY", "tapis.invalid");
        std::env::set_var("no_proxy", "tapis.invalid");
        let e = driver.send(insecure.clone(), &req).unwrap_err();
        assert_eq!(
            e.kind,
            TransportErrorKind::Connect,
            "{driver:?}: direct, and .invalid does not resolve: {e:?}"
        );
    }
}

#[test]
fn https_proxy_tunnels_login_and_token_through_connect() {
    let _env = env_lock();
    let tls = Tls::start();
    for &driver in DRIVERS {
        clear_proxy_vars();
        tls.srv.reset_stats();
        let proxy = ConnectProxy::start(None);
        std::env::set_var("HTTPS_PROXY", proxy.url());
        tls.login(driver).expect("login through the proxy");
        let seen = proxy.seen();
        assert!(!seen.is_empty(), "{driver:?}: the proxy saw nothing");
        for s in &seen {
            assert_eq!(s.method, "CONNECT", "{driver:?}: {s:?}");
            assert_eq!(s.target, tls.authority(), "{driver:?}: {s:?}");
            assert_eq!(s.proxy_authorization, None);
        }
        assert_eq!(
            tls.srv.stats().grant("v3.password"),
            1,
            "{driver:?}: the grant reached the server"
        );

        // The lower-case spelling alone works too.
        std::env::remove_var("HTTPS_PROXY");
        std::env::set_var("https_proxy", proxy.url());
        let before = proxy.seen().len();
        tls.login(driver).expect("login through the proxy");
        assert!(
            proxy.seen().len() > before,
            "{driver:?}: https_proxy was not used"
        );
    }
}

#[test]
fn no_proxy_covering_the_host_bypasses_the_proxy() {
    let _env = env_lock();
    let tls = Tls::start();
    for &driver in DRIVERS {
        clear_proxy_vars();
        let proxy = ConnectProxy::start(None);
        std::env::set_var("HTTPS_PROXY", proxy.url());
        for (var, value) in [
            ("NO_PROXY", "127.0.0.1"),
            ("no_proxy", "example.org, 127.0.0.0/8"),
        ] {
            std::env::remove_var("NO_PROXY");
            std::env::remove_var("no_proxy");
            std::env::set_var(var, value);
            tls.login(driver)
                .unwrap_or_else(|e| panic!("{driver:?}, {var}={value}: {e}"));
            assert!(
                proxy.seen().is_empty(),
                "{driver:?}, {var}={value}: {:?}",
                proxy.seen()
            );
        }
        // Entries for other hosts leave the proxy in use: loopback is not exempt, `localhost`
        // does not cover 127.0.0.1, and `*` (hyper-util 0.1) covers host names but not IP
        // addresses. If this changes, update the documentation of `TransportConfig`.
        for value in ["localhost,example.org", "*"] {
            std::env::set_var("NO_PROXY", value);
            let before = proxy.seen().len();
            tls.login(driver).unwrap();
            assert!(proxy.seen().len() > before, "{driver:?}, NO_PROXY={value}");
        }
    }
}

#[test]
fn which_variable_applies() {
    let _env = env_lock();
    let tls = Tls::start();
    for &driver in DRIVERS {
        clear_proxy_vars();
        which_variable_applies_through(driver, &tls);
    }
}

fn which_variable_applies_through(driver: Driver, tls: &Tls) {
    let a = ConnectProxy::start(None);
    let b = ConnectProxy::start(None);

    // Logs in; returns whether a and b each saw a CONNECT.
    let used = |store: &str| {
        let (na, nb) = (a.seen().len(), b.seen().len());
        tls.login(driver)
            .unwrap_or_else(|e| panic!("{driver:?}, {store}: {e}"));
        (a.seen().len() > na, b.seen().len() > nb)
    };

    // HTTP_PROXY is for http:// URLs only.
    std::env::set_var("HTTP_PROXY", a.url());
    std::env::set_var("http_proxy", a.url());
    assert_eq!(used("http-only"), (false, false));

    // ALL_PROXY is the fallback for https:// too.
    std::env::set_var("ALL_PROXY", a.url());
    assert_eq!(used("all"), (true, false));

    // Upper case wins over lower case.
    std::env::set_var("HTTPS_PROXY", b.url());
    std::env::set_var("https_proxy", a.url());
    assert_eq!(used("upper-wins"), (false, true));

    // An empty upper-case variable hides its lower-case twin.
    std::env::remove_var("ALL_PROXY");
    std::env::set_var("HTTPS_PROXY", "");
    std::env::set_var("https_proxy", b.url());
    assert_eq!(used("empty-upper"), (false, false));

    // Under CGI (REQUEST_METHOD set) every proxy variable is ignored ("httpoxy").
    std::env::set_var("HTTPS_PROXY", b.url());
    std::env::set_var("REQUEST_METHOD", "GET");
    assert_eq!(used("cgi"), (false, false));
}

#[test]
fn proxy_credentials_are_sent_but_never_shown() {
    let _env = env_lock();
    let tls = Tls::start();
    for &driver in DRIVERS {
        clear_proxy_vars();
        proxy_credentials_are_sent_but_never_shown_by(driver, &tls);
    }
}

fn proxy_credentials_are_sent_but_never_shown_by(driver: Driver, tls: &Tls) {
    let proxy = ConnectProxy::start(Some("407 Proxy Authentication Required"));
    let with_creds = format!("http://alice:s3cret@127.0.0.1:{}", proxy.port);
    std::env::set_var("HTTPS_PROXY", &with_creds);
    let e = tls.login(driver).unwrap_err();
    let Error::Transport(t) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Connect, "{t:?}");
    let text = e.to_string();
    assert!(text.contains("proxy authorization required"), "{text}");
    assert!(
        text.contains(&format!(
            "proxy settings: HTTPS_PROXY=http://***@127.0.0.1:{}",
            proxy.port
        )),
        "{text}"
    );
    assert!(
        !text.contains("s3cret") && !text.contains("alice"),
        "{text}"
    );
    assert!(!format!("{e:?}").contains("s3cret"), "{e:?}");
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        // "alice:s3cret" in base64.
        assert_eq!(
            s.proxy_authorization.as_deref(),
            Some("Basic YWxpY2U6czNjcmV0"),
            "{s:?}"
        );
    }
    assert_eq!(tls.srv.stats().total, 0);
}

#[test]
fn a_proxy_that_is_down_is_named_in_the_error() {
    let _env = env_lock();
    let tls = Tls::start();
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for &driver in DRIVERS {
        clear_proxy_vars();
        std::env::set_var("HTTPS_PROXY", format!("127.0.0.1:{port}"));
        std::env::set_var("NO_PROXY", "example.org");
        let e = tls.login(driver).unwrap_err();
        let Error::Transport(t) = &e else {
            panic!("{driver:?}: {e:?}")
        };
        assert_eq!(t.kind, TransportErrorKind::Connect, "{driver:?}: {t:?}");
        assert!(
            t.message.contains(&format!(
                "[proxy settings: HTTPS_PROXY=http://127.0.0.1:{port}, NO_PROXY=example.org]"
            )),
            "{driver:?}: {}",
            t.message
        );
    }
    assert_eq!(tls.srv.stats().total, 0);
}

/// Plain `http://` to loopback (a test server, an SSH tunnel) never goes through a proxy: the
/// proxy would see the password in clear text (and its `localhost` is not ours).
#[test]
fn plain_http_to_loopback_never_goes_through_a_proxy() {
    let _env = env_lock();
    clear_proxy_vars();
    let srv = TestServer::start(Config::default());
    let proxy = ConnectProxy::start(None);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        std::env::set_var(var, proxy.url());
    }
    let once = TransportConfig {
        max_tries: 1,
        ..TransportConfig::default()
    };
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for &driver in DRIVERS {
        srv.reset_stats();
        password_grant(driver, srv.url(), once.clone())
            .expect("the login goes directly to loopback");
        assert!(
            proxy.seen().is_empty(),
            "{driver:?}: the proxy saw the login: {:?}",
            proxy.seen()
        );
        assert_eq!(srv.stats().grant("v3.password"), 1, "{driver:?}");
        // An error names no proxy either: none was used.
        let e = driver
            .send(
                once.clone(),
                &HttpRequest::new(
                    Method::Get,
                    format!("http://127.0.0.1:{port}/v3/tenants"),
                    Replay::Safe,
                ),
            )
            .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{driver:?}: {e:?}");
        assert!(
            !e.message.contains("proxy settings"),
            "{driver:?}: {}",
            e.message
        );
        assert!(proxy.seen().is_empty());
    }
}
