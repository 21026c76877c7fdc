//! The soak's operations, and what each must do given what is loaded.
//!
//! The soak keeps its own belief of what is loaded ([`Lab`]) and, before
//! every operation, works out the outcome a correct host must give: an
//! insmod of a producer without the fifo fails with Unknown symbol, an rmmod
//! of the fifo while a producer uses it is refused, a write to the rate of a
//! module that is gone finds no file, and so on. A different outcome is a
//! failure of the run, and so is an lsmod that disagrees with the belief.

use crate::rng::Rng;
use modhost::{ErrorKind, Kernel};
use std::{collections::BTreeSet, fmt};

/// The instance names the soak loads producer.so and consumer.so under.
pub(crate) const PRODUCERS: [&str; 3] = ["producer", "producer2", "producer3"];
pub(crate) const CONSUMERS: [&str; 3] = ["consumer", "consumer2", "consumer3"];

/// Rates (items per second) the soak asks for: paused, slow, around HZ and
/// well above it, so that producers block on a full fifo and consumers on an
/// empty one.
const RATES: [u32; 7] = [0, 1, 10, 100, 250, 1000, 5000];

/// One thing the soak does to the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    InsmodFifo {
        size: u32,
    },
    InsmodProducer {
        name: &'static str,
        item: String,
        rate: u32,
    },
    InsmodConsumer {
        name: &'static str,
        rate: u32,
    },
    /// An insmod with an argument the kernel's rules reject (`rate=fast`).
    InsmodBadParam {
        name: &'static str,
    },
    Rmmod {
        name: &'static str,
    },
    ModprobeRemove {
        name: &'static str,
    },
    WriteRate {
        name: &'static str,
        rate: u32,
    },
    ReadStats,
    /// Lets traffic flow for a while.
    Pause {
        ms: u64,
    },
}

impl Op {
    /// The operation's kind, for the summary.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Op::InsmodFifo { .. } => "insmod fifo",
            Op::InsmodProducer { .. } => "insmod producer",
            Op::InsmodConsumer { .. } => "insmod consumer",
            Op::InsmodBadParam { .. } => "insmod (bad parameter)",
            Op::Rmmod { .. } => "rmmod",
            Op::ModprobeRemove { .. } => "modprobe -r",
            Op::WriteRate { .. } => "write rate",
            Op::ReadStats => "read /proc/fifo",
            Op::Pause { .. } => "pause",
        }
    }

    /// Runs the operation; `Err` carries the host's error kind.
    pub(crate) fn run(&self, kernel: &Kernel) -> Result<(), ErrorKind> {
        let result = match self {
            Op::InsmodFifo { size } => kernel.insmod("fifo.so", &format!("size={size}")).map(drop),
            Op::InsmodProducer { name, item, rate } => {
                kernel.insmod_named("producer.so", Some(name), &format!("item={item} rate={rate}")).map(drop)
            }
            Op::InsmodConsumer { name, rate } => {
                kernel.insmod_named("consumer.so", Some(name), &format!("rate={rate}")).map(drop)
            }
            Op::InsmodBadParam { name } => kernel.insmod_named("producer.so", Some(name), "rate=fast").map(drop),
            Op::Rmmod { name } => kernel.rmmod(name),
            Op::ModprobeRemove { name } => kernel.modprobe_remove(name).map(drop),
            Op::WriteRate { name, rate } => {
                kernel.write(&format!("/sys/module/{name}/parameters/rate"), &rate.to_string())
            }
            Op::ReadStats => kernel.read("/proc/fifo").map(drop),
            Op::Pause { ms } => {
                std::thread::sleep(std::time::Duration::from_millis(*ms));
                Ok(())
            }
        };
        result.map_err(|e| e.kind())
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::InsmodFifo { size } => write!(f, "insmod fifo.so size={size}"),
            Op::InsmodProducer { name, item, rate } => {
                write!(f, "insmod producer.so as {name} item={item} rate={rate}")
            }
            Op::InsmodConsumer { name, rate } => write!(f, "insmod consumer.so as {name} rate={rate}"),
            Op::InsmodBadParam { name } => write!(f, "insmod producer.so as {name} rate=fast"),
            Op::Rmmod { name } => write!(f, "rmmod {name}"),
            Op::ModprobeRemove { name } => write!(f, "modprobe -r {name}"),
            Op::WriteRate { name, rate } => write!(f, "echo {rate} > /sys/module/{name}/parameters/rate"),
            Op::ReadStats => write!(f, "cat /proc/fifo"),
            Op::Pause { ms } => write!(f, "sleep {ms} ms"),
        }
    }
}

/// What the soak believes is loaded.
#[derive(Debug, Default)]
pub(crate) struct Lab {
    loaded: BTreeSet<&'static str>,
}

impl Lab {
    /// A random next operation, weighted so that the lab is loaded most of
    /// the time and traffic flows between the changes.
    pub(crate) fn choose(&self, rng: &mut Rng) -> Op {
        let any = |rng: &mut Rng| rng.pick(&[PRODUCERS, CONSUMERS].concat());
        match rng.below(100) {
            0..5 => Op::InsmodFifo { size: [0, 1, 2, 8, 32, 64][rng.below(6) as usize] },
            5..20 => Op::InsmodProducer {
                name: rng.pick(&PRODUCERS),
                item: format!("item-{}", rng.below(1000)),
                rate: rng.pick(&RATES),
            },
            20..35 => Op::InsmodConsumer { name: rng.pick(&CONSUMERS), rate: rng.pick(&RATES) },
            35..37 => Op::InsmodBadParam { name: rng.pick(&PRODUCERS) },
            37..52 => Op::Rmmod { name: if rng.below(4) == 0 { "fifo" } else { any(rng) } },
            52..57 => Op::ModprobeRemove { name: if rng.below(4) == 0 { "fifo" } else { any(rng) } },
            57..75 => Op::WriteRate { name: any(rng), rate: rng.pick(&RATES) },
            75..80 => Op::ReadStats,
            _ => Op::Pause { ms: rng.below(30) },
        }
    }

