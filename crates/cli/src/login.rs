//! `login`: password, device code (QR code, spinner, Ctrl-C) and browser.

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use tapis_auth::{AuthSession, DevicePoll, Options, SystemClock};
use tapis_auth_core::{BaseUrl, Clock, Error, Platform, Secret, Session, UnixTime};

use crate::cli::{LoginArgs, Method};
use crate::commands::{get_password, password_prompt, platform, whoami_json};
use crate::device_screen;
use crate::exit::{self, CliError};
use crate::ui::{self, duration, relative, terminal_safe};
use crate::Ctx;

/// True when a browser can probably be opened here (a display, and not over SSH).
fn browser_available() -> bool {
    if std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty()) {
        return true;
    }
    let ssh = std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
    let display = cfg!(target_os = "macos")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    display && !ssh
}

/// Whether `existing` is a session on the tenant the arguments name.
fn same_tenant(existing: &Session, o: &Options) -> bool {
    if let Some(u) = &o.base_url {
        return BaseUrl::parse(u).is_ok_and(|b| b == existing.tenant.base_url);
    }
    match (&o.tenant_id, &existing.tenant.id) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn prompt_username(tenant: &str) -> Result<String, CliError> {
    if !io::stdin().is_terminal() {
        return Err(CliError::usage("no username given")
            .hint("pass --username NAME (or set TAPIS_USERNAME)"));
    }
    let mut e = io::stderr().lock();
    let _ = write!(e, "Username for {}: ", terminal_safe(tenant));
    let _ = e.flush();
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("cannot read the username: {e}")))?;
    let u = line.trim().to_owned();
    if u.is_empty() {
        return Err(CliError::usage("no username given"));
    }
    Ok(u)
}

