//! Password login on a session handle.

use crate::boundary::status_call;
use crate::error::tapis_auth_error;
use crate::session::{session_arg, session_err, tapis_auth_session};
use crate::status::tapis_auth_status;

/// Logs in with the username and password set in the options the session was opened with
/// (`tapis_auth_options_set_username` / `_set_password`, plus a base URL or tenant). When no
/// OAuth client is configured and `create_client` is true, creates one first so the session
/// can refresh later. The new session is saved under the profile (in the store when the
/// session came from the store or `persist` was set; in memory otherwise) and made current;
/// later `tapis_auth_access_token` calls on this handle use it. The password is not stored.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_login_password(
    session: *mut tapis_auth_session,
    create_client: bool,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_login_password", err, || {
        let s = session_arg(session)?;
        s.login_password(create_client)
            .map_err(|e| session_err(s, &e))?;
        Ok(())
    })
}
