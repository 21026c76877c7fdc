//! The timer wheel: a hierarchical timing wheel keyed by jiffies, with O(1) arm and cancel.
//!
//! Six levels of 64 slots: a slot of level `L` spans `64^L` ticks, so the wheel
//! sees `2^36` ticks ahead; later timers wait in an overflow list that is looked
//! at again each time the tick count crosses a multiple of `2^36`. A timer is
//! filed, as in tokio, by the highest bit in which its firing tick differs from
//! the current one, and when time reaches the start of an outer slot its timers
//! are filed again one level or more further in (cascading). So, unlike the
//! kernel's non-cascading wheel (12.5% slack), every timer fires exactly on its
//! tick, and time can jump: [`Wheel::advance`] goes from one occupied slot to
//! the next with the per-level occupancy bitmaps, never tick by tick.
//!
//! Storage is built for cache behaviour: timers live in a slab (a `Vec` whose
//! vacant entries form a LIFO free list, so a freed entry is reused while hot)
//! and a slot is a `Vec<u32>` of slab indices. An entry knows its slot and
//! position, so cancel writes a tombstone in one cell and touches no other
//! timer (an intrusive list would touch two neighbours, cold at a million
//! timers); trailing tombstones are popped at once, and a slot is compacted
//! when more than half of it is tombstones. Keys carry a generation, so a stale
//! key is harmless.
//!
//! Invariants:
//! - Time: the wheel counts ticks from its creation (`elapsed`; jiffies at tick
//!   0 are `origin`), so jiffies may wrap but the count never does: it would
//!   need 2^63 ticks, about 292 million years at `HZ` = 1000. Jiffies are
//!   compared as the kernel's `time_after` does, so expiries lie within 2^63
//!   ticks of now.
//! - A timer with `expires = E` fires on the first advance whose `now` is after
//!   `E` (jiffies `E + 1`), its firing tick `when`; one whose `E` is already
//!   past when armed waits in the due list and fires on the next advance.
//! - Every occupied slot of level `L` lies in the current `64^(L+1)`-tick
//!   window of `elapsed` and after its slot in that window, so the next event
//!   is the lowest bit above it, with no rotation.
//!
//! Locking: none here; a pure data structure, with time given by the caller.
//! The kernel's timer base keeps its wheel under the base's lock.
//!
//! Kernel counterpart: `kernel/time/timer.c` (the wheel, `time_after`), as
//! cascaded before Linux 4.8 and in tokio's `runtime/time/wheel`.

use std::{fmt, mem};

/// Slots per level, and bits of the tick count per level.
const SLOTS: usize = 64;
const SLOT_BITS: u32 = 6;
/// Levels; together they span `2^36` ticks.
const LEVELS: usize = 6;
/// Ticks the wheel itself spans; anything later goes to the overflow list.
const WHEEL_SPAN: u64 = 1 << (SLOT_BITS * LEVELS as u32);
/// The list of timers beyond the wheel's span.
const OVERFLOW: u16 = (LEVELS * SLOTS) as u16;
/// The list of timers armed with an expiry already past.
const DUE: u16 = OVERFLOW + 1;
/// Slots, overflow and due lists.
const LISTS: usize = DUE as usize + 1;
/// A cancelled timer's cell in a slot, and the end of the free list.
const NONE: u32 = u32::MAX;

/// Names one armed timer; stale once it fired or was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    index: u32,
    generation: u32,
}

/// A hierarchical timing wheel; see the module docs.
pub struct Wheel<T> {
    entries: Vec<Entry<T>>,
    /// The most recently vacated entry; each vacant entry's `pos` names the next.
    free: u32,
    /// `LEVELS * SLOTS` slots, then the overflow list, then the due list.
    lists: Box<[List; LISTS]>,
    /// Bit `s` of word `L` is set iff slot `s` of level `L` holds a live timer.
    /// Word 6 gets the overflow and due lists' bits, which nothing reads: a
    /// list's bit is then `list / 64, list % 64`, with no branch (word 7 only
    /// spares the bounds check).
    occupied: [u64; 8],
    /// Jiffies at tick 0.
    origin: u64,
    /// Ticks since creation: everything up to here has been processed.
    elapsed: u64,
    len: usize,
}

