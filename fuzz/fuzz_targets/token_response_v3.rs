//! Tapis v3 token responses: `{"result":{"access_token":{...},"refresh_token":{...}}}` as every
//! v3 grant answers it, through `protocol::token_response` (with an optional, fuzzed `Date`
//! header that drives the clock-skew adjustment) and `v3::parse_token_response`.
//!
//! Invariants beyond "no panic":
//! - success ⇒ a non-empty access token; a refresh expiry only with a refresh token;
//! - the `TokenSet` round-trips through serde (it is what the caches store);
//! - an error never quotes a token from the body (`Malformed` keeps only position info).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::Platform;

fuzz_target!(|data: &[u8]| tapis_auth_fuzz::check_token_response(Platform::TapisV3, data));
