//! Logging in: password, device code (start + poll, for terminals without a browser and for
//! C/Fortran callers that print the code themselves) and browser (authorization code with a
//! one-shot redirect listener on 127.0.0.1). Each saves the new session under the profile and
//! makes it current.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tapis_auth_core::flow::auth_code::AuthCodeFlow;
use tapis_auth_core::flow::clients::{self, NewClient};
use tapis_auth_core::flow::device::DeviceFlow;
use tapis_auth_core::flow::password;
use tapis_auth_core::{
    Action, DevicePrompt, Error, Flow, OAuthClient, Platform, Session, TokenSet, Transport,
    UnixTime,
};

use crate::random::random_hex;
use crate::session::AuthSession;

/// How long a device login may take at most unless the caller says otherwise (the Tapis device
/// code itself lives 600 s).
pub const DEFAULT_DEVICE_TIMEOUT_SECS: i64 = 900;

impl AuthSession {
    /// Logs in with username and password. When no OAuth client is given and `create_client`
    /// is set, creates one (v3: with a first client-less token; v2: with the password) so that
    /// the session can refresh. Saves the session under the profile and makes it current
    /// (unless [`Options::make_current`](crate::Options::make_current) is false).
    pub fn login_password(&self, create_client: bool) -> Result<Session, Error> {
        let o = self.options();
        let username = o
            .username
            .clone()
            .ok_or_else(|| Error::Config("password login needs a username".into()))?;
        let pw = o
            .password
            .clone()
            .ok_or_else(|| Error::Config("password login needs a password".into()))?;
        let tenant = self.resolve_tenant()?;
        let mut session = Session::new(self.profile(), tenant);
        session.username = Some(username.clone());
        session.password = Some(pw);
        session.client = self.options().client();

        if session.client.is_none() && create_client {
            if session.platform() == Platform::TapisV3 {
                // A first token without a client, to create the client with.
                let t = password::password_grant(&session)?.send(self.clock(), self.transport())?;
                session.tokens = Some(t);
            }
            let suffix = random_hex(4);
            let host = hostname();
            let new = NewClient {
                client_id: Some(clients::distinctive_client_id(&[
                    "tapis-auth",
                    &username,
                    &host,
                    &suffix,
                ])),
                // How logout recognises the client as this login's own (and deletes it).
                description: Some(tapis_auth_core::login_client_description(self.profile())),
                ..NewClient::default()
            };
            let client =
                clients::create_client(&session, &new)?.send(self.clock(), self.transport())?;
            session.client = Some(client);
        }
        let tokens = password::password_grant(&session)?.send(self.clock(), self.transport())?;
        self.finish_login(session, tokens)
    }

    /// Starts a device login (Tapis v3): asks for a device code and returns the prompt to
    /// show. Needs an OAuth client id (and its key, for refreshing later).
    pub fn device_start(&self) -> Result<DeviceLogin, Error> {
        let tenant = self.resolve_tenant()?;
        let client = self.options().client().ok_or_else(|| {
            Error::Config(
                "device login needs an OAuth client id (and its key to refresh later)".into(),
            )
        })?;
        let mut flow = DeviceFlow::new(
            &tenant,
            &client.id,
            tapis_auth_core::flow::device::DEFAULT_POLL_INTERVAL_SECS,
        )?;
        let clock = self.clock();
        // Drive until the prompt appears.
        let prompt = loop {
            match flow.poll(clock.now())? {
                Action::Send(req) => {
                    let resp = self.transport().send(&req)?;
                    flow.handle_response(clock.now(), resp)?;
                }
                Action::Prompt(p) => break p,
                _ => return Err(Error::ApiMisuse("device flow did not prompt first")),
            }
        };
        let mut session = Session::new(self.profile(), tenant);
        session.client = Some(client);
        session.username = self.options().username.clone();
        Ok(DeviceLogin {
            auth: self.clone(),
            flow,
            prompt,
            session,
            next_poll: None,
        })
    }

    /// Runs a whole device login: `on_prompt` shows the code; polls until approved, the code
    /// expires, `timeout_secs` passes, or `cancel` is set.
    pub fn login_device(
        &self,
        on_prompt: &mut dyn FnMut(&DevicePrompt),
        cancel: Option<&AtomicBool>,
        timeout_secs: Option<i64>,
    ) -> Result<Session, Error> {
        let mut login = self.device_start()?;
        on_prompt(login.prompt());
        let deadline = self
            .clock()
            .now()
            .plus(timeout_secs.unwrap_or(DEFAULT_DEVICE_TIMEOUT_SECS));
        // A passing failure while polling (no answer, 5xx, 429) does not end the login: the
        // code stays good until it expires, so polling goes on after the usual interval.
        let tokens = loop {
            match crate::drive::run(
                &mut login.flow,
                self.clock(),
                self.transport(),
                &mut |_| {},
                cancel,
                Some(deadline),
            ) {
                Err(e) if e.is_retryable() => {
                    login.flow.retry_later(self.clock().now());
                }
                r => break r?,
            }
        };
        let session = login.session;
        self.finish_login(session, tokens)
    }