/// `login`.
pub fn login(ctx: &Ctx, a: LoginArgs) -> Result<Value, CliError> {
    if ctx.store_kind() == tapis_auth_storage::StoreKind::Env {
        return Err(CliError::usage("the env store is read-only: a login cannot be saved there")
            .hint("log in with --store json, sqlite or keyring, then `eval \"$(tapis-auth env)\"` in the job"));
    }
    if a.password_stdin && (a.device || a.browser) {
        return Err(CliError::usage(
            "--password-stdin goes with password login, not --device or --browser",
        ));
    }
    let store = ctx.open_store()?;
    let profile = ctx.profile_name(&*store)?;
    let existing = store.load(&profile)?;
    let current = store.current_profile()?;
    drop(store);
    let switch = Switch::decide(ctx, &a, &profile, current.as_deref());

    let mut o = ctx.options();
    o.profile = Some(profile.clone());
    o.make_current = switch == Switch::Yes;
    o.use_environment = false;
    o.persist_explicit = true;
    o.tenants_url = a.tenants_url.clone();
    if a.base_url.is_some() || a.tenant.is_some() {
        o.base_url = a.base_url.clone();
        o.tenant_id = a.tenant.clone();
    } else if let Some(s) = &existing {
        tracing::debug!(
            "re-using the tenant of profile {profile}: {}",
            s.tenant.base_url
        );
        o.base_url = Some(s.tenant.base_url.to_string());
        o.tenant_id = s.tenant.id.clone();
        o.platform = Some(s.tenant.platform);
    } else {
        return Err(CliError::usage("no tenant given").hint(
            "pass a tenant id (`--tenant tacc`) or a base URL (`--base-url https://tacc.tapis.io`)",
        ));
    }
    if let Some(p) = a.platform {
        o.platform = Some(platform(p));
    }
    let same = existing.as_ref().filter(|s| same_tenant(s, &o));
    if let Some(id) = &a.client_id {
        o.client_id = Some(id.clone());
        o.client_key = a.client_key.clone().map(Secret::new);
    } else if let Some(c) = same.and_then(|s| s.client.clone()) {
        tracing::debug!("re-using OAuth client {} of profile {profile}", c.id);
        o.client_id = Some(c.id);
        o.client_key = c.key;
    }
    o.username = a
        .username
        .clone()
        .or_else(|| same.and_then(|s| s.username.clone()));

    let method = match a.method() {
        Some(m) => m,
        None => {
            if o.platform.is_none() {
                // Detect the platform first: Agave v2 has no device or browser login.
                let t = ctx.open_session(o.clone())?.resolve_tenant()?;
                tracing::debug!("{} speaks {}", t.base_url, t.platform);
                o.platform = Some(t.platform);
            }
            if o.platform == Some(Platform::AgaveV2) || o.client_id.is_none() {
                if o.client_id.is_none() && o.platform != Some(Platform::AgaveV2) {
                    ctx.ui.info("No OAuth client yet: logging in with a password (a client is created for you; next time the device code is used).");
                }
                Method::Password
            } else if browser_available() && o.client_key.is_some() {
                Method::Browser
            } else {
                Method::Device
            }
        }
    };
    let tenant_label = o
        .tenant_id
        .clone()
        .or_else(|| o.base_url.clone())
        .unwrap_or_default();
    match method {
        Method::Password => {
            let user = match o.username.clone() {
                Some(u) => u,
                None if a.password_stdin => {
                    return Err(CliError::usage(
                        "--password-stdin needs --username (or TAPIS_USERNAME)",
                    ))
                }
                None => prompt_username(&tenant_label)?,
            };
            // Where the password goes is settled before it is asked for, and named in the
            // prompt (a base URL from a profile may have been planted there).
            let tenant = ctx.open_session(o.clone())?.resolve_tenant()?;
            o.base_url = Some(tenant.base_url.to_string());
            o.platform = Some(tenant.platform);
            o.tenant_id = o.tenant_id.clone().or_else(|| tenant.id.clone());
            let pw = get_password(a.password_stdin, &password_prompt(&user, &tenant, None))?;
            o.username = Some(user.clone());
            o.password = Some(pw);
            ctx.ui
                .info(&format!("Logging in to {} as {user}…", tenant.base_url));
            let s = ctx.open_session(o)?;
            s.login_password(!a.no_create_client)?;
            finish(ctx, &s, switch, current.as_deref())
        }
        Method::Device => {
            if o.client_id.is_none() {
                return Err(CliError::usage("device login needs an OAuth client").hint(
                    "log in once with `tapis-auth login --password` (it creates one), or pass --client-id (and TAPIS_CLIENT_KEY so the session can refresh)",
                ));
            }
            let s = ctx.open_session(o)?;
            device(ctx, &s, !a.no_qr, a.wait)?;
            finish(ctx, &s, switch, current.as_deref())
        }
        Method::Browser => {
            if o.client_id.is_none() || o.client_key.is_none() {
                return Err(CliError::usage("browser login needs an OAuth client id and key")
                    .hint("pass --client-id with TAPIS_CLIENT_KEY (the client's callback URL must be the --redirect-uri)"));
            }
            let s = ctx.open_session(o)?;
            browser(ctx, &s, &a)?;
            finish(ctx, &s, switch, current.as_deref())
        }
    }
}

/// Whether a login makes its profile the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Switch {
    /// Yes (asked for, no current profile, or it already is current).
    Yes,
    /// No (asked for, or another profile is current and nobody can be asked).
    No,
    /// Another profile is current: ask once the login has succeeded.
    Ask,
}

impl Switch {
    fn decide(ctx: &Ctx, a: &LoginArgs, profile: &str, current: Option<&str>) -> Self {
        if a.switch {
            Switch::Yes
        } else if a.no_switch {
            Switch::No
        } else if current.is_none_or(|c| c == profile) {
            Switch::Yes
        } else if !ctx.g.json && io::stdin().is_terminal() && io::stderr().is_terminal() {
            Switch::Ask
        } else {
            Switch::No
        }
    }
}

/// Asks whether `profile` should replace `current` as the current profile (default no).
fn ask_switch(profile: &str, current: &str) -> bool {
    ui::confirm(&format!(
        "Make {profile} the current profile instead of {current}? Commands and running jobs \
         that name no profile would then use {profile}."
    ))
}

