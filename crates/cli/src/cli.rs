//! The command line, as clap derive structures.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Log in to Tapis v3 and Agave v2 tenants and hand out access tokens to scripts";

const LONG_ABOUT: &str = "\
Log in to Tapis v3 and Agave v2 tenants (TACC) and hand out access tokens to scripts.

Log in once (device code, browser or password), then let batch jobs call
`tapis-auth token`, which prints a valid access token and refreshes it when needed.
Sessions are kept in an agavepy-compatible cache (~/.agave) or in SQLite, the OS
keyring, or read from TAPIS_* environment variables.

Machine output goes to stdout; messages for people go to stderr. Secrets are printed
only by `token` and `env`, on stdout.";

/// `tapis-auth`: the command line.
#[derive(Debug, Parser)]
#[command(name = "tapis-auth", version, about = ABOUT, long_about = LONG_ABOUT, after_long_help = crate::exit::TABLE)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Where sessions are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    /// agavepy-compatible JSON cache (`current` + `config.json` in the cache directory).
    Json,
    /// SQLite database in the cache directory.
    Sqlite,
    /// The OS keyring (Secret Service or the kernel keyring).
    Keyring,
    /// Read-only: `TAPIS_BASE_URL`, `TAPIS_TOKEN`, ... environment variables.
    Env,
}

/// Settings shared by every command (all but `-v` also readable from the environment). Shown
/// under their own heading in every command's help.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Where sessions are kept.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "TAPIS_AUTH_STORE",
        default_value = "json"
    )]
    pub store: StoreArg,
    /// Cache directory (default: $TAPIS_CACHE_DIR, else $AGAVE_CACHE_DIR, else ~/.agave).
    #[arg(long, global = true, value_name = "DIR", env = "TAPIS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Profile (session) name (default: the current profile).
    #[arg(long, global = true, value_name = "NAME", env = "TAPIS_AUTH_PROFILE")]
    pub profile: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true, env = "TAPIS_AUTH_JSON", value_parser = BoolishValueParser::new())]
    pub json: bool,
    /// Print nothing on stderr except errors.
    #[arg(short, long, global = true, env = "TAPIS_AUTH_QUIET", value_parser = BoolishValueParser::new())]
    pub quiet: bool,
    /// More detail on stderr (repeat for more). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Extra trusted CA certificates (PEM), for sites with their own CA.
    #[arg(long, global = true, value_name = "FILE", env = "TAPIS_AUTH_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for a connection (DNS, TCP, TLS) before giving up (default 10).
    #[arg(long, global = true, value_name = "SECS", env = "TAPIS_AUTH_CONNECT_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: Option<u64>,
    /// Seconds a whole request may take, answer included (default 30).
    #[arg(long, global = true, value_name = "SECS", env = "TAPIS_AUTH_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,
    /// Allow plain http:// to non-loopback hosts (loopback is always allowed, and reached
    /// directly, never through a proxy). TAPIS_AUTH_INSECURE_HTTP takes 1/true/yes/on or
    /// 0/false/no/off; anything else is an error.
    #[arg(long, global = true, env = "TAPIS_AUTH_INSECURE_HTTP", value_parser = BoolishValueParser::new())]
    pub insecure_http: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and save the session as a profile.
    Login(LoginArgs),
    /// Print a valid access token (and nothing else) on stdout, refreshing when needed.
    Token(TokenArgs),
    /// Show who is logged in, where, and when the tokens expire (never a secret).
    Status,
    /// Ask the server who the token belongs to (the "am I really logged in" check).
    Whoami,
    /// Refresh the access token now.
    Refresh,
    /// Revoke the tokens (where supported) and delete the session.
    Logout(LogoutArgs),
    /// List profiles or choose the current one.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Manage your OAuth clients.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// List tenants.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// Print shell `export` lines (base URL, token, tenant, user) for a batch job.
    Env(EnvArgs),
    /// A revocable credential for a batch job: its own OAuth client, in its own cache.
    #[command(subcommand)]
    JobSession(JobSessionCommand),
    /// Copy sessions from an agavepy JSON cache into the chosen store.
    Import(ImportArgs),
    /// Move a corrupt cache file aside (kept, with a timestamped name).
    Repair(RepairArgs),
    /// Print a shell completion script (see `completions --help` for where to put it).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
}

