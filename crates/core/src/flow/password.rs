//! Password grant (in progress: being written by the protocol work).

use crate::{Error, Exchange, Session, TokenSet};

/// The password grant for `session` (its `username`, in-memory `password` and client).
pub fn password_grant(session: &Session) -> Result<Exchange<TokenSet>, Error> {
    let _ = session;
    Err(Error::ApiMisuse("password flow not yet implemented"))
}
