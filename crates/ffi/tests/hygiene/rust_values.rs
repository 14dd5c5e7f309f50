//! The Rust values under the C library: the `Debug` and `Display` of options, sessions and
//! their stored records, token sets, errors of wrong passwords and keys, OAuth clients and
//! device prompts never show a secret either.

use tapis_auth::{AuthSession, Options};
use tapis_auth_storage::StoreKind;
use tapis_auth_testserver::TestServer;

use crate::common::{self, Plat, H, PASSWORD, USER, WRONG_KEY, WRONG_PASSWORD};

common::hygiene_child!(scenario: scenario);

/// Rust-level values reachable from the crates the C library is built on: their `Debug` and
/// `Display` never show a secret either.
fn scenario(h: &mut H, srv: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    for plat in [Plat::V3, Plat::V2] {
        let (id, key) = plat.client();
        let mut o = Options {
            base_url: Some(srv.url().to_owned()),
            platform: Some(match plat {
                Plat::V3 => tapis_auth_core::Platform::TapisV3,
                Plat::V2 => tapis_auth_core::Platform::AgaveV2,
            }),
            store: StoreKind::Memory,
            use_environment: false,
            username: Some(USER.into()),
            password: Some(tapis_auth_core::Secret::new(WRONG_PASSWORD)),
            client_id: Some(id.into()),
            client_key: Some(tapis_auth_core::Secret::new(key)),
            ..Options::default()
        };
        o.transport.max_tries = 1;
        let s = AuthSession::open(o.clone()).unwrap();
        let e = s.login_password(false).unwrap_err();
        h.text("rust: login error", format!("{e:?} / {e}"));
        o.client_key = Some(tapis_auth_core::Secret::new(WRONG_KEY));
        o.password = Some(tapis_auth_core::Secret::new(PASSWORD));
        let s = AuthSession::open(o.clone()).unwrap();
        let e = s.login_password(false).unwrap_err();
        h.text("rust: wrong key error", format!("{e:?} / {e}"));
        o.client_key = Some(tapis_auth_core::Secret::new(key));
        let s = AuthSession::open(o.clone()).unwrap();
        let sess = s.login_password(false).unwrap();
        let t = sess.tokens.as_ref().unwrap();
        h.secret(t.access_token.expose());
        if let Some(r) = &t.refresh_token {
            h.secret(r.expose());
        }
        h.text("rust: Session", format!("{sess:?}"));
        let ts = s.refresh().unwrap();
        h.secret(ts.access_token.expose());
        if let Some(r) = &ts.refresh_token {
            h.secret(r.expose());
        }
        h.text("rust: TokenSet", format!("{ts:?}"));
        h.text("rust: AuthSession", format!("{s:?} {:?}", s.whoami()));
        let client = s
            .create_client(&tapis_auth_core::flow::clients::NewClient {
                client_id: Some(format!("hyg-rust-{}", plat.name())),
                ..Default::default()
            })
            .unwrap();
        if let Some(k) = &client.key {
            h.secret(k.expose());
        }
        h.text("rust: OAuthClient", format!("{client:?}"));
        if plat == Plat::V3 {
            let login = s.device_start().unwrap();
            h.text("rust: DevicePrompt", format!("{:?}", login.prompt()));
        }
        let _ = dir.path();
    }
}
