//! The restore precedence, in one place: **explicit options > `TAPIS_*` environment > store**.
//!
//! [`choose`] applies it for [`AuthSession::restore`](crate::AuthSession::restore);
//! [`AuthSession::open`](crate::AuthSession::open) (logins, profile management) takes the store
//! alone ([`store`]). What each source is — when options count as explicit, which variables
//! make an environment session, which store and profile — is documented on
//! [`Options`](crate::Options).
//!
//! The environment is read through one lookup ([`Env`]), taken once at the start of a restore
//! or login ([`process_env`] in a process) and handed to everything that reads a variable: the
//! environment store and tenant resolution (`crate::tenant`).

use std::sync::Arc;

use tapis_auth_core::{
    Clock, Error, Session, Store, Tenant, TokenSet, Transport, UnixTime, DEFAULT_PROFILE,
};
use tapis_auth_storage::env::EnvOptions;
use tapis_auth_storage::{open_store_with_env, EnvStore, MemoryStore};

use crate::options::{Options, Source};
use crate::tenant::Resolver;

/// How restore and login read environment variables: a variable's value, `None` when unset.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as an [`Env`] (a variable that is not UTF-8 counts as unset).
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The source a session is restored from: the store its token manager works on, the profile
/// in it, how the source is described, and — for explicit options — the session they describe
/// (which the store does not hold).
pub(crate) struct Chosen {
    /// The store.
    pub(crate) store: Arc<dyn Store>,
    /// The profile in the store.
    pub(crate) profile: String,
    /// Where the credentials come from, for people.
    pub(crate) source: Source,
    /// The session built from explicit options.
    pub(crate) explicit: Option<Session>,
}

/// The precedence rule: explicit options when they name a tenant and carry a credential, else
/// the `TAPIS_*` environment when it holds a session (and the options allow reading it), else
/// the store. `env` is the environment as this restore took it; `transport` and `clock` serve
/// tenant resolution (an Agave v2 tenant id is looked up in the tenants listing).
pub(crate) fn choose(
    options: &Options,
    env: Env,
    transport: &dyn Transport,
    clock: &dyn Clock,
) -> Result<Chosen, Error> {
    // 1. Explicit arguments.
    if options.has_explicit_credentials() {
        return explicit(options, env, transport, clock);
    }
    // 2. Environment.
    if options.use_environment {
        if let Some(chosen) = environment(options, env)? {
            return Ok(chosen);
        }
    }
    // 3. The store.
    store(options, env)
}

/// The session described by explicit options, in memory unless
/// [`Options::persist_explicit`] names the store to keep it in.
fn explicit(
    options: &Options,
    env: Env,
    transport: &dyn Transport,
    clock: &dyn Clock,
) -> Result<Chosen, Error> {
    let tenant = Resolver {
        options,
        env,
        transport,
        clock,
    }
    .for_restore()?;
    let session = explicit_session(options, tenant, clock.now());
    let store: Arc<dyn Store> = if options.persist_explicit {
        open_store_with_env(options.store, options.store_path.as_deref(), env)?
    } else {
        Arc::new(MemoryStore::new())
    };
    Ok(Chosen {
        store,
        profile: session.profile.clone(),
        source: Source::Explicit,
        explicit: Some(session),
    })
}

/// The environment's session, when it holds one — or, for a long job whose environment holds
/// only an access token, the store's session of the same login.
fn environment(options: &Options, env: Env) -> Result<Option<Chosen>, Error> {
    let profile = options
        .profile
        .clone()
        .unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
    let from_env = EnvStore::build(
        env,
        EnvOptions {
            profile: Some(profile.clone()),
            ..EnvOptions::default()
        },
    )?;
    if from_env.session().is_none() {
        return Ok(None);
    }
    // A long job: the environment holds only an access token (as `tapis-auth env` exports),
    // and the store holds the same login, which can be refreshed.
    if let Some((store, profile)) = same_login_in_store(&from_env, options, env) {
        let source = Source::Store(format!(
            "{} (the login TAPIS_TOKEN came from)",
            store.describe()
        ));
        return Ok(Some(Chosen {
            store,
            profile,
            source,
            explicit: None,
        }));
    }
    Ok(Some(Chosen {
        store: Arc::new(from_env),
        profile,
        source: Source::Environment,
        explicit: None,
    }))
}

/// The store named by the options, and the profile in it: the one named, else the store's
/// current profile, else `default`.
pub(crate) fn store(options: &Options, env: Env) -> Result<Chosen, Error> {
    let store = open_store_with_env(options.store, options.store_path.as_deref(), env)?;
    let profile = match &options.profile {
        Some(p) => p.clone(),
        None => store
            .current_profile()?
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned()),
    };
    let source = Source::Store(store.describe());
    Ok(Chosen {
        store,
        profile,
        source,
        explicit: None,
    })
}

/// For an environment that can only hand out the access token it holds (no refresh token with a
/// client, no password): the store named by the options and the profile in it holding the same
/// login (base URL and user), when there is one. Its access token is the one the environment
/// was given or a newer one, and it can be refreshed: a job that ran `eval "$(tapis-auth env)"`
/// keeps getting tokens after the exported one runs low. Anything that goes wrong looking (no
/// store, a corrupt cache) leaves the environment as it is.
fn same_login_in_store(
    from_env: &EnvStore,
    options: &Options,
    env: Env,
) -> Option<(Arc<dyn Store>, String)> {
    use tapis_auth_storage::EnvProfile;
    if !matches!(
        from_env.profile_kind(),
        Some(EnvProfile::AccessOnly | EnvProfile::BareRefresh)
    ) {
        return None;
    }
    let mine = from_env.session()?;
    let user = |s: &Session| {
        s.username.clone().or_else(|| {
            s.tokens
                .as_ref()
                .and_then(|t| tapis_auth_core::JwtClaims::decode(t.access_token.expose()))
                .and_then(|c| c.username)
        })
    };
    let who = user(mine)?;
    let store = open_store_with_env(options.store, options.store_path.as_deref(), env).ok()?;
    if !store.is_writable() {
        return None;
    }
    let mut candidates: Vec<String> = options.profile.clone().into_iter().collect();
    if options.profile.is_none() {
        candidates.extend(store.current_profile().ok().flatten());
        candidates.extend(store.list().ok()?);
    }
    candidates
        .into_iter()
        .find_map(|p| {
            let s = store.load(&p).ok()??;
            (s.tenant.base_url == mine.tenant.base_url && user(&s).as_deref() == Some(&who))
                .then_some(p)
        })
        .map(|p| (store, p))
}

/// Builds a session from explicit options and the tenant they name.
fn explicit_session(o: &Options, tenant: Tenant, now: UnixTime) -> Session {
    let mut s = Session::new(
        o.profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned()),
        tenant,
    );
    s.username = o.username.clone();
    s.password = o.password.clone();
    s.client = o.client();
    if o.access_token.is_some() || o.refresh_token.is_some() {
        let mut t = TokenSet::new(
            now,
            o.access_token.clone().unwrap_or_default(),
            o.refresh_token.clone(),
            None,
        );
        if o.access_token.is_none() {
            t.expires_at = None;
        }
        s.tokens = Some(t);
    }
    s
}
