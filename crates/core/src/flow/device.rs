//! The Tapis v3 device-code login (RFC 8628-like, not conformant). Agave v2 has no device flow.
//!
//! 1. `POST {base}/v3/oauth2/device/code`, JSON `{"client_id":".."}`, no authentication. The
//!    result carries `device_code`, `user_code` (case-sensitive), `verification_uri` and
//!    `expires_in` — an **HTTP-date, i.e. an absolute expiry** (fallback `now + 600 s` when it
//!    is not parseable; an integer is taken as seconds from now).
//! 2. [`Action::Prompt`] once: the user opens `verification_uri` and types `user_code`.
//! 3. Poll `POST {base}/v3/oauth2/tokens`, JSON
//!    `{"grant_type":"device_code","device_code":"..","client_id":".."}` (JSON only, no Basic).
//!    `"device code not ready."` ⇒ [`Action::WaitUntil`] `now + interval`, then poll again.
//!
//! The flow enforces its own deadline: a code the user never entered keeps answering "not
//! ready" after it expired, so once the deadline passes the flow ends with
//! [`Error::DeviceCodeExpired`]. `"device code has expired and is now deleted."` ⇒
//! [`Error::DeviceCodeExpired`]; `"device code not valid."`, a client-id mismatch or a missing
//! parameter ⇒ [`Error::LoginFailed`].

use crate::protocol::{self, v3, Context, Envelope};
use crate::{
    Action, BaseUrl, DevicePrompt, Error, Flow, HttpRequest, HttpResponse, Method, Platform,
    Replay, Secret, Tenant, TokenSet, UnixTime,
};

/// Default seconds between polls (Tapis sends no `interval`).
pub const DEFAULT_POLL_INTERVAL_SECS: i64 = 5;
/// Lifetime assumed when the server's `expires_in` cannot be parsed.
pub const FALLBACK_LIFETIME_SECS: i64 = 600;

#[derive(Debug)]
enum State {
    Start,
    AwaitingCode,
    ShowPrompt,
    ReadyToPoll,
    AwaitingToken,
    Waiting(UnixTime),
    Done(Box<TokenSet>),
    Finished,
}

/// The longest `user_code` accepted (Tapis sends 8 characters).
pub const MAX_USER_CODE_CHARS: usize = 64;
/// The longest `verification_uri` accepted.
pub const MAX_VERIFICATION_URI_CHARS: usize = 2048;

/// Checks what the server wants shown to the user, before it is shown (and drawn as a QR
/// code): the `user_code` is 1 to [`MAX_USER_CODE_CHARS`] visible ASCII characters; the
/// `verification_uri` is visible ASCII, at most [`MAX_VERIFICATION_URI_CHARS`] long, and an
/// `https://` URL (`http://` only to a loopback host). Terminal escapes (an OSC 52 clipboard
/// write, cursor moves) and `javascript:` or `data:` URIs are [`Error::Malformed`].
fn check_prompt(user_code: &str, verification_uri: &str) -> Result<(), Error> {
    const SHAPE: &str = "a user_code and an https verification_uri of visible ASCII";
    let visible = |s: &str| s.bytes().all(|b| (b'!'..=b'~').contains(&b));
    let bad = |detail: &str| Error::Malformed {
        expected: SHAPE.into(),
        detail: detail.into(),
    };
    if user_code.is_empty() || user_code.len() > MAX_USER_CODE_CHARS || !visible(user_code) {
        return Err(bad(
            "the user_code is empty, too long, or holds characters other than visible ASCII",
        ));
    }
    if verification_uri.len() > MAX_VERIFICATION_URI_CHARS || !visible(verification_uri) {
        return Err(bad(
            "the verification_uri is too long, or holds characters other than visible ASCII",
        ));
    }
    let url = BaseUrl::parse(verification_uri)
        .map_err(|_| bad("the verification_uri is not an http(s) URL"))?;
    if !url.is_https() && !url.is_loopback() {
        return Err(bad(
            "the verification_uri is not https:// (plain http:// only to this machine)",
        ));
    }
    Ok(())
}

