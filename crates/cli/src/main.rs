//! `tapis-auth`: log in to Tapis v3 and Agave v2 tenants and hand out access tokens to scripts.
//!
//! Every command is a thin layer over [`tapis_auth_http::AuthSession`]. Machine output goes to
//! stdout, messages for people to stderr; secrets are printed only by `token` and `env`.
//! Failures map to the documented exit codes in [`exit`].

mod cli;
mod commands;
mod exit;
mod login;
mod ui;

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tapis_auth_core::{Error, Store, DEFAULT_PROFILE};
use tapis_auth_http::{AuthSession, Options, TransportConfig};
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
    /// A context for `g`, printing through `ui`.
    pub fn new(g: Global, ui: Ui) -> Self {
        Self {
            g,
            ui,
            stores: RefCell::new(Vec::new()),
        }
    }

    /// Remembers `store` so that its warnings are shown when the command ends.
    fn watch(&self, store: &Arc<dyn Store>) {
        self.stores.borrow_mut().push(store.clone());
    }

    /// Prints (once each) the warnings of every store the command opened.
    pub fn show_warnings(&self) {
        for store in self.stores.borrow().iter() {
            for w in store.take_warnings() {
                self.ui.warn(&w);
            }
        }
    }

    /// [`AuthSession::open`], remembering the store for its warnings.
    pub fn open_session(&self, o: Options) -> Result<AuthSession, Error> {
        let s = AuthSession::open(o)?;
        self.watch(s.manager().store());
        Ok(s)
    }

    /// [`AuthSession::restore`], remembering the store for its warnings.
    pub fn restore_session(&self, o: Options) -> Result<AuthSession, Error> {
        let s = AuthSession::restore(o)?;
        self.watch(s.manager().store());
        Ok(s)
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
            transport: TransportConfig {
                ca_file: self.g.ca_file.clone(),
                allow_insecure_http: self.g.insecure_http,
                ..TransportConfig::default()
            },
            ..Options::default()
        }
    }

    /// Opens the chosen store.
    pub fn open_store(&self) -> Result<Arc<dyn Store>, CliError> {
        let store =
            tapis_auth_storage::open_store(self.store_kind(), self.store_path().as_deref())?;
        self.watch(&store);
        self.ui.debug(1, &format!("store: {}", store.describe()));
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
        let s = self.restore_session(self.options())?;
        self.ui
            .debug(1, &format!("profile {} from {}", s.profile(), s.source()));
        Ok(s)
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let ui = Ui::new(cli.global.quiet, cli.global.verbose, cli.global.json);
    let ctx = Ctx::new(cli.global, ui);
    let r = dispatch(&ctx, cli.command);
    ctx.show_warnings();
    r
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Token(a) => commands::token(ctx, &a),
        Command::Login(a) => login::login(ctx, a),
        Command::Status => commands::status(ctx),
        Command::Refresh => commands::refresh(ctx),
        Command::Logout(a) => commands::logout(ctx, &a),
        Command::Profiles(c) => commands::profiles(ctx, &c),
        Command::Clients(c) => commands::clients(ctx, &c),
        Command::Tenants(c) => commands::tenants(ctx, &c),
        Command::Env(a) => commands::env(ctx, &a),
        Command::Import(a) => commands::import(ctx, &a),
        Command::Repair(a) => commands::repair(ctx, &a),
        Command::Completions(a) => commands::completions(&a),
    }
}

/// The arguments of the hot path, `token [--min-valid N]` with no other flag, recognised without
/// building the clap parser (which costs about a third of a millisecond per process). Anything
/// else, including a malformed number, goes through clap as usual.
fn fast_token_args() -> Option<i64> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "token" {
        return None;
    }
    let min_valid = match (args.next(), args.next()) {
        (None, None) => 0,
        (Some(flag), Some(n)) if flag == "--min-valid" => n.to_str()?.parse().ok()?,
        (Some(flag), None) => flag.to_str()?.strip_prefix("--min-valid=")?.parse().ok()?,
        _ => return None,
    };
    if args.next().is_some() {
        return None;
    }
    Some(min_valid)
}

/// The global settings of the hot path, from the environment only (as clap would read them).
fn fast_global() -> Option<Global> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let store = match var("TAPIS_AUTH_STORE") {
        None => StoreArg::Json,
        Some(v) => <StoreArg as clap::ValueEnum>::from_str(v.to_str()?, false).ok()?,
    };
    Some(Global {
        store,
        cache_dir: var("TAPIS_CACHE_DIR").map(PathBuf::from),
        profile: match var("TAPIS_AUTH_PROFILE") {
            Some(p) => Some(p.into_string().ok()?),
            None => None,
        },
        json: false,
        quiet: false,
        verbose: 0,
        ca_file: var("TAPIS_AUTH_CA_FILE").map(PathBuf::from),
        insecure_http: false,
    })
}

fn exit_with(result: Result<(), CliError>, ui: Ui) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`tapis-auth profiles list | head -1`) is not an error.
        Err(e) if e.code == exit::OK => ExitCode::SUCCESS,
        Err(e) => {
            ui.error(&e.message, e.hint.as_deref());
            ExitCode::from(e.code)
        }
    }
}

fn main() -> ExitCode {
    if let (Some(min_valid), Some(g)) = (fast_token_args(), fast_global()) {
        let ctx = Ctx::new(g, Ui::new(false, 0, false));
        let r = commands::token(&ctx, &cli::TokenArgs { min_valid });
        ctx.show_warnings();
        return exit_with(r, ctx.ui);
    }
    let cli = Cli::parse();
    let (quiet, verbose, json) = (cli.global.quiet, cli.global.verbose, cli.global.json);
    let r = run(cli);
    exit_with(r, Ui::new(quiet, verbose, json))
}
