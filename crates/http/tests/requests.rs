//! Requests over loopback to the test authenticator (and to sockets that misbehave), through
//! each transport in turn — the blocking one, and with the `tokio` feature the async one: the
//! response, retries, `Retry-After`, timeouts, the body limit, plain `http://`, the trace
//! events. Each test asserts the same outcome for every driver.

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{traced, Driver, DRIVERS};
use tapis_auth_core::{
    HttpRequest, HttpResponse, Method, Replay, TransportError, TransportErrorKind,
};
use tapis_auth_http::{TransportConfig, USER_AGENT};
use tapis_auth_testserver::{Config, Fault, FaultKind, TestServer};

/// Settings for quick tests: a short backoff, a timeout that ends a hang.
fn quick(max_tries: u32) -> TransportConfig {
    TransportConfig {
        max_tries,
        backoff: Duration::from_millis(1),
        timeout: Duration::from_secs(10),
        ..TransportConfig::default()
    }
}

fn tenants(srv: &TestServer, replay: Replay) -> HttpRequest {
    HttpRequest::new(Method::Get, format!("{}/v3/tenants", srv.url()), replay)
}

/// A token grant's request (never sent twice unless it certainly never left) to `base`.
fn grant_to(base: &str) -> HttpRequest {
    HttpRequest::new(
        Method::Post,
        format!("{base}/v3/oauth2/tokens"),
        Replay::OnlyIfNotSent,
    )
}

/// A loopback port nothing listens on (it was free a moment ago).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_request_and_its_response() {
    let srv = TestServer::start(Config::default());
    for &driver in DRIVERS {
        srv.reset_stats();
        let r = driver
            .send(quick(1), &tenants(&srv, Replay::Safe))
            .unwrap_or_else(|e| panic!("{driver:?}: {e}"));
        assert_eq!(r.status, 200, "{driver:?}: {}", r.text());
        assert!(
            r.text().contains("\"tenant_id\""),
            "{driver:?}: {}",
            r.text()
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{driver:?}"
        );
        let stats = srv.stats();
        assert_eq!(stats.endpoint("v3.tenants"), 1, "{driver:?}");
        assert_eq!(
            stats.last_user_agent.as_deref(),
            Some(USER_AGENT),
            "{driver:?}"
        );
        // A status is a response, not an error; redirects are not followed.
        let r = driver
            .send(
                quick(1),
                &HttpRequest::new(
                    Method::Get,
                    format!("{}/v3/no-such-thing", srv.url()),
                    Replay::Safe,
                ),
            )
            .unwrap();
        assert!(r.status >= 400, "{driver:?}: {}", r.status);
    }
}

#[test]
fn a_post_carries_its_headers_and_body() {
    let srv = TestServer::start(Config::default());
    for &driver in DRIVERS {
        srv.reset_stats();
        common::password_grant(driver, srv.url(), quick(1))
            .unwrap_or_else(|e| panic!("{driver:?}: {e}"));
        assert_eq!(srv.stats().grant("v3.password"), 1, "{driver:?}");
    }
}

#[test]
fn a_refused_connection_is_retried_whatever_the_request() {
    let port = closed_port();
    for &driver in DRIVERS {
        for replay in [Replay::Safe, Replay::OnlyIfNotSent] {
            let req = HttpRequest::new(
                Method::Post,
                format!("http://alice:secret@127.0.0.1:{port}/v3/oauth2/tokens?x=secret"),
                replay,
            );
            let (result, events) = traced(|| driver.send(quick(3), &req));
            let e = result.unwrap_err();
            assert_eq!(e.kind, TransportErrorKind::Connect, "{driver:?}: {e:?}");
            assert!(
                e.message.contains("could not connect to")
                    && e.message.contains(&format!("127.0.0.1:{port}")),
                "{driver:?}: {}",
                e.message
            );
            assert!(
                !e.message.contains("secret"),
                "{driver:?}: credentials and query strings are not echoed: {}",
                e.message
            );
            let attempts = events.iter().filter(|m| m.starts_with("> POST")).count();
            assert_eq!(attempts, 3, "{driver:?}, {replay:?}: {events:#?}");
            assert!(events.iter().all(|m| !m.contains("secret")), "{events:#?}");
        }
    }
}

/// Injects `fault` (for one request) and sends a GET of the tenants through `driver` with
/// `config` and `replay`: the outcome, how many requests reached the server and how long it
/// all took.
fn through(
    srv: &TestServer,
    driver: Driver,
    fault: Fault,
    config: TransportConfig,
    replay: Replay,
) -> (Result<HttpResponse, TransportError>, u64, Duration) {
    srv.clear_faults();
    srv.reset_stats();
    srv.inject_fault(fault);
    let started = Instant::now();
    let outcome = driver.send(config, &tenants(srv, replay));
    (
        outcome,
        srv.stats().endpoint("v3.tenants"),
        started.elapsed(),
    )
}