struct Entry<T> {
    /// The tick on which it fires (modulo 2^64 for a timer already due).
    when: u64,
    /// `None` while vacant.
    value: Option<T>,
    /// Bumped on every free, so old keys stop matching.
    generation: u32,
    /// Its place in its list; while vacant, the next vacant entry.
    pos: u32,
    list: u16,
}

/// One slot (or the overflow or due list): slab indices and tombstones.
struct List {
    ids: Vec<u32>,
    dead: u32,
    /// No later than the earliest `when` in `ids` (cancels leave it early),
    /// so the next expiry is exact unless the earliest timer was cancelled.
    min_when: u64,
}

impl<T> Wheel<T> {
    /// An empty wheel whose time is `now` jiffies.
    pub fn new(now: u64) -> Self {
        Self::with_capacity(now, 0)
    }

    /// An empty wheel with room for `n` timers before it allocates.
    pub fn with_capacity(now: u64, n: usize) -> Self {
        Wheel {
            entries: Vec::with_capacity(n),
            free: NONE,
            lists: Box::new(std::array::from_fn(|_| List { ids: Vec::new(), dead: 0, min_when: u64::MAX })),
            occupied: [0; 8],
            origin: now,
            elapsed: 0,
            len: 0,
        }
    }

    /// The current time in jiffies: the last `now` given.
    pub fn now(&self) -> u64 {
        self.origin.wrapping_add(self.elapsed)
    }

    /// Pending timers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Arms a timer that fires once jiffies are after `expires`.
    #[inline]
    pub fn insert(&mut self, expires: u64, value: T) -> TimerKey {
        let when = expires.wrapping_sub(self.origin).wrapping_add(1);
        let past = (expires.wrapping_sub(self.now()) as i64) < 0;
        let list = if past { DUE } else { list_for(self.elapsed, when) };
        let index = if self.free == NONE { self.grow() } else { self.free };
        let pos = self.push(list, index, when);
        let entry = &mut self.entries[index as usize];
        self.free = entry.pos;
        (entry.when, entry.pos, entry.list) = (when, pos, list);
        entry.value = Some(value);
        self.len += 1;
        TimerKey { index, generation: entry.generation }
    }

    /// Cancels a pending timer and returns its value; `None` if the key is stale.
    #[inline]
    pub fn remove(&mut self, key: TimerKey) -> Option<T> {
        let entry = self.entries.get_mut(key.index as usize).filter(|e| e.generation == key.generation)?;
        let value = entry.value.take()?;
        let (list, pos) = (entry.list, entry.pos);
        self.vacate(key.index);
        self.unlink(list, pos);
        Some(value)
    }

    /// A pending timer's `expires` and value; `None` if the key is stale.
    pub fn get(&self, key: TimerKey) -> Option<(u64, &T)> {
        let entry = self.entries.get(key.index as usize).filter(|e| e.generation == key.generation)?;
        let expires = self.origin.wrapping_add(entry.when).wrapping_sub(1);
        entry.value.as_ref().map(|value| (expires, value))
    }

    /// The jiffies at which [`Wheel::advance`] will next fire a timer, `None`
    /// when nothing is pending. Never later than the real next firing; earlier
    /// only if the earliest timer of a slot was cancelled.
    pub fn next_expiry(&self) -> Option<u64> {
        if !self.lists[DUE as usize].ids.is_empty() {
            return Some(self.now());
        }
        // Per level only the first occupied slot matters: later slots hold later ticks.
        let firsts = (0..LEVELS).filter_map(|level| {
            let later = self.occupied[level] & (!1u64 << slot_of(level, self.elapsed));
            (later != 0).then(|| level * SLOTS + later.trailing_zeros() as usize)
        });
        let overflow = (!self.lists[OVERFLOW as usize].ids.is_empty()).then_some(OVERFLOW as usize);
        let tick = firsts.chain(overflow).map(|list| self.lists[list].min_when).min()?;
        Some(self.origin.wrapping_add(tick))
    }

