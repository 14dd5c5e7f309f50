//! OAuth client management.
//!
//! * Tapis v3: `/v3/oauth2/clients` with `X-Tapis-Token` (the session's access token). Create
//!   sends JSON `{client_id?, client_key?, callback_url?, display_name?, description?}`; any
//!   2xx is success (servers answer 200, the spec says 201); DELETE is a soft delete answering
//!   the envelope (or an empty body before 1.3.5). **Client ids are globally unique** across
//!   tenants: use [`distinctive_client_id`].
//! * Agave v2: `/clients/v2` with HTTP Basic `username:password` (the session's in-memory
//!   password). Create is sent as **JSON `{"clientName","description"}`** (the tapis-cli
//!   encoding; the form encoding of agavepy/bash is equivalent), and the result's
//!   `consumerKey` / `consumerSecret` become the client id / key. Read and delete are
//!   `GET`/`DELETE /clients/v2/{clientName}` (an unknown name is `400 "Application not
//!   found"`; a delete of one reports success). There is no update.
//! * Reading one v3 client is `GET /v3/oauth2/clients/{client_id}` (yours only; the answer
//!   carries the key); changing one is `PUT` with JSON `{callback_url?, display_name?}` — the
//!   id, key and description cannot be changed. The browser login needs the client's
//!   `callback_url` to equal its redirect URI, and `PUT` is the only way to set it on an
//!   existing client.

use serde_json::Value;

use super::Pending;
use crate::protocol::{self, str_field, v2, v3, Context, Envelope};
use crate::{Error, HttpRequest, Method, OAuthClient, Platform, Replay, Secret, Session};

/// A client to create. Every field is optional on v3 (the server generates id and key); on v2
/// `client_id` is the client *name* and is required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewClient {
    /// v3 `client_id` (≤ 80 chars, globally unique); v2 `clientName`.
    pub client_id: Option<String>,
    /// v3 `client_key` (≤ 80 chars); ignored on v2.
    pub client_key: Option<Secret>,
    /// v3 `callback_url` (needed by the authorization-code flow).
    pub callback_url: Option<String>,
    /// v3 `display_name` (≤ 50 chars).
    pub display_name: Option<String>,
    /// Description (v3 ≤ 70 chars).
    pub description: Option<String>,
}

/// What [`update_client`] changes on a Tapis v3 client; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientUpdate {
    /// The new `callback_url` (the browser login's redirect URI).
    pub callback_url: Option<String>,
    /// The new `display_name` (≤ 50 chars).
    pub display_name: Option<String>,
}

/// A client id unlikely to collide with anyone else's: the non-empty `parts` (e.g. a prefix,
/// the username, the host name, and caller-supplied random characters — the core has no
/// RNG) joined with `-`, reduced to `[A-Za-z0-9_-]` and cut to 80 characters (the v3 limit).
///
/// ```
/// use tapis_auth_core::flow::clients::distinctive_client_id;
/// assert_eq!(distinctive_client_id(&["tapis-auth", "jdoe", "login1.frontera", "x7Kq2"]),
///            "tapis-auth-jdoe-login1_frontera-x7Kq2");
/// ```
pub fn distinctive_client_id(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect()
}

fn endpoint(
    session: &Session,
    method: Method,
    name: Option<&str>,
    replay: Replay,
) -> Result<HttpRequest, Error> {
    let platform = session.platform();
    let path = match platform {
        Platform::TapisV3 => v3::CLIENTS_PATH,
        Platform::AgaveV2 => v2::CLIENTS_PATH,
    };
    let mut url = url::Url::parse(&session.tenant.base_url.join(path))
        .map_err(|e| Error::Config(e.to_string()))?;
    if let Some(n) = name {
        if n.is_empty() {
            return Err(Error::Config("empty client id".into()));
        }
        url.path_segments_mut()
            .map_err(|()| Error::Config("invalid base URL".into()))?
            .push(n);
    }
    let request = HttpRequest::new(method, url.to_string(), replay);
    match platform {
        Platform::TapisV3 => crate::authorize(session, request),
        Platform::AgaveV2 => {
            let user = session.username.as_deref().filter(|u| !u.is_empty());
            let (Some(user), Some(pw)) = (user, session.password.as_ref()) else {
                return Err(Error::LoginRequired {
                    reason: "Agave v2 client management authenticates with your username and password; supply them".into(),
                });
            };
            Ok(request.header("Authorization", protocol::basic_auth(user, pw)))
        }
    }
}

