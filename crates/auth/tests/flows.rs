//! Every flow end to end against the local test authenticator, in both dialects, through the
//! high-level `AuthSession`.

mod common;

use std::sync::atomic::AtomicBool;

use common::*;
use tapis_auth::{AuthSession, DevicePoll};
use tapis_auth_core::flow::clients::NewClient;
use tapis_auth_core::{Clock, Error, HttpRequest, Method, Platform, Replay, Secret};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::{ConfigPatch, Fault, FaultKind};

#[test]
fn v3_password_login_token_refresh_whoami_logout() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let s = login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    let t1 = s.access_token(600).unwrap();
    assert!(t1.expose().starts_with("ey"), "a v3 token is a JWT");
    let who = s.whoami().unwrap();
    assert_eq!(who.username.as_deref(), Some("testuser"));
    assert_eq!(who.tenant_id.as_deref(), Some("test"));
    assert_eq!(who.platform, Platform::TapisV3);
    assert_eq!(who.client_id.as_deref(), Some("test-client"));
    assert!(who.has_refresh_token);
    assert_eq!(s.userinfo().unwrap().username, "testuser");

    // A fresh process view restores from the cache without any request.
    let before = srv.stats().total;
    let r = restore(dir.path(), StoreKind::Json);
    assert_eq!(r.access_token(600).unwrap(), t1);
    assert_eq!(
        srv.stats().total,
        before,
        "a valid cached token costs no request"
    );

    let t2 = r.refresh().unwrap();
    assert_ne!(t2.access_token, t1);
    assert_eq!(srv.stats().grant("v3.refresh_token"), 1);
    assert_eq!(
        restore(dir.path(), StoreKind::Json)
            .access_token(0)
            .unwrap(),
        t2.access_token
    );

    assert!(r.logout().unwrap());
    assert!(srv.stats().endpoint("v3.revoke") >= 1);
    let e = AuthSession::restore(tapis_auth::Options {
        store_path: Some(dir.path().to_path_buf()),
        use_environment: false,
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.is_login_required(), "{e}");
}

#[test]
fn v3_password_login_creates_a_client_when_none_is_given() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let o = common::password_options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    let s = AuthSession::open(o).unwrap();
    let session = s.login_password(true).unwrap();
    let client = session.client.unwrap();
    assert!(
        client.id.starts_with("tapis-auth-testuser-"),
        "{}",
        client.id
    );
    assert!(client.is_confidential());
    assert!(
        session.tokens.unwrap().refresh_token.is_some(),
        "a client login yields a refresh token"
    );
    // The password is never kept.
    let stored = restore(dir.path(), StoreKind::Json).session().unwrap();
    assert!(stored.password.is_none());
    let files: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .collect();
    assert!(!files.contains("testpass"), "password written to the cache");
    // Clients: list and delete through the session.
    let listed = s.list_clients().unwrap();
    assert!(listed.iter().any(|c| c.id == client.id));
    let extra = s
        .create_client(&NewClient {
            client_id: Some("extra-client-1".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(extra.id, "extra-client-1");
    s.delete_client("extra-client-1").unwrap();
}

#[test]
fn v2_password_login_refresh_and_single_use_tokens() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let s = login(&srv, dir.path(), StoreKind::Json, Platform::AgaveV2);
    let t1 = s.access_token(60).unwrap();
    assert!(!t1.expose().contains('.'), "v2 tokens are opaque");
    let old_refresh = s.session().unwrap().refresh_token().cloned().unwrap();
    s.refresh().unwrap();
    let new_refresh = s.session().unwrap().refresh_token().cloned().unwrap();
    assert_ne!(old_refresh, new_refresh, "v2 rotates the refresh token");
    assert_eq!(srv.stats().grant("v2.refresh_token"), 1);
    assert_eq!(s.userinfo().unwrap().username, "testuser");
    // agavepy-compatible `current` was written for the v2 session.
    let current = std::fs::read_to_string(dir.path().join("current")).unwrap();
    assert!(current.contains("\"apikey\":\"v2-test-key\""), "{current}");
}

#[test]
fn v2_login_creates_a_client_with_the_password() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let o = common::password_options(&srv, dir.path(), StoreKind::Json, Platform::AgaveV2);
    let s = AuthSession::open(o).unwrap();
    let session = s.login_password(true).unwrap();
    assert!(session.client.unwrap().is_confidential());
    assert!(srv.stats().endpoint("v2.clients") >= 1);
    assert!(s.access_token(60).is_ok());
}

