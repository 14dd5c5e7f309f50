//! Tapis v3 endpoints driven over plain HTTP.

mod common;

use common::*;
use serde_json::{json, Value};
use tapis_auth_testserver::jwt;
use tapis_auth_testserver::ConfigPatch;

fn tenant_key(s: &tapis_auth_testserver::TestServer) -> String {
    let (st, v, _) = send(http().get(format!("{}/v3/tenants/test", s.url())));
    assert_eq!(st, 200);
    v["result"]["public_key"].as_str().unwrap().to_string()
}

#[test]
fn password_grant_without_client_gives_access_only_with_tapis_claims() {
    let s = server();
    let r = password_login(&s, false);
    assert!(r.get("refresh_token").is_none());
    let at = &r["access_token"];
    let tok = at["access_token"].as_str().unwrap();
    assert_eq!(at["id_token"], at["access_token"]);
    assert_eq!(at["expires_in"], 14400);
    let ea = at["expires_at"].as_str().unwrap();
    assert!(ea.ends_with("+00:00") && ea.len() == 32, "{ea}");
    let claims = jwt::verify_with_pem(&tenant_key(&s), tok).unwrap();
    assert_eq!(claims["jti"], at["jti"]);
    assert_eq!(claims["iss"], format!("{}/v3/tokens", s.url()));
    assert_eq!(claims["sub"], "testuser@test");
    assert_eq!(claims["tapis/tenant_id"], "test");
    assert_eq!(claims["tapis/token_type"], "access");
    assert_eq!(claims["tapis/username"], "testuser");
    assert_eq!(claims["tapis/account_type"], "user");
    assert_eq!(claims["tapis/client_id"], Value::Null);
    assert_eq!(claims["tapis/grant_type"], "password");
    assert!(claims.get("tapis/refresh_count").is_none());
    assert!(claims.get("iat").is_none() && claims.get("aud").is_none());
    let exp = claims["exp"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((exp - now - 14400).abs() <= 2);
    // Header has no kid.
    let header = tok.split('.').next().unwrap();
    use base64::Engine;
    let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    assert_eq!(
        String::from_utf8(h).unwrap(),
        r#"{"typ":"JWT","alg":"RS256"}"#
    );
}

#[test]
fn password_grant_with_client_gives_refresh_token_with_embedded_claims() {
    let s = server();
    let r = password_login(&s, true);
    let rt = r["refresh_token"]["refresh_token"].as_str().unwrap();
    assert_eq!(r["refresh_token"]["expires_in"], 31536000);
    let c = jwt::verify_with_pem(s.public_key_pem(), rt).unwrap();
    assert_eq!(c["tapis/token_type"], "refresh");
    assert_eq!(c["tapis/initial_ttl"], 31536000);
    assert_eq!(c["tapis/access_token"]["tapis/client_id"], CID);
    assert_eq!(c["tapis/access_token"]["ttl"], 14400);
    assert_eq!(c["tapis/access_token"]["tapis/refresh_count"], 0);
    assert!(c.get("tapis/username").is_none());
    let a = jwt::decode_unverified(r["access_token"]["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(a["tapis/client_id"], CID);
    assert_eq!(a["tapis/refresh_count"], 0);
}

#[test]
fn password_grant_errors() {
    let s = server();
    let (st, v) = tokens_json(&s, json!({"username": U, "grant_type": "password"}), None);
    assert_eq!((st, msg(&v)), (400, "Missing required payload data; username and password are required for the password grant type."));
    assert_eq!(v["status"], "error");
    assert_eq!(v["result"], Value::Null);
    let (st, v) = tokens_json(
        &s,
        json!({"username": U, "password": "no", "grant_type": "password"}),
        None,
    );
    assert_eq!(
        (st, msg(&v)),
        (400, "Invalid username/password combination.")
    );
    let (st, v) = tokens_json(
        &s,
        json!({"username": U, "password": P, "grant_type": "password"}),
        Some((CID, "wrong")),
    );
    assert_eq!(st, 400);
    assert!(
        msg(&v).starts_with("Invalid client credentials: test-client, wrong. session: "),
        "{v}"
    );
    // A Basic header that does not parse is no header to werkzeug: a password grant without a
    // client (no refresh token).
    let (st, v, _) = send(
        http()
            .post(format!("{}/v3/oauth2/tokens", s.url()))
            .header("Authorization", "Basic !!!")
            .json(&json!({"username": U, "password": P, "grant_type": "password"})),
    );
    assert_eq!(st, 200);
    assert!(v["result"].get("refresh_token").is_none(), "{v}");
    let (st, v) = tokens_json(&s, json!({"grant_type": "client_credentials"}), None);
    assert_eq!((st, msg(&v)), (400, "Invalid grant_type (client_credentials); this grant type is not allowed for this tenant. Allowable grant types: ['password', 'implicit', 'authorization_code', 'refresh_token', 'device_code']"));
    let (st, v) = tokens_json(&s, json!({"grant_type": "implicit"}), Some((CID, CKEY)));
    assert_eq!((st, msg(&v)), (400, "Invalid grant_type"));
    let (st, v) = tokens_json(&s, json!({"username": U}), None);
    assert_eq!(
        (st, msg(&v)),
        (400, "Missing the required grant_type parameter.")
    );
    // JSON types are strict: nothing is coerced into a string.
    for bad in [json!(1), json!(true), json!(null), json!(["x"])] {
        let (st, v) = tokens_json(
            &s,
            json!({"username": U, "password": bad, "grant_type": "password"}),
            None,
        );
        assert_eq!(st, 400, "{v}");
        assert!(msg(&v).starts_with("Invalid POST data: ["), "{v}");
        assert!(msg(&v).contains("is not of type 'string'"), "{v}");
    }
}

#[test]
fn content_types() {
    let s = server();
    let url = format!("{}/v3/oauth2/tokens", s.url());
    // Form body (1.6.0 field list).
    let (st, v, _) = send(http().post(&url).basic_auth(CID, Some(CKEY)).form(&[
        ("grant_type", "password"),
        ("username", U),
        ("password", P),
    ]));
    assert_eq!(st, 200, "{v}");
    assert!(v["result"]["refresh_token"].is_object());
    // No content type at all: the real server most likely fails with 500.
    let (st, v, _) = send(http().post(&url).body("{}"));
    assert_eq!(st, 500);
    assert!(msg(&v).starts_with("Unrecognized exception type"));
    // device_code is never read from a form.
    let (st, v, _) = send(
        http()
            .post(&url)
            .form(&[("grant_type", "device_code"), ("device_code", "x")]),
    );
    assert_eq!(st, 400);
    assert!(msg(&v).starts_with("Required "), "{v}");
    // Unsupported type.
    let (st, _, _) = send(
        http()
            .post(&url)
            .header("Content-Type", "text/plain")
            .body("x"),
    );
    assert_eq!(st, 400);
}

#[test]
fn refresh_grant_success_and_errors() {
    let s = server();
    let r = password_login(&s, true);
    let rt = r["refresh_token"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = |t: &str| json!({"grant_type": "refresh_token", "refresh_token": t});
    let (st, v) = tokens_json(&s, body(&rt), Some((CID, CKEY)));
    assert_eq!(st, 200, "{v}");
    let a = jwt::decode_unverified(
        v["result"]["access_token"]["access_token"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a["tapis/refresh_count"], 1);
    assert_eq!(a["tapis/username"], U);
    let rt2 = v["result"]["refresh_token"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = tokens_json(&s, body(&rt2), Some((CID, CKEY)));
    let a = jwt::decode_unverified(
        v["result"]["access_token"]["access_token"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a["tapis/refresh_count"], 2);
    // Not single-use by default.
    let (st, _) = tokens_json(&s, body(&rt), Some((CID, CKEY)));
    assert_eq!(st, 200);
    // No Basic: the client lookup fails for (None, None).
    let (st, v) = tokens_json(&s, body(&rt), None);
    assert_eq!(
        (st, msg(&v)),
        (
            400,
            "Invalid client credentials: None, None. session: <SecureCookieSession {}>"
        )
    );
    // No refresh token.
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "refresh_token"}),
        Some((CID, CKEY)),
    );
    assert_eq!(
        (st, msg(&v)),
        (400, "Required refresh_token parameter missing.")
    );
    // Garbage.
    let (st, v) = tokens_json(&s, body("garbage"), Some((CID, CKEY)));
    assert_eq!((st, msg(&v)), (400, "Invalid refresh_token."));
    // Access token passed as refresh token.
    let at = r["access_token"]["access_token"].as_str().unwrap();
    let (st, v) = tokens_json(&s, body(at), Some((CID, CKEY)));
    assert_eq!((st, msg(&v)), (400, "Invalid token type. The refresh_token grant type required a token of type refresh. Instead a token of type access was passed."));
    // Another client's credentials.
    let (st, v, _) = send(
        http()
            .post(format!("{}/v3/oauth2/clients", s.url()))
            .header("X-Tapis-Token", at)
            .json(&json!({"client_id": "other", "client_key": "otherkey"})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = tokens_json(&s, body(&rt), Some(("other", "otherkey")));
    assert_eq!((st, msg(&v)), (400, "client_id from header (other) does not match the client_id in the token claim (test-client)."));
    // A revoked refresh token.
    let (st, v, _) = send(
        http()
            .post(format!("{}/v3/oauth2/tokens/revoke", s.url()))
            .json(&json!({"token": rt2})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = tokens_json(&s, body(&rt2), Some((CID, CKEY)));
    assert_eq!((st, msg(&v)), (400, "Invalid refresh_token."));
    let stats = s.stats();
    assert_eq!(stats.grant("v3.refresh_token"), 9);
    assert_eq!(stats.rejected_refresh("v3"), 6);
}

#[test]
fn single_use_refresh_when_configured_over_http() {
    let s = server();
    let (st, v, _) = send(
        http()
            .post(format!("{}/_test/config", s.url()))
            .json(&json!({"v3_single_use_refresh": true, "v3_access_ttl": 60})),
    );
    assert_eq!(st, 200);
    assert_eq!(v["v3_single_use_refresh"], true);
    let r = password_login(&s, true);
    assert_eq!(r["access_token"]["expires_in"], 60);
    let body = json!({"grant_type": "refresh_token", "refresh_token": r["refresh_token"]["refresh_token"]});
    assert_eq!(tokens_json(&s, body.clone(), Some((CID, CKEY))).0, 200);
    let (st, v) = tokens_json(&s, body, Some((CID, CKEY)));
    assert_eq!((st, msg(&v)), (400, "Invalid refresh_token."));
    assert_eq!(s.stats().rejected_refresh("v3"), 1);
}

fn start_device(s: &tapis_auth_testserver::TestServer) -> Value {
    let (st, v, _) = send(
        http()
            .post(format!("{}/v3/oauth2/device/code", s.url()))
            .json(&json!({"client_id": CID})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(msg(&v), "Token created successfully.");
    v["result"].clone()
}

#[test]
fn device_code_flow() {
    let s = server();
    let d = start_device(&s);
    let uc = d["user_code"].as_str().unwrap();
    assert_eq!(uc.len(), 8);
    assert!(uc.chars().all(|c| c.is_ascii_alphabetic()));
    assert!(
        uc.chars().any(|c| c.is_ascii_uppercase()) && uc.chars().any(|c| c.is_ascii_lowercase())
    );
    let dc = d["device_code"].as_str().unwrap();
    assert_eq!(dc.len(), 40);
    assert!(dc.chars().all(|c| c.is_ascii_alphanumeric()));
    let exp = d["expires_in"].as_str().unwrap();
    let t = httpdate::parse_http_date(exp).unwrap();
    let secs = t
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((595..=600).contains(&secs), "{secs}");
    assert!(exp.ends_with(" GMT"));
    assert_eq!(
        d["verification_uri"],
        format!("{}/v3/oauth2/device?client_id=test-client", s.url())
    );
    assert_eq!(d["client_id"], CID);

    let poll = |dc: &str, cid: &str| {
        tokens_json(
            &s,
            json!({"grant_type": "device_code", "device_code": dc, "client_id": cid}),
            None,
        )
    };
    let (st, v) = poll(dc, CID);
    assert_eq!((st, msg(&v)), (400, "device code not ready."));
    // The code is validated before the client id: a wrong one hears "not ready" too.
    let (st, v) = poll(dc, "other");
    assert_eq!((st, msg(&v)), (400, "device code not ready."));
    assert_eq!(s.pending_user_codes(), vec![uc.to_string()]);
    let (st, v, _) = send(
        http()
            .post(format!("{}/_test/device/approve", s.url()))
            .json(&json!({"user_code": uc, "username": U})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["device_code"], dc);
    let (st, v) = poll(dc, "other");
    assert_eq!(
        (st, msg(&v)),
        (
            400,
            "Client IDs do not match between device code and passed in client_id"
        )
    );
    let (st, v) = poll(dc, CID);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["access_token"]["expires_in"], 2592000);
    let a = jwt::decode_unverified(
        v["result"]["access_token"]["access_token"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a["tapis/grant_type"], "device_code");
    assert!(v["result"]["refresh_token"].is_object());
    let (st, v) = poll(dc, CID);
    assert_eq!((st, msg(&v)), (400, "device code not valid."));
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "device_code", "client_id": CID}),
        None,
    );
    assert_eq!(
        (st, msg(&v)),
        (400, "Required device_code parameter missing.")
    );
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "device_code", "device_code": dc}),
        None,
    );
    assert_eq!(
        (st, msg(&v)),
        (400, "Required client_id parameter missing.")
    );

    // Library approval; the device grant's tokens last 30 days.
    let d = start_device(&s);
    s.approve_device(d["user_code"].as_str().unwrap(), U)
        .unwrap();
    let (_, v) = poll(d["device_code"].as_str().unwrap(), CID);
    assert_eq!(v["result"]["access_token"]["expires_in"], 2_592_000);
    assert!(s.approve_device("nope", U).is_err());

    // Expired after entry; never-entered codes keep saying "not ready".
    s.set_config(ConfigPatch {
        v3_device_code_lifetime: Some(-10),
        ..Default::default()
    });
    let d = start_device(&s);
    let dc = d["device_code"].as_str().unwrap().to_string();
    assert_eq!(msg(&poll(&dc, CID).1), "device code not ready.");
    s.approve_device(d["user_code"].as_str().unwrap(), U)
        .unwrap();
    assert_eq!(
        msg(&poll(&dc, CID).1),
        "device code has expired and is now deleted."
    );
    assert_eq!(msg(&poll(&dc, CID).1), "device code not valid.");
}

#[test]
fn device_code_request_errors() {
    let s = server();
    let url = format!("{}/v3/oauth2/device/code", s.url());
    let (st, v, _) = send(http().post(&url).json(&json!({"client_id": "nope"})));
    assert_eq!((st, msg(&v)), (400, "Invalid client: nope"));
    let (st, _, _) = send(http().post(&url).form(&[("client_id", CID)]));
    assert_eq!(st, 400);
    let (st, _, _) = send(http().post(&url).json(&json!({})));
    assert_eq!(st, 400);
}

fn location(s: &tapis_auth_testserver::TestServer, query: &str) -> (u16, String) {
    let r = http()
        .get(format!("{}/v3/oauth2/authorize?{query}", s.url()))
        .send()
        .unwrap();
    let st = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (st, loc)
}

fn code_of(url: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_string()
}

#[test]
fn authorization_code_flow() {
    let s = server();
    let cb = "http%3A%2F%2F127.0.0.1%2Fcallback";
    let (st, loc) = location(
        &s,
        &format!("client_id={CID}&redirect_uri={cb}&response_type=code&state=xyz&test_user={U}"),
    );
    assert_eq!(st, 302);
    assert!(
        loc.starts_with(&format!("{CALLBACK}?code=")) && loc.ends_with("&state=xyz"),
        "{loc}"
    );
    let code = code_of(&loc);
    assert_eq!(code.len(), 40);
    let ex = |code: &str, redirect: Option<&str>| {
        let mut b = json!({"grant_type": "authorization_code", "code": code});
        if let Some(r) = redirect {
            b["redirect_uri"] = json!(r);
        }
        tokens_json(&s, b, Some((CID, CKEY)))
    };
    let (st, v) = ex(&code, None);
    assert_eq!(
        (st, msg(&v)),
        (400, "Required redirect_uri parameter missing.")
    );
    let (st, v) = ex(&code, Some("http://evil/"));
    assert_eq!(
        (st, msg(&v)),
        (
            400,
            "Invalid redirect_uri parameter: does not match callback URL registered with client."
        )
    );
    let (st, v) = ex(&code, Some(CALLBACK));
    assert_eq!(st, 200, "{v}");
    let a = jwt::decode_unverified(
        v["result"]["access_token"]["access_token"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a["tapis/grant_type"], "authorization_code");
    assert_eq!(a["tapis/redirect_uri"], CALLBACK);
    assert!(v["result"]["refresh_token"].is_object());
    let (st, v) = ex(&code, Some(CALLBACK));
    assert_eq!((st, msg(&v)), (400, "authorization code not valid."));
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "authorization_code", "redirect_uri": CALLBACK}),
        Some((CID, CKEY)),
    );
    assert_eq!(
        (st, msg(&v)),
        (400, "Required authorization_code parameter missing.")
    );

    // Without test_user: a page, no redirect.
    let (st, loc) = location(
        &s,
        &format!("client_id={CID}&redirect_uri={cb}&response_type=code"),
    );
    assert_eq!((st, loc.as_str()), (200, ""));
    // No state: literal "None".
    let (st, url) = location(
        &s,
        &format!("client_id={CID}&redirect_uri={cb}&response_type=code&test_user={U}"),
    );
    assert_eq!(st, 302);
    assert!(url.ends_with("&state=None"), "{url}");
    assert_eq!(ex(&code_of(&url), Some(CALLBACK)).0, 200);
    // An unknown user.
    let (st, _) = location(
        &s,
        &format!("client_id={CID}&redirect_uri={cb}&response_type=code&test_user=nobody"),
    );
    assert_eq!(st, 400);

    // Implicit grant.
    let (st, url) = location(
        &s,
        &format!("client_id={CID}&redirect_uri={cb}&response_type=token&state=s1&test_user={U}"),
    );
    assert_eq!(st, 302);
    assert!(
        url.contains("?access_token=")
            && url.ends_with("&state=s1&expires_in=14400&token_type=Bearer"),
        "{url}"
    );
    // Bad requests.
    let (st, _) = location(
        &s,
        &format!("client_id={CID}&redirect_uri=http%3A%2F%2Fother&response_type=code"),
    );
    assert_eq!(st, 400);
    let (st, _) = location(
        &s,
        &format!("client_id=nope&redirect_uri={cb}&response_type=code"),
    );
    assert_eq!(st, 400);
}

#[test]
fn clients_crud() {
    let s = server();
    s.add_user("bob", "bobpw");
    let at = password_login(&s, false)["access_token"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("{}/v3/oauth2/clients", s.url());
    let (st, v, _) = send(http().get(&url));
    assert_eq!(
        (st, msg(&v)),
        (400, "No Tapis access token found in the request.")
    );
    let (st, v, _) = send(http().get(&url).header("X-Tapis-Token", "bad"));
    assert_eq!((st, msg(&v)), (400, "Invalid Tapis token."));
    let (st, v, _) = send(
        http()
            .post(&url)
            .header("X-Tapis-Token", &at)
            .json(&json!({"callback_url": "http://x/cb", "description": "d"})),
    );
    assert_eq!((st, msg(&v)), (200, "Client created successfully."));
    let c = &v["result"];
    let id = c["client_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 13);
    assert_eq!(c["client_key"].as_str().unwrap().len(), 13);
    assert_eq!(c["owner"], U);
    assert_eq!(c["tenant_id"], "test");
    assert_eq!(c["active"], true);
    assert!(c["create_time"].as_str().unwrap().ends_with(" GMT"));
    let (st, v, _) = send(
        http()
            .post(&url)
            .header("X-Tapis-Token", &at)
            .json(&json!({"client_id": id})),
    );
    assert_eq!(st, 400);
    assert!(msg(&v).starts_with(
        "Invalid POST data; This change would violate uniqueness constraints. Details: "
    ));
    let (st, v, _) = send(http().get(&url).header("X-Tapis-Token", &at));
    assert_eq!((st, msg(&v)), (200, "Clients retrieved successfully."));
    assert_eq!(v["result"].as_array().unwrap().len(), 2);
    let one = format!("{url}/{id}");
    let (st, v, _) = send(http().get(&one).header("X-Tapis-Token", &at));
    assert_eq!(
        (st, msg(&v)),
        (200, "Client object retrieved successfully.")
    );
    let (st, v, _) = send(
        http()
            .get(format!("{url}/nope"))
            .header("X-Tapis-Token", &at),
    );
    assert_eq!((st, msg(&v)), (400, "No client found with id nope."));
    let (_, bob, _) = send(
        http()
            .post(format!("{}/_test/mint", s.url()))
            .json(&json!({"username": "bob"})),
    );
    let bob_at = bob["access_token"]["access_token"].as_str().unwrap();
    let (st, v, _) = send(http().get(&one).header("X-Tapis-Token", bob_at));
    assert_eq!((st, msg(&v)), (400, "Not authorized for this client."));
    let (st, v, _) = send(http().delete(&one).header("X-Tapis-Token", &at));
    assert_eq!(
        (st, msg(&v)),
        (200, "Client status updated to inactive successfully")
    );
    assert_eq!(v["result"]["active"], false);
    let (_, v, _) = send(http().get(&url).header("X-Tapis-Token", &at));
    assert_eq!(v["result"].as_array().unwrap().len(), 1);
    let (_, v, _) = send(
        http()
            .get(format!("{url}?show_inactive=1"))
            .header("X-Tapis-Token", &at),
    );
    assert_eq!(v["result"].as_array().unwrap().len(), 2);
}

#[test]
fn userinfo_and_revoke() {
    let s = server();
    let r = password_login(&s, true);
    let at = r["access_token"]["access_token"].as_str().unwrap();
    let rt = r["refresh_token"]["refresh_token"].as_str().unwrap();
    let ui = format!("{}/v3/oauth2/userinfo", s.url());
    let (st, v, _) = send(http().get(&ui).header("X-Tapis-Token", at));
    assert_eq!((st, msg(&v)), (200, "User profile retrieved successfully."));
    assert_eq!(v["result"]["username"], U);
    let rv = format!("{}/v3/oauth2/tokens/revoke", s.url());
    let (st, v, _) = send(http().post(&rv).json(&json!({"token": at})));
    assert_eq!(st, 200);
    assert_eq!(
        msg(&v),
        format!(
            "Token {} has been revoked.",
            r["access_token"]["jti"].as_str().unwrap()
        )
    );
    assert_eq!(v["result"], "");
    let (st, v, _) = send(http().get(&ui).header("X-Tapis-Token", at));
    assert_eq!((st, msg(&v)), (400, "Invalid Tapis token."));
    let (st, v, _) = send(
        http()
            .get(format!("{}/v3/systems", s.url()))
            .header("X-Tapis-Token", at),
    );
    assert_eq!(st, 401);
    assert_eq!(v, Value::Null);
    // Revoked refresh token cannot refresh.
    assert_eq!(send(http().post(&rv).json(&json!({"token": rt}))).0, 200);
    let (st, v) = tokens_json(
        &s,
        json!({"grant_type": "refresh_token", "refresh_token": rt}),
        Some((CID, CKEY)),
    );
    assert_eq!((st, msg(&v)), (400, "Invalid refresh_token."));
    // Garbage and expired.
    let (st, v, _) = send(http().post(&rv).json(&json!({"token": "garbage"})));
    assert_eq!(st, 400);
    assert!(msg(&v).starts_with("Invalid POST data; could not validate the token: debug data: "));
    let expired = s.mint_v3(U, -10, None);
    let (st, v, _) = send(
        http()
            .post(&rv)
            .json(&json!({"token": expired["access_token"]["access_token"]})),
    );
    assert_eq!(st, 400);
    assert!(msg(&v).starts_with("Invalid POST data; could not validate the token"));
}

#[test]
fn tenants() {
    let s = server();
    let (st, v, _) = send(http().get(format!("{}/v3/tenants", s.url())));
    assert_eq!((st, msg(&v)), (200, "Tenants retrieved successfully."));
    let t = &v["result"][0];
    assert_eq!(t["tenant_id"], "test");
    assert_eq!(t["base_url"], s.url());
    assert_eq!(t["status"], "ACTIVE");
    assert_eq!(t["token_service"], format!("{}/v3/tokens", s.url()));
    assert!(t["public_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(t["public_key"], s.public_key_pem());
    let (st, v, _) = send(http().get(format!("{}/v3/tenants/test", s.url())));
    assert_eq!((st, msg(&v)), (200, "Tenant retrieved successfully."));
    let (st, v, _) = send(http().get(format!("{}/v3/tenants/other", s.url())));
    assert_eq!(
        (st, msg(&v)),
        (400, "No tenant found with tenant_id other.")
    );
    // A sent token is validated: expired fails, valid passes.
    let expired = s.mint_v3(U, -10, None);
    let (st, v, _) = send(http().get(format!("{}/v3/tenants", s.url())).header(
        "X-Tapis-Token",
        expired["access_token"]["access_token"].as_str().unwrap(),
    ));
    assert_eq!((st, msg(&v)), (400, "Invalid Tapis token."));
    let good = s.mint_v3(U, 100, None);
    let (st, _, _) = send(http().get(format!("{}/v3/tenants", s.url())).header(
        "X-Tapis-Token",
        good["access_token"]["access_token"].as_str().unwrap(),
    ));
    assert_eq!(st, 200);
}

#[test]
fn java_style_service_endpoint() {
    let s = server();
    let url = format!("{}/v3/systems", s.url());
    let r = password_login(&s, true);
    let at = r["access_token"]["access_token"].as_str().unwrap();
    let (st, v, _) = send(http().get(&url).header("X-Tapis-Token", at));
    assert_eq!(st, 200);
    assert_eq!(v["status"], "success");
    assert_eq!(v["metadata"], Value::Null);
    let exp = s.mint_v3(U, -3, None);
    let r2 = http()
        .get(&url)
        .header(
            "X-Tapis-Token",
            exp["access_token"]["access_token"].as_str().unwrap(),
        )
        .send()
        .unwrap();
    assert_eq!(r2.status().as_u16(), 401);
    assert!(r2.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r2.text().unwrap();
    assert!(
        text.starts_with("TAPIS_SECURITY_JWT_EXPIRED Exception message: JWT expired at "),
        "{text}"
    );
    assert!(
        text.contains("Allowed clock skew: 0 milliseconds. Claims: iss: "),
        "{text}"
    );
    assert!(text.contains(" sub: testuser@test tapis/tenant_id: test tapis/username: testuser tapis/account_type: user"), "{text}");
    let (st, _, text) = send(http().get(&url).header("X-Tapis-Token", "garbage"));
    assert_eq!(st, 401);
    assert!(text.starts_with("TAPIS_SECURITY_JWT_PARSE_ERROR"));
    let (st, _, text) = send(http().get(&url));
    assert_eq!(st, 401);
    assert!(text.starts_with("TAPIS_SECURITY_MISSING_JWT_INFO"));
    let (st, _, text) = send(http().get(&url).header(
        "X-Tapis-Token",
        r["refresh_token"]["refresh_token"].as_str().unwrap(),
    ));
    assert_eq!(st, 401);
    assert!(text.starts_with("TAPIS_SECURITY_JWT_INVALID_CLAIM"));
    let (st, _, text) = send(
        http()
            .get(&url)
            .header("X-Tapis-Token", at)
            .header("X-Tapis-User", "x"),
    );
    assert_eq!(st, 401);
    assert!(text.starts_with("TAPIS_SECURITY_UNEXPECTED_HEADER"));
    assert_eq!(s.stats().endpoint("v3.systems"), 6);
}

#[test]
fn fresh_key_differs_and_verifies() {
    let s = tapis_auth_testserver::TestServer::start(tapis_auth_testserver::Config {
        fresh_key: true,
        ..Default::default()
    });
    let s2 = server();
    assert_ne!(s.public_key_pem(), s2.public_key_pem());
    let r = password_login(&s, false);
    let tok = r["access_token"]["access_token"].as_str().unwrap();
    assert!(jwt::verify_with_pem(s.public_key_pem(), tok).is_ok());
    assert!(jwt::verify_with_pem(s2.public_key_pem(), tok).is_err());
}
