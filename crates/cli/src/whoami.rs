//! `whoami`: who the server says the token belongs to (Tapis v3 `GET
//! /v3/oauth2/profiles/{username}`, Agave v2 `GET /profiles/v2/me`), refreshing first when
//! needed. Unlike `status`, which reads only the local cache, it proves the login works.

use serde_json::{json, Value};
use tapis_auth::SystemClock;
use tapis_auth_core::Clock;

use crate::exit::CliError;
use crate::ui::{out, relative};
use crate::Ctx;

/// `whoami`.
pub fn whoami(ctx: &Ctx) -> Result<Value, CliError> {
    let s = ctx.restore()?;
    let p = s.user_profile()?;
    let w = s.whoami()?;
    let now = SystemClock.now();
    if !ctx.g.json {
        let mut text = format!(
            "{} on {} ({}), confirmed by {}\n",
            p.username,
            w.tenant_id.as_deref().unwrap_or(&w.base_url),
            w.platform,
            w.base_url
        );
        let name = p.full_name.clone().or_else(|| {
            let parts: Vec<&str> = [p.first_name.as_deref(), p.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        if let Some(n) = name {
            text.push_str(&format!("  name:    {n}\n"));
        }
        if let Some(e) = &p.email {
            text.push_str(&format!("  email:   {e}\n"));
        }
        text.push_str(&format!("  profile: {}", w.profile));
        if let Some(e) = w.expires_at {
            text.push_str(&format!(" (the access token expires {})", relative(e, now)));
        }
        text.push('\n');
        out(&text)?;
    }
    Ok(json!({
        "username": p.username, "email": p.email, "first_name": p.first_name,
        "last_name": p.last_name, "full_name": p.full_name, "profile": w.profile,
        "tenant_id": w.tenant_id, "base_url": w.base_url, "platform": w.platform.as_str(),
    }))
}
