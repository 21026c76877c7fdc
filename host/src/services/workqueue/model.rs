//! An exhaustive interleaving check of the work item state machine.
//!
//! The workqueue's locking makes each operation on an item one critical
//! section on its [`WorkState`]: a worker starting the item, its callback
//! re-queueing it, the worker finishing it; a synchronous cancel grabbing
//! PENDING, waiting for the running instance, and ending; an outsider
//! queueing it; a flush waiting for the instance it saw. This test runs
//! every interleaving of those steps (depth-first, every choice of which
//! actor moves next) on the real `WorkState`, and checks at every state:
//!
//! - the item never runs twice at once (a second `start` is refused);
//! - when `cancel_*_sync` returns, the item is neither pending nor running,
//!   even though its callback re-queues itself every time it runs;
//! - after that, it runs again only if the outsider queued it after the
//!   cancel returned;
//! - `flush_work` always returns, once the instance it waited for finished
//!   or was cancelled.
//!
//! Kernel counterpart: the guarantees `kernel/workqueue.c` documents for
//! `cancel_work_sync` and `flush_work`.

use std::sync::Arc;

use super::state::WorkState;

type Wq = Arc<&'static str>;

/// One actor's progress through its program.
#[derive(Clone, Debug)]
struct World {
    /// Worker: 0 idle, 1 running (callback not yet run), 2 callback ran.
    worker: u8,
    /// Times the callback still re-queues its item (bounds the exploration).
    runs_left: u8,
    /// Cancel: 0 not started, 1 waiting for the running instance, 2 returned.
    cancel: u8,
    /// The outsider's queue attempt: 0 not yet, 1 done before the cancel
    /// returned, 2 done after.
    outsider: u8,
    /// Flush: 0 not started, 1 waiting for `target`, 2 returned.
    flush: u8,
    target: Option<u64>,
    /// Runs started after the cancel returned.
    runs_after_cancel: u8,
}

/// The work item and the actors; cloned at every branch.
#[derive(Debug)]
struct Model {
    state: WorkState<Wq>,
    wq: Wq,
    world: World,
}

impl Clone for Model {
    fn clone(&self) -> Model {
        Model { state: self.state.snapshot(), wq: Arc::clone(&self.wq), world: self.world.clone() }
    }
}

/// Every step any actor could take next, as a closure applied to a copy.
fn moves(m: &Model) -> Vec<fn(&mut Model)> {
    let mut out: Vec<fn(&mut Model)> = Vec::new();
    let w = &m.world;
    // The worker: start a queued item (non-reentrant), run the callback
    // (which re-queues the item if it may), finish.
    if w.worker == 0 && m.state.is_pending() && !m.state.is_running() {
        out.push(|m| {
            assert!(m.state.start(1).is_some(), "a queued, idle item can be started");
            m.world.worker = 1;
            if m.world.cancel == 2 {
                m.world.runs_after_cancel += 1;
            }
        });
    }
    if w.worker == 1 {
        out.push(|m| {
            assert!(m.state.start(2).is_none(), "a second worker may not start the running item");
            if m.world.runs_left > 0 && m.state.may_queue() {
                let wq = Arc::clone(&m.wq);
                m.state.queue(wq, 0);
                m.world.runs_left -= 1;
            }
            m.world.worker = 2;
        });
    }
    if w.worker == 2 {
        out.push(|m| {
            m.state.finish();
            m.world.worker = 0;
        });
    }
    // The canceler: grab PENDING and hold it, wait for the run, end.
    if w.cancel == 0 {
        out.push(|m| {
            m.state.begin_cancel();
            m.state.grab();
            m.world.cancel = 1;
        });
    }
    if w.cancel == 1 && !m.state.is_running() {
        out.push(|m| {
            m.state.end_cancel();
            assert!(!m.state.is_pending() && !m.state.is_running(), "cancel_sync returned with the item busy");
            m.world.cancel = 2;
        });
    }
    // The outsider: one queue attempt.
    if w.outsider == 0 {
        out.push(|m| {
            if m.state.may_queue() {
                let wq = Arc::clone(&m.wq);
                m.state.queue(wq, 0);
            }
            m.world.outsider = if m.world.cancel == 2 { 2 } else { 1 };
        });
    }
    // The flusher: take a target, wait for it.
    if w.flush == 0 {
        out.push(|m| {
            m.world.target = m.state.flush_target();
            m.world.flush = 1;
        });
    }
    if w.flush == 1 && m.world.target.is_none_or(|t| m.state.finished(t)) {
        out.push(|m| m.world.flush = 2);
    }
    out
}

/// Explores every interleaving from `m`; returns the number of complete runs.
fn explore(m: &Model) -> u64 {
    let next = moves(m);
    if next.is_empty() {
        let w = &m.world;
        assert_eq!(w.cancel, 2, "every run ends with the cancel returned: {w:?}");
        assert_eq!(w.flush, 2, "every run ends with the flush returned: {w:?}");
        if w.outsider != 2 {
            assert_eq!(w.runs_after_cancel, 0, "the item ran after cancel_sync with nobody queueing it: {w:?}");
        }
        return 1;
    }
    next.into_iter()
        .map(|step| {
            let mut branch = m.clone();
            step(&mut branch);
            explore(&branch)
        })
        .sum()
}

#[test]
fn cancel_sync_defeats_a_self_requeueing_item_in_every_interleaving() {
    let wq: Wq = Arc::new("wq");
    for runs in 1..=3 {
        let mut state = WorkState::new();
        state.queue(Arc::clone(&wq), 0);
        let world =
            World { worker: 0, runs_left: runs, cancel: 0, outsider: 0, flush: 0, target: None, runs_after_cancel: 0 };
        let paths = explore(&Model { state, wq: Arc::clone(&wq), world });
        assert!(paths > 100, "explored {paths} interleavings with up to {runs} runs");
    }
}
