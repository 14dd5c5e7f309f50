//! OAuth client creation.

use std::ffi::c_char;

use tapis_auth_core::flow::clients::NewClient;
use tapis_auth_core::Secret;

use crate::boundary::{non_null, opt_str_arg, status_call, write_out};
use crate::error::tapis_auth_error;
use crate::session::{session_arg, session_err, tapis_auth_session};
use crate::status::tapis_auth_status;
use crate::strings::{owned_c_string, tapis_auth_string_free};

/// Creates an OAuth client for the session's user (Tapis v3: with the access token; Agave v2:
/// with the username and password held in memory). `client_id` (v2: the client name),
/// `callback_url` and `description` are optional (NULL: the server chooses / none) and are
/// copied. On success stores the new client's id in `*client_id_out` and its key in
/// `*client_key_out` (NULL when the server returned none); free both with
/// `tapis_auth_string_free`. The session itself is not changed. Out-params are untouched on
/// error.
#[unsafe(no_mangle)]
pub extern "C" fn tapis_auth_client_create(
    session: *mut tapis_auth_session,
    client_id: *const c_char,
    callback_url: *const c_char,
    description: *const c_char,
    client_id_out: *mut *mut c_char,
    client_key_out: *mut *mut c_char,
    err: *mut *mut tapis_auth_error,
) -> tapis_auth_status {
    status_call("tapis_auth_client_create", err, || {
        let s = session_arg(session)?;
        non_null(client_id_out, "client_id_out")?;
        non_null(client_key_out, "client_key_out")?;
        // SAFETY: each is NULL or a NUL-terminated string valid for this call (contract).
        let (id, cb, desc) = unsafe {
            (
                opt_str_arg(client_id, "client_id")?,
                opt_str_arg(callback_url, "callback_url")?,
                opt_str_arg(description, "description")?,
            )
        };
        let new = NewClient {
            client_id: id.map(str::to_owned),
            callback_url: cb.map(str::to_owned),
            description: desc.map(str::to_owned),
            ..Default::default()
        };
        let client = s.create_client(&new).map_err(|e| session_err(s, &e))?;
        let id_c = owned_c_string(&client.id, "client id")?;
        let key_c = match client.key.as_ref().map(Secret::expose) {
            Some(k) => match owned_c_string(k, "client key") {
                Ok(p) => p,
                Err(e) => {
                    tapis_auth_string_free(id_c);
                    return Err(e);
                }
            },
            None => std::ptr::null_mut(),
        };
        // SAFETY: both out-pointers are non-NULL (checked) and writable (contract).
        unsafe {
            write_out(client_id_out, id_c);
            write_out(client_key_out, key_c);
        }
        Ok(())
    })
}
