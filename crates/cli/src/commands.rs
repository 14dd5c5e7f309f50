//! Every command except `login`.

use std::io::{self, Write};

use serde_json::{json, Value};
use tapis_auth::{AuthSession, HttpTransport, SystemClock, WhoAmI};
use tapis_auth_core::flow::clients::NewClient;
use tapis_auth_core::{BaseUrl, Clock, Platform, Secret, Store, StoreError, Tenant, UnixTime};

use crate::cli::{
    ClientsCommand, CompletionsArgs, EnvArgs, ImportArgs, LogoutArgs, PlatformArg, ProfilesCommand,
    RepairArgs, ShellArg, TenantsCommand, TokenArgs,
};
use crate::exit::{self, CliError};
use crate::ui::{self, absolute, out, relative, terminal_safe};
use crate::Ctx;

/// `token`: the access token and a newline on stdout, nothing else. The hot path is
/// restore + access_token: no tenant lookup, no HTTP client unless a refresh is due.
/// With `--json`: the token, its expiry and the profile (the one command, with `env`, whose
/// JSON holds a secret).
pub fn token(ctx: &Ctx, a: &TokenArgs) -> Result<Value, CliError> {
    let s = ctx.restore()?;
    if ctx.g.json {
        let token = s.access_token(a.min_valid)?;
        let now = SystemClock.now();
        let expires = token_expiry(&s, &token);
        return Ok(json!({
            "profile": s.profile(),
            "access_token": token.expose(),
            "expires": time_json(expires, now),
        }));
    }
    let written = s.with_access_token(a.min_valid, |t| {
        let mut o = io::stdout().lock();
        o.write_all(t.as_bytes())
            .and_then(|()| o.write_all(b"\n"))
            .and_then(|()| o.flush())
    })?;
    written?;
    Ok(Value::Null)
}

/// The expiry of `token`, just handed out by `s`: its JWT `exp`, else the session's recorded
/// expiry when the session still holds that token (another process may have refreshed since).
fn token_expiry(s: &AuthSession, token: &Secret) -> Option<UnixTime> {
    if let Some(e) = tapis_auth_core::JwtClaims::decode(token.expose()).and_then(|c| c.expires_at())
    {
        return Some(e);
    }
    let held = s.session().ok()?.tokens?;
    (held.access_token == *token)
        .then_some(held.expires_at)
        .flatten()
}

/// Converts a platform flag.
pub fn platform(p: PlatformArg) -> Platform {
    match p {
        PlatformArg::V3 => Platform::TapisV3,
        PlatformArg::V2 => Platform::AgaveV2,
    }
}

/// A time as `{at, unix, in_seconds}` (the JSON schema's time object), or null.
pub fn time_json(t: Option<UnixTime>, now: UnixTime) -> Value {
    match t {
        Some(t) => json!({
            "at": t.to_rfc3339(),
            "unix": t.secs(),
            "in_seconds": t.since(now),
        }),
        None => Value::Null,
    }
}

/// The `status` record as JSON (no secrets).
pub fn whoami_json(w: &WhoAmI, now: UnixTime) -> Value {
    json!({
        "profile": w.profile,
        "username": w.username,
        "tenant_id": w.tenant_id,
        "base_url": w.base_url,
        "platform": w.platform.as_str(),
        "client_id": w.client_id,
        "store": w.source,
        "access_token": {
            "expires": time_json(w.expires_at, now),
            "valid": w.expires_at.is_some_and(|e| e.since(now) > 0),
        },
        "refresh_token": {
            "present": w.has_refresh_token,
            "expires": time_json(w.refresh_expires_at, now),
            "rejected": time_json(w.refresh_rejected_at, now),
        },
        "login_required": w.login_required,
    })
}

fn expiry_text(ui: &ui::Ui, t: Option<UnixTime>, now: UnixTime) -> String {
    match t {
        Some(t) if t.since(now) > 0 => format!("{} ({})", absolute(t), relative(t, now)),
        Some(t) => ui.yellow(&format!("{} (expired {})", absolute(t), relative(t, now))),
        None => "unknown".to_owned(),
    }
}