#[test]
fn wrong_password_is_classified_and_nothing_is_stored() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        let mut o = options(&srv, dir.path(), StoreKind::Json, platform);
        o.username = Some("testuser".into());
        o.password = Some(Secret::new("not-the-password"));
        o.client_id = Some(
            if platform == Platform::TapisV3 {
                "test-client"
            } else {
                "v2-test-key"
            }
            .into(),
        );
        o.client_key = Some(Secret::new(if platform == Platform::TapisV3 {
            "test-client-key"
        } else {
            "v2-test-secret"
        }));
        let e = AuthSession::open(o)
            .unwrap()
            .login_password(false)
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidCredentials { .. }),
            "{platform}: {e:?}"
        );
        assert!(!e.to_string().contains("not-the-password"));
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn device_login_start_poll_and_approve() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    o.client_id = Some("test-client".into());
    o.client_key = Some(Secret::new("test-client-key"));
    let s = AuthSession::open(o).unwrap();
    let mut login = s.device_start().unwrap();
    let prompt = login.prompt().clone();
    assert_eq!(prompt.user_code.len(), 8);
    assert!(prompt.verification_uri.contains("/v3/oauth2/device"));
    assert!(matches!(login.poll().unwrap(), DevicePoll::Pending(_)));
    srv.approve_device(&prompt.user_code, "testuser").unwrap();
    // The next poll is due after the interval; drive it with the blocking loop instead.
    drop(login);
    let mut shown = None;
    let mut o2 = options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    o2.client_id = Some("test-client".into());
    o2.client_key = Some(Secret::new("test-client-key"));
    let s2 = AuthSession::open(o2).unwrap();
    let srv_ref = &srv;
    let session = std::thread::scope(|scope| {
        let handle =
            scope.spawn(|| s2.login_device(&mut |p| shown = Some(p.clone()), None, Some(60)));
        // Approve whatever code is pending once the prompt exists.
        for _ in 0..100 {
            if let Some(code) = srv_ref.pending_user_codes().last() {
                if code != &prompt.user_code {
                    srv_ref.approve_device(code, "testuser").unwrap();
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        handle.join().unwrap()
    })
    .unwrap();
    assert!(shown.is_some());
    assert_eq!(session.username.as_deref(), Some("testuser"));
    assert!(restore(dir.path(), StoreKind::Json)
        .access_token(600)
        .is_ok());
}

#[test]
fn device_login_can_be_cancelled_and_times_out() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    o.client_id = Some("test-client".into());
    let s = AuthSession::open(o).unwrap();
    let cancel = AtomicBool::new(true);
    let e = s
        .login_device(&mut |_| {}, Some(&cancel), Some(60))
        .unwrap_err();
    assert!(matches!(e, Error::Cancelled), "{e:?}");
    let e = s.login_device(&mut |_| {}, None, Some(1)).unwrap_err();
    assert!(matches!(e, Error::DeviceCodeExpired), "{e:?}");
}

#[test]
fn send_refreshes_once_and_retries_when_the_service_says_expired() {
    for platform in [Platform::TapisV3, Platform::AgaveV2] {
        let srv = server();
        let dir = tempfile::tempdir().unwrap();
        // The server issues tokens that die after 1 s, but the cache is told they live for a
        // day: only the service's 401 can reveal the expiry (clock skew, early revocation).
        srv.set_config(ConfigPatch {
            v3_access_ttl: Some(1),
            v2_access_ttl: Some(1),
            ..Default::default()
        });
        login(&srv, dir.path(), StoreKind::Json, platform);
        srv.set_config(ConfigPatch {
            v3_access_ttl: Some(14_400),
            v2_access_ttl: Some(14_400),
            ..Default::default()
        });
        let day = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            + 86_400;
        set_stored_expiry(dir.path(), StoreKind::Json, day);
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let s = restore(dir.path(), StoreKind::Json);
        let (path, key, endpoint) = match platform {
            Platform::TapisV3 => ("/v3/systems", "v3.refresh_token", "v3.systems"),
            _ => ("/profiles/v2/me", "v2.refresh_token", "v2.profile"),
        };
        let url = format!("{}{}", srv.url(), path);
        let resp = s
            .send(HttpRequest::new(Method::Get, url, Replay::Safe))
            .unwrap();
        assert_eq!(resp.status, 200, "{platform}: {}", resp.text());
        assert_eq!(srv.stats().grant(key), 1, "{platform}: exactly one refresh");
        assert_eq!(
            srv.stats().endpoint(endpoint),
            2,
            "{platform}: one call, one retry"
        );
        // The rotated tokens were saved.
        assert_ne!(
            restore(dir.path(), StoreKind::Json)
                .session()
                .unwrap()
                .tokens
                .unwrap()
                .expires_at
                .unwrap()
                .secs(),
            day
        );
    }
}

#[test]
fn send_does_not_loop_when_the_refresh_fails() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    login(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    srv.inject_fault(
        Fault::new("v3.tokens", FaultKind::Status)
            .status(500)
            .times(10),
    );
    expire_stored_token(dir.path(), StoreKind::Json);
    let r = restore(dir.path(), StoreKind::Json);
    let url = format!("{}/v3/systems", srv.url());
    let e = r
        .send(HttpRequest::new(Method::Get, url, Replay::Safe))
        .unwrap_err();
    assert!(matches!(e, Error::Server { status: 500, .. }), "{e:?}");
    assert_eq!(
        srv.stats().endpoint("v3.systems"),
        0,
        "no service call with a token known to be stale"
    );
    assert_eq!(
        srv.stats().grant("v3.refresh_token"),
        1,
        "a refresh grant is not blindly repeated"
    );
}

#[test]
fn tenants_are_listed_without_a_token() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let s = AuthSession::open(options(
        &srv,
        dir.path(),
        StoreKind::Json,
        Platform::TapisV3,
    ))
    .unwrap();
    let base = tapis_auth_core::BaseUrl::parse(srv.url()).unwrap();
    let v3 = s.list_tenants(&base, Platform::TapisV3).unwrap();
    assert!(v3
        .iter()
        .any(|t| t.id.as_deref() == Some("test") && t.public_key.is_some()));
    let v2 = s.list_tenants(&base, Platform::AgaveV2).unwrap();
    assert!(v2.iter().any(|t| t.id.as_deref() == Some("test.v2")));
    let resolved = s.resolve_tenant().unwrap();
    assert_eq!(resolved.id.as_deref(), Some("test"));
}

