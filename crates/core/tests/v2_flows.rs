//! Agave v2 transcripts (agave-v2.md): form bodies, Basic headers, URLs and the WSO2 shapes.

mod common;
use common::*;
use tapis_auth_core::flow::{
    clients, device::DeviceFlow, password, refresh, revoke, tenants, userinfo,
};
use tapis_auth_core::{
    authorize, classify_service_response, Error, HttpRequest, HttpResponse, Method, OAuthClient,
    Platform, Replay, Secret, ServiceVerdict, UnixTime,
};

const V2: Platform = Platform::AgaveV2;

#[test]
fn password_grant_is_form_with_basic_key_secret() {
    let s = session(V2);
    let req = sent(&password::password_grant(&s).unwrap());
    assert_eq!(req.url, "https://api.tacc.utexas.edu/token");
    assert_eq!(req.replay, Replay::OnlyIfNotSent);
    assert_eq!(
        req.body.as_ref().unwrap().content_type,
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        body(&req),
        "grant_type=password&username=testuser&password=pa55-w0rd%21&scope=PRODUCTION"
    );
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("cid", CLIENT_KEY).as_str())
    );
    let t = run(
        password::password_grant(&s).unwrap(),
        1000,
        HttpResponse::new(200, V2_TOKEN_OK),
    )
    .unwrap();
    assert_eq!(t.access_token.expose(), "abc1236eb2c917a4c5796eb1cc2c6f");
    assert_eq!(t.expires_at, Some(UnixTime(15_400)));
    assert_eq!(t.token_type.as_deref(), Some("bearer"));
    let mut s = session(V2);
    s.client = None;
    assert!(matches!(
        password::password_grant(&s),
        Err(Error::Config(_))
    ));
}

#[test]
fn refresh_grant_is_form_and_any_400_401_is_rejected() {
    let s = session(V2);
    let req = sent(&refresh::refresh(&s).unwrap());
    assert_eq!(req.url, "https://api.tacc.utexas.edu/token");
    assert_eq!(
        body(&req),
        format!("grant_type=refresh_token&refresh_token={REFRESH}&scope=PRODUCTION")
    );
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("cid", CLIENT_KEY).as_str())
    );
    let second = r#"{"access_token":"abc1235418ffce0da7fbdcb193d0ef","expires_in":3600,"refresh_token":"abc123524638e9d7ed0c3adcd3e99d5","scope":"default","token_type":"Bearer"}"#;
    let t = run(
        refresh::refresh(&s).unwrap(),
        0,
        HttpResponse::new(200, second),
    )
    .unwrap();
    assert_eq!(t.expires_at, Some(UnixTime(3600)));
    assert_eq!(t.scope.as_deref(), Some("default"));
    for (st, b) in [
        (
            400,
            r#"{"error":"invalid_grant","error_description":"Persisted access token data not found"}"#,
        ),
        (
            401,
            r#"{"error":"invalid_client","error_description":"Client Authentication failed."}"#,
        ),
        (400, ""),
        (401, "<html>nope</html>"),
    ] {
        let e = run(refresh::refresh(&s).unwrap(), 0, HttpResponse::new(st, b)).unwrap_err();
        assert!(
            matches!(e, Error::RefreshRejected { .. }),
            "{st} {b}: {e:?}"
        );
    }
    let e = run(
        refresh::refresh(&s).unwrap(),
        0,
        HttpResponse::new(503, "down"),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Server { status: 503, .. }) && e.is_retryable());
}

#[test]
fn token_url_keeps_prefix_and_single_slash() {
    let mut s = session(V2);
    s.tenant.base_url = tapis_auth_core::BaseUrl::parse("https://host/prefix/").unwrap();
    assert_eq!(
        sent(&refresh::refresh(&s).unwrap()).url,
        "https://host/prefix/token"
    );
}

