//! Agave v2 (WSO2, RFC 6749 §5.1) token responses: `{"access_token","refresh_token","expires_in",
//! "token_type","scope"}`, through `protocol::token_response` (with an optional, fuzzed `Date`
//! header that drives the clock-skew adjustment) and `v2::parse_token_response`.
//!
//! Invariants beyond "no panic":
//! - success ⇒ a non-empty access token; a refresh expiry only with a refresh token;
//! - the `TokenSet` round-trips through serde (it is what the caches store);
//! - an error never quotes a token from the body (`Malformed` keeps only position info).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::Platform;

fuzz_target!(|data: &[u8]| tapis_auth_fuzz::check_token_response(Platform::AgaveV2, data));