/// The `status` table (no secrets).
pub fn whoami_table(ui: &ui::Ui, w: &WhoAmI, now: UnixTime) -> String {
    let dash = || "-".to_owned();
    let tenant = match &w.tenant_id {
        Some(id) => format!("{id} ({})", w.base_url),
        None => w.base_url.clone(),
    };
    let refresh = if let Some(r) = w.refresh_rejected_at {
        ui.yellow(&format!(
            "rejected by the server {} (spent, revoked or expired): it is not sent again",
            relative(r, now)
        ))
    } else if !w.has_refresh_token {
        "none (log in again when the access token expires)".to_owned()
    } else if w.refresh_expires_at.is_some() {
        expiry_text(ui, w.refresh_expires_at, now)
    } else {
        "present (expiry unknown)".to_owned()
    };
    let mut access = expiry_text(ui, w.expires_at, now);
    if w.expires_at
        .is_none_or(|e| e.since(now) < tapis_auth_core::DEFAULT_MARGIN_SECS)
        && w.login_required.is_none()
    {
        access.push_str(" — refreshed on next use");
    }
    let rows = [
        ("Profile", w.profile.clone()),
        ("User", w.username.clone().unwrap_or_else(dash)),
        ("Tenant", tenant),
        ("Platform", w.platform.as_str().to_owned()),
        ("Client", w.client_id.clone().unwrap_or_else(dash)),
        ("Store", w.source.clone()),
        ("Access token", access),
        ("Refresh token", refresh),
    ];
    let mut s = String::new();
    for (k, v) in rows {
        s.push_str(&format!("{:<14} {v}\n", ui.bold(k)));
    }
    if let Some(why) = &w.login_required {
        s.push_str(&format!(
            "{:<14} {}\n",
            ui.bold("Status"),
            ui.yellow(&format!("login required: {why}"))
        ));
    }
    s
}

/// `status`: who, where, which client and store, and when the tokens expire. No network.
pub fn status(ctx: &Ctx) -> Result<Value, CliError> {
    let s = ctx.restore()?;
    let w = s.whoami()?;
    let now = SystemClock.now();
    if !ctx.g.json {
        // The table goes to stdout; bold only when stdout is a terminal too.
        let mut u = ctx.ui;
        u.color = u.color && io::IsTerminal::is_terminal(&io::stdout());
        out(&whoami_table(&u, &w, now))?;
    }
    // The state is shown above (the table); the exit code tells a script: 3, login required
    // (with --json: the error object, its reason `refresh_rejected` when that is why).
    match &w.login_required {
        Some(why) => Err(
            CliError::new(exit::LOGIN_REQUIRED, format!("login required: {why}"))
                .with_reason(if w.refresh_rejected_at.is_some() {
                    "refresh_rejected"
                } else {
                    "login_required"
                })
                .hint("run `tapis-auth login`"),
        ),
        None => Ok(whoami_json(&w, now)),
    }
}

/// `refresh`: refreshes now, whatever the token's remaining validity.
pub fn refresh(ctx: &Ctx) -> Result<Value, CliError> {
    let s = ctx.restore()?;
    let t = s.refresh()?;
    let now = SystemClock.now();
    {
        let when = t
            .expires_at
            .map(|e| format!("{} ({})", absolute(e), relative(e, now)))
            .unwrap_or_else(|| "at an unknown time".into());
        ctx.ui.success(&format!(
            "Refreshed profile {}: the access token expires {when}",
            s.profile()
        ));
    }
    Ok(json!({"profile": s.profile(), "expires": time_json(t.expires_at, now)}))
}

