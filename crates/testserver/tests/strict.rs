//! The test authenticator answers as the real ones do where a lenient server would let a client
//! bug through: the checks and words of tapis-project/authenticator 1.6.0 (`controllers.py`,
//! `auth.py`, `openapi_v3.yml`) and of the Agave v2 gateway and clients service.

mod common;

use common::*;
use serde_json::json;

const NO_ROUTE: &str =
    "The endpoint and HTTP method combination are not available from this service.";

#[test]
fn unknown_authenticator_routes_and_methods_are_400() {
    let s = server();
    for (method, path) in [
        ("GET", "/v3/oauth2/nowhere"),
        ("DELETE", "/v3/oauth2/tokens"),
        ("POST", "/v3/oauth2/userinfo"),
        ("PATCH", "/v3/oauth2/clients/test-client"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (st, v, _) = send(http().request(m, format!("{}{path}", s.url())));
        assert_eq!((st, msg(&v)), (400, NO_ROUTE), "{method} {path}");
    }
    // Outside the Authenticator: a plain 404.
    let (st, _, _) = send(http().get(format!("{}/v3/nothing", s.url())));
    assert_eq!(st, 404);
}

#[test]
fn revoke_takes_json_only() {
    let s = server();
    let r = password_login(&s, true);
    let at = r["access_token"]["access_token"].as_str().unwrap();
    let rv = format!("{}/v3/oauth2/tokens/revoke", s.url());
    let (st, v, _) = send(http().post(&rv).form(&[("token", at)]));
    assert_eq!(
        (st, msg(&v)),
        (400, "Unable to parse message payload; is it JSON?")
    );
    let (st, v, _) = send(http().post(&rv).json(&json!({"token": 5})));
    assert_eq!(st, 400);
    assert!(msg(&v).contains("5 is not of type 'string'"), "{v}");
    let (st, _, _) = send(http().post(&rv).json(&json!({"token": at})));
    assert_eq!(st, 200);
}

#[test]
fn refresh_error_words() {
    // (A missing refresh token's words are checked in tests/v3.rs.)
    let s = server();
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "refresh_token", "refresh_token": "x"}),
        Some((CID, "wrong")),
    );
    assert_eq!(
        (st, msg(&v)),
        (
            400,
            "Invalid client credentials: test-client, wrong. session: <SecureCookieSession {}>"
        )
    );
}

#[test]
fn the_grant_allow_list_is_the_tenants() {
    let s = server();
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "client_credentials"}),
        Some((CID, CKEY)),
    );
    assert_eq!((st, msg(&v)), (400, "Invalid grant_type (client_credentials); this grant type is not allowed for this tenant. Allowable grant types: ['password', 'implicit', 'authorization_code', 'refresh_token', 'device_code']"));
}

#[test]
fn authorize_needs_response_type_and_puts_state_in_raw() {
    let s = server();
    let cb = "http%3A%2F%2F127.0.0.1%2Fcallback";
    let get = |q: &str| {
        let r = http()
            .get(format!("{}/v3/oauth2/authorize?{q}", s.url()))
            .send()
            .unwrap();
        let st = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = r.text().unwrap_or_default();
        (st, loc, body)
    };
    for (q, want) in [
        (
            format!("client_id={CID}&redirect_uri={cb}"),
            "Required query parameter response_type missing or not supported.",
        ),
        (
            format!("client_id={CID}&redirect_uri={cb}&response_type=id_token"),
            "Required query parameter response_type missing or not supported.",
        ),
        (
            format!("client_id=nope&redirect_uri={cb}&response_type=code"),
            "Invalid client.",
        ),
        (
            format!("client_id={CID}&response_type=code"),
            "Required query parameter redirect_uri missing.",
        ),
        (
            format!("client_id={CID}&redirect_uri=http%3A%2F%2Fx&response_type=code"),
            "redirect_uri query parameter does not match the registered callback_url for the client.",
        ),
    ] {
        let (st, _, body) = get(&q);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((st, msg(&v)), (400, want), "{q}");
    }
    // A state with reserved characters goes into the redirect as it came.
    let (st, loc, _) = get(&format!(
        "client_id={CID}&redirect_uri={cb}&response_type=code&state=a%20b%26c&test_user={U}"
    ));
    assert_eq!(st, 302);
    assert!(loc.unwrap().ends_with("&state=a b&c"));
}

