//! lockdep's reports, in the kernel's shapes: circular dependency,
//! recursive locking, bad unlock balance, held lock freed, and the
//! workqueue's leaked lock. Each taints `W` and ends with the task's stack.
//!
//! Kernel counterpart: `kernel/locking/lockdep.c` (`print_circular_bug`,
//! `print_deadlock_bug`, `print_unlock_imbalance_bug`,
//! `print_freed_lock_bug`), `kernel/workqueue.c` (`process_one_work`).

use std::sync::Arc;

use super::{
    At, Class, Held,
    graph::{Dep, DepText},
    operation,
};
use crate::{
    services::{Services, printk::Level, task::Task},
    taint::TaintFlag,
};

const LEVEL: Level = Level::Warning;

impl Services {
    /// What an edge's report prints: `task` took (waited for, gave)
    /// `class` with `verb` at `at`, holding `prev`.
    pub(super) fn edge_text(&self, task: &Task, prev: &Held, class: &Class, verb: &str, at: At) -> DepText {
        DepText {
            scenario: [format!("lock({});", prev.class.name), format!("{verb}({});", class.name)],
            trace: vec![
                format!("{verb}({}) at {}", class.name, at.format(&self.kallsyms)),
                format!(
                    "by {}/{}, holding {} taken at {}",
                    task.name(),
                    task.id(),
                    prev.class.name,
                    prev.at.format(&self.kallsyms)
                ),
            ],
        }
    }