/// `logout [--all] [--keep-client]`: delete the client the login created (unless shared or
/// kept), revoke (best effort) and delete the session(s).
pub fn logout(ctx: &Ctx, a: &LogoutArgs) -> Result<Value, CliError> {
    if ctx.store_kind() == tapis_auth_storage::StoreKind::Env {
        return Err(CliError::usage(
            "the env store is read-only: unset the TAPIS_* variables instead",
        ));
    }
    let store = ctx.open_store()?;
    let profiles = if a.all {
        store.list()?
    } else {
        vec![ctx.profile_name(&*store)?]
    };
    let password = if a.password_stdin {
        Some(read_stdin_line("password")?)
    } else {
        None
    };
    let mut removed = Vec::new();
    let mut clients_deleted = Vec::new();
    let mut clients_kept = Vec::new();
    for p in &profiles {
        let mut o = ctx.options();
        o.profile = Some(p.clone());
        o.use_environment = false;
        o.password = password.clone();
        let s = ctx.open_session(o)?;
        let r = s.logout_with(!a.keep_client)?;
        if let Some(id) = &r.client_deleted {
            ctx.ui.success(&format!(
                "Deleted OAuth client {id} (created by the login of profile {p})"
            ));
            clients_deleted.push(json!({"profile": p, "id": id}));
        }
        if let Some((id, why)) = &r.client_kept {
            if !a.keep_client {
                ctx.ui.info(&format!(
                    "Kept OAuth client {id} (created by the login of profile {p}): {why}; \
                     `tapis-auth clients delete {id}` deletes it"
                ));
            }
            clients_kept.push(json!({"profile": p, "id": id, "why": why}));
        }
        if r.deleted {
            ctx.ui.success(&format!("Logged out of profile {p}"));
            removed.push(p.clone());
        } else if !a.all {
            ctx.ui.info(&format!(
                "No session saved under profile {p}; nothing to do"
            ));
        }
    }
    if a.all && removed.is_empty() {
        ctx.ui.info("No saved sessions; nothing to do");
    }
    Ok(json!({
        "logged_out": removed,
        "clients_deleted": clients_deleted,
        "clients_kept": clients_kept,
    }))
}

/// `profiles list | use NAME`.
pub fn profiles(ctx: &Ctx, c: &ProfilesCommand) -> Result<Value, CliError> {
    let store = ctx.open_store()?;
    let current = store.current_profile()?;
    Ok(match c {
        ProfilesCommand::List => {
            let names = store.list()?;
            let mut rows = Vec::new();
            for n in &names {
                let s = store.load(n)?;
                rows.push((n, s));
            }
            let v: Vec<Value> = rows
                .iter()
                .map(|(n, s)| {
                    json!({
                        "name": n,
                        "current": current.as_deref() == Some(n.as_str()),
                        "username": s.as_ref().and_then(|s| s.username.clone()),
                        "tenant_id": s.as_ref().and_then(|s| s.tenant.id.clone()),
                        "base_url": s.as_ref().map(|s| s.tenant.base_url.to_string()),
                        "platform": s.as_ref().map(|s| s.tenant.platform.as_str()),
                    })
                })
                .collect();
            if !ctx.g.json {
                if names.is_empty() {
                    ctx.ui.info("No profiles saved yet: run `tapis-auth login`");
                }
                let mut text = String::new();
                for (n, s) in &rows {
                    let mark = if current.as_deref() == Some(n.as_str()) {
                        '*'
                    } else {
                        ' '
                    };
                    let who = s
                        .as_ref()
                        .map(|s| {
                            format!(
                                "{}@{} ({}, {})",
                                s.username.as_deref().unwrap_or("?"),
                                s.tenant.id.as_deref().unwrap_or("?"),
                                s.tenant.base_url,
                                s.tenant.platform
                            )
                        })
                        .unwrap_or_default();
                    text.push_str(&format!("{mark} {n}\t{who}\n"));
                }
                out(&text)?;
            }
            json!({"current": current, "profiles": v})
        }
        ProfilesCommand::Use { name } => {
            if !store.list()?.iter().any(|n| n == name) {
                return Err(CliError::usage(format!("there is no profile {name:?} in {}", store.describe()))
                    .hint("list them with `tapis-auth profiles list`, or create it with `tapis-auth login --profile NAME`"));
            }
            store.set_current_profile(name)?;
            ctx.ui.success(&format!("Profile {name} is now current"));
            json!({"current": name})
        }
    })
}

fn read_stdin_line(what: &str) -> Result<Secret, CliError> {
    let mut line = String::new();
    io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("cannot read the {what} from stdin: {e}")))?;
    let v = line.trim_end_matches(['\r', '\n']).to_owned();
    line.clear();
    if v.is_empty() {
        return Err(CliError::usage(format!("no {what} on stdin")));
    }
    Ok(Secret::new(v))
}

