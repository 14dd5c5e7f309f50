//! Tapis v3: the Authenticator (tokens and their grants, device and browser login, revoke, OAuth
//! clients, profiles), the Tenants API, and a protected Java-style service to call with the
//! tokens — one endpoint group per file, with the shared pieces (who is calling, minting
//! tokens, Python's renderings) in files of their own.

pub(crate) mod authorize;
mod caller;
pub(crate) mod clients;
pub(crate) mod device;
mod grants;
pub(crate) mod issue;
pub(crate) mod profiles;
mod python;
pub(crate) mod revoke;
pub(crate) mod service;
pub(crate) mod tenants;
pub(crate) mod tokens;