/// The device-code flow as a [`Flow`] producing a [`TokenSet`].
///
/// # Example
/// ```
/// use tapis_auth_core::{flow::device::DeviceFlow, Action, BaseUrl, Flow, HttpResponse, Platform, Tenant, UnixTime};
/// let tenant = Tenant::new(BaseUrl::parse("https://tacc.tapis.io").unwrap(), Platform::TapisV3);
/// let mut f = DeviceFlow::new(&tenant, "tylers_client", 5).unwrap();
/// let Action::Send(req) = f.poll(UnixTime(0)).unwrap() else { unreachable!() };
/// assert_eq!(req.url, "https://tacc.tapis.io/v3/oauth2/device/code");
/// f.handle_response(UnixTime(0), HttpResponse::new(200, r#"{"message":"Token created successfully.","metadata":{},
///   "result":{"client_id":"tylers_client","device_code":"0vfjUOsDvgdQWJRBWcCJEVxnOqwxr1FbnPdXnw4Z",
///   "expires_in":"Mon, 06 Apr 2026 10:27:50 GMT","user_code":"GyiUVrMh",
///   "verification_uri":"https://tacc.tapis.io/v3/oauth2/device?client_id=tylers_client"},
///   "status":"success","version":"26Q1.0"}"#)).unwrap();
/// let Action::Prompt(p) = f.poll(UnixTime(0)).unwrap() else { unreachable!() };
/// assert_eq!(p.user_code, "GyiUVrMh");
/// let Action::Send(poll) = f.poll(UnixTime(0)).unwrap() else { unreachable!() };
/// f.handle_response(UnixTime(0), HttpResponse::new(400, r#"{"result":null,"status":"error",
///   "message":"device code not ready.","version":"1.6.0","metadata":{}}"#)).unwrap();
/// assert!(matches!(f.poll(UnixTime(0)).unwrap(), Action::WaitUntil(UnixTime(5))));
/// ```
#[derive(Debug)]
pub struct DeviceFlow {
    base: BaseUrl,
    client_id: String,
    interval: i64,
    state: State,
    device_code: Option<Secret>,
    prompt: Option<DevicePrompt>,
}

impl DeviceFlow {
    /// A device flow for `client_id` on a Tapis v3 tenant, polling every
    /// `poll_interval_secs` (values below 1 become [`DEFAULT_POLL_INTERVAL_SECS`]).
    /// Agave v2 tenants give [`Error::Unsupported`]; an empty client id, [`Error::Config`].
    pub fn new(tenant: &Tenant, client_id: &str, poll_interval_secs: i64) -> Result<Self, Error> {
        if tenant.platform != Platform::TapisV3 {
            return Err(Error::Unsupported {
                message:
                    "Agave v2 has no device-code flow; log in with a username and password instead"
                        .into(),
                status: None,
            });
        }
        if client_id.is_empty() {
            return Err(Error::Config(
                "the device-code flow needs an OAuth client id".into(),
            ));
        }
        Ok(Self {
            base: tenant.base_url.clone(),
            client_id: client_id.to_owned(),
            interval: if poll_interval_secs < 1 {
                DEFAULT_POLL_INTERVAL_SECS
            } else {
                poll_interval_secs
            },
            state: State::Start,
            device_code: None,
            prompt: None,
        })
    }

    /// What the user must see, once the device code has been obtained.
    pub fn prompt(&self) -> Option<&DevicePrompt> {
        self.prompt.as_ref()
    }

    /// The client-side deadline (the device code's absolute expiry), once known.
    pub fn deadline(&self) -> Option<UnixTime> {
        self.prompt.as_ref().map(|p| p.expires_at)
    }