/// Checks that `outcome` is a refused oversized body and that its message says `why`.
#[track_caller]
fn assert_refused(driver: Driver, outcome: Result<HttpResponse, TransportError>, why: &str) {
    let e = outcome.unwrap_err();
    assert_eq!(e.kind, TransportErrorKind::Malformed, "{driver:?}: {e:?}");
    assert!(e.message.contains(why), "{driver:?}: {}", e.message);
}

#[test]
fn a_503_is_retried_for_safe_requests_only() {
    let srv = TestServer::start(Config::default());
    let unavailable = || Fault::new("v3.tenants", FaultKind::Status).status(503);
    for &driver in DRIVERS {
        let (r, sent, _) = through(&srv, driver, unavailable(), quick(3), Replay::Safe);
        assert_eq!((r.unwrap().status, sent), (200, 2), "{driver:?}: retried");
        let (r, sent, _) = through(&srv, driver, unavailable(), quick(3), Replay::OnlyIfNotSent);
        assert_eq!(
            (r.unwrap().status, sent),
            (503, 1),
            "{driver:?}: the request may have been processed: the 503 is the answer"
        );
    }
}

#[test]
fn a_429_is_retried_after_retry_after_even_for_grants() {
    let srv = TestServer::start(Config::default());
    let busy = |secs| Fault::new("v3.tenants", FaultKind::RateLimit).retry_after(secs);
    for &driver in DRIVERS {
        let (r, sent, took) = through(&srv, driver, busy(1), quick(3), Replay::OnlyIfNotSent);
        assert_eq!((r.unwrap().status, sent), (200, 2), "{driver:?}");
        assert!(
            took >= Duration::from_secs(1),
            "{driver:?}: Retry-After: 1 was not honoured ({took:?}; the backoff is 1 ms)"
        );
        // A longer Retry-After is capped at max_retry_after.
        let capped = TransportConfig {
            max_retry_after: Duration::from_millis(50),
            ..quick(3)
        };
        let (r, sent, took) = through(&srv, driver, busy(30), capped, Replay::OnlyIfNotSent);
        assert_eq!((r.unwrap().status, sent), (200, 2), "{driver:?}");
        assert!(took < Duration::from_secs(5), "{driver:?}: {took:?}");
    }
}

#[test]
fn an_endless_body_is_cut_off_at_the_limit_and_not_retried() {
    let srv = TestServer::start(Config::default());
    for &driver in DRIVERS {
        let endless = Fault::new("v3.tenants", FaultKind::EndlessBody).times(3);
        let (r, sent, took) = through(&srv, driver, endless, quick(3), Replay::Safe);
        assert_refused(
            driver,
            r,
            "sent more than the 1048576 bytes an authentication response may have",
        );
        assert!(took < Duration::from_secs(5), "{driver:?}: {took:?}");
        assert_eq!(sent, 1, "{driver:?}: never retried");
    }
}

#[test]
fn a_declared_body_beyond_the_limit_is_refused_before_it_is_read() {
    let srv = TestServer::start(Config::default());
    for &driver in DRIVERS {
        let huge = Fault::new("v3.tenants", FaultKind::EndlessBody).declared(1 << 40);
        let (r, _, _) = through(&srv, driver, huge, quick(3), Replay::Safe);
        assert_refused(driver, r, "declares a 1099511627776-byte body");
    }
}

