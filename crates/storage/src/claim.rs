//! [`Claims`]: refresh claims, the half of the cross-process protocol that decides who spends a
//! refresh token (the other half, the write lock, and the file-system facts both rest on are in
//! [`crate::lock`]).
//!
//! # Protocol
//! A credential state is named by its generation ([`tapis_auth_core::TokenSet::generation`], a
//! fingerprint of its refresh and access tokens). Its claim is the file
//! `<cache>/.tapis-auth.claims/<generation>`, holding one line: a state word and the
//! owner (`owner.rs`) of the claim.
//!
//! 1. **Claim.** A process that finds the cached access token stale writes `claimed <owner>`
//!    into a temporary file of its own, takes `flock(LOCK_EX)` on it, and `link(2)`s it to the
//!    claim's name. `link` is atomic on every file system (it is the classic NFS-safe lock), so
//!    exactly one process on any node wins; the claim is born locked and complete. (Where hard
//!    links are refused, the claim is created with `O_EXCL` instead.)
//! 2. **Spend.** The winner re-reads the cache, sends the refresh grant, saves the rotated tokens
//!    under the write lock, then settles the claim: `saved`, `rejected` (the server refused the
//!    refresh token: it is also recorded in the cache, and never sent again by anyone) or
//!    `unsaved` (new tokens, but the save failed). A failure that did not spend the token
//!    (a network error before an answer) gives the claim back: the file is removed.
//! 3. **Watch.** Every other process opens the claim and waits, queueing on no lock:
//!    - it tries a non-blocking `flock(LOCK_EX)` on the claim. Where `flock` reaches the holder
//!      (same node, or a global `flock`) that fails while the holder works: wait, reading
//!      nothing (1 ms, doubling to 50 ms);
//!    - where it succeeds (the holder is on another node, or done), this process becomes its
//!      node's reader of the claim: it keeps the `flock`, so the other watchers on its node wait
//!      cheaply as above, and reads the claim's line with back-off up to 100 ms, with jitter
//!      (one reader per node, not one per process, touches the shared file system);
//!    - a settled claim is answered at once (the caller re-reads the cache and adopts the new
//!      tokens — by identity: whatever the cache holds that is not the claimed generation was
//!      written after it); the reader releases its `flock` and the others read it too;
//!    - a claim whose owner is dead (same host, boot and pid namespace, pid and start time
//!      checked), or, held on another node, older than the stale age, is taken away and the
//!      watchers claim again: a process killed mid-refresh never blocks anyone for long;
//!    - a claim replaced or removed under the watcher was given back: claim again.
//!
//!    The watch fails with [`StoreError::LockTimeout`] after the lock timeout (30 s,
//!    `TAPIS_AUTH_LOCK_TIMEOUT`).
//! 4. **Keep.** Settled claims are records: a process that still holds the old generation (a
//!    stale cache view) finds the claim settled instead of spending a token that is gone. Claims
//!    older than a day are removed by later winners.
//!
//! Nothing in a claim is secret: the generation is a one-way fingerprint.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use tapis_auth_core::store::{
    ClaimState, RefreshClaim, RefreshOutcome, RefreshTicket, RefreshTicketImpl, RefreshWatch,
    RefreshWatchImpl,
};
use tapis_auth_core::StoreError;

use crate::lock::{create_whole, file_id, libc_flags, remove_if_same, Backoff, LockOptions};
use crate::owner::{self, Owner};

/// The directory of claims beside a cache.
pub const CLAIMS_DIR: &str = ".tapis-auth.claims";

/// How long settled claims are kept.
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// The refresh claims of one cache directory.
#[derive(Clone, Debug)]
pub struct Claims {
    dir: PathBuf,
    options: LockOptions,
}

impl Claims {
    /// The claims beside the cache in `cache_dir` (in `.tapis-auth.claims`, created 0700 on
    /// first use). `options` gives the wait limit and the stale age.
    pub fn new(cache_dir: &Path, options: LockOptions) -> Self {
        Self {
            dir: cache_dir.join(CLAIMS_DIR),
            options,
        }
    }

