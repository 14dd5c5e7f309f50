//! `tapis-auth`: log in to Tapis v3 and Agave v2 tenants and hand out access tokens to scripts.
//!
//! Every command is a thin layer over [`tapis_auth::AuthSession`]. Machine output goes to
//! stdout, messages for people to stderr; secrets are printed only by `token` and `env`.
//! Failures map to the documented exit codes in [`exit`].

// The argument structs' doc comments are also the `--help` text, where `<https://…>` would
// print its angle brackets: plain URLs are meant there.
#![allow(rustdoc::bare_urls)]

mod client_edit;
mod commands;
mod device_screen;
mod hardening;
mod job_session;
mod login;
mod output;
mod whoami;

// The command line, the exit codes and the output helpers it parses with live in the library
// half of this package (src/lib.rs), where the man-page generator (src/bin/mangen.rs) reads
// them too.
use tapis_auth_cli::{cli, exit, ui};

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tapis_auth::{AuthSession, Options, TransportConfig};
use tapis_auth_core::{Error, Store, DEFAULT_PROFILE};
use tapis_auth_storage::StoreKind;

use crate::cli::{Cli, Command, Global, StoreArg};
use crate::exit::CliError;
use crate::ui::Ui;

/// What every command gets: the global settings and the output helper.
pub struct Ctx {
    /// The global flags.
    pub g: Global,
    /// Output.
    pub ui: Ui,
    /// Every store the command opened, so their warnings (a cache file found readable by
    /// others and made private) reach stderr when the command ends.
    stores: RefCell<Vec<Arc<dyn Store>>>,
}

impl Ctx {
    /// A context for `g`, printing as its `--quiet`, `-v` and `--json` say.
    pub fn new(g: Global) -> Self {
        Self {
            ui: Ui::new(g.quiet, g.verbose, g.json),
            g,
            stores: RefCell::new(Vec::new()),
        }
    }

    /// Remembers `store` so that its warnings are shown when the command ends.
    fn watch(&self, store: &Arc<dyn Store>) {
        self.stores.borrow_mut().push(store.clone());
    }

    /// Prints (once each) the warnings of every store the command opened, and returns them.
    pub fn show_warnings(&self) -> Vec<String> {
        let mut all = Vec::new();
        for store in self.stores.borrow().iter() {
            for w in store.take_warnings() {
                self.ui.warn(&w);
                all.push(w);
            }
        }
        all
    }

    /// [`AuthSession::open`], remembering the store for its warnings.
    pub fn open_session(&self, o: Options) -> Result<AuthSession, Error> {
        let s = AuthSession::open(o)?;
        self.watch(s.manager().store());
        Ok(s)
    }

