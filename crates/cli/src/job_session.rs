//! `job-session`: a credential for a batch job that is not the user's own login.
//!
//! `job-session create NAME` logs in again — as the same user on the same tenant as the current
//! profile, but with a **new OAuth client of its own** — and saves that session as profile
//! `NAME` in a **separate JSON cache directory** (default `<cache dir>/job-sessions/NAME`,
//! mode 0700, files 0600) that the job points `TAPIS_CACHE_DIR` at. The job's
//! `tapis-auth token` (or the library) refreshes it there with its own client; the user's own
//! cache is never touched by the job. `job-session revoke NAME` (or `logout` in that
//! directory) deletes the client — no copy of the session can refresh after that — revokes the
//! tokens and deletes the directory's files. The user's own login is unaffected either way.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tapis_auth::{AuthSession, Options, SystemClock};
use tapis_auth_core::{BaseUrl, Clock, Platform, Session};
use tapis_auth_storage::StoreKind;

use crate::cli::{JobSessionCommand, JobSessionCreateArgs, JobSessionRevokeArgs};
use crate::commands::{export_lines, get_password, password_prompt, time_json};
use crate::exit::{self, CliError};
use crate::ui::{absolute, out, relative};
use crate::Ctx;

/// Files a job-session directory holds: the JSON cache and its lock.
const FILES: [&str; 3] = [
    tapis_auth_storage::json::CONFIG_FILE,
    tapis_auth_storage::json::CURRENT_FILE,
    tapis_auth_storage::json::LOCK_FILE,
];

/// `job-session create | revoke | list`.
pub fn job_session(ctx: &Ctx, c: &JobSessionCommand) -> Result<Value, CliError> {
    match c {
        JobSessionCommand::Create(a) => create(ctx, a),
        JobSessionCommand::Revoke(a) => revoke(ctx, a),
        JobSessionCommand::List { dir } => list(ctx, dir.as_deref()),
    }
}

/// A job-session name: letters, digits, `.`, `_`, `-`; at most 40 characters (it names a
/// directory and a profile, and goes into the client's description).
fn check_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "invalid job-session name {name:?}: use up to 40 letters, digits, '.', '_' or '-' (not starting with '.')"
        )))
    }
}

/// Where job sessions live by default: `<cache dir>/job-sessions`.
fn parent_dir(ctx: &Ctx, dir: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(d) = dir {
        return Ok(d.to_path_buf());
    }
    let cache = match &ctx.g.cache_dir {
        Some(d) => d.clone(),
        None => tapis_auth_storage::default_cache_dir(&|k: &str| std::env::var(k).ok())?,
    };
    Ok(cache.join("job-sessions"))
}

/// Options for the job session `name` in `dir` (always the JSON store: plain files work on
/// the shared file systems of clusters, where SQLite's locking may not).
fn job_options(ctx: &Ctx, dir: &Path, name: &str) -> Options {
    let mut o = ctx.options();
    o.store = StoreKind::Json;
    o.store_path = Some(dir.to_path_buf());
    o.profile = Some(name.to_owned());
    o.use_environment = false;
    o
}