    /// The claims directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Claims `generation` (see the module documentation).
    pub fn claim(&self, generation: &str) -> Result<RefreshClaim, StoreError> {
        if generation.is_empty()
            || generation.len() > 64
            || !generation.bytes().all(|b| b.is_ascii_hexdigit())
        {
            // A caller's bug (the core's driver passes a fingerprint), refused as the OS
            // refuses a bad file name: the name must not reach outside the claims directory.
            return Err(io(
                "claim a refresh in",
                &self.dir,
                std::io::Error::new(
                    ErrorKind::InvalidInput,
                    "a refresh claim is named by a hexadecimal fingerprint",
                ),
            ));
        }
        self.ensure_dir()?;
        let path = self.dir.join(generation);
        let started = Instant::now();
        // A claim given back between our failed claim and our watch: claim again (bounded by
        // the wait limit, as a watch is).
        loop {
            if let Some(ticket) = self.try_claim(&path)? {
                tracing::trace!("claimed the refresh {}", path.display());
                self.collect_garbage(generation);
                return Ok(RefreshClaim::Won(RefreshTicket::new(ticket)));
            }
            match Watch::open(&path, &self.options, started)? {
                Some(w) => return Ok(RefreshClaim::Taken(RefreshWatch::new(w))),
                None if started.elapsed() < self.options.timeout => continue,
                None => {
                    return Err(StoreError::LockTimeout {
                        path,
                        waited_secs: started.elapsed().as_secs().max(1),
                    })
                }
            }
        }
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        match std::fs::create_dir(&self.dir) {
            Ok(()) => {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|e| io("make private", &self.dir, e))?;
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("create directory", &self.dir, e)),
        }
        let m = std::fs::symlink_metadata(&self.dir).map_err(|e| io("inspect", &self.dir, e))?;
        if !m.is_dir() || m.uid() != rustix::process::geteuid().as_raw() {
            return Err(StoreError::Unsafe {
                path: self.dir.clone(),
                reason: "it holds refresh claims, so it must be a directory owned by you; it is \
                         not (another user could plant claims there): move it away"
                    .into(),
            });
        }
        Ok(())
    }

    /// Step 1: `Some(ticket)` when this process won the claim at `path` (born whole and
    /// `flock`ed, see [`create_whole`]).
    fn try_claim(&self, path: &Path) -> Result<Option<Ticket>, StoreError> {
        let line = format!("claimed {}\n", Owner::me().line());
        let Some(file) = create_whole(path, &line, true)? else {
            return Ok(None);
        };
        let m = file.metadata().map_err(|e| io("inspect", path, e))?;
        Ok(Some(Ticket {
            file,
            path: path.to_path_buf(),
            id: (m.dev(), m.ino()),
        }))
    }

    /// Removes claims older than a day, and temporary files older than the stale age (best
    /// effort; never the claim just won).
    fn collect_garbage(&self, keep: &str) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(m) = e.metadata() else { continue };
            let age = m
                .modified()
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .unwrap_or_default();
            let temporary = name.contains('.');
            let old = if temporary {
                age > self.options.stale_age.max(Duration::from_secs(3600))
            } else {
                age > KEEP
            };
            if name != keep && m.is_file() && old {
                remove_if_same(&e.path(), (m.dev(), m.ino()));
            }
        }
    }
}

/// The winner's side: the claim file, `flock`ed exclusively until settled or given back.
struct Ticket {
    file: File,
    path: PathBuf,
    id: (u64, u64),
}

impl RefreshTicketImpl for Ticket {
    fn settle(&mut self, outcome: RefreshOutcome) {
        let line = format!("{} {}\n", word(outcome), Owner::me().line());
        // Written over the old line, then cut to length: a watcher reading in between sees a
        // line that does not parse and simply polls again.
        if self.file.write_all_at(line.as_bytes(), 0).is_ok() {
            let _ = self.file.set_len(line.len() as u64);
        }
        // Marks the ticket settled: dropping it now only closes the file (and its flock).
        self.id = (u64::MAX, u64::MAX);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.id != (u64::MAX, u64::MAX) {
            // Given back unsettled: remove the claim (only ours) so that another may try.
            remove_if_same(&self.path, self.id);
        }
    }
}