    /// Moves time to `now` (jiffies) and appends every timer due by then, in
    /// expiry order. A `now` before the current time moves nothing.
    pub fn advance(&mut self, now: u64, expired: &mut Vec<(TimerKey, T)>) {
        self.fire_due(expired);
        let Ok(ahead) = u64::try_from(now.wrapping_sub(self.now()) as i64) else { return };
        let target = self.elapsed + ahead;
        while let Some(tick) = self.next_event()
            && tick <= target
        {
            self.elapsed = tick;
            // Every list that starts at `tick`; the order is free, as what one
            // cascades lands after `tick`, never in another list that starts at it.
            let starts = (0..LEVELS).rev().filter(|&level| tick & (level_span(level) - 1) == 0);
            let slots = starts.map(|level| (level * SLOTS) as u16 + slot_of(level, tick) as u16);
            let overflow = (tick & (WHEEL_SPAN - 1) == 0).then_some(OVERFLOW);
            for list in overflow.into_iter().chain(slots) {
                self.process(list, tick, expired);
            }
        }
        self.elapsed = target;
    }

    /// The first tick after `elapsed` at which a slot or the overflow list is due.
    fn next_event(&self) -> Option<u64> {
        let mut next = (!self.lists[OVERFLOW as usize].ids.is_empty()).then(|| (self.elapsed | (WHEEL_SPAN - 1)) + 1);
        for level in 0..LEVELS {
            // Occupied slots are all after the current one (module invariants).
            let later = self.occupied[level] & (!1u64 << slot_of(level, self.elapsed));
            if later != 0 {
                let window = self.elapsed & !(level_span(level + 1) - 1);
                let start = window | (u64::from(later.trailing_zeros()) << (SLOT_BITS * level as u32));
                next = Some(next.map_or(start, |n: u64| n.min(start)));
            }
        }
        next
    }

    /// Fires or re-files every timer of `list`, whose start is `tick` (= `elapsed`).
    fn process(&mut self, list: u16, tick: u64, expired: &mut Vec<(TimerKey, T)>) {
        let mut ids = self.take(list);
        for &index in ids.iter().filter(|&&id| id != NONE) {
            let when = self.entries[index as usize].when;
            if when <= tick {
                self.fire(index, expired);
            } else {
                let to = list_for(tick, when);
                let pos = self.push(to, index, when);
                let entry = &mut self.entries[index as usize];
                (entry.list, entry.pos) = (to, pos);
            }
        }
        // Keep the allocation for the slot's next turn, unless it refilled
        // (only the overflow list can).
        let slot = &mut self.lists[list as usize];
        if slot.ids.is_empty() {
            ids.clear();
            slot.ids = ids;
        }
    }

    /// Fires the timers armed already past, oldest expiry first.
    fn fire_due(&mut self, expired: &mut Vec<(TimerKey, T)>) {
        if self.lists[DUE as usize].ids.is_empty() {
            return;
        }
        let mut ids = self.take(DUE);
        ids.retain(|&id| id != NONE);
        let elapsed = self.elapsed;
        ids.sort_by_key(|&id| self.entries[id as usize].when.wrapping_sub(elapsed) as i64);
        for &index in &ids {
            self.fire(index, expired);
        }
    }

    /// Hands out a due timer and vacates its entry.
    fn fire(&mut self, index: u32, expired: &mut Vec<(TimerKey, T)>) {
        let entry = &mut self.entries[index as usize];
        let key = TimerKey { index, generation: entry.generation };
        if let Some(value) = entry.value.take() {
            self.vacate(index);
            expired.push((key, value));
        }
    }

