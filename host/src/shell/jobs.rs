//! Background jobs: `COMMAND &`, `jobs`, `wait [%N]`, `kill %N`, as a
//! shell has them.
//!
//! A line ending in `&` runs on a thread of its own and the prompt comes
//! back at once (`[1]`); what the command prints goes to stdout and
//! stderr as it comes (a `cat /dev/sleepy &` prints its line when a writer
//! wakes it), as a shell's background job does. So several readers can
//! sleep on one device from one prompt.
//!
//! Ctrl-C stops the command at the prompt, not the jobs; `kill %N` stops
//! job N ([`interrupt::as_job`]: the job's own stop request, which its
//! `cat` of a device turns into a signal to the module's sleeping read),
//! and the end of the session stops them all ([`stop_all`]). A finished
//! job is reported once, before the next command (`[1]+  Done
//! cat /dev/sleepy`, by the session, as a shell does before its prompt), or
//! by `jobs`.
//!
//! The table is process-wide, as the interrupt flags are: one shell per
//! process.

use parking_lot::{Condvar, Mutex};
use std::{
    io::{LineWriter, Write},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use super::{
    exec::{Format, run_line_as},
    interrupt, stdio,
};
use crate::Kernel;

/// The jobs of the process, by number.
static JOBS: Mutex<Vec<Job>> = Mutex::new(Vec::new());
/// Notified when a job ends, and on every stop request (for `wait`).
static CHANGED: Condvar = Condvar::new();

struct Job {
    id: usize,
    line: String,
    stop: Arc<AtomicBool>,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// Ended by itself: whether the command succeeded.
    Done(bool),
    /// Ended after `kill`.
    Killed,
}

impl Job {
    /// `[1]+  Running                 cat /dev/sleepy &`.
    fn status_line(&self, mark: char) -> String {
        let (status, line) = match self.state {
            State::Running => ("Running".to_string(), format!("{} &", self.line)),
            State::Done(true) => ("Done".to_string(), self.line.clone()),
            State::Done(false) => ("Exit 1".to_string(), self.line.clone()),
            State::Killed => ("Terminated".to_string(), self.line.clone()),
        };
        format!("[{}]{mark}  {status:<24}{line}", self.id)
    }
}

/// The mark of the job at `index` of `count`: `+` the current (newest), `-` the one before.
fn mark(index: usize, count: usize) -> char {
    match count - index {
        1 => '+',
        2 => '-',
        _ => ' ',
    }
}

/// Runs `line` (without its `&`) in the background; prints `[N]` to `err`.
pub(super) fn spawn(kernel: &Kernel, line: &str, format: Format, err: &mut dyn Write) -> bool {
    let line = line.trim().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let id = {
        let mut jobs = JOBS.lock();
        let id = jobs.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        jobs.push(Job { id, line: line.clone(), stop: Arc::clone(&stop), state: State::Running });
        id
    };
    let kernel = kernel.alias();
    let theirs = Arc::clone(&stop);
    let started = thread::Builder::new().name(format!("job %{id}")).spawn(move || {
        let (mut out, mut err) = (LineWriter::new(stdio::stdout()), LineWriter::new(stdio::stderr()));
        let outcome =
            interrupt::as_job(Arc::clone(&theirs), || run_line_as(&kernel, &line, format, &mut out, &mut err));
        let _ = out.flush();
        let _ = err.flush();
        let state = if theirs.load(Ordering::SeqCst) { State::Killed } else { State::Done(outcome.ok) };
        finish(id, state);
    });
    if let Err(e) = started {
        JOBS.lock().retain(|j| j.id != id);
        let _ = writeln!(err, "modhost: cannot start a background job: {e}");
        return false;
    }
    let _ = writeln!(err, "[{id}]");
    true
}

fn finish(id: usize, state: State) {
    let mut jobs = JOBS.lock();
    if let Some(job) = jobs.iter_mut().find(|j| j.id == id) {
        job.state = state;
    }
    CHANGED.notify_all();
}

/// Prints the jobs that ended since they were last reported, and forgets them.
pub(super) fn report_done(err: &mut dyn Write) {
    let mut jobs = JOBS.lock();
    let count = jobs.len();
    for (index, job) in jobs.iter().enumerate().filter(|(_, j)| j.state != State::Running) {
        let _ = writeln!(err, "{}", job.status_line(mark(index, count)));
    }
    jobs.retain(|j| j.state == State::Running);
}

/// `jobs`: every job and its state; the ended ones are then forgotten.
pub(super) fn list(out: &mut dyn Write) -> bool {
    report_done(out);
    let jobs = JOBS.lock();
    for (index, job) in jobs.iter().enumerate() {
        let _ = writeln!(out, "{}", job.status_line(mark(index, jobs.len())));
    }
    true
}

/// The job number `%N` (or `N`) names, if it is a job.
fn job_id(spec: &str) -> Option<usize> {
    let id: usize = spec.strip_prefix('%').unwrap_or(spec).parse().ok()?;
    JOBS.lock().iter().any(|j| j.id == id).then_some(id)
}

/// `wait [%N]`: until job N (or every job) ended, or Ctrl-C; as the
/// shell's, `wait` alone succeeds, and `wait %N` says whether job N did.
pub(super) fn wait(spec: Option<&str>, err: &mut dyn Write) -> bool {
    let id = match spec {
        None => None,
        Some(spec) => match job_id(spec) {
            Some(id) => Some(id),
            None => {
                let _ = writeln!(err, "wait: {spec}: no such job");
                return false;
            }
        },
    };
    let _waker = interrupt::Waker::register(|| {
        let _jobs = JOBS.lock();
        CHANGED.notify_all();
    });
    let mut jobs = JOBS.lock();
    loop {
        let waited: Vec<&Job> = jobs.iter().filter(|j| id.is_none_or(|id| j.id == id)).collect();
        if waited.iter().all(|j| j.state != State::Running) {
            // As the shell's: `wait` alone succeeds; `wait %N` is the job's status.
            let failed = spec.filter(|_| waited.iter().any(|j| j.state != State::Done(true)));
            if let Some(spec) = failed {
                let _ = writeln!(err, "wait: {spec}: the job failed");
            }
            return failed.is_none();
        }
        if interrupt::pending() {
            let _ = writeln!(err, "wait: interrupted");
            return false;
        }
        CHANGED.wait(&mut jobs);
    }
}

/// `kill %N...`: asks each job to stop.
pub(super) fn kill(specs: &[String], err: &mut dyn Write) -> bool {
    let mut ok = true;
    for spec in specs {
        let stop = job_id(spec).and_then(|id| JOBS.lock().iter().find(|j| j.id == id).map(|j| Arc::clone(&j.stop)));
        match stop {
            Some(stop) => interrupt::interrupt_job(&stop),
            None => {
                let _ = writeln!(err, "kill: {spec}: no such job");
                ok = false;
            }
        }
    }
    ok
}

/// Stops every job and waits for them, at most `bound`; whether they all ended.
pub fn stop_all(bound: Duration) -> bool {
    let stops: Vec<_> = JOBS.lock().iter().map(|j| Arc::clone(&j.stop)).collect();
    stops.iter().for_each(|stop| interrupt::interrupt_job(stop));
    let give_up = Instant::now() + bound;
    let mut jobs = JOBS.lock();
    while jobs.iter().any(|j| j.state == State::Running) {
        if CHANGED.wait_until(&mut jobs, give_up).timed_out() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_a_shells() {
        let job = |state| Job { id: 2, line: "cat /dev/sleepy".into(), stop: Arc::default(), state };
        assert_eq!(job(State::Running).status_line('+'), "[2]+  Running                 cat /dev/sleepy &");
        assert_eq!(job(State::Done(true)).status_line('-'), "[2]-  Done                    cat /dev/sleepy");
        assert_eq!(job(State::Killed).status_line(' '), "[2]   Terminated              cat /dev/sleepy");
        assert_eq!((mark(2, 3), mark(1, 3), mark(0, 3)), ('+', '-', ' '));
    }
}