    /// The outcome a correct host gives for `op` now.
    pub(crate) fn expect(&self, op: &Op) -> Result<(), ErrorKind> {
        let fifo = self.is_loaded("fifo");
        match op {
            Op::InsmodFifo { .. } if fifo => Err(ErrorKind::Exists),
            // fifo's init refuses size 0 with EINVAL.
            Op::InsmodFifo { size: 0 } => Err(ErrorKind::InitFailed),
            Op::InsmodProducer { name, .. } | Op::InsmodConsumer { name, .. } | Op::InsmodBadParam { name }
                if self.is_loaded(name) =>
            {
                Err(ErrorKind::Exists)
            }
            Op::InsmodProducer { .. } | Op::InsmodConsumer { .. } | Op::InsmodBadParam { .. } if !fifo => {
                Err(ErrorKind::UnknownSymbol)
            }
            Op::InsmodBadParam { .. } => Err(ErrorKind::InvalidParams),
            Op::Rmmod { name } if !self.is_loaded(name) => Err(ErrorKind::NotLoaded),
            // Of a name neither loaded nor a file of the module path (an
            // instance name): kmod's `Module NAME not found.`
            Op::ModprobeRemove { name } if !self.is_loaded(name) && !in_module_path(name) => Err(ErrorKind::NotFound),
            Op::Rmmod { name: "fifo" } | Op::ModprobeRemove { name: "fifo" } if self.users() > 0 => {
                Err(ErrorKind::InUse)
            }
            Op::WriteRate { name, .. } if !self.is_loaded(name) => Err(ErrorKind::NoSuchFile),
            Op::ReadStats if !fifo => Err(ErrorKind::NoSuchFile),
            _ => Ok(()),
        }
    }

    /// Records the effect of `op`, which succeeded.
    pub(crate) fn apply(&mut self, op: &Op) {
        match op {
            Op::InsmodFifo { .. } => {
                self.loaded.insert("fifo");
            }
            Op::InsmodProducer { name, .. } | Op::InsmodConsumer { name, .. } | Op::InsmodBadParam { name } => {
                self.loaded.insert(name);
            }
            Op::Rmmod { name } => {
                self.loaded.remove(name);
            }
            Op::ModprobeRemove { name } => {
                // Of a module not loaded: a silent success that removes
                // nothing, its dependencies included (kmod without
                // `--first-time`).
                if !self.loaded.remove(name) {
                    return;
                }
                // modprobe -r also removes what the module's file needs, once
                // unused: producer.so and consumer.so need fifo. Other
                // instance names are not in the module path's map.
                if in_module_path(name) && self.users() == 0 {
                    self.loaded.remove("fifo");
                }
            }
            Op::WriteRate { .. } | Op::ReadStats | Op::Pause { .. } => {}
        }
    }

    /// Takes the host's word for what is loaded: after a divergence, so
    /// that the run can unload everything and end cleanly. Names the soak
    /// never loads are left out.
    pub(crate) fn adopt(&mut self, shown: &[String]) {
        let known = ["fifo"].into_iter().chain(PRODUCERS).chain(CONSUMERS);
        self.loaded = known.filter(|name| shown.iter().any(|s| s == name)).collect();
    }

    pub(crate) fn is_loaded(&self, name: &str) -> bool {
        self.loaded.contains(name)
    }

    /// The names believed loaded, sorted.
    pub(crate) fn loaded(&self) -> Vec<String> {
        self.loaded.iter().map(|n| n.to_string()).collect()
    }

    /// Producers and consumers loaded: the fifo's users.
    fn users(&self) -> usize {
        self.loaded.iter().filter(|n| **n != "fifo").count()
    }
}

/// Whether `name` is a module file's name (`fifo.so`, `producer.so`,
/// `consumer.so`), not only an instance's.
fn in_module_path(name: &str) -> bool {
    matches!(name, "fifo" | "producer" | "consumer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifo_is_refused_while_used_and_modprobe_r_takes_it_with_its_last_user() {
        let mut lab = Lab::default();
        assert_eq!(lab.expect(&Op::InsmodConsumer { name: "consumer", rate: 1 }), Err(ErrorKind::UnknownSymbol));
        lab.apply(&Op::InsmodFifo { size: 8 });
        lab.apply(&Op::InsmodConsumer { name: "consumer", rate: 1 });
        assert_eq!(lab.expect(&Op::Rmmod { name: "fifo" }), Err(ErrorKind::InUse));
        assert_eq!(lab.expect(&Op::InsmodBadParam { name: "producer" }), Err(ErrorKind::InvalidParams));
        lab.apply(&Op::ModprobeRemove { name: "consumer" });
        assert!(lab.loaded().is_empty());
    }

    #[test]
    fn modprobe_r_of_a_module_not_loaded_leaves_its_dependencies() {
        let mut lab = Lab::default();
        lab.apply(&Op::InsmodFifo { size: 8 });
        assert_eq!(lab.expect(&Op::ModprobeRemove { name: "producer" }), Ok(()));
        lab.apply(&Op::ModprobeRemove { name: "producer" });
        assert_eq!(lab.loaded(), ["fifo"]);
        assert_eq!(lab.expect(&Op::ModprobeRemove { name: "producer2" }), Err(ErrorKind::NotFound));
    }
}
