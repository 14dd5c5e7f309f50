use super::*;

#[test]
fn refuses_plain_http_to_remote_hosts() {
    let t = HttpTransport::default();
    let req = HttpRequest::new(Method::Get, "http://tacc.tapis.io/v3/tenants", Replay::Safe);
    let e = t.send(&req).unwrap_err();
    assert_eq!(e.kind, TransportErrorKind::Insecure);
    assert!(e.message.contains("tacc.tapis.io"), "{}", e.message);
    let strict = TransportConfig::default();
    assert!(check_scheme(&strict, "http://127.0.0.1:9/x").is_ok());
    assert!(check_scheme(&strict, "http://localhost:9/x").is_ok());
    assert!(check_scheme(&strict, "http://[::1]:9/x").is_ok());
    assert!(check_scheme(&strict, "http://example.org/").is_err());
    let open = TransportConfig {
        allow_insecure_http: true,
        ..Default::default()
    };
    assert!(check_scheme(&open, "http://example.org/").is_ok());
}

#[test]
fn an_invalid_url_is_never_echoed_with_credentials_or_query() {
    let t = HttpTransport::default();
    for url in [
        "https://alice:s3cret@tacc.tapis.io:99999/v3/tenants",
        "https://tacc.tapis.io:99999/v3/tenants?token=s3cret",
    ] {
        let e = t
            .send(&HttpRequest::new(Method::Get, url, Replay::Safe))
            .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Other);
        assert!(e.message.contains("invalid URL"), "{}", e.message);
        assert!(!e.message.contains("s3cret"), "{}", e.message);
    }
    let e = check_scheme(t.config(), "https://tacc.tapis.io:99999/x").unwrap_err();
    assert!(
        e.message.contains("\"https://tacc.tapis.io:99999/x\""),
        "{}",
        e.message
    );
}

#[test]
fn backoff_grows_and_jitters_within_bounds() {
    let b = Duration::from_millis(100);
    for attempt in 1..5 {
        let d = backoff(b, attempt);
        let full = b * (1 << (attempt - 1));
        assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
    }
}

#[test]
fn retry_after_seconds_and_cap() {
    let r = HttpResponse::new(429, "").with_header("Retry-After", "2");
    assert_eq!(
        retry_after(&r, Duration::from_secs(30)),
        Some(Duration::from_secs(2))
    );
    let r = HttpResponse::new(429, "").with_header("Retry-After", "9999");
    assert_eq!(
        retry_after(&r, Duration::from_secs(30)),
        Some(Duration::from_secs(30))
    );
    let r = HttpResponse::new(429, "").with_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    assert_eq!(
        retry_after(&r, Duration::from_secs(30)),
        Some(Duration::ZERO)
    );
}

#[test]
fn which_statuses_and_failures_are_retried() {
    use Replay::*;
    for replay in [Safe, OnlyIfNotSent] {
        assert!(retry_status(429, replay), "the server did not process it");
        assert!(!retry_status(200, replay) && !retry_status(400, replay));
        assert!(!retry_status(500, replay), "a 500 is an answer");
        assert!(
            retry_error(TransportErrorKind::Connect, replay),
            "never sent"
        );
        for never in [
            TransportErrorKind::Tls,
            TransportErrorKind::Insecure,
            TransportErrorKind::Malformed,
        ] {
            assert!(!retry_error(never, replay), "{never:?}");
        }
    }
    for status in [502, 503, 504] {
        assert!(retry_status(status, Safe));
        assert!(
            !retry_status(status, OnlyIfNotSent),
            "may have been processed"
        );
    }
    for maybe_sent in [TransportErrorKind::Timeout, TransportErrorKind::Other] {
        assert!(retry_error(maybe_sent, Safe));
        assert!(!retry_error(maybe_sent, OnlyIfNotSent), "{maybe_sent:?}");
    }
}

fn incoming(declared: Option<u64>, max: u64) -> Result<Incoming, Failure> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-a", reqwest::header::HeaderValue::from_static("b"));
    Incoming::start(reqwest::StatusCode::OK, &headers, declared, max)
}

fn is_too_large(r: Result<(), Failure>, declared: Option<u64>) -> bool {
    matches!(r, Err(Failure::TooLarge { declared: d }) if d == declared)
}

#[test]
fn the_body_limit_is_the_same_read_whole_or_in_chunks() {
    assert!(matches!(
        incoming(Some(11), 10),
        Err(Failure::TooLarge { declared: Some(11) })
    ));
    // In chunks (the async driver): up to the limit, and not a byte more.
    let mut r = incoming(Some(10), 10).unwrap();
    r.extend(b"12345").unwrap();
    r.extend(b"67890").unwrap();
    assert!(is_too_large(r.extend(b"x"), None));
    let resp = r.finish();
    assert_eq!((resp.status, &resp.body[..]), (200, &b"1234567890"[..]));
    assert_eq!(resp.header("x-a"), Some("b"));
    // Whole (the blocking driver): the same limit, and at most one byte beyond it is read.
    let mut r = incoming(None, 10).unwrap();
    r.read_from(&b"1234567890"[..]).unwrap();
    assert_eq!(&r.finish().body[..], b"1234567890");
    let mut r = incoming(None, 10).unwrap();
    let mut endless = std::io::Read::take(std::io::repeat(b'a'), 1 << 20);
    assert!(is_too_large(r.read_from(&mut endless), None));
    assert_eq!((1 << 20) - endless.limit(), 11, "bytes read");
}

