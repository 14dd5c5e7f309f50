//! OAuth client and user-profile records of both platforms, driven through the public
//! exchanges exactly as a transport would: build the flow (`create_client`, `list_clients`,
//! `delete_client`, `userinfo`, `revoke`) on a session holding planted secrets, poll for the
//! request, then `handle_response` with the fuzzed body and status. The fuzzer may splice the
//! planted secrets anywhere into the body.
//!
//! Invariants beyond "no panic":
//! - no error's `Display`/`Debug` contains a planted secret;
//! - every returned client has a non-empty id; a created Agave v2 client is confidential;
//! - a returned profile has a non-empty username;
//! - the flow finishes after exactly one response (a second poll is `ApiMisuse`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::flow::clients::{create_client, delete_client, list_clients, NewClient};
use tapis_auth_core::flow::revoke::revoke;
use tapis_auth_core::flow::userinfo::userinfo;
use tapis_auth_core::{HttpResponse, Pending, Platform, Secret};
use tapis_auth_fuzz::{assert_error_clean, planted_session, splice_secret, Params, NOW, PLANTED};

fuzz_target!(|data: &[u8]| {
    let mut p = Params::new(data);
    let platform = p.platform();
    let op = p.byte() % 5;
    let status = p.status();
    let sel = p.byte();
    let at = p.u16();
    let body = splice_secret(p.rest(), sel, at);
    let session = planted_session(platform);
    let resp = HttpResponse::new(status, body);
    match op {
        0 => {
            let new = NewClient {
                client_id: Some("fuzz_client".into()),
                client_key: Some(Secret::new(PLANTED[0])),
                description: Some("fuzz".into()),
                ..Default::default()
            };
            if let Some(c) = run(create_client(&session, &new).expect("request"), resp) {
                assert!(!c.id.is_empty());
                if platform == Platform::AgaveV2 {
                    assert!(c.is_confidential(), "created v2 client without a secret");
                }
            }
        }
        1 => {
            if let Some(cs) = run(list_clients(&session).expect("request"), resp) {
                assert!(cs.iter().all(|c| !c.id.is_empty()));
            }
        }
        2 => {
            let _ = run(delete_client(&session, "fuzz_client").expect("request"), resp);
        }
        3 => {
            if let Some(u) = run(userinfo(&session).expect("request"), resp) {
                assert!(!u.username.is_empty());
            }
        }
        _ => {
            let token = Secret::new(PLANTED[2]);
            let _ = run(revoke(&session, &token).expect("request"), resp);
        }
    }
});

fn run<T>(op: Pending<T>, resp: HttpResponse) -> Option<T> {
    match op.finish(NOW, resp) {
        Ok(v) => Some(v),
        Err(e) => {
            assert_error_clean(&e, &e.to_string());
            None
        }
    }
}
