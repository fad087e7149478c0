//! The few POSIX calls the supervisor needs (signals to process groups, reaping), wrapped safely.
#![allow(unsafe_code)]

/// Whether process `pid` exists and is not a zombie. Reaps it first when it is our own
/// finished child, so a crashed child is seen as dead.
pub fn is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG only inspects/reaps a child of ours; for other pids it fails
    // with ECHILD and has no effect. `status` is a valid out-pointer.
    unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    // SAFETY: signal 0 only checks for existence and permission; no signal is sent.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists && !is_zombie(pid)
}

fn is_zombie(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Whether any process of process group `pgid` still exists.
pub fn group_alive(pgid: u32) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    if pgid <= 1 {
        return false;
    }
    // SAFETY: signal 0 to a negative pid checks the process group without signalling it.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// Sends `SIGTERM` (or `SIGKILL` when `kill`) to every process of group `pgid`.
pub fn signal_group(pgid: u32, kill: bool) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return; // never signal "every process" or init's group
    }
    let sig = if kill { libc::SIGKILL } else { libc::SIGTERM };
    // SAFETY: plain kill(2) on a process group we started; errors (ESRCH) are harmless.
    unsafe { libc::kill(-pgid, sig) };
}

/// Makes `cmd`'s process create its files 0600 and directories 0700 (umask 077), whatever the
/// caller's umask: Airflow's DB, config and logs in a deployment stay private.
pub fn private_umask(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: umask(2) is async-signal-safe and cannot fail; nothing else runs in the hook.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
}