/// Where each shell looks for completions (`tapis-auth completions --help`).
const COMPLETIONS_HELP: &str = "\
Installing the completions (open a new shell afterwards):

  bash        mkdir -p ~/.local/share/bash-completion/completions &&
              tapis-auth completions bash > ~/.local/share/bash-completion/completions/tapis-auth
              (needs the bash-completion package; system-wide:
               /usr/share/bash-completion/completions/tapis-auth)
  zsh         mkdir -p ~/.zfunc && tapis-auth completions zsh > ~/.zfunc/_tapis-auth
              then in ~/.zshrc, before `compinit`:  fpath=(~/.zfunc $fpath)
  fish        tapis-auth completions fish > ~/.config/fish/completions/tapis-auth.fish
  elvish      tapis-auth completions elvish >> ~/.config/elvish/rc.elv
  powershell  tapis-auth completions powershell >> $PROFILE

To try them in the current shell only:
  bash/zsh    source <(tapis-auth completions bash)     (or zsh)
  fish        tapis-auth completions fish | source";

/// How to log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Device code: show a code and a URL, poll until approved.
    Device,
    /// Browser: authorization code with a local redirect.
    Browser,
    /// Username and password.
    Password,
}

/// Platform names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    /// Tapis v3.
    V3,
    /// Agave v2.
    V2,
}

/// `tapis-auth login`.
#[derive(Debug, Args)]
#[command(
    after_help = "The password is never taken from the command line: it is prompted for \
without echo, or read from stdin with --password-stdin. The client key may come from \
TAPIS_CLIENT_KEY.

The current profile is the one every tapis-auth command, and every job, uses when it names \
none. A login becomes current when there is no current profile or it logs in to the current \
one again. When --profile names another profile, `login` asks (on a terminal) or, in a \
script, leaves the current profile as it is; --switch and --no-switch decide without asking."
)]
pub struct LoginArgs {
    /// Tenant id, e.g. `tacc`.
    #[arg(long, value_name = "ID", env = "TAPIS_TENANT_ID")]
    pub tenant: Option<String>,
    /// Tenant base URL, e.g. https://tacc.tapis.io.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Platform (default: detected).
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,
    /// Device code login (the default when no browser can be opened).
    #[arg(long, group = "method")]
    pub device: bool,
    /// Browser login (authorization code with a local redirect).
    #[arg(long, group = "method")]
    pub browser: bool,
    /// Password login (prompted without echo).
    #[arg(long, group = "method")]
    pub password: bool,
    /// Password login, reading the password from the first line of stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Username (prompted for when needed).
    #[arg(long, short = 'u', env = "TAPIS_USERNAME")]
    pub username: Option<String>,
    /// OAuth client id (default: the profile's client, else one is created at password login).
    #[arg(long, value_name = "ID", env = "TAPIS_CLIENT_ID")]
    pub client_id: Option<String>,
    /// OAuth client key; prefer the TAPIS_CLIENT_KEY variable over the command line.
    #[arg(
        long,
        value_name = "KEY",
        env = "TAPIS_CLIENT_KEY",
        hide_env_values = true
    )]
    pub client_key: Option<String>,
    /// Redirect URI for --browser (a loopback URI is listened on).
    #[arg(
        long,
        value_name = "URI",
        default_value = "http://127.0.0.1:8765/callback"
    )]
    pub redirect_uri: String,
    /// Browser login: when the OAuth client's callback URL is not the redirect URI, change it
    /// without asking (otherwise asked at a terminal, refused elsewhere).
    #[arg(long)]
    pub fix_callback: bool,
    /// Do not create an OAuth client at password login (the session then cannot refresh).
    #[arg(long)]
    pub no_create_client: bool,
    /// How long to wait for you to approve a device or browser login: seconds, or 90s, 10m,
    /// 1h (at most the device code's own lifetime). Not the per-request --timeout.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = positive_duration)]
    pub wait: i64,
    /// Do not draw the QR code at device login.
    #[arg(long)]
    pub no_qr: bool,
    /// Make the profile the current one (what every command and job that names no profile
    /// uses), without asking.
    #[arg(long, conflicts_with = "no_switch")]
    pub switch: bool,
    /// Leave the current profile as it is (use the new one with --profile NAME).
    #[arg(long)]
    pub no_switch: bool,
    /// Where Agave v2 tenants are listed (default: TAPIS_TENANTS_URL, else
    /// AGAVE_TENANTS_API_BASEURL, else TACC's).
    #[arg(long, value_name = "URL", env = "TAPIS_TENANTS_URL")]
    pub tenants_url: Option<String>,
}

impl LoginArgs {
    /// The method asked for explicitly, if any.
    pub fn method(&self) -> Option<Method> {
        if self.device {
            Some(Method::Device)
        } else if self.browser {
            Some(Method::Browser)
        } else if self.password || self.password_stdin {
            Some(Method::Password)
        } else {
            None
        }
    }
}

