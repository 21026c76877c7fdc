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
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Jiffies distances astride every level boundary (the last is the wheel's
    /// end), and far beyond, in increasing order.
    fn distances() -> Vec<u64> {
        let edges = (1..=LEVELS).map(level_span).flat_map(|edge| [edge - 2, edge - 1, edge, edge + 1]);
        let mut distances: Vec<u64> = [0, 1, 3 * WHEEL_SPAN + 5, 1 << 40, 1 << 50].into_iter().chain(edges).collect();
        distances.sort_unstable();
        distances
    }

    fn advance<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
        let mut expired = Vec::new();
        wheel.advance(now, &mut expired);
        expired.into_iter().map(|(_, value)| value).collect()
    }

    /// Drives the wheel the way a timer thread does: sleep to `next_expiry`, advance.
    /// Returns the jiffies at which `value` fired.
    fn run_until_fired(wheel: &mut Wheel<u64>, value: u64) -> u64 {
        loop {
            let next = wheel.next_expiry().expect("a timer is pending");
            assert!(next.wrapping_sub(wheel.now()) as i64 >= 0, "next_expiry in the past");
            if advance(wheel, next).contains(&value) {
                return next;
            }
        }
    }

    /// A wheel made at jiffies `start` whose own tick count is already `skew`,
    /// so that slot edges fall elsewhere relative to now.
    fn skewed(start: u64, skew: u64) -> Wheel<u64> {
        let mut wheel = Wheel::new(start.wrapping_sub(skew));
        assert!(advance(&mut wheel, start).is_empty());
        wheel
    }

    #[test]
    fn fires_exactly_after_expires_on_every_level_boundary() {
        for start in [0, u64::MAX - 10, 0u64.wrapping_sub(300_000)] {
            for skew in [0, 1, 63, 64, 4095, 262_143] {
                for d in distances() {
                    let at = format!("start {start} skew {skew} d {d}");
                    let expires = start.wrapping_add(d);
                    // Straight to the deadline and one past it.
                    let mut wheel = skewed(start, skew);
                    wheel.insert(expires, d);
                    assert!(advance(&mut wheel, expires).is_empty(), "early: {at}");
                    assert_eq!(advance(&mut wheel, expires.wrapping_add(1)), [d], "late: {at}");
                    assert_eq!(wheel.next_expiry(), None);
                    // In uneven hops that straddle the slot edges, cascading on
                    // the way; next_expiry names the very tick all along.
                    let mut wheel = skewed(start, skew);
                    wheel.insert(expires, d);
                    for hop in [0, d / 3, d / 2, d - d / 64, d] {
                        assert!(advance(&mut wheel, start.wrapping_add(hop)).is_empty(), "early: {at} hop {hop}");
                        assert_eq!(wheel.next_expiry(), Some(expires.wrapping_add(1)), "{at} hop {hop}");
                    }
                    assert_eq!(advance(&mut wheel, expires.wrapping_add(1)), [d], "{at}");
                }
            }
        }
    }

    #[test]
    fn fires_in_expiry_order_within_one_advance() {
        let mut wheel = Wheel::new(1000);
        for (i, d) in distances().into_iter().enumerate().rev().filter(|&(_, d)| d < WHEEL_SPAN) {
            wheel.insert(1000 + d, i as u64);
        }
        let fired = advance(&mut wheel, 1000 + WHEEL_SPAN);
        assert_eq!(fired, (0..fired.len() as u64).collect::<Vec<_>>());
        assert!(wheel.is_empty());
    }

    #[test]
    fn a_removed_timer_never_fires_and_its_key_goes_stale() {
        let mut wheel = Wheel::new(0);
        let a = wheel.insert(100, 'a');
        let b = wheel.insert(100, 'b');
        assert_eq!(wheel.get(a), Some((100, &'a')));
        assert_eq!(wheel.remove(a), Some('a'));
        assert_eq!((wheel.remove(a), wheel.get(a), wheel.len()), (None, None, 1));
        // The freed entry is reused at once; the old key must not reach the new timer.
        let c = wheel.insert(50, 'c');
        assert_ne!(a, c);
        assert_eq!((wheel.remove(a), wheel.get(c)), (None, Some((50, &'c'))));
        assert_eq!(advance(&mut wheel, 200), ['c', 'b']);
        assert_eq!(wheel.get(b), None);
        assert_eq!((wheel.remove(b), wheel.remove(c)), (None, None));
        assert_eq!(wheel.next_expiry(), None);
    }

    #[test]
    fn an_expiry_already_past_fires_on_the_next_advance() {
        let mut wheel = Wheel::new(500);
        wheel.insert(500, "now");
        wheel.insert(499, "just past");
        wheel.insert(10, "long past");
        assert_eq!(wheel.next_expiry(), Some(500));
        assert_eq!(advance(&mut wheel, 500), ["long past", "just past"]);
        assert_eq!(wheel.next_expiry(), Some(501));
        assert_eq!(advance(&mut wheel, 501), ["now"]);
    }

    #[test]
    fn next_expiry_after_a_cancel_is_early_never_late() {
        let mut wheel = Wheel::new(0);
        assert_eq!(wheel.next_expiry(), None);
        let only = wheel.insert(10, 0);
        assert_eq!(wheel.next_expiry(), Some(11));
        wheel.remove(only);
        assert_eq!(wheel.next_expiry(), None);
        // Same level-1 slot: the slot's bound stays at the cancelled timer's tick.
        let first = wheel.insert(5000, 1);
        wheel.insert(5030, 2);
        wheel.insert(1 << 40, 3);
        assert_eq!(wheel.next_expiry(), Some(5001));
        wheel.remove(first);
        assert!(wheel.next_expiry().is_some_and(|next| next <= 5031));
        assert_eq!(run_until_fired(&mut wheel, 2), 5031);
        assert_eq!(wheel.next_expiry(), Some((1 << 40) + 1));
    }

    #[test]
    fn time_never_goes_back() {
        let mut wheel = Wheel::new(1000);
        wheel.insert(1010, ());
        assert!(advance(&mut wheel, 900).is_empty());
        assert_eq!(wheel.now(), 1000);
        assert_eq!(advance(&mut wheel, 1011).len(), 1);
    }

    #[test]
    fn big_jumps_fire_everything_due_in_order_and_keep_the_rest() {
        let mut wheel = Wheel::new(7);
        for (i, shift) in [3, 9, 20, 33, 36, 37, 45].into_iter().enumerate() {
            wheel.insert(7 + (1 << shift), i as u64);
        }
        let late = wheel.insert(7 + (1 << 46), 99);
        assert_eq!(advance(&mut wheel, 7 + (1 << 45) + 1), [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(wheel.get(late), Some((7 + (1 << 46), &99)));
        assert_eq!(run_until_fired(&mut wheel, 99), 7 + (1 << 46) + 1);
    }

    #[test]
    fn jiffies_wrap_changes_nothing() {
        let start = u64::MAX - 10;
        let mut wheel = Wheel::new(start);
        let expiries = [u64::MAX - 5, u64::MAX, 0, 5, 100, 70_000];
        for &e in &expiries {
            wheel.insert(e, e);
        }
        let mut fired = Vec::new();
        let mut now = start;
        while !wheel.is_empty() {
            now = now.wrapping_add(1);
            fired.extend(advance(&mut wheel, now).into_iter().map(|e| (e, now)));
        }
        assert_eq!(fired, expiries.map(|e| (e, e.wrapping_add(1))));
    }

    #[test]
    fn cancelled_cells_are_trimmed_and_compacted() {
        let mut wheel = Wheel::new(0);
        // All in one level-1 slot; cancel two of every three, not from the end.
        let keys: Vec<_> = (0..300).map(|i| wheel.insert(128 + i % 64, i)).collect();
        for (i, &key) in keys.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
            assert_eq!(wheel.remove(key), Some(i as u64));
        }
        assert!(wheel.lists[SLOTS + 2].ids.len() < 200, "compacted");
        check_invariants(&wheel);
        for (i, &key) in keys.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
            assert_eq!(wheel.get(key), Some((128 + i as u64 % 64, &(i as u64))));
        }
        let mut fired = advance(&mut wheel, 1000);
        fired.sort_unstable();
        assert_eq!(fired, (0..300).step_by(3).collect::<Vec<_>>());
        assert_eq!(wheel.occupied[..LEVELS], [0; LEVELS]);
        check_invariants(&wheel);
    }

    /// Checks the bookkeeping that behaviour alone would not show (leaks, counts).
    fn check_invariants<T>(wheel: &Wheel<T>) {
        for (list, slot) in wheel.lists.iter().enumerate() {
            assert_eq!(slot.dead as usize, slot.ids.iter().filter(|&&id| id == NONE).count(), "dead of {list}");
            assert_ne!(slot.ids.last(), Some(&NONE), "a tombstone at the tail of {list}");
            let bit = wheel.occupied[list / SLOTS] >> (list % SLOTS) & 1;
            if list < OVERFLOW as usize {
                assert_eq!(bit == 1, !slot.ids.is_empty(), "occupied bit of {list}");
            }
            for (pos, &id) in slot.ids.iter().enumerate().filter(|(_, id)| **id != NONE) {
                let entry = &wheel.entries[id as usize];
                assert!(entry.value.is_some() && (entry.list as usize, entry.pos as usize) == (list, pos));
                assert!(slot.min_when <= entry.when || list == DUE as usize);
            }
        }
        let (mut vacant, mut next) = (0, wheel.free);
        while next != NONE {
            assert!(wheel.entries[next as usize].value.is_none());
            (vacant, next) = (vacant + 1, wheel.entries[next as usize].pos);
        }
        assert_eq!(vacant + wheel.len(), wheel.entries.len(), "every vacant entry is on the free list");
    }

    /// xorshift64*: deterministic, no crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Against a model that knows, in unwrapped ticks, when each timer is due.
    #[test]
    fn matches_a_simple_model_under_random_operations() {
        for seed in 1..=4u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let start = u64::MAX - 3000; // crosses the wrap early
            let mut wheel = Wheel::new(start);
            let mut t: u64 = 0; // ticks since start, unwrapped
            let mut model: BTreeMap<u64, (TimerKey, i128)> = BTreeMap::new(); // value -> key, due tick
            let mut stale = Vec::new();
            for value in 0..30_000u64 {
                match rng.below(10) {
                    0..=4 => {
                        let d = match rng.below(6) {
                            0 => rng.below(64) as i128,
                            1 => rng.below(5000) as i128,
                            2 => rng.below(1 << 20) as i128,
                            3 => rng.below(1 << 38) as i128,
                            4 => -(rng.below(100) as i128) - 1,
                            _ => rng.below(3) as i128,
                        };
                        let expires = start.wrapping_add(t).wrapping_add(d as u64);
                        let key = wheel.insert(expires, value);
                        // Due at E + 1; a past one on the next advance, in order of E.
                        model.insert(value, (key, t as i128 + d + 1));
                    }
                    5..=6 if !model.is_empty() => {
                        let victim = *model.keys().nth(rng.below(model.len() as u64) as usize).unwrap();
                        let (key, _) = model.remove(&victim).unwrap();
                        assert_eq!(wheel.remove(key), Some(victim));
                        stale.push(key);
                    }
                    _ => {
                        if let Some(&key) = stale.get(rng.below(stale.len() as u64 + 1) as usize) {
                            assert_eq!((wheel.remove(key), wheel.get(key)), (None, None));
                        }
                        let step = match rng.below(5) {
                            0 => 0,
                            1 => rng.below(64),
                            2 => rng.below(10_000),
                            3 => rng.below(1 << 22),
                            _ => rng.below(1 << 37),
                        };
                        t += step;
                        let mut expired = Vec::new();
                        wheel.advance(start.wrapping_add(t), &mut expired);
                        let mut due: Vec<_> = model.iter().filter(|(_, (_, at))| *at <= t as i128).collect();
                        due.sort_by_key(|(v, (_, at))| (*at, **v));
                        let mut got: Vec<_> = expired.iter().map(|(k, v)| (model[v].1, *v, *k)).collect();
                        assert!(got.is_sorted_by_key(|g| g.0), "seed {seed}: fired out of order");
                        got.sort_by_key(|g| (g.0, g.1));
                        let want: Vec<_> = due.iter().map(|(v, (k, at))| (*at, **v, *k)).collect();
                        assert_eq!(got, want, "seed {seed} at tick {t}");
                        for (_, v, k) in want {
                            model.remove(&v);
                            stale.push(k);
                        }
                    }
                }
                assert_eq!(wheel.len(), model.len());
                if value % 64 == 0 {
                    check_invariants(&wheel);
                }
                // next_expiry: now if something is due already, never after the first due tick.
                let first = model.values().map(|(_, at)| (*at).max(t as i128)).min();
                let next = wheel.next_expiry().map(|j| t as i128 + j.wrapping_sub(wheel.now()) as i64 as i128);
                assert_eq!(next.is_some(), first.is_some());
                if let (Some(next), Some(first)) = (next, first) {
                    assert!(t as i128 <= next && next <= first, "seed {seed}: next {next} first {first} t {t}");
                }
            }
        }
    }
}
