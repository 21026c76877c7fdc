//! The table's `kthread` group, and the signals a task takes.
//!
//! Kernel counterpart: `include/linux/kthread.h`, `kernel/kthread.c`,
//! `kernel/signal.c` (`allow_signal`, `flush_signals`, `send_sig`).

use abi_stable::std_types::RStr;
use modhost_abi::{
    errno::Errno,
    table::{Callback, Handle, Site},
};

use super::{entries, site_text};
use crate::services::{
    kthread::KThread,
    printk::Level,
    task::{SignalError, task_of},
};

entries! {
    KThreadOps {
        /// `kthread_create`: the thread starts at once and waits to be woken.
        fn kthread_create(c, body: Callback, name: RStr<'_>, site: Site) -> Handle {
            let thread = KThread::create(c.module(), name.as_str(), body, (site_text(&site), site.ip)).ok_or(Errno::ENOMEM)?;
            Ok(thread.handle())
        }

        /// `wake_up_process`.
        fn wake_up_process(c, handle: Handle, site: Site) -> bool {
            Ok(c.object::<KThread>(handle, &site)?.inner.wake())
        }

        /// `kthread_should_stop()` for the calling task.
        fn kthread_should_stop(c) -> bool {
            Ok(c.task().should_stop())
        }

        /// `kthread_stop`: the thread's result, `-EINTR` if it never ran. A
        /// thread that already returned is reported (the kernel's
        /// `kthread_stop` would wait on a freed task).
        fn kthread_stop(c, handle: Handle, site: Site) -> i32 {
            let object = c.object_arc::<KThread>(handle, &site)?;
            c.might_sleep(&site);
            let this = &object.inner;
            if this.is_current() {
                c.warn(&site, "kthread_stop of the calling kthread would wait for itself; not waiting");
                return Err(Errno::EDEADLK);
            }
            if let (Some(result), _) = this.exited() {
                let text = format!(
                    "{}: kthread_stop: {} already exited (returned {result}) at {}",
                    c.module().name,
                    this.name,
                    site_text(&site)
                );
                c.services().log(Level::Warning, &text);
                this.join();
                return Ok(result);
            }
            let running: Vec<_> = this.task().map(|t| (t.id(), object.name())).into_iter().collect();
            let _explained = c.services().explain_exit_wait(c.module(), || format!("kthread_stop({})", this.name), &running);
            let c = c.unpin_on(&object);
            this.stop_and_wait(c.services(), &site_text(&site)).map_err(|_| Errno::EINTR)
        }

        /// Frees a kthread, stopping it first unless `kthread_stop` did.
        fn kthread_free(c, handle: Handle, site: Site) -> () {
            let object = c.object_arc::<KThread>(handle, &site)?;
            if object.inner.is_current() {
                // Its own body: released once the body returns.
                object.inner.stop_from_itself();
                return c.free::<KThread>(handle, &site).map(drop);
            }
            match object.inner.exited() {
                (None, false) => {
                    let c = c.unpin_on(&object);
                    // A kill ends the wait: the unload reclaims what is left.
                    let _ = object.inner.stop_and_wait(c.services(), &site_text(&site));
                    c.repin().free::<KThread>(handle, &site).map(drop)
                }
                (result, _) => {
                    if result.is_some() {
                        object.inner.join();
                    }
                    c.free::<KThread>(handle, &site).map(drop)
                }
            }
        }

        /// The kthread's pid, from its creation on.
        fn kthread_pid(c, handle: Handle, site: Site) -> i32 {
            let pid = c.object::<KThread>(handle, &site)?.inner.pid().ok_or(Errno::ESRCH)?;
            Ok(i32::try_from(pid).unwrap_or(i32::MAX))
        }

        /// `allow_signal` for the calling task; no such signal, nothing.
        fn allow_signal(c, signal: i32) -> () {
            c.task().allow_signal(u32::try_from(signal).unwrap_or(0));
            Ok(())
        }

        /// `disallow_signal` for the calling task.
        fn disallow_signal(c, signal: i32) -> () {
            c.task().disallow_signal(u32::try_from(signal).unwrap_or(0));
            Ok(())
        }

        /// `flush_signals(current)`.
        fn flush_signals(c) -> () {
            c.task().flush_signals();
            Ok(())
        }

        /// `send_sig(sig, task, 0)`, the task named by its pid.
        fn send_sig(c, pid: i32, signal: i32) -> i32 {
            let pid = u64::try_from(pid).map_err(|_| Errno::ESRCH)?;
            let signal = u32::try_from(signal).map_err(|_| Errno::EINVAL)?;
            let task = task_of(c.services().id, pid).ok_or(Errno::ESRCH)?;
            match task.send_signal(signal) {
                Ok(_) => Ok(0),
                Err(SignalError::Invalid) => Err(Errno::EINVAL),
                Err(SignalError::NotPermitted) => Err(Errno::EPERM),
            }
        }
    }
}