/// A watcher's side (step 3).
struct Watch {
    file: File,
    path: PathBuf,
    id: (u64, u64),
    options: LockOptions,
    started: Instant,
    /// Set once a settled state was returned: later calls wait a back-off step first.
    settled: Option<(Backoff, RefreshOutcome)>,
    holder: Option<Owner>,
}

impl Watch {
    /// Opens the claim at `path`; `None` when it is gone (given back already).
    fn open(
        path: &Path,
        options: &LockOptions,
        started: Instant,
    ) -> Result<Option<Self>, StoreError> {
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc_flags::NOFOLLOW | libc_flags::NONBLOCK)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(io("open refresh claim", path, e)),
        };
        // Given back between the open and this: file systems that answer fstat from the path
        // (FUSE ones such as bindfs, NFS with ESTALE) then report the claim as gone.
        let m = match file.metadata() {
            Ok(m) => m,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(io("inspect", path, e)),
        };
        if !m.is_file() {
            return Err(StoreError::Unsafe {
                path: path.to_path_buf(),
                reason: "a refresh claim must be a regular file; this is not one (a FIFO or \
                         device could block or mislead the watchers): remove it"
                    .into(),
            });
        }
        Ok(Some(Self {
            file,
            path: path.to_path_buf(),
            id: (m.dev(), m.ino()),
            options: options.clone(),
            started,
            settled: None,
            holder: None,
        }))
    }

    /// The claim's line: its state (`None`: still claimed) and owner, when it parses.
    fn read(&self) -> Option<(Option<RefreshOutcome>, Owner)> {
        let mut buf = [0u8; 512];
        let n = self.file.read_at(&mut buf, 0).ok()?;
        let text = std::str::from_utf8(&buf[..n]).ok()?;
        let (w, rest) = text.lines().next()?.split_once(' ')?;
        let state = match w {
            "claimed" => None,
            "saved" => Some(RefreshOutcome::Saved),
            "rejected" => Some(RefreshOutcome::Rejected),
            "unsaved" => Some(RefreshOutcome::Unsaved),
            _ => return None,
        };
        Some((state, Owner::parse(rest)?))
    }

    fn timed_out(&self) -> Result<(), StoreError> {
        if self.started.elapsed() >= self.options.timeout {
            return Err(StoreError::LockTimeout {
                path: self.path.clone(),
                waited_secs: self.started.elapsed().as_secs().max(1),
            });
        }
        Ok(())
    }
}

impl RefreshWatchImpl for Watch {
    fn wait(&mut self) -> Result<ClaimState, StoreError> {
        if let Some((backoff, outcome)) = self.settled.as_mut() {
            let outcome = *outcome;
            backoff.sleep();
            self.timed_out()?;
            return Ok(ClaimState::Settled(outcome));
        }
        let mut near = Backoff::new(Duration::from_millis(1), Duration::from_millis(50));
        let mut far = Backoff::new(Duration::from_millis(5), Duration::from_millis(100));
        let result = loop {
            // Removed or replaced: given back (or taken away as stale).
            if file_id(&self.path) != Some(self.id) {
                break Ok(ClaimState::Released);
            }
            // The holder's flock, or this node's watching captain's, where flock reaches them:
            // someone is at it; wait cheaply, reading nothing.
            match rustix::fs::flock(
                &self.file,
                rustix::fs::FlockOperation::NonBlockingLockExclusive,
            ) {
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                    if let Err(e) = self.timed_out() {
                        break Err(e);
                    }
                    near.sleep();
                    continue;
                }
                // Ours now (the holder is on another node, or done), or flock is refused here:
                // this process reads the claim for its node until it settles.
                _ => {}
            }
            match self.read() {
                Some((Some(outcome), owner)) => {
                    self.holder = Some(owner);
                    self.settled = Some((
                        Backoff::new(Duration::from_millis(5), Duration::from_millis(200)),
                        outcome,
                    ));
                    break Ok(ClaimState::Settled(outcome));
                }
                // Still claimed, or its line is being written: is its holder gone?
                line => {
                    let owner = line.map(|(_, o)| o);
                    let age = self
                        .file
                        .metadata()
                        .ok()
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| SystemTime::now().duration_since(t).ok())
                        .unwrap_or_default();
                    if owner::is_stale(owner.as_ref(), age, self.options.stale_age) {
                        remove_if_same(&self.path, self.id);
                        break Ok(ClaimState::Released);
                    }
                    if owner.is_some() {
                        self.holder = owner;
                    }
                }
            }
            if let Err(e) = self.timed_out() {
                break Err(e);
            }
            far.sleep();
        };
        // Whatever was learned, the other watchers on this node learn it themselves.
        let _ = rustix::fs::flock(&self.file, rustix::fs::FlockOperation::Unlock);
        match &result {
            Ok(state) => tracing::debug!(
                "watched the refresh claim {} for {} ms: {state:?}",
                self.path.display(),
                self.started.elapsed().as_millis()
            ),
            Err(e) => tracing::debug!("gave up watching {}: {e}", self.path.display()),
        }
        result
    }

    fn holder(&self) -> String {
        match &self.holder {
            Some(o) => o.describe(),
            None => "another process".into(),
        }
    }
}