#[test]
fn v2_token_response_variants() {
    let s = session(V2);
    let r = |b: &str| {
        run(
            password::password_grant(&s).unwrap(),
            0,
            HttpResponse::new(200, b.to_owned()),
        )
    };
    assert!(
        r(r#"{"access_token":"a","expires_in":"14400","token_type":"BEARER"}"#)
            .unwrap()
            .refresh_token
            .is_none()
    );
    assert!(matches!(
        r(r#"{"access_token":"a","token_type":"mac"}"#),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        r(r#"{"access_token":""}"#),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(r("not json"), Err(Error::Malformed { .. })));
}

#[test]
fn password_grant_errors() {
    let s = session(V2);
    let r = |st, b: &str| {
        run(
            password::password_grant(&s).unwrap(),
            0,
            HttpResponse::new(st, b.to_owned()),
        )
        .unwrap_err()
    };
    assert!(matches!(
        r(
            400,
            r#"{"error":"invalid_grant","error_description":"Authentication failed for testuser"}"#
        ),
        Error::InvalidCredentials { .. }
    ));
    assert!(matches!(
        r(
            401,
            r#"{"error":"invalid_client","error_description":"Client Authentication failed."}"#
        ),
        Error::InvalidClient { .. }
    ));
    assert!(matches!(
        r(400, r#"{"error":"unsupported_grant_type"}"#),
        Error::Unsupported {
            status: Some(400),
            ..
        }
    ));
    for code in ["invalid_request", "invalid_scope"] {
        let e = r(
            400,
            &format!(r#"{{"error":"{code}","error_description":"x"}}"#),
        );
        assert!(
            matches!(e, Error::RequestRefused { ref message, status: Some(400) } if message.contains(code)),
            "{e:?}"
        );
    }
    assert!(matches!(r(400, ""), Error::InvalidCredentials { .. }));
    assert!(matches!(r(401, ""), Error::InvalidClient { .. }));
}

#[test]
fn gateway_faults_xml_and_json() {
    let xml = |c: &str| {
        format!(
            r#"<ams:fault xmlns:ams="http://wso2.org/apimanager/security"><ams:code>{c}</ams:code><ams:message>Invalid Credentials</ams:message><ams:description>Access failure for API: /profiles/v2, version: v2</ams:description></ams:fault>"#
        )
    };
    let json = |c: &str| {
        format!(
            r#"{{"fault":{{"code":{c},"message":"Invalid Credentials","description":"Access failure for API: /profiles/v2, version: v2. Make sure your have given the correct access token"}}}}"#
        )
    };
    for body in [xml as fn(&str) -> String, json] {
        for code in ["900901", "900903", "900904"] {
            let v = classify_service_response(V2, &HttpResponse::new(401, body(code)));
            assert!(matches!(v, ServiceVerdict::RefreshAndRetry), "{code}");
        }
        match classify_service_response(V2, &HttpResponse::new(401, body("900902"))) {
            ServiceVerdict::Failed(Error::LoginRequired { .. }) => {}
            other => panic!("{other:?}"),
        }
        match classify_service_response(V2, &HttpResponse::new(403, body("900908"))) {
            ServiceVerdict::Failed(Error::Server { status: 403, .. }) => {}
            other => panic!("{other:?}"),
        }
        match classify_service_response(V2, &HttpResponse::new(401, body("123"))) {
            ServiceVerdict::Failed(Error::Server { status: 401, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    // The code as a JSON string also works.
    let v = classify_service_response(
        V2,
        &HttpResponse::new(
            401,
            r#"{"fault":{"code":"900903","message":"Access Token Expired"}}"#,
        ),
    );
    assert!(matches!(v, ServiceVerdict::RefreshAndRetry));
    let env = r#"{"status":"error","message":"File not found","version":"2.2.27","result":null}"#;
    assert!(matches!(
        classify_service_response(V2, &HttpResponse::new(404, env)),
        ServiceVerdict::Failed(Error::Server { status: 404, .. })
    ));
}

#[test]
fn authorize_uses_bearer() {
    let s = session(V2);
    let out = authorize(
        &s,
        HttpRequest::new(
            Method::Get,
            "https://api.tacc.utexas.edu/files/v2/",
            Replay::Safe,
        )
        .header("X-Tapis-Token", "x"),
    )
    .unwrap();
    assert_eq!(
        out.header_value("Authorization"),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    assert_eq!(out.header_value("X-Tapis-Token"), None);
}

#[test]
fn tenants_listing() {
    let ex = tenants::list_tenants(tenants::DEFAULT_V2_TENANTS_URL, V2).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://api.tacc.utexas.edu/tenants");
    assert!(req.headers.is_empty());
    let body = r#"{"status":"success","message":"","version":"2.x",
   "result":[{"id":"42","name":"VDJServer","baseUrl":"https://vdj-agave-api.tacc.utexas.edu/","code":"vdjserver.org",
              "contact":[{"name":"x","email":"y","url":"","type":"admin","primary":true}]},
             {"id":"1","name":"TACC","baseUrl":"https://api.tacc.utexas.edu/","code":"tacc.prod"}]}"#;
    let list = ex
        .finish(UnixTime(0), HttpResponse::new(200, body))
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id.as_deref(), Some("vdjserver.org"));
    assert_eq!(list[0].name.as_deref(), Some("VDJServer"));
    assert_eq!(list[0].platform, V2);
    assert_eq!(
        tenants::resolve(&list, "TACC.PROD")
            .unwrap()
            .base_url
            .as_str(),
        "https://api.tacc.utexas.edu"
    );
    assert_eq!(
        tenants::resolve(&list, "https://api.tacc.utexas.edu")
            .unwrap()
            .id
            .as_deref(),
        Some("tacc.prod")
    );
    assert!(matches!(
        tenants::get_tenant("https://api.tacc.utexas.edu", V2, "tacc.prod"),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn clients_use_basic_username_password() {
    let s = session(V2);
    let new = clients::NewClient {
        client_id: Some("_cli-tacc.prod-testuser-myhost".into()),
        description: Some("Generated by x@y".into()),
        ..Default::default()
    };
    let ex = clients::create_client(&s, &new).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://api.tacc.utexas.edu/clients/v2");
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("testuser", PASSWORD).as_str())
    );
    assert_eq!(
        body(&req),
        r#"{"clientName":"_cli-tacc.prod-testuser-myhost","description":"Generated by x@y"}"#
    );
    let created = r#"{"status":"success","message":"Client created successfully.","version":"2.x",
 "result":{"_links":{"self":{"href":"https://agave.iplantc.org/clients/v2/my_client"}},
           "callbackUrl":"","consumerKey":"fMYfhijQE8fauxkeyGH4D5sngh","consumerSecret":"8FZ6K9Qwfauxsecretcyi4oaEkMa",
           "description":"Client used for app development","name":"my_client","tier":"Unlimited"}}"#;
    let c = run(
        clients::create_client(&s, &new).unwrap(),
        0,
        HttpResponse::new(201, created),
    )
    .unwrap();
    assert_eq!(c.id, "fMYfhijQE8fauxkeyGH4D5sngh");
    assert_eq!(
        c.key.as_ref().unwrap().expose(),
        "8FZ6K9Qwfauxsecretcyi4oaEkMa"
    );
    assert_eq!(c.name.as_deref(), Some("my_client"));
    let no_secret = created.replace("\"consumerSecret\":\"8FZ6K9Qwfauxsecretcyi4oaEkMa\",", "");
    assert!(matches!(
        run(
            clients::create_client(&s, &new).unwrap(),
            0,
            HttpResponse::new(200, no_secret)
        ),
        Err(Error::Malformed { .. })
    ));
    let ex = clients::delete_client(&s, "my_client").unwrap();
    let req = sent(&ex);
    assert_eq!(
        (req.method, req.url.as_str()),
        (
            Method::Delete,
            "https://api.tacc.utexas.edu/clients/v2/my_client"
        )
    );
    let list = r#"{"status":"success","message":"","version":"2.x","result":[{"name":"my_client","description":"d"}]}"#;
    let l = run(
        clients::list_clients(&s).unwrap(),
        0,
        HttpResponse::new(200, list),
    )
    .unwrap();
    assert_eq!(l[0].id, "my_client");
    assert!(l[0].key.is_none());
    let mut nopw = session(V2);
    nopw.password = None;
    assert!(matches!(
        clients::list_clients(&nopw),
        Err(Error::LoginRequired { .. })
    ));
}

#[test]
fn profile_and_revoke() {
    let s = session(V2);
    let ex = userinfo::userinfo(&s).unwrap();
    let req = sent(&ex);
    assert_eq!(req.url, "https://api.tacc.utexas.edu/profiles/v2/me");
    assert_eq!(
        req.header_value("Authorization"),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    let body = r#"{"status":"success","message":"","version":"2.x","result":{"first_name":"Ann","last_name":"B","full_name":"Ann B","email":"a@b","username":"testuser","create_time":"20140515180317Z"}}"#;
    let u = run(
        userinfo::userinfo(&s).unwrap(),
        0,
        HttpResponse::new(200, body),
    )
    .unwrap();
    assert_eq!(
        (u.username.as_str(), u.first_name.as_deref()),
        ("testuser", Some("Ann"))
    );

    let tok = Secret::new(ACCESS);
    let req = sent(&revoke::revoke(&s, &tok).unwrap());
    assert_eq!(req.url, "https://api.tacc.utexas.edu/revoke");
    assert_eq!(body_of(&req), format!("token={ACCESS}"));
    assert_eq!(
        req.header_value("Authorization"),
        Some(basic("cid", CLIENT_KEY).as_str())
    );
    assert!(run(
        revoke::revoke(&s, &tok).unwrap(),
        0,
        HttpResponse::new(200, "")
    )
    .is_ok());
    let e = run(
        revoke::revoke(&s, &tok).unwrap(),
        0,
        HttpResponse::new(400, r#"{"status":"error","message":"null","result": null}"#),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Server { status: 400, .. }));
    let mut s2 = session(V2);
    s2.client = Some(OAuthClient::public("cid"));
    assert!(matches!(revoke::revoke(&s2, &tok), Err(Error::Config(_))));
}

fn body_of(r: &HttpRequest) -> String {
    body(r)
}

/// What Agave v2 does not offer is `Unsupported` (not a setting to fix): changing a client.
#[test]
fn no_client_update_on_v2() {
    let u = clients::ClientUpdate {
        display_name: Some("x".into()),
        ..Default::default()
    };
    let e = clients::update_client(&session(V2), "c", &u).err().unwrap();
    assert!(
        matches!(e, Error::Unsupported { ref message, status: None } if message.contains("cannot be changed")),
        "{e:?}"
    );
    assert_eq!(e.http_status(), None);
}

#[test]
fn no_device_flow_on_v2() {
    let e = DeviceFlow::new(&session(V2).tenant, "cid", 5).unwrap_err();
    assert!(
        matches!(e, Error::Unsupported { ref message, status: None } if message.contains("Agave v2"))
    );
}
