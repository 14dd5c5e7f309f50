//! Agave v2 endpoints driven over plain HTTP.

mod common;

use common::*;
use serde_json::{json, Value};
use tapis_auth_testserver::ConfigPatch;

fn v2_login(s: &tapis_auth_testserver::TestServer) -> Value {
    let (st, v, _) = send(
        http()
            .post(format!("{}/token", s.url()))
            .basic_auth(V2KEY, Some(V2SECRET))
            .form(&[
                ("grant_type", "password"),
                ("username", U),
                ("password", P),
                ("scope", "PRODUCTION"),
            ]),
    );
    assert_eq!(st, 200, "{v}");
    v
}

fn v2_refresh(s: &tapis_auth_testserver::TestServer, rt: &str) -> (u16, Value) {
    let (st, v, _) = send(
        http()
            .post(format!("{}/token", s.url()))
            .basic_auth(V2KEY, Some(V2SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("scope", "PRODUCTION"),
                ("refresh_token", rt),
            ]),
    );
    (st, v)
}

#[test]
fn tenants_listing() {
    let s = server();
    let (st, v, _) = send(http().get(format!("{}/tenants", s.url())));
    assert_eq!(st, 200);
    assert_eq!(v["status"], "success");
    let t = &v["result"][0];
    assert_eq!(t["code"], "test.v2");
    assert_eq!(t["baseUrl"], format!("{}/", s.url()));
    assert!(t["name"].is_string());
}

#[test]
fn password_and_single_use_refresh() {
    let s = server();
    let v = v2_login(&s);
    let at = v["access_token"].as_str().unwrap();
    assert_eq!(at.len(), 32);
    assert!(at.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["scope"], "default");
    assert_eq!(v["expires_in"], 14400);
    let rt = v["refresh_token"].as_str().unwrap();
    let (st, v2) = v2_refresh(&s, rt);
    assert_eq!(st, 200);
    assert_ne!(v2["refresh_token"], v["refresh_token"]);
    let (st, e) = v2_refresh(&s, rt);
    assert_eq!(st, 400);
    assert_eq!(e["error"], "invalid_grant");
    assert!(e["error_description"].is_string());
    let (st, _) = v2_refresh(&s, v2["refresh_token"].as_str().unwrap());
    assert_eq!(st, 200);
    let stats = s.stats();
    assert_eq!(stats.grant("v2.password"), 1);
    assert_eq!(stats.grant("v2.refresh_token"), 3);
    assert_eq!(stats.rejected_refresh("v2"), 1);
    assert_eq!(stats.endpoint("v2.token"), 4);
}