fn finish(
    ctx: &Ctx,
    s: &AuthSession,
    switch: Switch,
    current: Option<&str>,
) -> Result<Value, CliError> {
    if let (Switch::Ask, Some(c)) = (switch, current) {
        if ask_switch(s.profile(), c) {
            s.manager().store().set_current_profile(s.profile())?;
        }
    }
    // The store has the last word (the JSON cache makes its first profile current).
    let made_current = s.manager().store().current_profile()?.as_deref() == Some(s.profile());
    if !made_current {
        if let Some(c) = current {
            ctx.ui.info(&format!(
                "Profile {c} stays current: use this login with `--profile {p}`, or make it current with `tapis-auth profiles use {p}`.",
                p = s.profile()
            ));
        }
    }
    let w = s.whoami()?;
    let now = SystemClock.now();
    let expiry = w
        .expires_at
        .map(|e| format!("; the access token expires {}", relative(e, now)))
        .unwrap_or_default();
    ctx.ui.success(&format!(
        "Logged in as {} on {} ({}); saved as profile {}{} in {}{expiry}",
        w.username.as_deref().unwrap_or("?"),
        w.tenant_id.as_deref().unwrap_or(&w.base_url),
        w.platform,
        w.profile,
        if made_current { " (current)" } else { "" },
        s.manager().store().describe(),
    ));
    if w.expires_at.is_some_and(|e| e.since(now) > 86_400) {
        // A Tapis v3 device login: the approval page picks the access token's lifetime in days
        // (30 by default), instead of the tenant's usual 4 hours.
        ctx.ui.info(
            "  This access token lasts as many days as were chosen on the approval page (30 by \
             default); anyone holding it can use it that long. `tapis-auth logout` revokes it.",
        );
    }
    if w.platform == Platform::AgaveV2 && w.tenant_id.is_none() {
        ctx.ui.warn(&format!(
            "the Agave v2 tenant id of {} is unknown (the tenants listing does not name it): the bash Agave CLI refuses a login without one; log in again with --tenant ID",
            w.base_url
        ));
    }
    let mut v = whoami_json(&w, now);
    v["current"] = json!(made_current);
    Ok(v)
}

/// Why the device login stopped waiting: the code expired (by the server's clock, in whole
/// seconds), or `--wait` ran out first (`waited`, measured on the monotonic clock, so that
/// "after 2s" means at least two seconds, not one and a bit).
fn wait_over(
    now: UnixTime,
    started: UnixTime,
    code_expires: UnixTime,
    wait: i64,
    waited: Duration,
) -> Option<CliError> {
    if now >= code_expires {
        return Some(
            CliError::new(
                exit::AUTH_FAILED,
                format!(
                    "the device code expired before it was approved (it was valid for {})",
                    duration(code_expires.since(started).max(0).unsigned_abs())
                ),
            )
            .with_reason("device_code_expired")
            .hint("run `tapis-auth login --device` again and approve the code sooner"),
        );
    }
    if waited >= Duration::from_secs(wait.unsigned_abs()) {
        return Some(
            CliError::new(
                exit::AUTH_FAILED,
                format!(
                    "stopped waiting for approval after {} (--wait); the device code was still valid for {}",
                    duration(wait.unsigned_abs()),
                    duration(code_expires.since(now).max(0).unsigned_abs())
                ),
            )
            .with_reason("login_wait_timeout")
            .hint("run `tapis-auth login --device` again with a longer --wait (e.g. --wait 10m)"),
        );
    }
    None
}