/// The prompt for `user`'s password, naming where it will be sent: the tenant's base URL
/// (a cache another user rewrote would otherwise send it to their server unnoticed), the
/// tenant id when known, and why it is asked for. Server and cache text is shown escaped.
pub fn password_prompt(user: &str, tenant: &Tenant, why: Option<&str>) -> String {
    let who = match &tenant.id {
        Some(id) => format!("{user}@{id}"),
        None => user.to_owned(),
    };
    let why = why.map(|w| format!(", {w}")).unwrap_or_default();
    format!(
        "Password for {} (sent to {}{}): ",
        terminal_safe(&who),
        terminal_safe(tenant.base_url.as_str()),
        terminal_safe(&why)
    )
}

/// Reads a password from stdin (`--password-stdin`) or prompts for it without echo.
pub fn get_password(stdin: bool, prompt: &str) -> Result<Secret, CliError> {
    if stdin {
        return read_stdin_line("password");
    }
    match rpassword::prompt_password(prompt) {
        Ok(p) if !p.is_empty() => Ok(Secret::new(p)),
        Ok(_) => Err(CliError::new(exit::AUTH_FAILED, "empty password")),
        Err(e) => Err(
            CliError::usage(format!("cannot prompt for the password ({e})"))
                .hint("without a terminal, pipe it in with --password-stdin"),
        ),
    }
}

fn client_row(c: &tapis_auth_core::OAuthClient) -> String {
    format!(
        "{}\t{}\t{}\n",
        c.id,
        c.name.as_deref().unwrap_or("-"),
        c.callback_url.as_deref().unwrap_or("-")
    )
}

/// A client as `--json` shows it (never its key).
pub(crate) fn client_json(c: &tapis_auth_core::OAuthClient) -> Value {
    json!({"id": c.id, "name": c.name, "callback_url": c.callback_url, "description": c.description})
}

/// The profiles of `s`'s store on `s`'s tenant, with their client id and whether their login
/// created it.
fn client_users(s: &AuthSession) -> Result<Vec<(String, String, bool)>, CliError> {
    let store = s.manager().store();
    let base = s.session()?.tenant.base_url;
    let mut out = Vec::new();
    for p in store.list()? {
        if let Some(sess) = store.load(&p)? {
            if let Some(c) = sess
                .client
                .as_ref()
                .filter(|_| sess.tenant.base_url == base)
            {
                out.push((p.clone(), c.id.clone(), c.created_by_login_for(&p)));
            }
        }
    }
    Ok(out)
}