#[test]
fn a_body_at_the_limit_is_accepted_and_one_byte_more_refused() {
    let srv = TestServer::start(Config::default());
    for &driver in DRIVERS {
        let req = tenants(&srv, Replay::Safe);
        let len = driver.send(quick(1), &req).unwrap().body.len() as u64;
        let limit = |max_body_bytes| TransportConfig {
            max_body_bytes,
            ..quick(1)
        };
        let r = driver.send(limit(len), &req).unwrap();
        assert_eq!(r.body.len() as u64, len, "{driver:?}");
        assert_refused(driver, driver.send(limit(len - 1), &req), "than the");
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    for &driver in DRIVERS {
        let req = HttpRequest::new(Method::Get, "http://tapis.invalid/v3/tenants", Replay::Safe);
        let e = driver.send(quick(1), &req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Insecure, "{driver:?}: {e:?}");
        assert!(e.message.contains("tapis.invalid"), "{}", e.message);
        // Allowed, it is tried (and `.invalid` does not resolve).
        let allowed = TransportConfig {
            allow_insecure_http: true,
            ..quick(1)
        };
        let e = driver.send(allowed, &req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{driver:?}: {e:?}");
    }
}

/// A listener that lets the kernel complete TCP handshakes and then never says anything;
/// returns its port and the number of connections it has taken.
fn silent_listener() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    (port, n)
}

/// Waits (up to 2 s) until `n` reaches `at_least`, then a little longer; returns `n`.
fn wait_for(n: &AtomicUsize, at_least: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(2);
    while n.load(Ordering::SeqCst) < at_least && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    n.load(Ordering::SeqCst)
}

#[test]
fn a_timeout_while_connecting_is_a_connect_error_and_retried_even_for_grants() {
    for &driver in DRIVERS {
        // TCP succeeds, the TLS handshake never completes: reqwest's connect timeout fires
        // before a byte of the request was sent.
        let (port, n) = silent_listener();
        let config = TransportConfig {
            connect_timeout: Duration::from_millis(200),
            timeout: Duration::from_secs(20),
            ..quick(3)
        };
        let req = grant_to(&format!("https://127.0.0.1:{port}"));
        let started = Instant::now();
        let e = driver.send(config, &req).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{driver:?}: {e:?}");
        assert!(
            e.message
                .contains("timed out connecting to https://127.0.0.1")
                && e.message.contains("(the connect timeout is 0.2 s)"),
            "{driver:?}: {}",
            e.message
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{driver:?}: {:?}",
            started.elapsed()
        );
        assert_eq!(
            wait_for(&n, 3),
            3,
            "{driver:?}: a token grant is retried when never sent"
        );
    }
}

#[test]
fn a_timeout_after_the_request_was_sent_is_not_retried_for_grants() {
    for &driver in DRIVERS {
        let (port, n) = silent_listener();
        let config = TransportConfig {
            timeout: Duration::from_millis(300),
            ..quick(3)
        };
        let e = driver
            .send(
                config.clone(),
                &grant_to(&format!("http://127.0.0.1:{port}")),
            )
            .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Timeout, "{driver:?}: {e:?}");
        assert!(
            e.message.contains("(the per-request timeout is 0.3 s)"),
            "{driver:?}: {}",
            e.message
        );
        assert_eq!(
            wait_for(&n, 1),
            1,
            "{driver:?}: the grant may have been processed"
        );

        let safe = HttpRequest::new(
            Method::Get,
            format!("http://127.0.0.1:{port}/v3/tenants"),
            Replay::Safe,
        );
        let e = driver.send(config, &safe).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Timeout, "{driver:?}: {e:?}");
        assert_eq!(wait_for(&n, 4), 4, "{driver:?}: a safe request is retried");
    }
}

/// The trace events of a 503 answered by a retry, with the numbers that vary (times, the
/// port) replaced by `#`.
fn events_of_a_retried_503(driver: Driver, srv: &TestServer) -> Vec<String> {
    srv.inject_fault(Fault::new("v3.tenants", FaultKind::Status).status(503));
    let (r, events) = traced(|| driver.send(quick(2), &tenants(srv, Replay::Safe)));
    assert_eq!(r.unwrap().status, 200);
    events
        .iter()
        .map(|m| {
            let mut out = String::new();
            let mut digits = false;
            for c in m.chars() {
                if c.is_ascii_digit() {
                    if !digits {
                        out.push('#');
                    }
                    digits = true;
                } else {
                    out.push(c);
                    digits = false;
                }
            }
            out
        })
        .collect()
}

#[test]
fn every_attempt_and_retry_is_a_trace_event_the_same_for_each_driver() {
    let srv = TestServer::start(Config::default());
    let expected = [
        "> GET http://#.#.#.#:#/v#/tenants (attempt # of #)",
        "< # from GET http://#.#.#.#:#/v#/tenants in # ms (# bytes)",
        "retrying http://#.#.#.#:#/v#/tenants in # ms after HTTP #",
        "> GET http://#.#.#.#:#/v#/tenants (attempt # of #)",
        "< # from GET http://#.#.#.#:#/v#/tenants in # ms (# bytes)",
    ];
    for &driver in DRIVERS {
        assert_eq!(
            events_of_a_retried_503(driver, &srv),
            expected,
            "{driver:?}"
        );
    }
}

/// The async transport used as async code uses it: tasks on a runtime share one transport,
/// and a flow's request is sent with `Pending::send_async`.
#[cfg(feature = "tokio")]
#[tokio::test]
async fn tasks_share_one_async_transport() {
    use tapis_auth_core::{AsyncTransport, SystemClock};
    use tapis_auth_http::AsyncHttpTransport;

    let srv = TestServer::start(Config::default());
    let transport = Arc::new(AsyncHttpTransport::new(quick(1)));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let transport = transport.clone();
            let req = tenants(&srv, Replay::Safe);
            tokio::spawn(async move { transport.send(&req).await.map(|r| r.status) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    assert_eq!(srv.stats().endpoint("v3.tenants"), 8);

    let tokens = common::password_grant_request(srv.url())
        .unwrap()
        .send_async(&SystemClock, &*transport)
        .await
        .unwrap();
    assert!(tokens.access_token.expose().starts_with("ey"));
    assert_eq!(srv.stats().grant("v3.password"), 1);
}
