//! Tenant records: Tapis v3 Tenants records (`{"tenant_id","base_url","site_id",...}`) and
//! Agave v2 listing entries (`{"code","baseUrl","name"}`), through `tenant_from_json` and the
//! public `list_tenants` / `get_tenant` exchanges (poll for the request, then
//! `handle_response` with the fuzzed body and status).
//!
//! Invariants beyond "no panic":
//! - a tenant's `BaseUrl` is a fixed point of `BaseUrl::parse` (normalisation is idempotent);
//! - a `Tenant` round-trips through serde (what the caches store is what they read back);
//! - `resolve` finds a parsed tenant by its own id and by its own base URL;
//! - the exchanges return the same tenants as `tenant_from_json` on the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapis_auth_core::flow::tenants::{get_tenant, list_tenants, resolve, tenant_from_json};
use tapis_auth_core::{BaseUrl, HttpResponse, Pending, Platform, Tenant};
use tapis_auth_fuzz::{Params, NOW};

fuzz_target!(|data: &[u8]| {
    let mut p = Params::new(data);
    let platform = p.platform();
    let mode = p.byte() % 3;
    let status = p.status();
    let payload = p.rest();
    match mode {
        // The payload is one record: parse it directly and through both exchanges.
        0 => {
            let value = serde_json::from_slice::<serde_json::Value>(payload).ok();
            let direct = value.as_ref().and_then(|v| tenant_from_json(v, platform));
            if let Some(t) = &direct {
                check_tenant(t);
            }
            let mut one = b"{\"status\":\"success\",\"message\":\"ok\",\"result\":".to_vec();
            one.extend_from_slice(payload);
            one.push(b'}');
            if platform == Platform::TapisV3 {
                let ex = get_tenant("https://tacc.tapis.io", platform, "tacc").expect("request");
                let got = run(ex, 200, &one);
                if let Ok(t) = &got {
                    check_tenant(t);
                }
                if value.is_some() {
                    assert_eq!(got.ok(), direct.clone());
                }
            }
            let mut list = b"{\"status\":\"success\",\"result\":[".to_vec();
            list.extend_from_slice(payload);
            list.extend_from_slice(b"]}");
            let url = match platform {
                Platform::TapisV3 => "https://tacc.tapis.io",
                Platform::AgaveV2 => "https://api.tacc.utexas.edu/tenants",
            };
            let got = run(list_tenants(url, platform).expect("request"), 200, &list);
            if let (Some(d), Ok(v)) = (&direct, &got) {
                assert_eq!(v.as_slice(), std::slice::from_ref(d));
            }
        }
        // The payload is a whole listing response.
        1 => {
            let url = match platform {
                Platform::TapisV3 => "https://tacc.tapis.io",
                Platform::AgaveV2 => "https://api.tacc.utexas.edu/tenants",
            };
            if let Ok(ts) = run(list_tenants(url, platform).expect("request"), status, payload) {
                for t in &ts {
                    check_tenant(t);
                }
            }
        }
        // The payload is a whole single-tenant response (v3 only).
        _ => {
            if let Ok(ex) = get_tenant("https://tacc.tapis.io", Platform::TapisV3, "tacc") {
                if let Ok(t) = run(ex, status, payload) {
                    check_tenant(&t);
                }
            }
        }
    }
});

fn run<T>(op: Pending<T>, status: u16, body: &[u8]) -> Result<T, tapis_auth_core::Error> {
    op.finish(NOW, HttpResponse::new(status, body.to_vec()))
}

fn check_tenant(t: &Tenant) {
    let again = BaseUrl::parse(t.base_url.as_str())
        .unwrap_or_else(|e| panic!("normalised base URL {:?} does not parse: {e}", t.base_url));
    assert_eq!(again, t.base_url, "BaseUrl normalisation is not idempotent");
    let json = serde_json::to_string(t).expect("Tenant serialises");
    let back: Tenant = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("Tenant does not read back: {e}: {json}"));
    assert_eq!(&back, t);
    let list = std::slice::from_ref(t);
    if let Some(id) = t.id.as_deref() {
        if !id.trim().is_empty() && id.trim() == id {
            assert!(resolve(list, id).is_some(), "resolve by id {id:?}");
        }
    }
    assert!(resolve(list, t.base_url.as_str()).is_some(), "resolve by URL");
}