fn create(ctx: &Ctx, a: &JobSessionCreateArgs) -> Result<Value, CliError> {
    check_name(&a.name)?;
    let dir = parent_dir(ctx, a.dir.as_deref())?.join(&a.name);
    let existing = tapis_auth_storage::open_store(StoreKind::Json, Some(&dir))?;
    if existing.load(&a.name)?.is_some() {
        return Err(CliError::usage(format!(
            "job session {} already exists in {}",
            a.name,
            dir.display()
        ))
        .hint(format!(
            "revoke it first: `tapis-auth job-session revoke {}`",
            a.name
        )));
    }
    drop(existing);

    // The user's own session names the tenant and the user (nothing else is taken from it).
    let own = ctx.restore()?;
    let me = own.session()?;
    let user = me.username.clone().or_else(|| own.whoami().ok()?.username);
    let Some(user) = user else {
        return Err(CliError::usage(
            "the current session does not name its user: log in with --username first",
        ));
    };
    let mut o = job_options(ctx, &dir, &a.name);
    o.base_url = Some(me.tenant.base_url.to_string());
    o.tenant_id = me.tenant.id.clone();
    o.platform = Some(me.platform());
    o.username = Some(user.clone());
    o.persist_explicit = true;
    o.make_current = true;

    let s = if a.device {
        if me.platform() == Platform::AgaveV2 {
            return Err(
                CliError::usage("Agave v2 has no device login: leave out --device")
                    .with_reason("unsupported"),
            );
        }
        // A client of its own first (with the user's token), then the device login with it.
        let new = tapis_auth_core::flow::clients::NewClient {
            client_id: Some(tapis_auth_core::flow::clients::distinctive_client_id(&[
                "tapis-auth-job",
                &a.name,
                &user,
                &random_suffix(),
            ])),
            description: Some(tapis_auth_core::login_client_description(&a.name)),
            ..Default::default()
        };
        let client = own.create_client(&new)?;
        o.client_id = Some(client.id.clone());
        o.client_key = client.key.clone();
        let s = ctx.open_session(o)?;
        ctx.ui.info(&format!(
            "Created OAuth client {} for job session {}; approve the login as {user}:",
            client.id, a.name
        ));
        if let Err(e) = crate::login::device(ctx, &s, !a.no_qr, a.wait) {
            // Nothing is left behind: the client is deleted again.
            let _ = own.delete_client(&client.id);
            return Err(e);
        }
        s
    } else {
        let password = match me.password.clone() {
            Some(p) => p,
            None => get_password(
                a.password_stdin,
                &password_prompt(&user, &me.tenant, Some(&format!("job session {}", a.name))),
            )?,
        };
        o.password = Some(password);
        ctx.ui.info(&format!(
            "Logging in again as {user} to {} with a new OAuth client, for job session {}…",
            me.tenant.base_url, a.name
        ));
        let s = ctx.open_session(o)?;
        // Creates the client (described as this profile's login client) and logs in with it.
        s.login_password(true)?;
        s
    };
    let w = s.whoami()?;
    let now = SystemClock.now();
    let dir_text = dir.display().to_string();
    let vars = [
        ("TAPIS_CACHE_DIR", dir_text.as_str()),
        ("TAPIS_AUTH_PROFILE", a.name.as_str()),
    ];
    let lasts = match (w.expires_at, w.has_refresh_token) {
        (Some(e), true) => format!(
            "its access token expires {} and is renewed with its own client until it is revoked (or its refresh token lapses unused)",
            relative(e, now)
        ),
        (Some(e), false) => format!(
            "its access token expires {} ({}) and cannot be renewed",
            relative(e, now),
            absolute(e)
        ),
        (None, _) => "its access token's expiry is unknown".to_owned(),
    };
    ctx.ui.success(&format!(
        "Job session {} created in {dir_text} (client {}); {lasts}.",
        a.name,
        w.client_id.as_deref().unwrap_or("?"),
    ));
    ctx.ui.info(&format!(
        "In the job, set {} (`eval \"$(tapis-auth job-session create ...)\"` sets them); \
         `tapis-auth token` there prints the job session's token. Revoke it with \
         `tapis-auth job-session revoke {}`.",
        if ctx.g.json {
            "the two `variables` of the JSON output"
        } else {
            "the two variables printed on stdout"
        },
        a.name
    ));
    if !ctx.g.json {
        out(&export_lines(a.shell, &vars))?;
    }
    Ok(json!({
        "name": a.name,
        "dir": dir_text,
        "profile": a.name,
        "client_id": w.client_id,
        "username": w.username,
        "base_url": w.base_url,
        "platform": w.platform.as_str(),
        "expires": time_json(w.expires_at, now),
        "refresh_token": w.has_refresh_token,
        "variables": {"TAPIS_CACHE_DIR": dir_text, "TAPIS_AUTH_PROFILE": a.name},
    }))
}

/// A short suffix that keeps client ids distinct (not a secret: time and process id).
fn random_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{:06x}",
        (nanos ^ std::process::id().rotate_left(16)) & 0xff_ffff
    )
}