/// Runs a device login on `s`: the screen, the spinner, Ctrl-C, and `wait` seconds at most.
pub fn device(ctx: &Ctx, s: &AuthSession, qr: bool, wait: i64) -> Result<(), CliError> {
    let ui = ctx.ui;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let c = Arc::clone(&cancel);
        // Ctrl-C sets the flag; the loop below stops cleanly (and restores the cursor line).
        if let Err(e) = ctrlc::set_handler(move || c.store(true, Ordering::SeqCst)) {
            tracing::debug!("cannot install the Ctrl-C handler: {e}");
        }
    }
    let mut login = s.device_start()?;
    let terminal = device_screen::stderr_terminal();
    // The URL and code are shown even with --quiet: without them the login cannot succeed.
    let _ = write!(
        io::stderr().lock(),
        "{}",
        terminal_safe(&device_screen::screen(&ui, login.prompt(), terminal, qr))
    );
    let clock = SystemClock;
    let started = clock.now();
    let waiting = Instant::now();
    let code_expires = login.prompt().expires_at;
    let give_up = started.plus(wait);
    let (deadline, what) = if give_up < code_expires {
        (give_up, "left (--wait)")
    } else {
        (code_expires, "until the code expires")
    };
    let spin = terminal.is_some() && !ui.quiet;
    if !spin && !ui.quiet {
        let wait = if give_up < code_expires {
            format!(
                "; giving up in {} (--wait)",
                duration(give_up.since(started).max(0).unsigned_abs())
            )
        } else {
            String::new()
        };
        ui.info(&format!(
            "Waiting for approval (the code expires in {}{wait})…",
            duration(code_expires.since(started).max(0).unsigned_abs())
        ));
    }
    let clear = || {
        if spin {
            let mut e = io::stderr().lock();
            let _ = write!(e, "\r\x1b[K");
            let _ = e.flush();
        }
    };
    let mut frame = 0usize;
    loop {
        if cancel.load(Ordering::SeqCst) {
            clear();
            return Err(Error::Cancelled.into());
        }
        let now = clock.now();
        if let Some(e) = wait_over(now, started, code_expires, wait, waiting.elapsed()) {
            clear();
            return Err(e);
        }
        match login.poll() {
            Ok(DevicePoll::Complete) => {
                clear();
                return Ok(());
            }
            Ok(DevicePoll::Pending(_)) => {}
            Err(Error::DeviceCodeExpired) => {
                clear();
                // The server says so; tell how long the code was valid.
                return Err(wait_over(
                    code_expires.max(now),
                    started,
                    code_expires,
                    wait,
                    waiting.elapsed(),
                )
                .unwrap_or_else(|| Error::DeviceCodeExpired.into()));
            }
            Err(e) => {
                clear();
                return Err(e.into());
            }
        }
        if spin {
            // The width is read every frame: the window may be resized while waiting.
            let cols = device_screen::stderr_terminal().map_or(80, |t| t.0);
            let mut e = io::stderr().lock();
            let _ = write!(
                e,
                "\r{}\x1b[K",
                device_screen::spinner_line(frame, deadline.since(now), what, cols)
            );
            let _ = e.flush();
            frame += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn browser(ctx: &Ctx, s: &AuthSession, a: &LoginArgs) -> Result<(), CliError> {
    if let Some(id) = s.options().client_id.as_deref() {
        crate::client_edit::check_callback(ctx, s, id, &a.redirect_uri, a.fix_callback)?;
    }
    let login = s.browser_start(&a.redirect_uri)?;
    let url = login.authorize_url();
    let opened = login.open_browser();
    if opened {
        ctx.ui.info(&format!(
            "Opened a browser to log in. If nothing appears, open:\n\n    {url}\n"
        ));
    } else {
        ctx.ui.info(&format!(
            "Open this URL in a browser to log in:\n\n    {url}\n"
        ));
    }
    if login.is_listening() {
        ctx.ui.info(&format!(
            "Waiting for the redirect to {} (giving up in {}: --wait)…",
            a.redirect_uri,
            duration(a.wait.unsigned_abs())
        ));
        let wait = Duration::from_secs(a.wait.unsigned_abs());
        let started = Instant::now();
        match login.wait(wait) {
            Ok(_) => {}
            Err(Error::LoginFailed { .. }) if started.elapsed() >= wait => {
                return Err(CliError::new(
                    exit::AUTH_FAILED,
                    format!(
                        "stopped waiting for the browser's redirect after {} (--wait)",
                        duration(a.wait.unsigned_abs())
                    ),
                )
                .with_reason("login_wait_timeout")
                .hint("run `tapis-auth login --browser` again with a longer --wait"));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        let mut e = io::stderr().lock();
        let _ = write!(e, "Paste the URL the browser was redirected to: ");
        let _ = e.flush();
        drop(e);
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::usage(format!("cannot read the redirected URL: {e}")))?;
        let redirected = Secret::new(line.trim().to_owned());
        line.clear();
        login.complete(redirected.expose())?;
    }
    Ok(())
}