    /// Puts an entry whose value was taken at the hot end of the free list.
    #[inline]
    fn vacate(&mut self, index: u32) {
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.pos = mem::replace(&mut self.free, index);
        self.len -= 1;
    }

    /// A new vacant entry at the end of the slab, made the head of the free list.
    #[cold]
    fn grow(&mut self) -> u32 {
        let index = u32::try_from(self.entries.len()).ok().filter(|&i| i != NONE);
        let index = index.expect("timer wheel: more than 2^32 - 1 timers");
        self.entries.push(Entry { when: 0, value: None, generation: 0, pos: self.free, list: 0 });
        self.free = index;
        index
    }

    /// Files slab entry `index`, firing at `when`, in `list`; returns its position there.
    #[inline]
    fn push(&mut self, list: u16, index: u32, when: u64) -> u32 {
        self.occupied[usize::from(list) / SLOTS % 8] |= 1 << (list % SLOTS as u16);
        let slot = &mut self.lists[list as usize];
        let pos = u32::try_from(slot.ids.len()).ok().filter(|&p| p != NONE);
        slot.ids.push(index);
        slot.min_when = slot.min_when.min(when);
        pos.expect("timer wheel: more than 2^32 - 1 timers in one slot")
    }

    /// Empties `list` and hands back its cells, tombstones included.
    fn take(&mut self, list: u16) -> Vec<u32> {
        self.occupied[usize::from(list) / SLOTS % 8] &= !(1 << (list % SLOTS as u16));
        let slot = &mut self.lists[list as usize];
        (slot.dead, slot.min_when) = (0, u64::MAX);
        mem::take(&mut slot.ids)
    }

    /// Drops cell `pos` of `list`: pops it and the tombstones before it at the
    /// tail, else leaves a tombstone, compacting once they are over half.
    #[inline]
    fn unlink(&mut self, list: u16, pos: u32) {
        let slot = &mut self.lists[list as usize];
        if pos as usize + 1 == slot.ids.len() {
            slot.ids.pop();
            while slot.ids.last() == Some(&NONE) {
                slot.ids.pop();
                slot.dead -= 1;
            }
            if slot.ids.is_empty() {
                slot.min_when = u64::MAX;
                self.occupied[usize::from(list) / SLOTS % 8] &= !(1 << (list % SLOTS as u16));
            }
        } else {
            slot.ids[pos as usize] = NONE;
            slot.dead += 1;
            if slot.dead as usize * 2 > slot.ids.len() {
                self.compact(list);
            }
        }
    }

    /// Drops the tombstones of `list`. Amortised O(1) per cancel: at least
    /// half the cells were cancels since the last compaction.
    #[cold]
    fn compact(&mut self, list: u16) {
        let slot = &mut self.lists[list as usize];
        slot.ids.retain(|&id| id != NONE);
        slot.dead = 0;
        for (pos, &index) in slot.ids.iter().enumerate() {
            self.entries[index as usize].pos = pos as u32;
        }
    }
}

/// Ticks spanned by one slot of `level` (and, for `level = LEVELS`, the wheel).
fn level_span(level: usize) -> u64 {
    1 << (SLOT_BITS * level as u32)
}

/// The slot of `level` that holds `tick`.
fn slot_of(level: usize, tick: u64) -> u32 {
    ((tick >> (SLOT_BITS * level as u32)) % SLOTS as u64) as u32
}

/// The list for a timer firing at `when`, seen at `elapsed` (`when > elapsed`):
/// the level of the highest bit where the two differ, tokio's `level_for`.
#[inline]
fn list_for(elapsed: u64, when: u64) -> u16 {
    let significant = 63 - ((elapsed ^ when) | (SLOTS as u64 - 1)).leading_zeros();
    let level = (significant / SLOT_BITS) as usize;
    if level >= LEVELS { OVERFLOW } else { (level * SLOTS) as u16 + slot_of(level, when) as u16 }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel").field("now", &self.now()).field("len", &self.len).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