fn revoke(ctx: &Ctx, a: &JobSessionRevokeArgs) -> Result<Value, CliError> {
    check_name(&a.name)?;
    let dir = parent_dir(ctx, a.dir.as_deref())?.join(&a.name);
    let mut o = job_options(ctx, &dir, &a.name);
    if a.password_stdin {
        o.password = Some(get_password(true, "")?);
    }
    let s = AuthSession::open(o)?;
    if s.manager().store().load(&a.name)?.is_none() {
        return Err(CliError::new(
            exit::USAGE,
            format!("there is no job session {} in {}", a.name, dir.display()),
        )
        .hint("list them with `tapis-auth job-session list`"));
    }
    let r = s.logout_with(true)?;
    if let Some(id) = &r.client_deleted {
        ctx.ui.success(&format!(
            "Deleted OAuth client {id}: no copy of job session {} can be renewed",
            a.name
        ));
    }
    if let Some((id, why)) = &r.client_kept {
        ctx.ui.warn(&format!(
            "OAuth client {id} of job session {} was not deleted: {why}; delete it with `tapis-auth clients delete {id}`",
            a.name
        ));
    }
    drop(s);
    remove_dir(&dir);
    ctx.ui.success(&format!(
        "Job session {} revoked (its tokens were revoked where the platform supports it) and {} removed",
        a.name,
        dir.display()
    ));
    Ok(json!({
        "name": a.name,
        "dir": dir,
        "revoked": r.deleted,
        "client_deleted": r.client_deleted,
        "client_kept": r.client_kept.map(|(id, why)| json!({"id": id, "why": why})),
    }))
}

/// Removes a job-session directory's own files (and the cache's refresh-claims directory),
/// then the directory if that leaves it empty: nothing else in it is touched.
fn remove_dir(dir: &Path) {
    for f in FILES {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let _ = std::fs::remove_dir_all(dir.join(tapis_auth_storage::claim::CLAIMS_DIR));
    let _ = std::fs::remove_dir(dir);
}

/// The job sessions under `parent` (one directory each), sorted by name, with the directory
/// each lives in. The stores opened are watched, so that their warnings are shown.
fn sessions_in(ctx: &Ctx, parent: &Path) -> Result<Vec<(String, PathBuf, Session)>, CliError> {
    let mut names: Vec<String> = match std::fs::read_dir(parent) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut found = Vec::new();
    for n in names {
        let d = parent.join(&n);
        let store = tapis_auth_storage::open_store(StoreKind::Json, Some(&d))?;
        ctx.watch(&store);
        if let Some(s) = store.load(&n)? {
            found.push((n, d, s));
        }
    }
    Ok(found)
}

/// The job sessions in the default directory (`<cache dir>/job-sessions`) on `base`, as
/// (name, client id): `clients list` marks their clients, which are in use although no
/// profile of the cache names them. One that cannot be read is left out (`job-session list`
/// reports why).
pub fn clients_of_job_sessions(ctx: &Ctx, base: &BaseUrl) -> Vec<(String, String)> {
    let found = parent_dir(ctx, None).and_then(|parent| sessions_in(ctx, &parent));
    match found {
        Ok(found) => found
            .into_iter()
            .filter(|(_, _, s)| &s.tenant.base_url == base)
            .filter_map(|(n, _, s)| Some((n, s.client?.id)))
            .collect(),
        Err(e) => {
            tracing::debug!("job sessions not read: {}", e.message);
            Vec::new()
        }
    }
}

fn list(ctx: &Ctx, dir: Option<&Path>) -> Result<Value, CliError> {
    let parent = parent_dir(ctx, dir)?;
    let mut rows = Vec::new();
    let now = SystemClock.now();
    let mut text = String::new();
    for (n, d, s) in sessions_in(ctx, &parent)? {
        let expires = s.tokens.as_ref().and_then(|t| t.expires_at);
        text.push_str(&format!(
            "{n}\t{}@{}\t{}\t{}\n",
            s.username.as_deref().unwrap_or("?"),
            s.tenant.id.as_deref().unwrap_or("?"),
            s.client.as_ref().map_or("-", |c| c.id.as_str()),
            expires.map_or_else(
                || "-".to_owned(),
                |e| format!("expires {}", relative(e, now))
            )
        ));
        rows.push(json!({
            "name": n,
            "dir": d,
            "username": s.username,
            "tenant_id": s.tenant.id,
            "client_id": s.client.as_ref().map(|c| c.id.clone()),
            "expires": time_json(expires, now),
        }));
    }
    if !ctx.g.json {
        if rows.is_empty() {
            ctx.ui
                .info(&format!("No job sessions in {}", parent.display()));
        }
        out(&text)?;
    }
    Ok(json!({"dir": parent, "job_sessions": rows}))
}
