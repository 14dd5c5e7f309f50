//! An async service where many tokio tasks ask for a token at once: one refresh (in this
//! process, and across every process and node sharing the cache), and every task served.
//!
//! Usage: `cargo run -p tapis-auth --features tokio --example async_service [CACHE_DIR] [TASKS]`
//! (default: the usual precedence — `TAPIS_*` variables, then `~/.agave`; 64 tasks).

use tapis_auth::{AsyncSession, Options, StoreKind};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut options = Options::default();
    if let Some(dir) = args.next() {
        options.store = StoreKind::Json;
        options.store_path = Some(dir.into());
        options.use_environment = false;
    }
    let tasks: usize = args.next().map_or(Ok(64), |n| n.parse())?;

    let session = AsyncSession::restore(options).await?;
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.access_token(600).await })
        })
        .collect();
    let mut fingerprints = std::collections::BTreeSet::new();
    for h in handles {
        fingerprints.insert(h.await??.fingerprint());
    }
    println!(
        "{tasks} tasks served; distinct tokens: {}",
        fingerprints.len()
    );
    Ok(())
}