    /// Seconds between polls.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// True once the flow produced its tokens or failed for good.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    fn code_request(&self) -> HttpRequest {
        protocol::with_json(
            HttpRequest::new(
                Method::Post,
                self.base.join(v3::DEVICE_CODE_PATH),
                Replay::OnlyIfNotSent,
            ),
            &[("client_id", Some(&self.client_id))],
        )
    }

    fn token_request(&self) -> Result<HttpRequest, Error> {
        let code = self
            .device_code
            .as_ref()
            .ok_or(Error::ApiMisuse("no device code yet"))?;
        Ok(v3::token_request(
            &self.base,
            &[
                ("grant_type", Some("device_code")),
                ("device_code", Some(code.expose())),
                ("client_id", Some(&self.client_id)),
            ],
            None,
        ))
    }

    fn secrets(&self) -> Vec<&Secret> {
        self.device_code.iter().collect()
    }

    fn start(&mut self, now: UnixTime, resp: &HttpResponse) -> Result<(), Error> {
        if !resp.is_success() {
            return Err(protocol::classify(
                Platform::TapisV3,
                Context::DeviceCode,
                resp,
                &[],
            ));
        }
        const SHAPE: &str =
            "a device-code result {device_code, user_code, verification_uri, expires_in}";
        let result = Envelope::parse(&resp.body)?.into_result(SHAPE)?;
        let field = |name: &str| protocol::str_field(&result, &[name]);
        let missing = |name: &str| Error::Malformed {
            expected: SHAPE.into(),
            detail: format!("{name} is missing"),
        };
        let device_code = field("device_code").ok_or_else(|| missing("device_code"))?;
        let user_code = field("user_code").ok_or_else(|| missing("user_code"))?;
        let verification_uri =
            field("verification_uri").ok_or_else(|| missing("verification_uri"))?;
        check_prompt(&user_code, &verification_uri)?;
        // An HTTP-date, else seconds from now (a number or a numeric string).
        let expires_in = result.get("expires_in");
        let expires_at = expires_in
            .and_then(serde_json::Value::as_str)
            .and_then(UnixTime::from_http_date)
            .or_else(|| protocol::lenient_i64(expires_in).map(|n| now.plus(n)))
            .unwrap_or_else(|| now.plus(FALLBACK_LIFETIME_SECS));
        self.device_code = Some(Secret::new(device_code));
        self.prompt = Some(DevicePrompt {
            user_code,
            verification_uri,
            expires_at,
        });
        self.state = State::ShowPrompt;
        Ok(())
    }

    /// After the token request got no usable answer (a transport error, which the flow never
    /// sees, or a retryable server error), goes back to waiting: the device code stays good
    /// until its deadline, so the login need not start over. Returns the next poll instant,
    /// or `None` when no token request was outstanding (nothing changes then).
    pub fn retry_later(&mut self, now: UnixTime) -> Option<UnixTime> {
        match self.state {
            State::AwaitingToken | State::Waiting(_) => {
                let next = self.next_poll_after(now);
                self.state = State::Waiting(next);
                Some(next)
            }
            _ => None,
        }
    }

    fn next_poll_after(&self, now: UnixTime) -> UnixTime {
        let deadline = self.deadline().unwrap_or(now);
        now.plus(self.interval).min(deadline)
    }

    fn poll_token(&mut self, now: UnixTime) -> Result<Action<TokenSet>, Error> {
        let deadline = self
            .deadline()
            .ok_or(Error::ApiMisuse("no device code yet"))?;
        if now >= deadline {
            self.state = State::Finished;
            return Err(Error::DeviceCodeExpired);
        }
        let req = self.token_request()?;
        self.state = State::AwaitingToken;
        Ok(Action::Send(req))
    }
}

impl Flow for DeviceFlow {
    type Output = TokenSet;

    fn poll(&mut self, now: UnixTime) -> Result<Action<TokenSet>, Error> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Start => {
                self.state = State::AwaitingCode;
                Ok(Action::Send(self.code_request()))
            }
            s @ (State::AwaitingCode | State::AwaitingToken) => {
                self.state = s;
                Err(Error::ApiMisuse(
                    "poll called while a response is outstanding",
                ))
            }
            State::ShowPrompt => {
                self.state = State::ReadyToPoll;
                let p = self.prompt.clone().ok_or(Error::ApiMisuse("no prompt"))?;
                Ok(Action::Prompt(p))
            }
            State::ReadyToPoll => self.poll_token(now),
            State::Waiting(until) if now < until => {
                self.state = State::Waiting(until);
                Ok(Action::WaitUntil(until))
            }
            State::Waiting(_) => self.poll_token(now),
            State::Done(t) => Ok(Action::Done(*t)),
            State::Finished => Err(Error::ApiMisuse(
                "poll called after the device flow finished",
            )),
        }
    }

    fn handle_response(&mut self, now: UnixTime, response: HttpResponse) -> Result<(), Error> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::AwaitingCode => self.start(now, &response),
            State::AwaitingToken => {
                let secrets = self.secrets();
                match protocol::token_response(
                    Platform::TapisV3,
                    Context::DeviceGrant,
                    now,
                    &response,
                    &secrets,
                ) {
                    Ok(t) => {
                        self.state = State::Done(Box::new(t));
                        Ok(())
                    }
                    Err(Error::AuthorizationPending) => {
                        self.state = State::Waiting(self.next_poll_after(now));
                        Ok(())
                    }
                    // A passing server failure (5xx, 429): reported, but the flow can go on
                    // polling until the code's deadline.
                    Err(e) if e.is_retryable() => {
                        self.state = State::Waiting(self.next_poll_after(now));
                        Err(e)
                    }
                    Err(e) => Err(e),
                }
            }
            s => {
                self.state = s;
                Err(Error::ApiMisuse(
                    "handle_response called without an outstanding request",
                ))
            }
        }
    }
}
