//! [`Owner`]: who holds a lock file or a refresh claim, written into the file so that other
//! processes — on this node or another — can tell a live holder from a dead one.
//!
//! A file's owner line is `v1 <host> <boot id> <pid namespace> <pid> <start> <unix time>`:
//! - on the same host, boot and pid namespace, the holder is alive exactly when a process with
//!   that pid *and* that start time (field 22 of `/proc/<pid>/stat`) exists, so a reused pid is
//!   not taken for the holder, and a holder from before a reboot is dead;
//! - anywhere else liveness cannot be checked: the file goes stale by age only.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The identity of a process holding a coordination file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    /// `uname -n`.
    pub host: String,
    /// `/proc/sys/kernel/random/boot_id` (`-` when unknown).
    pub boot: String,
    /// The pid namespace (`/proc/self/ns/pid` link target, `-` when unknown).
    pub pidns: String,
    /// The process id.
    pub pid: u32,
    /// The process's start time in clock ticks since boot (`0` when unknown).
    pub start: u64,
    /// When the file was written (Unix seconds).
    pub at: u64,
}

/// What can be known about an owner from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Same host, boot and pid namespace, and the process is running.
    Alive,
    /// Same host, boot and pid namespace, and no such process (or another one with its pid).
    Dead,
    /// Another host, boot or pid namespace: only the file's age can tell.
    Unknown,
}

impl Owner {
    /// This process, now.
    pub fn me() -> Self {
        let here = here();
        Self {
            host: here.host.clone(),
            boot: here.boot.clone(),
            pidns: here.pidns.clone(),
            pid: std::process::id(),
            start: here.start,
            at: unix_now(),
        }
    }

    /// The owner line (no newline).
    pub fn line(&self) -> String {
        format!(
            "v1 {} {} {} {} {} {}",
            self.host, self.boot, self.pidns, self.pid, self.start, self.at
        )
    }

    /// Parses the fields of an owner line (after any prefix the caller strips).
    pub fn parse(text: &str) -> Option<Self> {
        let mut it = text.split_ascii_whitespace();
        if it.next()? != "v1" {
            return None;
        }
        let host = it.next()?.to_owned();
        let boot = it.next()?.to_owned();
        let pidns = it.next()?.to_owned();
        let pid = it.next()?.parse().ok()?;
        let start = it.next()?.parse().ok()?;
        let at = it.next()?.parse().ok()?;
        Some(Self {
            host,
            boot,
            pidns,
            pid,
            start,
            at,
        })
    }

    /// Whether the owner is known to be running, known to be gone, or cannot be checked here.
    pub fn liveness(&self) -> Liveness {
        let here = here();
        if self.host != here.host
            || self.boot != here.boot
            || self.pidns != here.pidns
            || self.boot == "-"
            || self.pidns == "-"
        {
            return Liveness::Unknown;
        }
        match start_time(self.pid) {
            Some(s) if s == self.start => Liveness::Alive,
            _ => Liveness::Dead,
        }
    }

    /// `pid 4711 on node12`, for messages.
    pub fn describe(&self) -> String {
        format!("pid {} on {}", self.pid, self.host)
    }
}

/// Whether a file held by `owner` (when its line could be read) and last modified `mtime_age`
/// ago is stale: its owner is dead, or it is older than `stale_age` and its owner's liveness
/// cannot be checked. An unreadable owner (being written, or a file from an older version)
/// goes stale by age alone.
pub(crate) fn is_stale(owner: Option<&Owner>, mtime_age: Duration, stale_age: Duration) -> bool {
    match owner.map(Owner::liveness) {
        Some(Liveness::Alive) => false,
        Some(Liveness::Dead) => true,
        Some(Liveness::Unknown) | None => mtime_age > stale_age,
    }
}

struct Here {
    host: String,
    boot: String,
    pidns: String,
    start: u64,
}

fn here() -> &'static Here {
    static H: OnceLock<Here> = OnceLock::new();
    H.get_or_init(|| Here {
        host: token(&rustix::system::uname().nodename().to_string_lossy()),
        boot: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| token(&s))
            .unwrap_or_else(|_| "-".into()),
        pidns: std::fs::read_link("/proc/self/ns/pid")
            .map(|p| token(&p.to_string_lossy()))
            .unwrap_or_else(|_| "-".into()),
        start: start_time(std::process::id()).unwrap_or(0),
    })
}

/// One whitespace-free word (an empty value becomes `-`).
fn token(s: &str) -> String {
    let t: String = s
        .trim()
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    if t.is_empty() {
        "-".into()
    } else {
        t
    }
}

/// Field 22 of `/proc/<pid>/stat`: the start time in clock ticks since boot. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")": field 3 (state) is the first; field 22 is the 20th.
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_round_trips() {
        let me = Owner::me();
        assert_eq!(Owner::parse(&me.line()), Some(me.clone()));
        assert!(Owner::parse("v2 a b c 1 2 3").is_none());
        assert!(Owner::parse("v1 a b c x 2 3").is_none());
        assert!(Owner::parse("").is_none());
        assert!(me.start > 0, "start time read from /proc");
    }

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_dead() {
        assert_eq!(Owner::me().liveness(), Liveness::Alive);
        let child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let mut dead = Owner::me();
        dead.pid = pid;
        dead.start = start_time(pid).unwrap_or(1);
        let mut child = child;
        child.wait().unwrap();
        assert_eq!(dead.liveness(), Liveness::Dead);
        // The same pid with another start time is another process.
        let mut reused = Owner::me();
        reused.start += 1;
        assert_eq!(reused.liveness(), Liveness::Dead);
    }

    #[test]
    fn another_host_boot_or_namespace_cannot_be_checked() {
        for f in [
            |o: &mut Owner| o.host = "elsewhere".into(),
            |o: &mut Owner| o.boot = "another-boot".into(),
            |o: &mut Owner| o.pidns = "pid:[1]".into(),
        ] {
            let mut o = Owner::me();
            f(&mut o);
            assert_eq!(o.liveness(), Liveness::Unknown);
        }
    }

    #[test]
    fn staleness_by_liveness_then_age() {
        let minute = Duration::from_secs(60);
        let me = Owner::me();
        assert!(!is_stale(Some(&me), Duration::from_secs(3600), minute));
        let mut far = Owner::me();
        far.host = "node-far".into();
        assert!(!is_stale(Some(&far), Duration::from_secs(59), minute));
        assert!(is_stale(Some(&far), Duration::from_secs(61), minute));
        assert!(!is_stale(None, Duration::from_secs(1), minute));
        assert!(is_stale(None, Duration::from_secs(61), minute));
    }
}
