//! User-mode helpers: programs the kernel runs for a module
//! (`call_usermodehelper`).
//!
//! A helper runs as the host's user, in `/` (a relative path is taken from
//! there, as the kernel's `kernel_execve` from its worker's root), with its
//! `argv` and exactly its `envp` as environment, stdin `/dev/null`, and its
//! stdout and stderr into printk: one record per line, credited to the
//! module (`name: line`), at `KERN_INFO` and `KERN_WARNING`.
//!
//! The wait modes are the kernel's:
//!
//! - [`UmhWait::NoWait`]: returns `0` at once, started or not (the kernel
//!   queues the start and forgets the outcome);
//! - [`UmhWait::Exec`]: returns once the program was exec'd: `0`, or the
//!   exec's `-errno` (`-ENOENT` for a missing program);
//! - [`UmhWait::Proc`]: returns the program's wait status (`256` for exit
//!   status 1) once it ended and its output is logged.
//!
//! A waiting caller sleeps like any other task (`D`, or `S` with
//! `UMH_KILLABLE`, in `ps`), so a forced unload that kills it ends the
//! wait with `-EINTR`; the program is then killed too, since nobody waits
//! for it any more.
//!
//! Each helper has a reaper thread of the host's: it waits for the program
//! to end without reaping it (`waitid(WNOWAIT)`), marks it ended under the
//! helper's lock, and only then reaps it, so a kill sent under that lock
//! never reaches a recycled pid. Two more threads copy its output.
//!
//! Kernel counterpart: `kernel/umh.c`, `include/linux/umh.h`.

use modhost_abi::errno::Errno;
use parking_lot::Mutex;
use std::{
    ffi::{OsStr, OsString},
    io::{BufRead, BufReader, Read},
    os::unix::{
        ffi::OsStrExt,
        process::{CommandExt, ExitStatusExt},
    },
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    thread::JoinHandle,
};

use super::{
    Services,
    printk::Level,
    task::{Task, WaitMode},
    wait::{Sleep, WaitError, wait_until},
};

/// How long `call_usermodehelper` waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UmhWait {
    /// `UMH_NO_WAIT`.
    NoWait,
    /// `UMH_WAIT_EXEC`.
    Exec,
    /// `UMH_WAIT_PROC`.
    Proc,
}

/// A program to run: what `call_usermodehelper_setup` takes.
#[derive(Debug, Clone)]
pub(crate) struct Helper {
    pub(crate) path: OsString,
    pub(crate) argv: Vec<OsString>,
    pub(crate) envp: Vec<OsString>,
}

/// Who asks, for the log and the wait.
pub(crate) struct Caller<'a> {
    pub(crate) services: &'a Arc<Services>,
    pub(crate) module: Arc<str>,
    pub(crate) task: &'a Arc<Task>,
    pub(crate) site: &'a str,
}

/// A running helper, as its reaper and its waiter share it.
#[derive(Default)]
struct State {
    /// The program ended (not yet reaped if `status` is `None`).
    ended: bool,
    /// Its wait status, once reaped and its output logged.
    status: Option<i32>,
    /// The task waiting in `UMH_WAIT_PROC`.
    waiter: Option<Arc<Task>>,
}

/// `call_usermodehelper_exec`: runs `helper` and waits as `wait` (and
/// `killable`) say; the kernel's return value (see the module docs).
pub(crate) fn call_usermodehelper(caller: &Caller<'_>, helper: &Helper, wait: UmhWait, killable: bool) -> i32 {
    let child = match command(helper).spawn() {
        Ok(child) => child,
        Err(_) if wait == UmhWait::NoWait => return 0,
        Err(e) => return e.raw_os_error().and_then(Errno::new).unwrap_or(Errno::ENOEXEC).to_kernel(),
    };
    let pid = child.id();
    let state = Arc::new(Mutex::new(State::default()));
    if let Err(e) = reap(caller, child, &state) {
        kill(&state, pid);
        let text = format!("{}: call_usermodehelper: no thread to wait for the helper: {e}", caller.module);
        caller.services.log(Level::Err, &text);
        return if wait == UmhWait::NoWait { 0 } else { Errno::ENOMEM.to_kernel() };
    }
    if wait != UmhWait::Proc {
        return 0;
    }
    let mode = if killable { WaitMode::Killable } else { WaitMode::Uninterruptible };
    let clock = &caller.services.clock;
    let sleep = Sleep { clock, mode, deadline: None, site: &caller.site };
    let waited = wait_until(caller.task, &sleep, || {
        let mut state = state.lock();
        state.waiter = Some(Arc::clone(caller.task));
        state.status.is_some()
    });
    let status = state.lock().status;
    match status {
        Some(status) => status,
        // Only a kill ends this wait early: nobody waits for the program now.
        None => {
            debug_assert_eq!(waited, Err(WaitError::Killed));
            kill(&state, pid);
            Errno::EINTR.to_kernel()
        }
    }
}