#[test]
fn token_errors() {
    let s = server();
    let url = format!("{}/token", s.url());
    let (st, v, _) = send(http().post(&url).basic_auth(V2KEY, Some(V2SECRET)).form(&[
        ("grant_type", "password"),
        ("username", U),
        ("password", "bad"),
    ]));
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));
    let (st, v, _) = send(http().post(&url).basic_auth(V2KEY, Some("bad")).form(&[
        ("grant_type", "password"),
        ("username", U),
        ("password", P),
    ]));
    assert_eq!((st, v["error"].as_str()), (401, Some("invalid_client")));
    let (st, v, _) = send(http().post(&url).form(&[
        ("grant_type", "password"),
        ("username", U),
        ("password", P),
    ]));
    assert_eq!((st, v["error"].as_str()), (401, Some("invalid_client")));
    let (st, _, _) = send(
        http()
            .post(&url)
            .basic_auth(V2KEY, Some(V2SECRET))
            .json(&json!({"grant_type": "password"})),
    );
    assert_eq!(st, 400);
    let (st, v) = v2_refresh(&s, "deadbeef");
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn clients_json_and_form() {
    let s = server();
    let url = format!("{}/clients/v2", s.url());
    let (st, v, _) = send(
        http()
            .post(&url)
            .basic_auth(U, Some(P))
            .json(&json!({"clientName": "cli1", "description": "d"})),
    );
    assert!((200..300).contains(&st), "{st} {v}");
    let r = &v["result"];
    assert_eq!(r["name"], "cli1");
    let (k, sec) = (
        r["consumerKey"].as_str().unwrap(),
        r["consumerSecret"].as_str().unwrap(),
    );
    assert!(!k.is_empty() && !sec.is_empty());
    // The new client works at /token.
    let (st, _, _) = send(
        http()
            .post(format!("{}/token", s.url()))
            .basic_auth(k, Some(sec))
            .form(&[
                ("grant_type", "password"),
                ("username", U),
                ("password", P),
                ("scope", "PRODUCTION"),
            ]),
    );
    assert_eq!(st, 200);
    let (st, v, _) = send(
        http()
            .post(format!("{}/clients/v2", s.url()))
            .basic_auth(U, Some(P))
            .form(&[
                ("clientName", "cli2"),
                ("description", "x"),
                ("tier", "Unlimited"),
                ("callbackUrl", ""),
            ]),
    );
    assert!((200..300).contains(&st));
    assert_eq!(v["result"]["name"], "cli2");
    let (st, _, _) = send(
        http()
            .post(&url)
            .basic_auth(U, Some(P))
            .json(&json!({"clientName": "cli1"})),
    );
    assert_eq!(st, 400);
    let (st, _, _) = send(
        http()
            .post(&url)
            .basic_auth(U, Some("bad"))
            .json(&json!({"clientName": "x"})),
    );
    assert_eq!(st, 401);
    let (st, v, _) = send(
        http()
            .get(format!("{}/clients/v2", s.url()))
            .basic_auth(U, Some(P)),
    );
    assert_eq!(st, 200);
    assert_eq!(v["result"].as_array().unwrap().len(), 3);
    let (st, v, _) = send(
        http()
            .get(format!("{}/clients/v2/cli1", s.url()))
            .basic_auth(U, Some(P)),
    );
    assert_eq!((st, v["result"]["name"].as_str()), (200, Some("cli1")));
    assert!(v["result"].get("consumerSecret").is_none(), "{v}");
    // Another user neither sees nor removes it: "not found" among their applications, and a
    // delete that reports success (the clients service does not check) but removes nothing.
    s.add_user("other", "otherpass");
    let cli1 = format!("{}/clients/v2/cli1", s.url());
    let (st, v, _) = send(http().get(&cli1).basic_auth("other", Some("otherpass")));
    assert_eq!(
        (st, v["message"].as_str()),
        (400, Some("Application not found"))
    );
    let (st, _, _) = send(http().delete(&cli1).basic_auth("other", Some("otherpass")));
    assert_eq!(st, 200);
    let (st, v, _) = send(http().get(&cli1).basic_auth(U, Some(P)));
    assert_eq!(
        (st, v["message"].as_str()),
        (200, Some("Client details retrieved successfully."))
    );
    let (st, _, _) = send(
        http()
            .delete(format!("{}/clients/v2/cli1", s.url()))
            .basic_auth(U, Some(P)),
    );
    assert_eq!(st, 200);
    let (st, v, _) = send(http().get(&cli1).basic_auth(U, Some(P)));
    assert_eq!(
        (st, v["message"].as_str()),
        (400, Some("Application not found"))
    );
    let (st, _, _) = send(
        http()
            .delete(format!("{}/clients/v2/cli1", s.url()))
            .basic_auth(U, Some(P)),
    );
    assert_eq!(st, 200);
}

#[test]
fn profile_and_faults_and_revoke() {
    let s = server();
    let v = v2_login(&s);
    let at = v["access_token"].as_str().unwrap();
    let me = format!("{}/profiles/v2/me", s.url());
    let (st, p, _) = send(http().get(&me).bearer_auth(at));
    assert_eq!(st, 200);
    assert_eq!(p["result"]["username"], U);
    let (st, f, _) = send(http().get(&me).bearer_auth("unknown"));
    assert_eq!((st, f["fault"]["code"].as_u64()), (401, Some(900901)));
    assert_eq!(f["fault"]["message"], "Invalid Credentials");
    let (st, f, _) = send(http().get(&me));
    assert_eq!((st, f["fault"]["code"].as_u64()), (401, Some(900902)));
    s.set_config(ConfigPatch {
        v2_access_ttl: Some(0),
        ..Default::default()
    });
    let exp = v2_login(&s);
    assert_eq!(exp["expires_in"], 0);
    let (st, f, _) = send(
        http()
            .get(&me)
            .bearer_auth(exp["access_token"].as_str().unwrap()),
    );
    assert_eq!((st, f["fault"]["code"].as_u64()), (401, Some(900903)));
    assert_eq!(f["fault"]["message"], "Access Token Expired");
    // Revoke: empty 200, then the token is invalid.
    let r = http()
        .post(format!("{}/revoke", s.url()))
        .basic_auth(V2KEY, Some(V2SECRET))
        .form(&[("token", at)])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().unwrap(), "");
    let (st, f, _) = send(http().get(&me).bearer_auth(at));
    assert_eq!((st, f["fault"]["code"].as_u64()), (401, Some(900901)));
    let (st, _, _) = send(
        http()
            .post(format!("{}/revoke", s.url()))
            .basic_auth(V2KEY, Some("bad"))
            .form(&[("token", at)]),
    );
    assert_eq!(st, 401);
    // Revoked refresh token.
    let v = v2_login(&s);
    let rt = v["refresh_token"].as_str().unwrap();
    send(
        http()
            .post(format!("{}/revoke", s.url()))
            .basic_auth(V2KEY, Some(V2SECRET))
            .form(&[("token", rt)]),
    );
    assert_eq!(v2_refresh(&s, rt).0, 400);
}
