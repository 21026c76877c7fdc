//! The table's `timer` group.
//!
//! Kernel counterpart: `include/linux/timer.h`, `kernel/time/timer.c`.

use modhost_abi::{
    errno::Errno,
    table::{Callback, Handle, Site, TimerDelete},
};

use super::{entries, site_text};
use crate::services::timer::{self, Deleted, Timer};

entries! {
    TimerOps {
        /// `timer_setup`.
        fn timer_setup(c, callback: Callback, _flags: u32, site: Site) -> Handle {
            Ok(c.register(Timer::new(callback), &site)?.1)
        }

        /// `mod_timer`: `1` if it was pending.
        fn mod_timer(c, handle: Handle, expires: u64, site: Site) -> i32 {
            let object = c.object_arc::<Timer>(handle, &site)?;
            note_rearm(&c, &object, &site);
            Ok(i32::from(timer::modify(c.services(), &object, expires)))
        }

        /// `add_timer`: arming a pending timer is reported.
        fn add_timer(c, handle: Handle, expires: u64, site: Site) -> () {
            let object = c.object_arc::<Timer>(handle, &site)?;
            note_rearm(&c, &object, &site);
            if timer::modify(c.services(), &object, expires) {
                c.warn(&site, "add_timer of a pending timer");
            }
            Ok(())
        }

        /// `timer_delete*`, `timer_shutdown*`.
        fn timer_delete(c, handle: Handle, how: TimerDelete, site: Site) -> i32 {
            let (sync, shutdown) = match how {
                TimerDelete::DELETE => (false, false),
                TimerDelete::DELETE_SYNC => (true, false),
                TimerDelete::SHUTDOWN => (false, true),
                TimerDelete::SHUTDOWN_SYNC => (true, true),
                other => return Err(c.reject_value(&site, &format!("{other:?}"))),
            };
            if !sync {
                let object = c.object::<Timer>(handle, &site)?;
                if !shutdown && !timer::rearms_itself(c.services(), object) {
                    object.inner.meter.cancelled(|| {
                        format!(
                            "timer_delete() (del_timer) at {} returned while it ran; timer_delete_sync() \
                             (del_timer_sync) waits for the callback in progress",
                            site_text(&site)
                        )
                    });
                }
                return Ok(i32::from(timer::delete(c.services(), object, shutdown)));
            }
            let object = c.object_arc::<Timer>(handle, &site)?;
            let task = c.task();
            c.might_sleep(&site);
            let call = c.call();
            let c = c.unpin_on(&object);
            match timer::delete_sync(c.services(), &object, shutdown, &task, &site_text(&site)) {
                Ok(Deleted::Done(pending)) => Ok(i32::from(pending)),
                Ok(Deleted::OwnCallback(pending)) => {
                    c.warn(&site, &format!("{call} from the timer's own callback would deadlock; not waiting"));
                    Ok(i32::from(pending))
                }
                Err(_) => Err(Errno::EINTR),
            }
        }

        /// `timer_pending`.
        fn timer_pending(c, handle: Handle, site: Site) -> bool {
            Ok(c.object::<Timer>(handle, &site)?.inner.pending())
        }

        /// The timer's `expires`.
        fn timer_expires(c, handle: Handle, site: Site) -> u64 {
            Ok(c.object::<Timer>(handle, &site)?.inner.expires())
        }

        /// Frees a timer: shut down (waiting for its callback, unless this
        /// is it), then released once the callback has returned.
        fn timer_free(c, handle: Handle, site: Site) -> () {
            let object = c.object_arc::<Timer>(handle, &site)?;
            let task = c.task();
            let c = c.unpin_on(&object);
            // Freed from its own callback, it does not wait for itself, and
            // is released when the callback returns. A kill ends the wait:
            // the unload reclaims what is left.
            let _ = timer::delete_sync(c.services(), &object, true, &task, &site_text(&site));
            c.repin().free::<Timer>(handle, &site).map(drop)
        }
    }
}

/// A timer armed from its own callback re-arms itself: its meter learns
/// where, and from then on its rate is shown (`/sys/kernel/debug/modhost/rates`).
fn note_rearm(c: &super::Caller, timer: &crate::services::object::Object<Timer>, site: &Site) {
    if !timer::rearms_itself(c.services(), timer) {
        timer.inner.meter.armed_by_another();
    } else if let Some(why) = timer.inner.meter.rearmed(site) {
        c.services().report_rearm_after_cancel(c.module(), &timer.name(), &site_text(site), &why);
    }
}