/// `clients create | list | delete`.
pub fn clients(ctx: &Ctx, c: &ClientsCommand) -> Result<Value, CliError> {
    let mut o = ctx.options();
    let probe = ctx.restore_session(o.clone())?;
    let session = probe.session()?;
    let stdin = match c {
        ClientsCommand::Create(a) => a.password_stdin,
        ClientsCommand::List { password_stdin } => *password_stdin,
        ClientsCommand::Show { password_stdin, .. } => *password_stdin,
        ClientsCommand::Update(_) => false,
        ClientsCommand::Delete { password_stdin, .. } => *password_stdin,
    };
    if let ClientsCommand::Create(a) = c {
        if a.use_it && !probe.manager().store().is_writable() {
            // Refuse before creating anything: the new client's key would be lost.
            return Err(CliError::usage(format!(
                "--use stores the new client in the profile, but the store ({}) is read-only; pass --store json or --store sqlite",
                probe.manager().store().describe()
            )));
        }
    }
    let user = session.username.clone().unwrap_or_default();
    // `update` is Tapis v3 only (refused on v2 before asking for a password).
    let needs_password = (session.platform() == Platform::AgaveV2
        && !matches!(c, ClientsCommand::Update(_)))
        || matches!(c, ClientsCommand::Create(a) if a.use_it);
    if needs_password {
        // v2 manages clients with HTTP Basic username:password; `--use` logs in again. A
        // password the session already holds (TAPIS_PASSWORD) is used as it is.
        o.username = session.username.clone();
        o.password = Some(match session.password.clone() {
            Some(p) => p,
            None => get_password(
                stdin,
                &password_prompt(
                    &user,
                    &session.tenant,
                    Some("client management / new login"),
                ),
            )?,
        });
    }
    drop(probe);
    let s = ctx.restore_session(o)?;
    Ok(match c {
        ClientsCommand::List { .. } => {
            let list = s.list_clients()?;
            let users = client_users(&s)?;
            let jobs = crate::job_session::clients_of_job_sessions(ctx, &session.tenant.base_url);
            let used_by = |c: &tapis_auth_core::OAuthClient| {
                users
                    .iter()
                    .filter(|(_, id, _)| *id == c.id)
                    .map(|(p, _, _)| p.clone())
                    .collect::<Vec<_>>()
            };
            let job_of = |c: &tapis_auth_core::OAuthClient| {
                jobs.iter()
                    .find(|(_, id)| *id == c.id)
                    .map(|(n, _)| n.clone())
            };
            if !ctx.g.json {
                let mut text = String::new();
                let mut marked = false;
                for c in &list {
                    let mut by = used_by(c);
                    if let Some(job) = job_of(c) {
                        by.push(format!("job session {job}"));
                    }
                    marked |= !by.is_empty();
                    let mark = if by.is_empty() { ' ' } else { '*' };
                    let by = if by.is_empty() {
                        "-".to_owned()
                    } else {
                        format!("used by {}", by.join(","))
                    };
                    text.push_str(&format!("{mark} {}\t{by}\n", client_row(c).trim_end()));
                }
                out(&text)?;
                if marked {
                    ctx.ui.info(&format!(
                        "* = used by a profile in {} or one of its job sessions",
                        s.manager().store().describe()
                    ));
                }
            }
            let v: Vec<Value> = list
                .iter()
                .map(|c| {
                    let mut j = client_json(c);
                    let by = used_by(c);
                    j["used_by"] = json!(by);
                    j["job_session"] = json!(job_of(c));
                    j["created_by_login"] = json!(users
                        .iter()
                        .any(|(p, id, login)| *id == c.id && *login && by.contains(p)));
                    j
                })
                .collect();
            json!({"clients": v})
        }
        ClientsCommand::Show { id, .. } => crate::client_edit::show(ctx, &s, &session, id)?,
        ClientsCommand::Update(a) => crate::client_edit::update(ctx, &s, &session, a)?,
        ClientsCommand::Delete { id, .. } => {
            s.delete_client(id)?;
            ctx.ui.success(&format!("Deleted OAuth client {id}"));
            json!({"deleted": id})
        }
        ClientsCommand::Create(a) => {
            let new = NewClient {
                client_id: a.name.clone(),
                callback_url: a.callback_url.clone(),
                description: a.description.clone(),
                ..NewClient::default()
            };
            let created = s.create_client(&new)?;
            if a.use_it {
                // Tokens are bound to the client that obtained them: log in again with the
                // new one, so that refreshes keep working. The session is saved only when
                // that login succeeds.
                let sess = s.session()?;
                let mut lo = s.options().clone();
                lo.base_url = Some(sess.tenant.base_url.to_string());
                lo.tenant_id = sess.tenant.id.clone();
                lo.platform = Some(sess.platform());
                lo.profile = Some(s.profile().to_owned());
                lo.client_id = Some(created.id.clone());
                lo.client_key = created.key.clone();
                lo.access_token = None;
                lo.refresh_token = None;
                ctx.open_session(lo)?.login_password(false)?;
                ctx.ui.success(&format!(
                    "Created OAuth client {}, logged in again with it, and stored it (with its key) in profile {}",
                    created.id,
                    s.profile()
                ));
            } else {
                ctx.ui.success(&format!(
                    "Created OAuth client {} (its key is not shown; pass --use to store it in the profile)",
                    created.id
                ));
            }
            if a.export {
                let key = created.key.as_ref().map(|k| k.expose()).unwrap_or_default();
                let vars = [
                    ("TAPIS_CLIENT_ID", created.id.as_str()),
                    ("TAPIS_CLIENT_KEY", key),
                ];
                if ctx.g.json {
                    let v: serde_json::Map<String, Value> = vars
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), json!(v)))
                        .collect();
                    return Ok(
                        json!({"client": client_json(&created), "used": false, "variables": v}),
                    );
                }
                let text = Secret::new(export_lines(a.shell, &vars));
                out(text.expose())?;
            } else if !ctx.g.json {
                out(&format!("{}\n", created.id))?;
            }
            json!({"client": client_json(&created), "used": a.use_it})
        }
    })
}