fn client_from_json(v: &Value, platform: Platform) -> Option<OAuthClient> {
    match platform {
        Platform::TapisV3 => Some(OAuthClient {
            id: str_field(v, &["client_id"])?,
            key: str_field(v, &["client_key"]).map(Secret::new),
            name: str_field(v, &["display_name"]),
            callback_url: str_field(v, &["callback_url"]),
            description: str_field(v, &["description"]),
        }),
        Platform::AgaveV2 => {
            let name = str_field(v, &["name", "clientName"]);
            Some(OAuthClient {
                id: str_field(v, &["consumerKey"]).or_else(|| name.clone())?,
                key: str_field(v, &["consumerSecret"]).map(Secret::new),
                name,
                callback_url: str_field(v, &["callbackUrl"]),
                description: str_field(v, &["description"]),
            })
        }
    }
}

fn parse_envelope_result(
    platform: Platform,
    resp: &crate::HttpResponse,
    secrets: &[Secret],
    expected: &str,
) -> Result<Value, Error> {
    if !resp.is_success() {
        return Err(protocol::classify(
            platform,
            Context::Clients,
            resp,
            &protocol::borrowed(secrets),
        ));
    }
    Envelope::parse(&resp.body)?.into_result(expected)
}

/// Creates an OAuth client. The returned client carries its key (a [`Secret`]).
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::clients::{create_client, NewClient}, BaseUrl,
///     HttpResponse, Platform, Secret, Session, Tenant, TokenSet, UnixTime};
/// let mut s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("jwt"), None, Some(100)));
/// let new = NewClient { client_id: Some("tylers_client".into()), ..Default::default() };
/// let ex = create_client(&s, &new).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(&req.body.as_ref().unwrap().bytes[..], br#"{"client_id":"tylers_client"}"#);
/// let c = ex.finish(UnixTime(0), HttpResponse::new(200, r#"{"message":"Client created successfully.",
///   "metadata":{},"result":{"client_id":"tylers_client","client_key":"3kRdPMv7arpRn"},"status":"success","version":"26Q1.0"}"#)).unwrap();
/// assert_eq!(c.key.unwrap().expose(), "3kRdPMv7arpRn");
/// ```
pub fn create_client(session: &Session, new: &NewClient) -> Result<Pending<OAuthClient>, Error> {
    let platform = session.platform();
    let req = endpoint(session, Method::Post, None, Replay::OnlyIfNotSent)?;
    let req = match platform {
        Platform::TapisV3 => protocol::with_json(
            req,
            &[
                ("client_id", new.client_id.as_deref()),
                ("client_key", new.client_key.as_ref().map(Secret::expose)),
                ("callback_url", new.callback_url.as_deref()),
                ("display_name", new.display_name.as_deref()),
                ("description", new.description.as_deref()),
            ],
        ),
        Platform::AgaveV2 => {
            let name = new
                .client_id
                .as_deref()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    Error::Config(
                        "creating an Agave v2 client needs a client name (NewClient::client_id)"
                            .into(),
                    )
                })?;
            protocol::with_json(
                req,
                &[
                    ("clientName", Some(name)),
                    (
                        "description",
                        Some(new.description.as_deref().unwrap_or("")),
                    ),
                ],
            )
        }
    };
    let mut secrets = protocol::owned_secrets(&session.secrets());
    secrets.extend(new.client_key.iter().cloned());
    Ok(Pending::new(req, move |_now, resp| {
        let result = parse_envelope_result(platform, &resp, &secrets, "the created client")?;
        let client = client_from_json(&result, platform).ok_or_else(|| Error::Malformed {
            expected: "a client with an id".into(),
            detail: "the client id (client_id / consumerKey) is missing".into(),
        })?;
        if platform == Platform::AgaveV2 && !client.is_confidential() {
            return Err(Error::Malformed {
                expected: "result.consumerKey and result.consumerSecret".into(),
                detail: "the created client has no consumerKey or consumerSecret".into(),
            });
        }
        Ok(client)
    }))
}

/// Lists the caller's OAuth clients (v3: active ones; v2: ids may be the client names when
/// the listing has no `consumerKey`).
pub fn list_clients(session: &Session) -> Result<Pending<Vec<OAuthClient>>, Error> {
    let platform = session.platform();
    let req = endpoint(session, Method::Get, None, Replay::Safe)?;
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(req, move |_now, resp| {
        let result = parse_envelope_result(platform, &resp, &secrets, "a list of clients")?;
        let Value::Array(items) = result else {
            return Err(Error::Malformed {
                expected: "a list of clients".into(),
                detail: "result is not an array".into(),
            });
        };
        Ok(items
            .iter()
            .filter_map(|v| client_from_json(v, platform))
            .collect())
    }))
}

