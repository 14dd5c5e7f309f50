//! Refresh grant (in progress: being written by the protocol work).

use crate::{Error, Exchange, Session, TokenSet};

/// The refresh-token grant for `session`, in its platform's dialect.
pub fn refresh(session: &Session) -> Result<Exchange<TokenSet>, Error> {
    let _ = session;
    Err(Error::ApiMisuse("refresh flow not yet implemented"))
}