/// `tenants list`.
pub fn tenants(ctx: &Ctx, c: &TenantsCommand) -> Result<Value, CliError> {
    let TenantsCommand::List(a) = c;
    let current = ctx
        .restore_session(ctx.options())
        .ok()
        .and_then(|s| s.session().ok());
    let (base, plat) = match (&a.base_url, &current) {
        (Some(u), _) => {
            let b = BaseUrl::parse(u)?;
            let p = a
                .platform
                .map(platform)
                .or_else(|| Platform::guess_from_url(&b))
                .unwrap_or(Platform::TapisV3);
            (b, p)
        }
        (None, Some(s)) => (
            s.tenant.base_url.clone(),
            a.platform.map(platform).unwrap_or(s.platform()),
        ),
        (None, None) => (
            BaseUrl::parse("https://tacc.tapis.io")?,
            a.platform.map(platform).unwrap_or(Platform::TapisV3),
        ),
    };
    tracing::debug!("listing {plat} tenants at {base}");
    let transport = HttpTransport::new(ctx.options().transport);
    let list = tapis_auth::tenant::list_tenants(
        &transport,
        &SystemClock,
        &base,
        plat,
        a.tenants_url.as_deref(),
    )?;
    let v: Vec<Value> = list
        .iter()
        .map(|t| json!({"id": t.id, "base_url": t.base_url.to_string(), "platform": t.platform.as_str(), "name": t.name, "status": t.status}))
        .collect();
    if !ctx.g.json {
        let mut text = String::new();
        for t in &list {
            text.push_str(&format!(
                "{}\t{}\t{}\n",
                t.id.as_deref().unwrap_or("-"),
                t.base_url,
                t.name.as_deref().unwrap_or("-")
            ));
        }
        out(&text)?;
    }
    Ok(json!({"tenants": v}))
}

/// Quotes `v` for `shell` so that any byte sequence survives.
pub fn quote(shell: ShellArg, v: &str) -> String {
    match shell {
        ShellArg::Sh => format!("'{}'", v.replace('\'', r"'\''")),
        // csh: no escapes inside single quotes; `!` (history) and newlines need a backslash.
        ShellArg::Csh => format!(
            "'{}'",
            v.replace('\'', r"'\''")
                .replace('!', r"\!")
                .replace('\n', "\\\n")
        ),
        ShellArg::Fish => format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'")),
    }
}

/// Lines that set each variable in `shell`, values quoted so that any byte survives.
pub fn export_lines(shell: ShellArg, vars: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for (k, v) in vars {
        let q = quote(shell, v);
        text.push_str(&match shell {
            ShellArg::Sh => format!("export {k}={q}\n"),
            ShellArg::Csh => format!("setenv {k} {q};\n"),
            ShellArg::Fish => format!("set -gx {k} {q};\n"),
        });
    }
    text
}

/// `env`: export lines for a batch job.
pub fn env(ctx: &Ctx, a: &EnvArgs) -> Result<Value, CliError> {
    let s = ctx.restore()?;
    let token = s.access_token(a.min_valid)?;
    let w = s.whoami()?;
    let mut vars: Vec<(&str, String)> = vec![("TAPIS_BASE_URL", w.base_url.clone())];
    vars.push(("TAPIS_TOKEN", token.expose().to_owned()));
    if let Some(t) = &w.tenant_id {
        vars.push(("TAPIS_TENANT_ID", t.clone()));
    }
    if let Some(u) = &w.username {
        vars.push(("TAPIS_USERNAME", u.clone()));
    }
    // Where the login lives, so that the job's library calls can refresh it once the exported
    // token runs low (the library serves an access-only environment from the same login in the
    // store), even under another HOME.
    if ctx.store_kind() == tapis_auth_storage::StoreKind::Json {
        let dir = match ctx.store_path() {
            Some(d) => d,
            None => tapis_auth_storage::default_cache_dir(&|k: &str| std::env::var(k).ok())?,
        };
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        vars.push(("TAPIS_CACHE_DIR", dir.to_string_lossy().into_owned()));
    }
    if ctx.g.json {
        let expires = token_expiry(&s, &token);
        let map: serde_json::Map<String, Value> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        return Ok(json!({
            "profile": w.profile,
            "variables": map,
            "expires": time_json(expires, SystemClock.now()),
        }));
    }
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = export_lines(a.shell, &pairs);
    let r = out(&text);
    // Do not leave a copy of the token in freed memory.
    drop(Secret::new(text));
    r?;
    Ok(Value::Null)
}