/// Deletes a client: v3 by `client_id` (a soft delete), v2 by client name. Any 2xx is success,
/// with or without a body.
pub fn delete_client(session: &Session, id: &str) -> Result<Pending<()>, Error> {
    let platform = session.platform();
    let req = endpoint(session, Method::Delete, Some(id), Replay::Safe)?;
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(req, move |_now, resp| {
        if resp.is_success() {
            Ok(())
        } else {
            Err(protocol::classify(
                platform,
                Context::Clients,
                &resp,
                &protocol::borrowed(&secrets),
            ))
        }
    }))
}

fn one_client(
    platform: Platform,
    secrets: &[Secret],
    resp: &crate::HttpResponse,
) -> Result<OAuthClient, Error> {
    let result = parse_envelope_result(platform, resp, secrets, "a client")?;
    client_from_json(&result, platform).ok_or_else(|| Error::Malformed {
        expected: "a client with an id".into(),
        detail: "the client id (client_id / consumerKey / name) is missing".into(),
    })
}

/// Reads one of your clients: v3 by `client_id` (the answer carries its key, as a
/// [`Secret`]), v2 by client name (no secret in the answer).
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::clients::get_client, BaseUrl, HttpResponse,
///     Method, Platform, Secret, Session, Tenant, TokenSet, UnixTime};
/// let mut s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("jwt"), None, Some(100)));
/// let ex = get_client(&s, "my client").unwrap();
/// let req = ex.request().clone();
/// assert_eq!((req.method, req.url.as_str()), (Method::Get, "https://tacc.tapis.io/v3/oauth2/clients/my%20client"));
/// let c = ex.finish(UnixTime(0), HttpResponse::new(200, r#"{"result":{"client_id":"my client",
///   "client_key":"k","callback_url":"http://127.0.0.1:8765/callback"},"status":"success",
///   "message":"Client object retrieved successfully.","version":"1.6.0","metadata":{}}"#)).unwrap();
/// assert_eq!(c.callback_url.as_deref(), Some("http://127.0.0.1:8765/callback"));
/// ```
pub fn get_client(session: &Session, id: &str) -> Result<Pending<OAuthClient>, Error> {
    let platform = session.platform();
    let req = endpoint(session, Method::Get, Some(id), Replay::Safe)?;
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(req, move |_now, resp| {
        one_client(platform, &secrets, &resp)
    }))
}

/// Changes a Tapis v3 client's callback URL and/or display name (`PUT`); returns the client
/// as the server now has it. Agave v2 clients cannot be changed: [`Error::Unsupported`].
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::clients::{update_client, ClientUpdate}, BaseUrl,
///     HttpResponse, Method, Platform, Secret, Session, Tenant, TokenSet, UnixTime};
/// let mut s = Session::new("p", Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3));
/// s.tokens = Some(TokenSet::new(UnixTime(0), Secret::new("jwt"), None, Some(100)));
/// let u = ClientUpdate { callback_url: Some("http://127.0.0.1:8765/callback".into()), ..Default::default() };
/// let ex = update_client(&s, "c1", &u).unwrap();
/// let req = ex.request().clone();
/// assert_eq!(req.method, Method::Put);
/// assert_eq!(&req.body.as_ref().unwrap().bytes[..], br#"{"callback_url":"http://127.0.0.1:8765/callback"}"#);
/// ```
pub fn update_client(
    session: &Session,
    id: &str,
    update: &ClientUpdate,
) -> Result<Pending<OAuthClient>, Error> {
    let platform = session.platform();
    if platform == Platform::AgaveV2 {
        return Err(Error::Unsupported {
            message: "Agave v2 OAuth clients cannot be changed (the clients service has no update); create a new one".into(),
            status: None,
        });
    }
    if update.callback_url.is_none() && update.display_name.is_none() {
        return Err(Error::Config(
            "nothing to change: give a callback URL or a display name".into(),
        ));
    }
    let req = endpoint(session, Method::Put, Some(id), Replay::Safe)?;
    let req = protocol::with_json(
        req,
        &[
            ("callback_url", update.callback_url.as_deref()),
            ("display_name", update.display_name.as_deref()),
        ],
    );
    let secrets = protocol::owned_secrets(&session.secrets());
    Ok(Pending::new(req, move |_now, resp| {
        one_client(platform, &secrets, &resp)
    }))
}