fn word(o: RefreshOutcome) -> &'static str {
    match o {
        RefreshOutcome::Saved => "saved",
        RefreshOutcome::Rejected => "rejected",
        RefreshOutcome::Unsaved => "unsaved",
    }
}

/// Whether `e` says the file is no longer there: removed (`ENOENT`), or replaced under an NFS
/// client (`ESTALE`).
fn gone(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::NotFound
        || e.raw_os_error() == Some(rustix::io::Errno::STALE.raw_os_error())
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEN: &str = "00112233445566778899aabbccddeeff";

    fn claims(dir: &Path) -> Claims {
        Claims::new(
            dir,
            LockOptions {
                timeout: Duration::from_millis(500),
                ..LockOptions::default()
            },
        )
    }

    fn won(c: RefreshClaim) -> RefreshTicket {
        match c {
            RefreshClaim::Won(t) => t,
            RefreshClaim::Taken(w) => panic!("taken by {}", w.holder()),
        }
    }

    fn taken(c: RefreshClaim) -> RefreshWatch {
        match c {
            RefreshClaim::Taken(w) => w,
            RefreshClaim::Won(_) => panic!("won"),
        }
    }

    /// A claims directory or claim others could have planted is `Unsafe` (not an invalid
    /// record); a name that is not a fingerprint never reaches the file system.
    #[test]
    fn planted_claims_are_unsafe_and_bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let claims_dir = dir.path().join(CLAIMS_DIR);
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &claims_dir).unwrap();
        let e = claims(dir.path()).claim(GEN).err().unwrap();
        assert!(
            matches!(e, StoreError::Unsafe { ref path, .. } if *path == claims_dir),
            "{e:?}"
        );
        std::fs::remove_file(&claims_dir).unwrap();

        std::fs::create_dir(&claims_dir).unwrap();
        let planted = claims_dir.join(GEN);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &planted,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let e = claims(dir.path()).claim(GEN).err().unwrap();
        assert!(
            matches!(e, StoreError::Unsafe { ref path, .. } if *path == planted),
            "{e:?}"
        );

        for bad in ["", "../config.json", "not-hex"] {
            let e = claims(dir.path()).claim(bad).err().unwrap();
            assert!(
                matches!(e, StoreError::Io { ref source, .. } if source.kind() == ErrorKind::InvalidInput),
                "{bad:?}: {e:?}"
            );
        }
    }

    #[test]
    fn one_winner_and_the_watchers_learn_the_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        let ticket = won(c.claim(GEN).unwrap());
        let mut w = taken(c.claim(GEN).unwrap());
        // While the winner works the watcher waits (here: until its limit).
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            ticket.settle(RefreshOutcome::Saved);
        });
        assert_eq!(
            w.wait().unwrap(),
            ClaimState::Settled(RefreshOutcome::Saved)
        );
        t.join().unwrap();
        assert!(w.holder().contains(&std::process::id().to_string()));
        // A settled claim stays: a late process with the old state is told at once.
        let mut late = taken(c.claim(GEN).unwrap());
        assert_eq!(
            late.wait().unwrap(),
            ClaimState::Settled(RefreshOutcome::Saved)
        );
        // Asked again, it paces the caller's re-reads and ends at the wait limit.
        let e = loop {
            match late.wait() {
                Ok(s) => assert_eq!(s, ClaimState::Settled(RefreshOutcome::Saved)),
                Err(e) => break e,
            }
        };
        assert!(matches!(e, StoreError::LockTimeout { .. }), "{e}");
        let line = std::fs::read_to_string(c.dir().join(GEN)).unwrap();
        assert!(line.starts_with("saved v1 "), "{line}");
        let mode = std::fs::metadata(c.dir()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn a_rejection_is_told_to_every_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        let ticket = won(c.claim(GEN).unwrap());
        let mut w = taken(c.claim(GEN).unwrap());
        ticket.settle(RefreshOutcome::Rejected);
        assert_eq!(
            w.wait().unwrap(),
            ClaimState::Settled(RefreshOutcome::Rejected)
        );
    }

    #[test]
    fn a_ticket_given_back_releases_the_watchers_and_can_be_claimed_again() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        let ticket = won(c.claim(GEN).unwrap());
        let mut w = taken(c.claim(GEN).unwrap());
        drop(ticket);
        assert_eq!(w.wait().unwrap(), ClaimState::Released);
        won(c.claim(GEN).unwrap()).settle(RefreshOutcome::Saved);
    }

    #[test]
    fn a_claim_of_a_dead_process_is_taken_away() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        c.ensure_dir().unwrap();
        let mut dead = Owner::me();
        dead.start += 1;
        std::fs::write(c.dir().join(GEN), format!("claimed {}\n", dead.line())).unwrap();
        let mut w = taken(c.claim(GEN).unwrap());
        assert_eq!(w.wait().unwrap(), ClaimState::Released);
        won(c.claim(GEN).unwrap());
    }

    #[test]
    fn a_claim_held_on_another_node_is_waited_for_until_it_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        c.ensure_dir().unwrap();
        let mut far = Owner::me();
        far.host = "node-far".into();
        let p = c.dir().join(GEN);
        std::fs::write(&p, format!("claimed {}\n", far.line())).unwrap();
        let mut w = taken(c.claim(GEN).unwrap());
        let e = w.wait().unwrap_err();
        assert!(matches!(e, StoreError::LockTimeout { .. }), "{e}");
        assert!(e.to_string().contains(GEN), "{e}");
        assert_eq!(
            w.holder(),
            "pid ".to_owned() + &far.pid.to_string() + " on node-far"
        );
        File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(SystemTime::now() - DEFAULT_STALE_AGE_PLUS)
            .unwrap();
        let mut w = taken(c.claim(GEN).unwrap());
        assert_eq!(w.wait().unwrap(), ClaimState::Released);
    }

    const DEFAULT_STALE_AGE_PLUS: Duration =
        Duration::from_secs(crate::lock::DEFAULT_STALE_AGE.as_secs() + 5);

    #[test]
    fn names_that_are_not_fingerprints_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        for bad in ["", "../x", "a/b", "zz", &"a".repeat(65)] {
            assert!(c.claim(bad).is_err(), "{bad}");
        }
        assert!(!c.dir().exists());
    }

    #[test]
    fn old_claims_are_collected_by_the_next_winner() {
        let dir = tempfile::tempdir().unwrap();
        let c = claims(dir.path());
        won(c.claim("aa").unwrap()).settle(RefreshOutcome::Saved);
        File::options()
            .write(true)
            .open(c.dir().join("aa"))
            .unwrap()
            .set_modified(SystemTime::now() - KEEP - Duration::from_secs(1))
            .unwrap();
        won(c.claim("bb").unwrap()).settle(RefreshOutcome::Saved);
        assert!(!c.dir().join("aa").exists());
        assert!(c.dir().join("bb").exists());
    }
}