    /// `WARNING: possible circular locking dependency detected`: `task`,
    /// holding `prev`, does `verb` on `class` at `at`, and `cycle` is the
    /// existing path that makes it a cycle.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn report_circular(
        &self,
        task: &Task,
        held: &[Held],
        prev: &Held,
        (class, instance): (&Arc<Class>, usize),
        verb: &str,
        at: At,
        cycle: &[Dep],
    ) {
        let now = self.edge_text(task, prev, class, verb, at);
        self.lockdep_header("possible circular locking dependency detected", 54);
        let giving = matches!(verb, "up" | "complete");
        let doing = if giving { format!("is trying to {verb}") } else { "is trying to acquire lock".to_string() };
        self.trying_while_holding(task, &doing, class, instance, at, prev);
        self.log(LEVEL, "which lock already depends on the new lock.");
        self.log(LEVEL, "");
        self.log(LEVEL, "the existing dependency chain (in reverse order) is:");
        self.log(LEVEL, "");
        for (n, dep) in cycle.iter().enumerate().rev() {
            let to = self.lockdep.graph.lock().get(dep.to).clone();
            self.log(LEVEL, &format!("-> #{} ({}){}:", n + 1, to.name, to.kind.marks()));
            dep.text.trace.iter().for_each(|line| self.log(LEVEL, &format!("       {line}")));
        }
        self.log(LEVEL, &format!("-> #0 ({}){}:", class.name, class.kind.marks()));
        now.trace.iter().for_each(|line| self.log(LEVEL, &format!("       {line}")));
        self.log(LEVEL, "");
        self.log(LEVEL, "other info that might help us debug this:");
        self.log(LEVEL, "");
        if cycle.len() > 1 {
            let names: Vec<String> = cycle.iter().map(|d| self.lockdep.graph.lock().get(d.from).name.clone()).collect();
            self.log(LEVEL, "Chain exists of:");
            self.log(LEVEL, &format!("  {} --> {}", names.join(" --> "), prev.class.name));
            self.log(LEVEL, "");
        }
        let other = &cycle.last().expect("a cycle has an edge").text.scenario;
        self.scenario(&now.scenario, other, class.kind.is_event() || cycle.iter().any(|d| self.is_event(d)), giving);
        self.explain(prev, class, verb);
        self.held_list(task, held);
        self.lockdep_footer();
    }

    /// The two paragraphs both reports open with: the lock the task is
    /// after (`doing` it), and the one it already holds.
    fn trying_while_holding(&self, task: &Task, doing: &str, class: &Class, instance: usize, at: At, held: &Held) {
        self.log(LEVEL, &format!("{}/{} {doing}:", task.name(), task.id()));
        self.log(LEVEL, &format!("{} at: {}", self.lock_line(class, instance), at.format(&self.kallsyms)));
        self.log(LEVEL, "");
        self.log(LEVEL, "but task is already holding lock:");
        self.log(LEVEL, &self.held_line(held));
        self.log(LEVEL, "");
    }

    /// `WARNING: possible recursive locking detected`.
    pub(super) fn report_recursive(
        &self,
        task: &Task,
        held: &[Held],
        same: &Held,
        class: &Class,
        instance: usize,
        at: At,
    ) {
        self.lockdep_header("possible recursive locking detected", 44);
        self.trying_while_holding(task, "is trying to acquire lock", class, instance, at, same);
        self.log(LEVEL, "other info that might help us debug this:");
        self.log(LEVEL, " Possible unsafe locking scenario:");
        self.log(LEVEL, "");
        self.log(LEVEL, "       CPU0");
        self.log(LEVEL, "       ----");
        let verb = operation(class.kind, false);
        self.log(LEVEL, &format!("  {verb}({});", class.name));
        self.log(LEVEL, &format!("  {verb}({});", class.name));
        self.log(LEVEL, "");
        self.log(LEVEL, " *** DEADLOCK ***");
        self.log(LEVEL, "");
        self.log(LEVEL, " May be due to missing lock nesting notation");
        self.log(LEVEL, "");
        self.held_list(task, held);
        self.lockdep_footer();
    }

    /// `WARNING: bad unlock balance detected!` for an `up` of a binary
    /// semaphore at `at` that `why` explains.
    pub(super) fn report_bad_unlock(&self, class: &Class, instance: usize, at: At, why: &str) {
        let task = Task::current();
        self.lockdep_header("bad unlock balance detected!", 37);
        self.log(LEVEL, &format!("{}/{} is trying to release lock ({}) at:", task.name(), task.id(), class.name));
        self.log(LEVEL, &at.format(&self.kallsyms));
        self.log(LEVEL, "but there are no more locks to release!");
        self.log(LEVEL, "");
        self.log(LEVEL, "other info that might help us debug this:");
        self.log(LEVEL, &format!("{instance:016x} ({}): up({}) {why}", class.name, class.name));
        self.held_list(&task, &task.held_locks());
        self.lockdep_footer();
    }

    /// `WARNING: held lock freed!`: `module`'s memory goes with `freed`
    /// still held by `task`.
    pub(super) fn report_held_lock_freed(&self, task: &Task, module: &str, freed: &[Held]) {
        let by = Task::current();
        self.lockdep_header("held lock freed!", 25);
        self.log(
            LEVEL,
            &format!("{}/{} is freeing memory of {module}, with a lock still held there!", by.name(), by.id()),
        );
        for held in freed {
            self.log(LEVEL, &self.held_line(held));
        }
        self.held_list(task, freed);
        self.lockdep_footer();
    }

    /// `BUG: workqueue leaked atomic, lock or RCU` for `function`, which
    /// returned holding `held[before..]`.
    pub(super) fn report_work_leak(&self, task: &Task, before: usize, held: &[Held], function: &str) {
        self.taint.add(TaintFlag::Warn);
        self.log(Level::Err, &format!("BUG: workqueue leaked atomic, lock or RCU: {}[{}]", task.name(), task.id()));
        self.log(
            Level::Err,
            &format!("     preempt=0x00000000 lock={}->{} RCU=0->0 workfn={function}", before, held.len()),
        );
        self.held_list(task, held);
        self.report_task(Level::Err);
        self.warn_trace(Level::Err);
    }

    /// The first lines: the rule, the title, the kernel and its taint.
    fn lockdep_header(&self, title: &str, width: usize) {
        self.taint.add(TaintFlag::Warn);
        self.log(LEVEL, "");
        self.log(LEVEL, &"=".repeat(width));
        self.log(LEVEL, &format!("WARNING: {title}"));
        self.log(LEVEL, &format!("modhost Tainted: {}", self.taint));
        self.log(LEVEL, &"-".repeat(width));
    }

    /// The stack of the task reporting, as the kernel ends its reports.
    fn lockdep_footer(&self) {
        self.log(LEVEL, "");
        self.log(LEVEL, "stack backtrace:");
        self.report_task(LEVEL);
        self.warn_trace(LEVEL);
    }

    /// `ffff888032ab3468 (&fifo->lock){+.+.}-{3:3},`.
    fn lock_line(&self, class: &Class, instance: usize) -> String {
        format!("{instance:016x} ({}){},", class.name, class.kind.marks())
    }

    /// A held lock: its line and where it was taken.
    fn held_line(&self, held: &Held) -> String {
        format!("{} at: {}", self.lock_line(&held.class, held.instance), held.at.format(&self.kallsyms))
    }

    /// `2 locks held by kworker/u2:1/42:` and one line each.
    fn held_list(&self, task: &Task, held: &[Held]) {
        let n = held.len();
        if n == 0 {
            self.log(LEVEL, &format!("no locks held by {}/{}.", task.name(), task.id()));
            return;
        }
        let locks = if n == 1 { "1 lock" } else { &format!("{n} locks") };
        self.log(LEVEL, &format!("{locks} held by {}/{}:", task.name(), task.id()));
        for (i, h) in held.iter().enumerate() {
            self.log(LEVEL, &format!(" #{i}: {}", self.held_line(h)));
        }
    }

    /// ` Possible unsafe locking scenario:` with the two CPUs' lines. Two
    /// locks interleave as the kernel prints them; when an event is in the
    /// cycle, the side that sleeps on it goes first, whole.
    fn scenario(&self, now: &[String; 2], other: &[String; 2], event: bool, giving: bool) {
        self.log(LEVEL, " Possible unsafe locking scenario:");
        self.log(LEVEL, "");
        self.log(LEVEL, "       CPU0                    CPU1");
        self.log(LEVEL, "       ----                    ----");
        let cpu0 = |line: &String| self.log(LEVEL, &format!("  {line}"));
        let cpu1 = |line: &String| self.log(LEVEL, &format!("                               {line}"));
        match (event, giving) {
            (false, _) => {
                cpu0(&now[0]);
                cpu1(&other[0]);
                cpu1(&other[1]);
                cpu0(&now[1]);
            }
            (true, false) => {
                now.iter().for_each(cpu0);
                other.iter().for_each(cpu1);
            }
            (true, true) => {
                other.iter().for_each(cpu1);
                now.iter().for_each(cpu0);
            }
        }
        self.log(LEVEL, "");
        self.log(LEVEL, " *** DEADLOCK ***");
        self.log(LEVEL, "");
    }

    /// modhost's own line for a cycle through an event: why it hangs.
    fn explain(&self, prev: &Held, class: &Class, verb: &str) {
        if !class.kind.is_event() {
            return;
        }
        let (wait, give) = (operation(class.kind, false), operation(class.kind, true));
        let lock = &prev.class.name;
        let name = &class.name;
        let line = match verb {
            "up" | "complete" => format!(
                "modhost: {give}({name}) is done holding {lock}, and a task sleeps in {wait}({name}) holding \
                 {lock}: once {name} runs out, the sleeper waits for this {give}, which waits for {lock}, forever"
            ),
            _ => format!(
                "modhost: {wait}({name}) sleeps holding {lock}, and {give}({name}) is done holding {lock}: once \
                 {name} runs out, the sleeper keeps {lock} from the only tasks that would {give} it, forever"
            ),
        };
        self.log(LEVEL, &line);
        self.log(LEVEL, "");
    }

    fn is_event(&self, dep: &Dep) -> bool {
        let graph = self.lockdep.graph.lock();
        graph.get(dep.from).kind.is_event() || graph.get(dep.to).kind.is_event()
    }
}
