//! The process keeps its secrets to itself: no core dumps.
//!
//! During a login or a refresh the process holds the password, the client key and the refresh
//! token (a core of a refresh held four copies of the refresh token and three of the client
//! key). A core file is written with the user's umask wherever `core_pattern` says, often the
//! working directory, which may be a shared project directory. So the command turns core dumps
//! off before it reads anything: `RLIMIT_CORE` 0 (the hard limit too, so nothing it runs can
//! raise it again), and on Linux `PR_SET_DUMPABLE` 0, which also stops other processes of the
//! same user from attaching to it with `ptrace` or reading its `/proc/PID/mem`.
//!
//! A C, Fortran or Go host linking the library does the same for itself: see docs/c-api.md,
//! "Core dumps".

/// Turns core dumps off for this process (best effort: a failure is logged at debug level;
/// nothing here can fail in an ordinary process).
pub fn disable_core_dumps() {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    if let Err(e) = setrlimit(Resource::Core, none) {
        tracing::debug!("cannot set RLIMIT_CORE to 0: {e}");
    }
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        tracing::debug!("cannot clear PR_SET_DUMPABLE: {e}");
    }
}