    /// Starts a browser login (Tapis v3 authorization code). The client must be registered
    /// with `redirect_uri` as its callback URL; a loopback `redirect_uri` is listened on.
    pub fn browser_start(&self, redirect_uri: &str) -> Result<BrowserLogin, Error> {
        let tenant = self.resolve_tenant()?;
        let client = self
            .options()
            .client()
            .filter(OAuthClient::is_confidential)
            .ok_or_else(|| {
                Error::Config("browser login needs an OAuth client id and key".into())
            })?;
        let flow = AuthCodeFlow::new(&tenant, &client, redirect_uri, random_hex(16))?;
        let listener = loopback_listener(redirect_uri)?;
        let mut session = Session::new(self.profile(), tenant);
        session.client = Some(client);
        Ok(BrowserLogin {
            auth: self.clone(),
            flow,
            session,
            listener,
        })
    }

    fn finish_login(&self, mut session: Session, tokens: TokenSet) -> Result<Session, Error> {
        if session.username.is_none() {
            session.username = tapis_auth_core::JwtClaims::decode(tokens.access_token.expose())
                .and_then(|c| c.username);
        }
        session.tokens = Some(tokens);
        session.password = None;
        // A login again with the profile's own client (given by id and key only) keeps what the
        // store knows about that client: its name, callback URL and description (by which
        // logout recognises a client the profile's first login created).
        if let Some(c) = session.client.as_mut() {
            if let Ok(Some(prev)) = self.manager().store().load(self.profile()) {
                if let Some(p) = prev.client.filter(|p| p.id == c.id) {
                    c.name = c.name.take().or(p.name);
                    c.callback_url = c.callback_url.take().or(p.callback_url);
                    c.description = c.description.take().or(p.description);
                }
            }
        }
        self.manager().set_session(session.clone())?;
        if self.manager().store().is_writable() && self.options().make_current {
            self.manager().store().set_current_profile(self.profile())?;
        }
        Ok(session)
    }
}

/// A device login in progress (see [`AuthSession::device_start`]). It holds a clone of its
/// session, so it can outlive the handle it was started from.
pub struct DeviceLogin {
    auth: AuthSession,
    flow: DeviceFlow,
    prompt: DevicePrompt,
    session: Session,
    next_poll: Option<UnixTime>,
}

/// The outcome of one [`DeviceLogin::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// Not approved yet; poll again after this instant.
    Pending(UnixTime),
    /// Approved: the session is saved.
    Complete,
}

impl DeviceLogin {
    /// What to show the user: code, URL and deadline.
    pub fn prompt(&self) -> &DevicePrompt {
        &self.prompt
    }

    /// One step: if the poll interval has passed, asks the server once. Never sleeps.
    pub fn poll(&mut self) -> Result<DevicePoll, Error> {
        let clock = self.auth.clock();
        if let Some(t) = self.next_poll {
            if clock.now() < t {
                return Ok(DevicePoll::Pending(t));
            }
        }
        loop {
            match self.flow.poll(clock.now())? {
                Action::Send(req) => {
                    // On a passing failure the error is returned, and the next poll (after
                    // the interval) carries on: the code is still good.
                    let sent = self.auth.transport().send(&req);
                    let handled = sent
                        .map_err(Error::from)
                        .and_then(|resp| self.flow.handle_response(clock.now(), resp));
                    if let Err(e) = handled {
                        if e.is_retryable() {
                            self.next_poll = self.flow.retry_later(clock.now());
                        }
                        return Err(e);
                    }
                }
                Action::WaitUntil(t) => {
                    self.next_poll = Some(t);
                    return Ok(DevicePoll::Pending(t));
                }
                Action::Prompt(_) => {}
                Action::Done(tokens) => {
                    self.auth.finish_login(self.session.clone(), tokens)?;
                    return Ok(DevicePoll::Complete);
                }
            }
        }
    }
}

/// A browser login in progress (see [`AuthSession::browser_start`]).
pub struct BrowserLogin {
    auth: AuthSession,
    flow: AuthCodeFlow,
    session: Session,
    listener: Option<TcpListener>,
}

impl BrowserLogin {
    /// The URL to open in a browser.
    pub fn authorize_url(&self) -> String {
        self.flow.authorize_url()
    }

    /// True when a local listener is waiting for the redirect; false means the user must paste
    /// the URL the browser was redirected to ([`complete`](Self::complete)).
    pub fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    /// Tries to open the authorize URL in a browser (`xdg-open`/`open`); false when there is
    /// no display or no opener.
    pub fn open_browser(&self) -> bool {
        open_browser(&self.authorize_url())
    }

