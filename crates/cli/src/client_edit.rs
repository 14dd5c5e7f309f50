//! `clients show` and `clients update`, and the browser login's check that the OAuth client's
//! callback URL is the redirect URI (offering to fix it).

use std::io::{self, IsTerminal};

use serde_json::{json, Value};
use tapis_auth::AuthSession;
use tapis_auth_core::flow::clients::ClientUpdate;
use tapis_auth_core::{Error, OAuthClient, Platform, Session};

use crate::cli::ClientUpdateArgs;
use crate::commands::client_json;
use crate::exit::CliError;
use crate::ui::{self, out};
use crate::Ctx;

/// The client to act on: `id`, else the profile's (v2 by its name, as the clients service
/// keys them).
fn client_id(session: &Session, id: &Option<String>) -> Result<String, CliError> {
    if let Some(id) = id {
        return Ok(id.clone());
    }
    let c = session.client.as_ref().ok_or_else(|| {
        CliError::usage("the profile has no OAuth client")
            .hint("name one: `tapis-auth clients show ID`")
    })?;
    match session.platform() {
        Platform::TapisV3 => Ok(c.id.clone()),
        Platform::AgaveV2 => c.name.clone().ok_or_else(|| {
            CliError::usage("the profile's Agave v2 client has no recorded name")
                .hint("name it: `tapis-auth clients show NAME` (see `tapis-auth clients list`)")
        }),
    }
}

/// The clients services answer an unknown client with a 400 (Agave v2 "Application not
/// found", which does not say which) or a 404: the error names the client and how to list them.
fn unknown_client(e: Error, id: &str) -> CliError {
    match e {
        Error::Server {
            status: 400 | 404,
            ref message,
        } if message.contains("not found") || message.contains("No client found") => {
            CliError::from(e).hint(format!(
                "the server has no OAuth client {id} of yours: `tapis-auth clients list` shows them"
            ))
        }
        e => e.into(),
    }
}

fn show_client(ctx: &Ctx, c: &OAuthClient) -> Result<(), CliError> {
    if !ctx.g.json {
        let row = |k: &str, v: Option<&str>| format!("{k:<13}{}\n", v.unwrap_or("-"));
        out(&[
            row("id", Some(&c.id)),
            row("name", c.name.as_deref()),
            row("callback URL", c.callback_url.as_deref()),
            row("description", c.description.as_deref()),
        ]
        .concat())?;
    }
    Ok(())
}

/// `clients show [ID]`.
pub fn show(
    ctx: &Ctx,
    s: &AuthSession,
    session: &Session,
    id: &Option<String>,
) -> Result<Value, CliError> {
    let id = client_id(session, id)?;
    let c = s.get_client(&id).map_err(|e| unknown_client(e, &id))?;
    show_client(ctx, &c)?;
    Ok(json!({"client": client_json(&c)}))
}

/// `clients update [ID] --callback-url URL --display-name NAME` (Tapis v3).
pub fn update(
    ctx: &Ctx,
    s: &AuthSession,
    session: &Session,
    a: &ClientUpdateArgs,
) -> Result<Value, CliError> {
    if session.platform() == Platform::AgaveV2 {
        return Err(CliError::usage(
            "Agave v2 OAuth clients cannot be changed (the clients service has no update)",
        )
        .with_reason("unsupported")
        .hint("create a new one: `tapis-auth clients create --use`"));
    }
    if a.callback_url.is_none() && a.display_name.is_none() {
        return Err(CliError::usage("nothing to change")
            .hint("pass --callback-url URL and/or --display-name NAME"));
    }
    let id = client_id(session, &a.id)?;
    let c = s
        .update_client(
            &id,
            &ClientUpdate {
                callback_url: a.callback_url.clone(),
                display_name: a.display_name.clone(),
            },
        )
        .map_err(|e| unknown_client(e, &id))?;
    ctx.ui.success(&format!("Updated OAuth client {}", c.id));
    show_client(ctx, &c)?;
    Ok(json!({"client": client_json(&c)}))
}

/// [`ui::confirm`] when a person is at the terminal; false without one.
fn confirm(question: &str) -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal() && ui::confirm(question)
}

/// Before a browser login: the Authenticator only redirects to the client's registered
/// callback URL, so a client whose callback URL is not `redirect_uri` would fail on the
/// approval page. When the client can be read (a session with a token already exists), a
/// mismatch is fixed with `fix` or on a "yes" at the terminal, and refused otherwise, with the
/// command that fixes it. Without a token to read the client with, nothing is checked.
pub fn check_callback(
    ctx: &Ctx,
    s: &AuthSession,
    client_id: &str,
    redirect_uri: &str,
    fix: bool,
) -> Result<(), CliError> {
    let c = match s.get_client(client_id) {
        Ok(c) => c,
        Err(e @ (Error::LoginRequired { .. } | Error::RefreshRejected { .. })) => {
            tracing::debug!("cannot read OAuth client {client_id} to check its callback URL: {e}");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let current = c.callback_url.as_deref().unwrap_or("");
    if current == redirect_uri {
        return Ok(());
    }
    let shown = if current.is_empty() {
        "not set"
    } else {
        current
    };
    let question = format!(
        "The OAuth client {client_id}'s callback URL is {shown}, but this login redirects to {redirect_uri}. Change the client's callback URL to {redirect_uri}?"
    );
    if fix || confirm(&question) {
        s.update_client(
            client_id,
            &ClientUpdate {
                callback_url: Some(redirect_uri.to_owned()),
                display_name: None,
            },
        )?;
        ctx.ui.success(&format!(
            "Changed the callback URL of OAuth client {client_id} to {redirect_uri}"
        ));
        return Ok(());
    }
    let mut hint = format!(
        "run `tapis-auth clients update {client_id} --callback-url {redirect_uri}` (or log in again with --fix-callback)"
    );
    if !current.is_empty() {
        hint.push_str(&format!(", or pass --redirect-uri {current}"));
    }
    Err(CliError::usage(format!(
        "the OAuth client {client_id}'s callback URL is {shown}, not the redirect URI {redirect_uri}: the browser login would fail"
    ))
    .hint(hint))
}
