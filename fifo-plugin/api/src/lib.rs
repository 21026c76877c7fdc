//! The fifo module's interface: the types its exported functions take.
//!
//! This is the lab's `fifo.h` (and `include/fifo.h` beside this crate is
//! the same for C modules): the fifo module and every module that imports
//! its symbols (producers, consumers) build against it, and the host checks
//! at load that both sides agree on these types' layouts, so a producer built
//! against another version of this crate is refused with `disagrees about
//! version of symbol fifo_put` instead of corrupting items.
//!
//! The exports (all GPL-only), as a module declares its imports:
//!
//! ```ignore
//! imports: {
//!     fn fifo_put(item: &FifoItem) -> i32;                // blocks while full; 0 or -EINTR
//!     fn fifo_get(item: &mut FifoItem) -> i32;            // blocks while empty; 0 or -EINTR
//!     fn fifo_try_put(item: &FifoItem) -> i32;            // 0 or -EAGAIN
//!     fn fifo_try_get(item: &mut FifoItem) -> i32;        // 0 or -EAGAIN
//!     fn fifo_put_timeout(item: &FifoItem, timeout: u64) -> i32;      // jiffies; 0 or -ETIME
//!     fn fifo_get_timeout(item: &mut FifoItem, timeout: u64) -> i32;  // jiffies; 0 or -ETIME
//!     fn fifo_stats(stats: &mut FifoStats);
//! }
//! ```

#![deny(missing_docs)]

use abi_stable::StableAbi;

/// The longest item string, in bytes.
pub const ITEM_MAX: usize = 63;

/// The longest producer name, in bytes (the kernel's `MODULE_NAME_LEN` - 1).
pub const PRODUCER_MAX: usize = 55;

/// One item: the producer's string, who produced it, its number, and when
/// it entered the fifo. A fixed-size value: no allocation per item.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct FifoItem {
    /// The producer's sequence number for it, from 0.
    pub seq: u64,
    /// `jiffies` when the fifo took it (set by `fifo_put`), as the raw count:
    /// `Jiffies::from_raw` makes it a point in time again.
    pub enqueued: u64,
    len: u8,
    producer_len: u8,
    data: [u8; ITEM_MAX],
    producer: [u8; PRODUCER_MAX],
}

impl FifoItem {
    /// An empty item, to receive one with `fifo_get`.
    pub const EMPTY: FifoItem =
        FifoItem { seq: 0, enqueued: 0, len: 0, producer_len: 0, data: [0; ITEM_MAX], producer: [0; PRODUCER_MAX] };

    /// An item carrying `item` (1 to [`ITEM_MAX`] bytes) from `producer`;
    /// `None` if either does not fit.
    pub fn new(item: &str, producer: &str, seq: u64) -> Option<FifoItem> {
        if item.is_empty() || item.len() > ITEM_MAX || producer.len() > PRODUCER_MAX {
            return None;
        }
        let mut new = FifoItem { seq, ..FifoItem::EMPTY };
        new.data[..item.len()].copy_from_slice(item.as_bytes());
        new.producer[..producer.len()].copy_from_slice(producer.as_bytes());
        new.len = item.len() as u8;
        new.producer_len = producer.len() as u8;
        Some(new)
    }

    /// The item string.
    pub fn item(&self) -> &str {
        std::str::from_utf8(&self.data[..usize::from(self.len).min(ITEM_MAX)]).unwrap_or("?")
    }

    /// The producing module instance.
    pub fn producer(&self) -> &str {
        std::str::from_utf8(&self.producer[..usize::from(self.producer_len).min(PRODUCER_MAX)]).unwrap_or("?")
    }
}

impl std::fmt::Debug for FifoItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} #{} from {}", self.item(), self.seq, self.producer())
    }
}

/// The fifo's statistics, as `fifo_stats` fills them in.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FifoStats {
    /// Slots in all.
    pub capacity: u32,
    /// Items queued now.
    pub fill: u32,
    /// The most items ever queued at once.
    pub high_water: u32,
    /// Producers sleeping on a full fifo now.
    pub producers_waiting: u32,
    /// Consumers sleeping on an empty fifo now.
    pub consumers_waiting: u32,
    /// Items put since load.
    pub puts: u64,
    /// Items taken since load.
    pub gets: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_header_declares_the_same_types() {
        let header = include_str!("../include/fifo.h");
        let define = |name: &str| -> usize {
            let line = header.lines().find(|l| l.starts_with(&format!("#define {name}"))).expect(name);
            line.split_whitespace().last().unwrap().parse().unwrap()
        };
        assert_eq!((define("FIFO_ITEM_MAX"), define("FIFO_PRODUCER_MAX")), (ITEM_MAX, PRODUCER_MAX));
        assert!(header.contains(&format!("sizeof(struct fifo_item) == {}", size_of::<FifoItem>())));
        assert!(header.contains(&format!("sizeof(struct fifo_stats) == {}", size_of::<FifoStats>())));
    }

    #[test]
    fn items_carry_their_strings_within_limits() {
        let item = FifoItem::new("hello", "producer2", 7).unwrap();
        assert_eq!((item.item(), item.producer(), item.seq), ("hello", "producer2", 7));
        assert!(FifoItem::new("", "p", 0).is_none());
        assert!(FifoItem::new(&"x".repeat(ITEM_MAX), "p", 0).is_some());
        assert!(FifoItem::new(&"x".repeat(ITEM_MAX + 1), "p", 0).is_none());
        assert_eq!(FifoItem::EMPTY.item(), "");
    }
}
