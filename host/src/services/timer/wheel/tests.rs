//! Unit tests of `timer/wheel`.

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