    /// [`AuthSession::restore`], remembering the store for its warnings.
    /// With `--store env` and no credentials in the environment, the error names the
    /// variables to set (a login cannot help there).
    pub fn restore_session(&self, o: Options) -> Result<AuthSession, CliError> {
        match AuthSession::restore(o) {
            Ok(s) => {
                self.watch(s.manager().store());
                Ok(s)
            }
            Err(Error::LoginRequired { .. }) if self.store_kind() == StoreKind::Env => {
                Err(CliError::new(
                    exit::LOGIN_REQUIRED,
                    "no credentials in the environment (--store env reads only TAPIS_* variables, and TAPIS_BASE_URL is not set)",
                )
                .with_reason("login_required")
                .hint(tapis_auth_storage::env::VARIABLES_NEEDED))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The store kind chosen by `--store`.
    pub fn store_kind(&self) -> StoreKind {
        match self.g.store {
            StoreArg::Json => StoreKind::Json,
            StoreArg::Sqlite => StoreKind::Sqlite,
            StoreArg::Keyring => StoreKind::Keyring,
            StoreArg::Env => StoreKind::Env,
        }
    }

    /// The store location from `--cache-dir` (the database file inside it for SQLite).
    pub fn store_path(&self) -> Option<PathBuf> {
        let dir = self.g.cache_dir.clone()?;
        Some(match self.g.store {
            StoreArg::Sqlite => dir.join(tapis_auth_storage::SQLITE_FILE),
            _ => dir,
        })
    }

    /// Library options from the global flags (store, profile, TLS settings).
    pub fn options(&self) -> Options {
        Options {
            profile: self.g.profile.clone(),
            store: self.store_kind(),
            store_path: self.store_path(),
            transport: {
                let mut t = TransportConfig {
                    ca_file: self.g.ca_file.clone(),
                    allow_insecure_http: self.g.insecure_http,
                    ..TransportConfig::default()
                };
                if let Some(s) = self.g.connect_timeout {
                    t.connect_timeout = std::time::Duration::from_secs(s);
                }
                if let Some(s) = self.g.timeout {
                    t.timeout = std::time::Duration::from_secs(s);
                }
                t
            },
            ..Options::default()
        }
    }

    /// Opens the chosen store.
    pub fn open_store(&self) -> Result<Arc<dyn Store>, CliError> {
        let store =
            tapis_auth_storage::open_store(self.store_kind(), self.store_path().as_deref())?;
        self.watch(&store);
        tracing::debug!("store: {}", store.describe());
        Ok(store)
    }

    /// The profile to act on: `--profile`, else the store's current profile, else `default`.
    pub fn profile_name(&self, store: &dyn Store) -> Result<String, CliError> {
        if let Some(p) = &self.g.profile {
            return Ok(p.clone());
        }
        Ok(store
            .current_profile()?
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned()))
    }

    /// Restores the session (explicit > environment > store); exit code 3 when there is none.
    pub fn restore(&self) -> Result<AuthSession, CliError> {
        self.restore_session(self.options())
    }
}

/// Runs `command`; returns its `--json` fields (printed only with `--json`).
fn dispatch(ctx: &Ctx, command: Command) -> Result<serde_json::Value, CliError> {
    match command {
        Command::Token(a) => commands::token(ctx, &a),
        Command::Login(a) => login::login(ctx, a),
        Command::Status => commands::status(ctx),
        Command::Whoami => whoami::whoami(ctx),
        Command::Refresh => commands::refresh(ctx),
        Command::Logout(a) => commands::logout(ctx, &a),
        Command::Profiles(c) => commands::profiles(ctx, &c),
        Command::Clients(c) => commands::clients(ctx, &c),
        Command::Tenants(c) => commands::tenants(ctx, &c),
        Command::Env(a) => commands::env(ctx, &a),
        Command::JobSession(c) => job_session::job_session(ctx, &c),
        Command::Import(a) => commands::import(ctx, &a),
        Command::Repair(a) => commands::repair(ctx, &a),
        Command::Completions(a) => commands::completions(ctx, &a),
    }
}

/// The arguments of the hot path: `token [--min-valid N]`, optionally with `--cache-dir`,
/// `--store` and `--profile` before or after `token` (each as `--flag VALUE` or `--flag=VALUE`),
/// recognised without building the clap parser (which costs about a third of a millisecond and
/// half a megabyte per process). Anything else, including a malformed, empty or dash-led value
/// or a repeated flag, goes through clap as usual. Returns `min_valid` and the global settings.
fn fast_token() -> Option<(i64, Global)> {
    fast_token_from(
        std::env::args_os().skip(1),
        fast_global(|k| std::env::var_os(k))?,
    )
}

/// [`fast_token`] over given arguments (without the program name) and environment settings.
fn fast_token_from(
    mut args: impl Iterator<Item = std::ffi::OsString>,
    mut g: Global,
) -> Option<(i64, Global)> {
    let mut min_valid = None;
    let mut seen_token = false;
    let (mut seen_dir, mut seen_store, mut seen_profile) = (false, false, false);
    while let Some(arg) = args.next() {
        let arg = arg.into_string().ok()?;
        if arg == "token" && !seen_token {
            seen_token = true;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        // clap reads a separate value that starts with `-` as a flag, and keeps an empty one
        // (`--profile=`) or rejects it (`--cache-dir=`): leave both to clap.
        let mut value = || {
            let v = match &inline {
                Some(v) => v.clone(),
                None => args.next()?.into_string().ok()?,
            };
            (!v.is_empty() && (inline.is_some() || !v.starts_with('-'))).then_some(v)
        };
        let once = |seen: &mut bool| (!std::mem::replace(seen, true)).then_some(());
        match flag.as_str() {
            "--min-valid" if seen_token && min_valid.is_none() => {
                min_valid = Some(crate::ui::parse_duration(&value()?).ok()?);
            }
            "--cache-dir" => {
                once(&mut seen_dir)?;
                g.cache_dir = Some(PathBuf::from(value()?));
            }
            "--store" => {
                once(&mut seen_store)?;
                g.store = <StoreArg as clap::ValueEnum>::from_str(&value()?, false).ok()?;
            }
            "--profile" => {
                once(&mut seen_profile)?;
                g.profile = Some(value()?);
            }
            _ => return None,
        }
    }
    seen_token.then_some((min_valid.unwrap_or(0), g))
}

/// The global settings of the hot path, from the environment only (`var` looks a variable up),
/// as clap would read them. `None` (use clap) when a setting that changes `token`'s behaviour
/// comes from the environment in a form only clap interprets, or any of them is empty (clap
/// rejects an empty store, directory, file or timeout, and keeps an empty profile name).
fn fast_global(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<Global> {
    let var = |k: &str| match var(k) {
        Some(v) if v.is_empty() => Err(()),
        v => Ok(v),
    };
    for k in [
        "TAPIS_AUTH_INSECURE_HTTP",
        "TAPIS_AUTH_TIMEOUT",
        "TAPIS_AUTH_CONNECT_TIMEOUT",
        "TAPIS_AUTH_JSON",
    ] {
        if var(k) != Ok(None) {
            return None;
        }
    }
    let store = match var("TAPIS_AUTH_STORE").ok()? {
        None => StoreArg::Json,
        Some(v) => <StoreArg as clap::ValueEnum>::from_str(v.to_str()?, false).ok()?,
    };
    Some(Global {
        store,
        cache_dir: var("TAPIS_CACHE_DIR").ok()?.map(PathBuf::from),
        profile: match var("TAPIS_AUTH_PROFILE").ok()? {
            Some(p) => Some(p.into_string().ok()?),
            None => None,
        },
        json: false,
        quiet: false,
        verbose: 0,
        ca_file: var("TAPIS_AUTH_CA_FILE").ok()?.map(PathBuf::from),
        insecure_http: false,
        connect_timeout: None,
        timeout: None,
    })
}

/// Reports the result: the JSON object (with `--json`), the error on stderr, the exit code.
fn exit_with(
    result: Result<serde_json::Value, CliError>,
    command: Option<&str>,
    warnings: &[String],
    ui: Ui,
) -> ExitCode {
    let printed = match (&result, ui.json) {
        (Ok(v), true) => {
            output::print(&output::success(command.unwrap_or(""), v.clone(), warnings))
        }
        (Err(e), true) if e.code != exit::OK => {
            output::print(&output::failure(command, e, warnings))
        }
        _ => Ok(()),
    };
    match (result, printed) {
        // A closed pipe (`tapis-auth profiles list | head -1`) is not an error.
        (Ok(_), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) if e.code == exit::OK => ExitCode::SUCCESS,
        (Ok(_), Err(e)) => {
            let e = CliError::from(e);
            if e.code != exit::OK {
                ui.error(&e.message, e.hint.as_deref());
            }
            ExitCode::from(e.code)
        }
        (Err(e), _) => {
            ui.error(&e.message, e.hint.as_deref());
            ExitCode::from(e.code)
        }
    }
}

/// Parses the command line. With `--json`, a command line clap rejects still prints one JSON
/// object (`error.name` `usage`); `--help` and `--version` print their text.
fn parse() -> Result<Cli, ExitCode> {
    let e = match Cli::try_parse() {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    use clap::error::ErrorKind;
    let display = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if display || !json_requested() {
        e.exit();
    }
    let _ = e.print();
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    let mut err = CliError::usage(message).with_reason("invalid_arguments");
    // clap's suggestions (`tip: a similar subcommand exists: 'token'`) are the hint.
    let tips: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("tip: "))
        .collect();
    if !tips.is_empty() {
        err = err.hint(tips.join("; "));
    }
    let _ = output::print(&output::failure(None, &err, &[]));
    Err(ExitCode::from(exit::USAGE))
}

/// Whether `--json` was asked for, read from the raw arguments and `TAPIS_AUTH_JSON` as clap
/// would (for reporting a command line clap rejected).
fn json_requested() -> bool {
    let flag = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json" || a.to_str().is_some_and(|s| s.starts_with("--json=")));
    // clap's BoolishValueParser's true spellings (anything else is false or a usage error).
    let env = std::env::var("TAPIS_AUTH_JSON").is_ok_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on" | "y" | "t"
        )
    });
    flag || env
}

/// What a panic prints: where it happened, never its message (a message formatted from data
/// could carry a token or a password).
fn panic_report(location: Option<&std::panic::Location<'_>>) -> String {
    let at = location
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!(
        "tapis-auth: internal error{at}. This is a bug: please report it. \
         (The panic message is not shown: it could contain a secret.)"
    )
}

fn main() -> ExitCode {
    // Before anything is read: a core of this process would hold its secrets.
    hardening::disable_core_dumps();
    std::panic::set_hook(Box::new(|info| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            panic_report(info.location())
        );
    }));
    let (g, command) = match fast_token() {
        Some((min_valid, g)) => (g, Command::Token(cli::TokenArgs { min_valid })),
        None => match parse() {
            Ok(cli) => (cli.global, cli.command),
            Err(code) => return code,
        },
    };
    let name = command.name();
    // -v: decisions; -vv: also HTTP requests, retries and lock waits (see the README).
    match g.verbose {
        0 => {}
        1 => {
            tapis_auth::log::to_stderr(tapis_auth::log::Level::Debug);
        }
        _ => {
            tapis_auth::log::to_stderr(tapis_auth::log::Level::Trace);
        }
    }
    let ctx = Ctx::new(g);
    let r = dispatch(&ctx, command);
    let warnings = ctx.show_warnings();
    exit_with(r, Some(name), &warnings, ctx.ui)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_global() -> Global {
        Global {
            store: StoreArg::Json,
            cache_dir: Some(PathBuf::from("/env/dir")),
            profile: None,
            json: false,
            quiet: false,
            verbose: 0,
            ca_file: None,
            insecure_http: false,
            connect_timeout: None,
            timeout: None,
        }
    }

    fn fast(args: &str) -> Option<(i64, Global)> {
        fast_token_from(
            args.split_whitespace().map(std::ffi::OsString::from),
            env_global(),
        )
    }

    #[test]
    fn fast_path_takes_token_with_store_flags() {
        let (m, g) = fast("token").unwrap();
        assert_eq!((m, g.cache_dir.unwrap()), (0, PathBuf::from("/env/dir")));
        let (m, g) = fast("--cache-dir /d --store sqlite token --min-valid 300").unwrap();
        assert_eq!(m, 300);
        assert_eq!(g.cache_dir.unwrap(), PathBuf::from("/d"));
        assert!(matches!(g.store, StoreArg::Sqlite));
        let (m, g) = fast("token --profile=p --min-valid=5 --cache-dir=/x").unwrap();
        assert_eq!((m, g.profile.as_deref()), (5, Some("p")));
        assert_eq!(g.cache_dir.unwrap(), PathBuf::from("/x"));
    }

    /// Whatever the fast path takes, clap parses to the same command and settings.
    #[test]
    fn fast_path_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &["token"],
            &["token", "--min-valid", "300"],
            &["token", "--min-valid=+7"],
            &["token", "--min-valid", "10m"],
            &["token", "--min-valid=1h"],
            &["token", "--min-valid", "1x"],
            &["token", "--min-valid=-5"],
            &["token", "--min-valid", "-5"],
            &["--profile", "token", "token"],
            &["token", "--profile", "token"],
            &["token", "--profile="],
            &["token", "--profile", ""],
            &["token", "--profile", "-v"],
            &["token", "--profile=-v"],
            &["token", "--profile=a=b"],
            &["token", "--cache-dir", "-"],
            &["token", "--cache-dir=-d"],
            &["--store=sqlite", "token", "--cache-dir", "/d"],
            &["token", "--store", "Sqlite"],
        ];
        let mut taken = 0;
        for args in cases {
            let argv = || std::iter::once("tapis-auth").chain(args.iter().copied());
            let base = Cli::try_parse_from(["tapis-auth", "token"]).unwrap().global;
            let Some((m, g)) = fast_token_from(args.iter().map(Into::into), base) else {
                continue;
            };
            taken += 1;
            let cli = Cli::try_parse_from(argv())
                .unwrap_or_else(|e| panic!("{args:?}: fast path took what clap rejects: {e}"));
            let Command::Token(t) = cli.command else {
                panic!("{args:?}: clap saw another command")
            };
            let c = cli.global;
            assert_eq!(
                (m, g.store, g.cache_dir, g.profile),
                (t.min_valid, c.store, c.cache_dir, c.profile),
                "{args:?}"
            );
        }
        assert!(taken >= 8, "only {taken} cases took the fast path");
    }

    #[test]
    fn fast_global_leaves_empty_and_clap_only_settings_to_clap() {
        let with =
            |k: &'static str, v: &'static str| fast_global(move |q| (q == k).then(|| v.into()));
        assert!(fast_global(|_| None).is_some());
        let g = with("TAPIS_AUTH_PROFILE", "p").unwrap();
        assert_eq!(g.profile.as_deref(), Some("p"));
        assert!(matches!(
            with("TAPIS_AUTH_STORE", "sqlite").map(|g| g.store),
            Some(StoreArg::Sqlite)
        ));
        for k in [
            "TAPIS_AUTH_STORE",
            "TAPIS_CACHE_DIR",
            "TAPIS_AUTH_PROFILE",
            "TAPIS_AUTH_CA_FILE",
            "TAPIS_AUTH_INSECURE_HTTP",
            "TAPIS_AUTH_TIMEOUT",
            "TAPIS_AUTH_CONNECT_TIMEOUT",
        ] {
            assert!(with(k, "").is_none(), "{k} empty took the fast path");
        }
        for k in [
            "TAPIS_AUTH_TIMEOUT",
            "TAPIS_AUTH_INSECURE_HTTP",
            "TAPIS_AUTH_JSON",
        ] {
            assert!(with(k, "1").is_none(), "{k} took the fast path");
        }
        assert!(with("TAPIS_AUTH_STORE", "bogus").is_none());
    }

    #[test]
    fn panic_report_names_the_place_not_the_payload() {
        let payload = "secret-refresh-token-123";
        let hook_out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let out = hook_out.clone();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            *out.lock().unwrap() = panic_report(info.location());
        }));
        let r = std::panic::catch_unwind(|| panic!("token {payload}"));
        std::panic::set_hook(prev);
        assert!(r.is_err());
        let text = hook_out.lock().unwrap().clone();
        assert!(
            text.contains("internal error at") && text.contains("main.rs"),
            "{text}"
        );
        assert!(!text.contains(payload), "{text}");
    }

    #[test]
    fn anything_else_goes_to_clap() {
        for args in [
            "",
            "status",
            "token extra",
            "token --min-valid",
            "token --min-valid soon",
            "token --min-valid 1 --min-valid 2",
            "--min-valid 5 token",
            "token token",
            "token --json",
            "token -v",
            "token --store nosuch",
            "token --cache-dir",
            "token --cache-dir= ",
            "--cache-dir /a --cache-dir /b token",
            "--profile a token --profile b",
            "token --insecure-http",
        ] {
            assert!(fast(args).is_none(), "{args:?} took the fast path");
        }
    }
}