#[test]
fn clients_can_be_read_and_their_callback_changed() {
    let s = server();
    let r = password_login(&s, false);
    let at = r["access_token"]["access_token"].as_str().unwrap();
    let url = format!("{}/v3/oauth2/clients/{CID}", s.url());
    let (st, v, _) = send(http().get(&url).header("X-Tapis-Token", at));
    assert_eq!(
        (st, msg(&v)),
        (200, "Client object retrieved successfully.")
    );
    assert_eq!(v["result"]["callback_url"], CALLBACK);
    let put =
        |body: serde_json::Value| send(http().put(&url).header("X-Tapis-Token", at).json(&body));
    let (st, v, _) =
        put(json!({"callback_url": "http://127.0.0.1:8123/cb", "display_name": "mine"}));
    assert_eq!((st, msg(&v)), (200, "Client updated successfully"));
    assert_eq!(v["result"]["callback_url"], "http://127.0.0.1:8123/cb");
    assert_eq!(v["result"]["display_name"], "mine");
    for (field, want) in [
        ("client_key", "Changing client_key not currently supported."),
        ("client_id", "Changing client_id not currently supported."),
        (
            "description",
            "Changing description not currently supported.",
        ),
    ] {
        let (st, v, _) = put(json!({field: "x"}));
        assert_eq!((st, msg(&v)), (400, want));
    }
    let (st, v, _) = put(json!({"callback_url": 7}));
    assert_eq!(st, 400);
    assert!(msg(&v).starts_with("Invalid PUT data: ["), "{v}");
    // Someone else's client, and an unknown one.
    s.add_user("other", "otherpass");
    let other = tokens_json(
        &s,
        json!({"grant_type": "password", "username": "other", "password": "otherpass"}),
        None,
    )
    .1;
    let ot = other["result"]["access_token"]["access_token"]
        .as_str()
        .unwrap();
    let (st, v, _) = send(http().get(&url).header("X-Tapis-Token", ot));
    assert_eq!((st, msg(&v)), (400, "Not authorized for this client."));
    let (st, v, _) = send(
        http()
            .get(format!("{}/v3/oauth2/clients/nope", s.url()))
            .header("X-Tapis-Token", at),
    );
    assert_eq!((st, msg(&v)), (400, "No client found with id nope."));
}

#[test]
fn profiles_by_username() {
    let s = server();
    let r = password_login(&s, false);
    let at = r["access_token"]["access_token"].as_str().unwrap();
    let (st, v, _) = send(
        http()
            .get(format!("{}/v3/oauth2/profiles/{U}", s.url()))
            .header("X-Tapis-Token", at),
    );
    assert_eq!((st, msg(&v)), (200, "User profile retrieved successfully."));
    assert_eq!(v["result"]["username"], U);
    let (st, _, _) = send(http().get(format!("{}/v3/oauth2/profiles/{U}", s.url())));
    assert_eq!(st, 400);
    let (st, _, _) = send(
        http()
            .get(format!("{}/v3/oauth2/profiles/nobody", s.url()))
            .header("X-Tapis-Token", at),
    );
    assert_eq!(st, 500);
}

#[test]
fn a_v2_refresh_revokes_the_access_token_it_replaces() {
    let s = server();
    let form = |f: &[(&str, &str)]| {
        let (_, v, _) = send(
            http()
                .post(format!("{}/token", s.url()))
                .basic_auth("v2-test-key", Some("v2-test-secret"))
                .form(f),
        );
        v
    };
    let t = form(&[
        ("grant_type", "password"),
        ("username", U),
        ("password", P),
        ("scope", "PRODUCTION"),
    ]);
    let (at, rt) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    let me = |tok: &str| {
        send(
            http()
                .get(format!("{}/profiles/v2/me", s.url()))
                .bearer_auth(tok),
        )
        .0
    };
    assert_eq!(me(at), 200);
    let t2 = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("scope", "PRODUCTION"),
    ]);
    assert_eq!(me(at), 401, "the old access token was revoked");
    assert_eq!(me(t2["access_token"].as_str().unwrap()), 200);
}