#[test]
fn classification_puts_the_connection_phase_first() {
    use TransportErrorKind::*;
    assert_eq!(kind_of(true, true, false).0, Tls);
    assert_eq!(kind_of(false, true, true).0, Connect);
    assert_eq!(kind_of(false, true, false).0, Connect);
    assert_eq!(kind_of(false, false, true).0, Timeout);
    assert_eq!(kind_of(false, false, false).0, Other);
}

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| OsString::from(v))
    }
}

fn test_ca_pem() -> String {
    let srv = tapis_auth_testserver::TestServer::start(tapis_auth_testserver::Config {
        tls: true,
        ..Default::default()
    });
    srv.ca_pem().unwrap().to_owned()
}

#[test]
fn ssl_cert_file_problems_name_the_variable_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-bundle.pem");
    let m = missing.to_str().unwrap();
    let e = load_roots(&env(&[("SSL_CERT_FILE", m)]), None).unwrap_err();
    assert_eq!(e.kind, TransportErrorKind::Tls);
    assert!(
        e.message.contains(&format!("SSL_CERT_FILE={m}")),
        "{}",
        e.message
    );
    assert!(e.message.contains("replace the platform"), "{}", e.message);
    // Even when SSL_CERT_DIR would supply certificates: the file was asked for.
    let e = load_roots(
        &env(&[("SSL_CERT_FILE", m), ("SSL_CERT_DIR", "/etc/ssl/certs")]),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains(m), "{}", e.message);

    let e = load_roots(&env(&[("SSL_CERT_FILE", "")]), None).unwrap_err();
    assert!(
        e.message.contains("SSL_CERT_FILE is set but empty"),
        "{}",
        e.message
    );

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let e = load_roots(&env(&[("SSL_CERT_FILE", empty.to_str().unwrap())]), None).unwrap_err();
    assert!(
        e.message.contains("holds no PEM certificates"),
        "{}",
        e.message
    );
    assert!(e.message.contains(empty.to_str().unwrap()), "{}", e.message);

    let good = dir.path().join("ca.pem");
    std::fs::write(&good, test_ca_pem()).unwrap();
    let (roots, note) =
        load_roots(&env(&[("SSL_CERT_FILE", good.to_str().unwrap())]), None).unwrap();
    assert_eq!(roots.len(), 1);
    let note = note.unwrap();
    assert!(
        note.contains("only the 1 certificate of SSL_CERT_FILE="),
        "{note}"
    );

    // A CA file adds to those roots.
    let site = dir.path().join("site.pem");
    std::fs::write(&site, test_ca_pem()).unwrap();
    let (roots, note) = load_roots(
        &env(&[("SSL_CERT_FILE", good.to_str().unwrap())]),
        Some(&site),
    )
    .unwrap();
    assert_eq!(roots.len(), 2);
    let note = note.unwrap();
    assert!(
        note.contains(&format!("plus the CA file {}", site.display())),
        "{note}"
    );
}

#[test]
fn ssl_cert_dir_problems_name_the_variable_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let e = load_roots(&env(&[("SSL_CERT_DIR", missing.to_str().unwrap())]), None).unwrap_err();
    assert!(
        e.message
            .contains(&format!("SSL_CERT_DIR entry {}", missing.display())),
        "{}",
        e.message
    );
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let e = load_roots(&env(&[("SSL_CERT_DIR", certs.to_str().unwrap())]), None).unwrap_err();
    assert!(
        e.message.contains("yielded no usable certificates"),
        "{}",
        e.message
    );
    assert!(e.message.contains(certs.to_str().unwrap()), "{}", e.message);

    // One good certificate and one broken file: the broken one is skipped and noted.
    std::fs::write(certs.join("site.pem"), test_ca_pem()).unwrap();
    std::fs::write(
        certs.join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let both = std::env::join_paths([&certs, &missing]).unwrap();
    let e = load_roots(&env(&[("SSL_CERT_DIR", both.to_str().unwrap())]), None).unwrap_err();
    assert!(e.message.contains("no-such-dir"), "{}", e.message);
    let (roots, note) =
        load_roots(&env(&[("SSL_CERT_DIR", certs.to_str().unwrap())]), None).unwrap();
    assert_eq!(roots.len(), 1);
    let note = note.unwrap();
    assert!(note.contains("SSL_CERT_DIR="), "{note}");
    assert!(note.contains("skipped"), "{note}");
}

#[test]
fn proxy_notes_follow_reqwest_and_hide_credentials() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let (http, https) = proxy_notes(&vars(&[
        (
            "HTTPS_PROXY",
            "http://alice:s3cret@proxy.site:3128/x?token=t",
        ),
        ("no_proxy", "localhost, .site"),
    ]));
    assert_eq!(http, None);
    let https = https.unwrap();
    assert_eq!(
        https,
        "HTTPS_PROXY=http://***@proxy.site:3128, no_proxy=localhost, .site"
    );
    assert!(!https.contains("s3cret") && !https.contains("alice"));

    // Upper case first; an empty upper-case variable hides the lower-case one; ALL_PROXY
    // is the fallback; no scheme means http.
    let (http, https) = proxy_notes(&vars(&[
        ("HTTP_PROXY", "up:8080"),
        ("http_proxy", "http://down:8080"),
        ("HTTPS_PROXY", ""),
        ("https_proxy", "http://hidden:1"),
        ("all_proxy", "http://all:9"),
    ]));
    assert_eq!(http.unwrap(), "HTTP_PROXY=http://up:8080");
    assert_eq!(https.unwrap(), "all_proxy=http://all:9");

    // CGI: reqwest ignores proxy variables altogether.
    let (http, https) = proxy_notes(&vars(&[
        ("REQUEST_METHOD", "GET"),
        ("HTTPS_PROXY", "http://p:1"),
    ]));
    assert_eq!((http, https), (None, None));
    assert_eq!(redact_proxy("::::"), "(not a URL)");
}