    /// Waits for the browser's redirect on the loopback listener, then exchanges the code and
    /// saves the session. Requests that do not carry this login's `state` (forged, or for
    /// another login) are answered and ignored: the listener keeps waiting until `timeout`.
    /// Each request is read with a bound on its size and time, so a connection that sends an
    /// endless line, or nothing, cannot exhaust memory or hold the login.
    pub fn wait(self, timeout: Duration) -> Result<Session, Error> {
        let listener = self.listener.as_ref().ok_or_else(|| {
            Error::Config("no local listener: paste the redirected URL instead".into())
        })?;
        let target = accept_redirect(listener, timeout, &self.flow)?;
        self.complete(&target)
    }

    /// Completes the login from the redirected URL (or its query string) and saves the session.
    pub fn complete(self, redirected: &str) -> Result<Session, Error> {
        let tokens = self
            .flow
            .exchange(redirected)?
            .send(self.auth.clock(), self.auth.transport())?;
        self.auth.finish_login(self.session, tokens)
    }
}

/// The listener for a loopback `http://127.0.0.1:PORT/...` (or `localhost`) redirect URI, bound
/// to 127.0.0.1 only; `None` for any other redirect URI, or a port this process may not bind
/// (the user pastes the redirected URL instead). A port another program already listens on is
/// an error: the browser's redirect, and the authorization code in it, would go to that
/// program (it cannot use the code without the client's key, but the login would hang).
fn loopback_listener(redirect_uri: &str) -> Result<Option<TcpListener>, Error> {
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return Ok(None);
    };
    let host = url.host_str().unwrap_or_default();
    if url.scheme() != "http" || (host != "127.0.0.1" && host != "localhost") {
        return Ok(None);
    }
    let port = url.port().unwrap_or(80);
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => Ok(Some(l)),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(Error::Config(format!(
            "port {port} of the redirect URI is already in use by another program: the \
             browser's redirect, with the authorization code, would go to it. Stop that program, \
             or register another callback port with the OAuth client and pass it as the redirect \
             URI (--redirect-uri)"
        ))),
        Err(_) => Ok(None),
    }
}

/// Longest request line the redirect listener reads (the redirect URL with its code and state
/// is a few hundred bytes).
const MAX_REDIRECT_REQUEST_BYTES: u64 = 8 * 1024;
/// Longest time one connection to the redirect listener may take to send its request line.
const REDIRECT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts HTTP requests on `listener` until one carries `flow`'s state or `timeout` passes;
/// answers each with a short page and returns the matching request's target (path and query).
fn accept_redirect(
    listener: &TcpListener,
    timeout: Duration,
    flow: &AuthCodeFlow,
) -> Result<String, Error> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Config(format!("redirect listener: {e}")))?;
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                let target = read_request_target(&stream, left.min(REDIRECT_READ_TIMEOUT));
                let ours = target.as_deref().is_some_and(|t| flow.is_own_callback(t));
                let (status, text) = if ours {
                    (
                        "200 OK",
                        "tapis-auth: login received.</h3>You can close this window.",
                    )
                } else {
                    (
                        "400 Bad Request",
                        "tapis-auth: this is not the login being waited for.</h3>",
                    )
                };
                let body = format!("<html><body><h3>{text}</body></html>");
                let mut w = &stream;
                let _ = write!(
                    w,
                    "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                match target {
                    Some(t) if ours => return Ok(t),
                    _ => tracing::debug!(
                        "redirect listener: ignored a request without this login's state"
                    ),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(Error::LoginFailed {
                        status: None,
                        message: format!("no browser redirect within {} s", timeout.as_secs()),
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(Error::Config(format!("redirect listener: {e}"))),
        }
    }
}

/// The request target of the request line on `stream`, read with a bound on size and time;
/// `None` when no complete line arrived in time or within [`MAX_REDIRECT_REQUEST_BYTES`].
fn read_request_target(stream: &std::net::TcpStream, wait: Duration) -> Option<String> {
    use std::io::Read;
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
        .ok()?;
    let mut reader = BufReader::new(stream.take(MAX_REDIRECT_REQUEST_BYTES));
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).ok()?;
    if line.last() != Some(&b'\n') {
        return None;
    }
    let line = String::from_utf8(line).ok()?;
    line.split_whitespace().nth(1).map(str::to_owned)
}

/// Opens `url` in a browser: the `BROWSER` command when set, else `open` (macOS) or `xdg-open`
/// when a display is available. Returns whether a browser was started.
pub fn open_browser(url: &str) -> bool {
    // `BROWSER` (the convention of xdg-utils and Python's webbrowser): the first of its
    // colon-separated commands, with `%s` replaced by the URL or the URL appended.
    if let Some(cmd) = std::env::var("BROWSER").ok().and_then(|b| {
        b.split(':')
            .map(str::trim)
            .find(|c| !c.is_empty())
            .map(str::to_owned)
    }) {
        let mut words = cmd.split_whitespace().map(|w| w.replace("%s", url));
        let Some(program) = words.next() else {
            return false;
        };
        let mut args: Vec<String> = words.collect();
        if !cmd.contains("%s") {
            args.push(url.to_owned());
        }
        return std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok();
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        "xdg-open"
    } else {
        return false;
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// This machine's host name, for distinctive client ids (`unknown` when unavailable).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
