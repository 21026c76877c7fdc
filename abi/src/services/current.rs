//! `current`: the task running the calling code.
//!
//! Every thread that runs module code is a task of the host: a worker
//! (`kworker/u3:0`), a kthread (by its name), the timer thread
//! (`ktimers/0`), the task running `init` or `exit`. `ps` lists them.
//!
//! Kernel counterpart: `include/linux/sched.h` (`current`, `task_pid_nr`,
//! `get_task_comm`).

use crate::runtime::{kernel, read_string};

/// `current->pid`: the task's id, as `ps` shows it.
pub fn pid() -> i32 {
    let (services, module) = kernel();
    (services.time().current_pid())(module)
}

/// `get_task_comm(current)`: the task's name.
pub fn comm() -> String {
    let (services, module) = kernel();
    read_string(|buf, len| i64::try_from((services.time().get_task_comm())(module, buf, len)).unwrap_or(-1))
        .unwrap_or_default()
}