/// A duration of at least one second (`--wait`).
fn positive_duration(text: &str) -> Result<i64, String> {
    match crate::ui::parse_duration(text)? {
        n if n > 0 => Ok(n),
        _ => Err("must be at least 1s".into()),
    }
}

/// `tapis-auth token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token must stay valid at least this long: seconds, or 90s, 10m, 1h, 2d (60 s are
    /// always kept in hand).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = crate::ui::parse_duration)]
    pub min_valid: i64,
}

/// `tapis-auth logout`.
#[derive(Debug, Args)]
#[command(
    after_help = "The OAuth client that `tapis-auth login` created for the profile is deleted \
too (first, while the tokens still work), unless another profile uses it or --keep-client is \
given. Clients you created yourself are never deleted. Agave v2 needs the password to delete a \
client: pass --password-stdin, or the client is kept and named."
)]
pub struct LogoutArgs {
    /// Every profile in the store.
    #[arg(long)]
    pub all: bool,
    /// Keep the OAuth client the profile's login created (default: delete it).
    #[arg(long)]
    pub keep_client: bool,
    /// Agave v2: read the password (needed to delete the login's client) from stdin.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `tapis-auth profiles ...`.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List the saved profiles (the current one is marked).
    List,
    /// Make NAME the current profile.
    Use {
        /// The profile.
        name: String,
    },
}

