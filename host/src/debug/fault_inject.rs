//! Fault injection, for exercising a module's error paths: the kernel's
//! `failslab` (a `kmalloc` returns NULL) and, beyond it, `fail_down` (an
//! interruptible `down` returns `-EINTR`), with the kernel's knobs under
//! `/sys/kernel/debug/<name>/`:
//!
//! - `probability`: percent of the calls that may fail (0 = none);
//! - `interval`: only every Nth call may fail (1 = each);
//! - `times`: how many failures at most (-1 = no limit);
//! - `space`: bytes of allocations let through first (failslab);
//! - `verbose`: 0 quiet, 1 the `FAULT_INJECTION` lines, 2 with the stack;
//! - `module`: beyond the kernel, the one module whose calls may fail
//!   (empty: any), so that `echo fifo > module; echo 3 > interval;
//!   echo 1 > times; echo 100 > probability` fails fifo's third
//!   `kmalloc`, even in its init.
//!
//! A forced failure is logged as the kernel logs it:
//!
//! ```text
//! FAULT_INJECTION: forcing a failure.
//! name failslab, interval 3, probability 100, space 0, times 1
//! ```
//!
//! Kernel counterpart: `lib/fault-inject.c` (`should_fail`),
//! `mm/failslab.c`.

use parking_lot::Mutex;

use crate::services::{Services, printk::Level};

/// The knobs' file names, in the order `ls` shows them.
pub(crate) const KNOBS: [&str; 6] = ["interval", "module", "probability", "space", "times", "verbose"];

/// One fault's attributes and counters (`struct fault_attr`).
#[derive(Debug)]
pub(crate) struct FaultAttr {
    name: &'static str,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    probability: u64,
    interval: u64,
    times: i64,
    space: u64,
    verbose: u64,
    module: String,
    /// Calls seen that matched the filter (for `interval`).
    count: u64,
}

impl FaultAttr {
    /// A fault named `name` that never fires until configured.
    pub(crate) const fn new(name: &'static str) -> FaultAttr {
        FaultAttr {
            name,
            state: Mutex::new(State {
                probability: 0,
                interval: 1,
                times: 1,
                space: 0,
                verbose: 2,
                module: String::new(),
                count: 0,
            }),
        }
    }

    /// The fault's name (`failslab`), its directory under `debug/`.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// `should_fail`: whether this call of `module` (of `size` bytes, for
    /// `space`) fails; logs the failure as the kernel does.
    pub(crate) fn should_fail(&self, services: &Services, module: &str, size: u64) -> bool {
        let line = {
            let mut st = self.state.lock();
            if st.probability == 0 || st.times == 0 || (!st.module.is_empty() && st.module != module) {
                return false;
            }
            if st.space > size {
                st.space -= size;
                return false;
            }
            st.count += 1;
            if st.interval > 1 && !st.count.is_multiple_of(st.interval) {
                return false;
            }
            if st.probability < 100 && random_percent() >= st.probability {
                return false;
            }
            if st.times > 0 {
                st.times -= 1;
            }
            (st.verbose > 0).then(|| {
                format!(
                    "name {}, interval {}, probability {}, space {}, times {}",
                    self.name, st.interval, st.probability, st.space, st.times
                )
            })
        };
        if let Some(line) = line {
            services.log(Level::Info, "FAULT_INJECTION: forcing a failure.");
            services.log(Level::Info, &line);
            if self.state.lock().verbose > 1 {
                services.dump_stack(Level::Info);
            }
        }
        true
    }

    /// A knob's value, as its file reads.
    pub(crate) fn read(&self, knob: &str) -> Option<String> {
        let st = self.state.lock();
        Some(match knob {
            "probability" => st.probability.to_string(),
            "interval" => st.interval.to_string(),
            "times" => st.times.to_string(),
            "space" => st.space.to_string(),
            "verbose" => st.verbose.to_string(),
            "module" => st.module.clone(),
            _ => return None,
        })
    }

    /// Writes a knob; `Err` with why for a value the knob refuses.
    pub(crate) fn write(&self, knob: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        let number = || value.parse::<u64>().map_err(|_| format!("'{value}' is not a number"));
        let mut st = self.state.lock();
        match knob {
            "probability" => st.probability = number()?.min(100),
            "interval" => st.interval = number()?.max(1),
            "times" => st.times = value.parse::<i64>().map_err(|_| format!("'{value}' is not a number"))?,
            "space" => st.space = number()?,
            "verbose" => st.verbose = number()?,
            "module" => st.module = value.to_string(),
            _ => return Err("no such knob".to_string()),
        }
        st.count = 0;
        Ok(())
    }
}

/// A number in 0..100 from the system's random source.
fn random_percent() -> u64 {
    let mut byte = [0u8; 8];
    // SAFETY: `getrandom` writes at most 8 bytes into the buffer.
    unsafe { libc::getrandom(byte.as_mut_ptr().cast(), byte.len(), 0) };
    u64::from_ne_bytes(byte) % 100
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{clock::Clock, printk::Printk};
    use std::time::Duration;

    fn services() -> Services {
        let clock = Clock::manual(250);
        Services::new(0, clock.clone(), Duration::from_secs(1), Printk::new(clock, 1 << 16))
    }

    #[test]
    fn the_nth_call_of_one_module_fails_once() {
        let services = services();
        let failslab = FaultAttr::new("failslab");
        for (knob, value) in [("module", "fifo"), ("interval", "3"), ("times", "1"), ("probability", "100")] {
            failslab.write(knob, value).unwrap();
        }
        let fails: Vec<bool> = (0..7).map(|_| failslab.should_fail(&services, "fifo", 32)).collect();
        assert_eq!(fails, [false, false, true, false, false, false, false]);
        assert!(!failslab.should_fail(&services, "producer", 32));
        assert_eq!(failslab.read("times").as_deref(), Some("0"));
        assert!(failslab.write("interval", "three").is_err());
    }

    #[test]
    fn space_lets_the_first_bytes_through() {
        let services = services();
        let failslab = FaultAttr::new("failslab");
        for (knob, value) in [("space", "100"), ("times", "-1"), ("probability", "100")] {
            failslab.write(knob, value).unwrap();
        }
        assert!(!failslab.should_fail(&services, "m", 64));
        assert!(failslab.should_fail(&services, "m", 64));
        assert!(failslab.should_fail(&services, "m", 64), "no limit");
    }
}