/// The command that runs `helper` (see the module docs).
fn command(helper: &Helper) -> Command {
    let path = Path::new("/").join(&helper.path);
    let mut command = Command::new(&path);
    command.arg0(helper.argv.first().cloned().unwrap_or_else(|| path.clone().into_os_string()));
    command.args(helper.argv.iter().skip(1));
    command.env_clear();
    // `NAME=value`; an entry without a name is no variable.
    for entry in &helper.envp {
        let bytes = entry.as_bytes();
        if let Some(equals) = bytes.iter().position(|&b| b == b'=').filter(|&at| at > 0) {
            command.env(OsStr::from_bytes(&bytes[..equals]), OsStr::from_bytes(&bytes[equals + 1..]));
        }
    }
    command.current_dir(PathBuf::from("/")).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Starts the threads that log the helper's output and reap it.
fn reap(caller: &Caller<'_>, mut child: Child, state: &Arc<Mutex<State>>) -> std::io::Result<()> {
    let stdout = child.stdout.take().map(|out| log_lines(caller, out, Level::Info)).transpose()?;
    let stderr = child.stderr.take().map(|err| log_lines(caller, err, Level::Warning)).transpose()?;
    let state = Arc::clone(state);
    std::thread::Builder::new().name("umh".to_string()).spawn(move || {
        wait_without_reaping(child.id());
        state.lock().ended = true;
        let status = child.wait().map(|s| s.into_raw()).unwrap_or(-1);
        for reader in [stdout, stderr].into_iter().flatten() {
            let _ = reader.join();
        }
        let waiter = {
            let mut state = state.lock();
            state.status = Some(status);
            state.waiter.take()
        };
        if let Some(task) = waiter {
            task.wake_up();
        }
    })?;
    Ok(())
}

/// A thread that logs each line `from` gives as the module's, at `level`.
fn log_lines(caller: &Caller<'_>, from: impl Read + Send + 'static, level: Level) -> std::io::Result<JoinHandle<()>> {
    let (services, module) = (Arc::clone(caller.services), Arc::clone(&caller.module));
    std::thread::Builder::new().name("umh-log".to_string()).spawn(move || {
        for line in BufReader::new(from).split(b'\n') {
            let Ok(line) = line else { break };
            services.printk.log_module(level, &module, &String::from_utf8_lossy(&line));
        }
    })
}

/// Waits until process `pid` ended, leaving it a zombie (its pid stays taken).
fn wait_without_reaping(pid: libc::id_t) {
    loop {
        // SAFETY: `info` is a valid siginfo_t to write; waitid has no other
        // preconditions, and WNOWAIT leaves the child to `Child::wait`.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: As above.
        let ret = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if ret == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Kills the helper unless it ended already (then its pid may be reused).
fn kill(state: &Mutex<State>, pid: u32) {
    let state = state.lock();
    if state.ended {
        return;
    }
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: `pid` is our child, not yet reaped (`ended` is set, under
        // this lock, before the reaper reaps it), so it names that process.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper(path: &str, argv: &[&str], envp: &[&str]) -> Helper {
        Helper {
            path: path.into(),
            argv: argv.iter().map(OsString::from).collect(),
            envp: envp.iter().map(OsString::from).collect(),
        }
    }

    #[test]
    fn the_command_has_exactly_the_helpers_environment() {
        let command = command(&helper("bin/sh", &["sh", "-c", "env"], &["HOME=/", "PATH=/bin", "EMPTY=", "junk"]));
        assert_eq!(command.get_program(), "/bin/sh", "relative to /");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args, ["-c", "env"]);
        let envs: Vec<(String, Option<String>)> = command
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        assert_eq!(
            envs,
            [
                ("EMPTY".to_string(), Some(String::new())),
                ("HOME".to_string(), Some("/".to_string())),
                ("PATH".to_string(), Some("/bin".to_string()))
            ]
        );
    }
}