/// `tapis-auth clients ...`.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create an OAuth client (its key is stored, never printed).
    Create(ClientCreateArgs),
    /// List your OAuth clients.
    List {
        /// Agave v2 needs the password to manage clients: read it from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show one of your OAuth clients (default: the profile's), never its key.
    Show {
        /// Client id (v2: client name); default: the profile's client.
        id: Option<String>,
        /// Agave v2 needs the password to manage clients: read it from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a Tapis v3 OAuth client's callback URL or display name (default: the profile's).
    Update(ClientUpdateArgs),
    /// Delete an OAuth client (v3: by id; v2: by name).
    Delete {
        /// Client id (v2: client name).
        id: String,
        /// Agave v2 needs the password to manage clients: read it from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `tapis-auth clients update`.
#[derive(Debug, Args)]
pub struct ClientUpdateArgs {
    /// Client id; default: the profile's client.
    pub id: Option<String>,
    /// The new callback URL (a browser login's --redirect-uri must equal it).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// The new display name.
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
}

/// `tapis-auth clients create`.
#[derive(Debug, Args)]
pub struct ClientCreateArgs {
    /// Client name / id (default: generated).
    #[arg(long)]
    pub name: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Callback URL (needed for browser login).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Switch the profile to the new client: logs in again with it (asking for the password,
    /// since tokens are bound to the client that obtained them) and stores it with its key.
    #[arg(long = "use")]
    pub use_it: bool,
    /// Read the password (Agave v2 client management, or the new login of --use) from stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Print shell lines setting TAPIS_CLIENT_ID and TAPIS_CLIENT_KEY (the key is printed: for
    /// the env store, `eval "$(tapis-auth --store env clients create --export)"`).
    #[arg(long, conflicts_with = "use_it")]
    pub export: bool,
    /// Syntax of the --export lines.
    #[arg(long, value_enum, default_value = "sh", requires = "export")]
    pub shell: ShellArg,
}

/// `tapis-auth tenants ...`.
#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// List the tenants of a platform.
    List(TenantsListArgs),
}

/// `tapis-auth tenants list`.
#[derive(Debug, Args)]
pub struct TenantsListArgs {
    /// Where to ask (default: the profile's tenant, else https://tacc.tapis.io).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Platform (default: the profile's, else detected from the URL, else v3).
    #[arg(long, value_enum)]
    pub platform: Option<PlatformArg>,
    /// The Agave v2 tenants listing URL (default: TAPIS_TENANTS_URL, else
    /// AGAVE_TENANTS_API_BASEURL, else `<base URL>/tenants`).
    #[arg(long, value_name = "URL", env = "TAPIS_TENANTS_URL")]
    pub tenants_url: Option<String>,
}

/// Shell syntaxes for `env`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    /// POSIX sh, bash, zsh: `export NAME='value'`.
    Sh,
    /// csh, tcsh: `setenv NAME 'value'`.
    Csh,
    /// fish: `set -gx NAME 'value'`.
    Fish,
}

/// `tapis-auth env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Output syntax.
    #[arg(long, value_enum, default_value = "sh")]
    pub shell: ShellArg,
    /// The exported token must stay valid at least this long: seconds, or 90s, 10m, 1h, 2d.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = crate::ui::parse_duration)]
    pub min_valid: i64,
}

/// `tapis-auth job-session ...`.
#[derive(Debug, Subcommand)]
pub enum JobSessionCommand {
    /// Log in again with a new OAuth client and save it as a separate profile in its own cache
    /// directory; print how to point the job at it.
    Create(JobSessionCreateArgs),
    /// Delete the job session's client (no copy can be renewed), revoke its tokens, remove it.
    Revoke(JobSessionRevokeArgs),
    /// List the job sessions.
    List {
        /// Where job sessions live (default: CACHE_DIR/job-sessions).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `tapis-auth job-session create`.
#[derive(Debug, Args)]
#[command(after_help = "\
A job session is a second login of the same user on the same tenant as the current profile \
(--profile picks another), with an OAuth client of its own, saved as profile NAME in its own \
cache directory (default CACHE_DIR/job-sessions/NAME, private to you). Point the job at it \
with the two lines printed on stdout:

    eval \"$(tapis-auth job-session create job42 --password-stdin < pw)\"   # or copy them into the job script

How long it lives: Tapis v3 access tokens last the tenant's access-token lifetime (4 hours by \
default) and are renewed with the job session's own client while its refresh token is valid \
(the tenant's refresh lifetime, 1 year by default, counted again at each renewal); with \
--device, as many days as chosen on the approval page (30 by default). It ends when revoked: \
`tapis-auth job-session revoke NAME` deletes its client, so that no copy of it can be renewed, \
revokes its tokens where the platform supports it, and removes the directory. Your own login \
is not affected by either.")]
pub struct JobSessionCreateArgs {
    /// The job session's name (also its profile name): letters, digits, '.', '_', '-'.
    pub name: String,
    /// Where job sessions live (default: CACHE_DIR/job-sessions).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Read the password from the first line of stdin (else it is prompted for).
    #[arg(long, conflicts_with = "device")]
    pub password_stdin: bool,
    /// Tapis v3: approve the job session with a device code instead of the password.
    #[arg(long)]
    pub device: bool,
    /// With --device: do not draw the QR code.
    #[arg(long, requires = "device")]
    pub no_qr: bool,
    /// With --device: how long to wait for approval (90s, 10m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = positive_duration)]
    pub wait: i64,
    /// Syntax of the lines printed on stdout.
    #[arg(long, value_enum, default_value = "sh")]
    pub shell: ShellArg,
}

/// `tapis-auth job-session revoke`.
#[derive(Debug, Args)]
pub struct JobSessionRevokeArgs {
    /// The job session's name.
    pub name: String,
    /// Where job sessions live (default: CACHE_DIR/job-sessions).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Agave v2: read the password (needed to delete the client) from stdin.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `tapis-auth import`.
#[derive(Debug, Args)]
#[command(
    after_help = "With --profile NAME only that profile is imported; without it, every profile."
)]
pub struct ImportArgs {
    /// The agavepy cache directory to copy from (default ~/.agave).
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Replace profiles that already exist in the destination.
    #[arg(long)]
    pub overwrite: bool,
}

/// `tapis-auth repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Only show what is wrong; move nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `tapis-auth completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

impl Command {
    /// The command's name as `--json` reports it (`"clients list"`, `"token"`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Login(_) => "login",
            Command::Token(_) => "token",
            Command::Status => "status",
            Command::Whoami => "whoami",
            Command::Refresh => "refresh",
            Command::Logout(_) => "logout",
            Command::Profiles(ProfilesCommand::List) => "profiles list",
            Command::Profiles(ProfilesCommand::Use { .. }) => "profiles use",
            Command::Clients(ClientsCommand::Create(_)) => "clients create",
            Command::Clients(ClientsCommand::List { .. }) => "clients list",
            Command::Clients(ClientsCommand::Show { .. }) => "clients show",
            Command::Clients(ClientsCommand::Update(_)) => "clients update",
            Command::Clients(ClientsCommand::Delete { .. }) => "clients delete",
            Command::Tenants(TenantsCommand::List(_)) => "tenants list",
            Command::Env(_) => "env",
            Command::JobSession(JobSessionCommand::Create(_)) => "job-session create",
            Command::JobSession(JobSessionCommand::Revoke(_)) => "job-session revoke",
            Command::JobSession(JobSessionCommand::List { .. }) => "job-session list",
            Command::Import(_) => "import",
            Command::Repair(_) => "repair",
            Command::Completions(_) => "completions",
        }
    }
}
