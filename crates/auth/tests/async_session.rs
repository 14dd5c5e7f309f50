//! `AsyncSession` over real HTTP against the test authenticator: the refresh, service calls and
//! logout go through the async transport (counted here), and the blocking session behind it
//! sees the same session.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{expire_stored_token, login, restore, server};
use tapis_auth::http::AsyncHttpTransport;
use tapis_auth::{AsyncSession, Error, HttpRequest, Platform, StoreKind, TransportConfig};
use tapis_auth_core::{AsyncTransport, Method, Replay, ResponseFuture};

/// The async HTTP transport, counting the requests it sends.
struct Counting {
    inner: AsyncHttpTransport,
    sent: AtomicUsize,
}

impl AsyncTransport for Counting {
    fn send<'a>(&'a self, request: &'a HttpRequest) -> ResponseFuture<'a> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        self.inner.send(request)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_send_and_logout_go_through_the_async_transport() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    // Set-up with the blocking API, on the blocking pool (as blocking code must run).
    let path = dir.path().to_path_buf();
    let blocking = tokio::task::spawn_blocking(move || {
        login(&srv, &path, StoreKind::Json, Platform::TapisV3);
        expire_stored_token(&path, StoreKind::Json);
        srv.reset_stats();
        (srv, restore(&path, StoreKind::Json))
    });
    let (srv, blocking) = blocking.await.unwrap();
    let counting = Arc::new(Counting {
        inner: AsyncHttpTransport::new(TransportConfig::default()),
        sent: AtomicUsize::new(0),
    });
    let sent = || counting.sent.load(Ordering::SeqCst);
    let session = AsyncSession::with_transport(blocking, counting.clone());

    // The expired token is refreshed through the async transport, once.
    let token = session.access_token(60).await.unwrap();
    assert_eq!(srv.stats().grant("v3.refresh_token"), 1);
    assert_eq!(sent(), 1);
    // The blocking session behind it holds the same token, in memory.
    assert_eq!(session.blocking().manager().cached_token(60), Some(token));

    // A service call to the tenant's origin carries the token.
    let url = format!("{}/v3/oauth2/userinfo", srv.url());
    let resp = session
        .send(HttpRequest::new(Method::Get, &url, Replay::Safe))
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(sent(), 2);
    // Another origin gets nothing, and nothing is sent.
    let elsewhere = "http://127.0.0.2:9/v3/oauth2/userinfo";
    let e = session
        .send(HttpRequest::new(Method::Get, elsewhere, Replay::Safe))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert_eq!(sent(), 2);

    let who = session.whoami().await.unwrap();
    assert_eq!(who.username.as_deref(), Some("testuser"));
    assert_eq!(who.login_required, None);

    // Logout revokes the access and refresh tokens (two requests) and deletes the profile.
    assert!(session.logout().await.unwrap());
    assert_eq!(sent(), 4);
    let e = session.access_token(60).await.unwrap_err();
    assert!(e.is_login_required(), "{e:?}");
    let e = session.blocking().access_token(60).unwrap_err();
    assert!(
        e.is_login_required(),
        "the blocking face is logged out too: {e:?}"
    );
}