/// A passing failure while polling for the device token (a 503, then a dropped connection)
/// does not end the login: the code is still good, so polling goes on and the login completes.
/// The one-step API reports each failure (retryable) and carries on at the next poll.
#[test]
fn device_login_survives_passing_poll_failures() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&srv, dir.path(), StoreKind::Json, Platform::TapisV3);
    o.client_id = Some("test-client".into());
    o.client_key = Some(Secret::new("test-client-key"));
    let s = AuthSession::open(o).unwrap();

    // One step at a time: the failure is reported, then polling continues.
    let mut login = s.device_start().unwrap();
    srv.approve_device(&login.prompt().user_code.clone(), "testuser")
        .unwrap();
    srv.inject_fault(
        Fault::new("v3.tokens", FaultKind::Status)
            .status(503)
            .grant("device_code"),
    );
    let e = login.poll().unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    let next = match login.poll().unwrap() {
        DevicePoll::Pending(t) => t,
        DevicePoll::Complete => panic!("completed without a successful poll"),
    };
    while tapis_auth::SystemClock.now() < next {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(login.poll().unwrap(), DevicePoll::Complete);

    // The blocking loop rides over a dropped connection.
    srv.inject_fault(Fault::new("v3.tokens", FaultKind::Drop).grant("device_code"));
    let before = srv.pending_user_codes();
    let srv_ref = &srv;
    let session = std::thread::scope(|scope| {
        let handle = scope.spawn(|| s.login_device(&mut |_| {}, None, Some(60)));
        for _ in 0..200 {
            let fresh: Vec<String> = srv_ref
                .pending_user_codes()
                .into_iter()
                .filter(|c| !before.contains(c))
                .collect();
            if let Some(code) = fresh.first() {
                srv_ref.approve_device(code, "testuser").unwrap();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        handle.join().unwrap()
    })
    .unwrap();
    assert_eq!(session.username.as_deref(), Some("testuser"));
}