/// `import --from DIR`: copy sessions from an agavepy JSON cache into the chosen store.
pub fn import(ctx: &Ctx, a: &ImportArgs) -> Result<Value, CliError> {
    let from = match &a.from {
        Some(d) => d.clone(),
        None => tapis_auth_storage::default_cache_dir(&|k: &str| std::env::var(k).ok())?,
    };
    if !from.is_dir() {
        return Err(CliError::usage(format!(
            "{} is not a directory",
            from.display()
        )));
    }
    let src = tapis_auth_storage::open_store(tapis_auth_storage::StoreKind::Json, Some(&from))?;
    // A source others can read is reported (reads change nothing), as for the destination.
    ctx.watch(&src);
    let dst = ctx.open_store()?;
    if src.describe() == dst.describe() {
        return Err(CliError::usage("source and destination are the same store")
            .hint("pick another with --store or --cache-dir"));
    }
    let existing = dst.list()?;
    let mut imported = Vec::new();
    let mut skipped = Vec::new();
    let mut names = src.list()?;
    // --profile NAME imports that profile only.
    if let Some(only) = &ctx.g.profile {
        if !names.contains(only) {
            return Err(CliError::usage(format!(
                "there is no profile {only:?} in {} (it has: {})",
                src.describe(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        }
        names.retain(|n| n == only);
    }
    for name in names {
        let Some(session) = src.load(&name)? else {
            continue;
        };
        if existing.contains(&name) && !a.overwrite {
            ctx.ui.warn(&format!(
                "profile {name} already exists in {}; skipped (use --overwrite)",
                dst.describe()
            ));
            skipped.push(name);
            continue;
        }
        {
            let _lock = dst.lock(&name)?;
            dst.save(&session)?;
        }
        ctx.ui
            .success(&format!("Imported profile {name} into {}", dst.describe()));
        imported.push(name);
    }
    if dst.current_profile()?.is_none() {
        if let Some(c) = src.current_profile()?.filter(|c| imported.contains(c)) {
            dst.set_current_profile(&c)?;
        }
    }
    if imported.is_empty() && skipped.is_empty() {
        ctx.ui
            .info(&format!("No sessions found in {}", src.describe()));
    }
    Ok(json!({"imported": imported, "skipped": skipped}))
}

/// Runs every read the store offers and returns the first error.
fn check_store(store: &dyn Store) -> Result<(), StoreError> {
    store.current_profile()?;
    for p in store.list()? {
        store.load(&p)?;
    }
    Ok(())
}

/// `repair`: show what is wrong with the cache and move corrupt files aside.
pub fn repair(ctx: &Ctx, a: &RepairArgs) -> Result<Value, CliError> {
    let mut moved = Vec::new();
    for _ in 0..8 {
        let err =
            match tapis_auth_storage::open_store(ctx.store_kind(), ctx.store_path().as_deref())
                .and_then(|s| {
                    ctx.watch(&s);
                    check_store(&*s)
                }) {
                Ok(()) => break,
                Err(e) => e,
            };
        let StoreError::Corrupt { path, .. } = &err else {
            return Err(err.into());
        };
        let path = path.clone();
        ctx.ui.warn(&err.to_string());
        if a.dry_run {
            return Err(CliError::new(
                exit::STORAGE,
                format!("{} is corrupt (nothing moved: --dry-run)", path.display()),
            )
            .hint("run `tapis-auth repair` without --dry-run to move it aside"));
        }
        let to = tapis_auth_storage::move_aside(&path)?;
        ctx.ui.success(&format!(
            "Moved {} aside to {} (kept for inspection)",
            path.display(),
            to.display()
        ));
        moved.push(json!({"from": path, "to": to}));
    }
    if moved.is_empty() {
        ctx.ui
            .success("The credential store is readable; nothing to repair");
    } else {
        ctx.ui
            .info("Log in again if a session was lost: `tapis-auth login`");
    }
    Ok(json!({"moved": moved}))
}

/// `completions SHELL`.
pub fn completions(ctx: &Ctx, a: &CompletionsArgs) -> Result<Value, CliError> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "tapis-auth", &mut buf);
    let script = String::from_utf8_lossy(&buf);
    if !ctx.g.json {
        out(&script)?;
    }
    Ok(json!({"shell": a.shell.to_string(), "script": script}))
}
