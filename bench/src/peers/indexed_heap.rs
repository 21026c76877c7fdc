//! An indexed binary min-heap of timers: the classic O(log n) peer of a timer wheel.
//!
//! Nodes `(expires, id)` sit in an array heap ordered by `expires`; a position
//! index maps each id to its node, so a timer is cancelled eagerly: its node is
//! replaced by the last one, which sifts up or down. Ids come from a LIFO free
//! list, like the wheel's slab, so neither side gets a cache advantage from
//! reuse. Moves use a hole rather than swaps (one write per level). Unlike the
//! wheel's keys, ids carry no generation (the suites never use a stale one),
//! which spares the heap a check.
//!
//! Invariants: `pos[heap[i].id] == i` for every node; `pos[id] == VACANT`
//! for every free id; every node's `expires` is at most its children's.
//!
//! Kernel counterpart: none (hrtimers use a red-black tree, `lib/timerqueue.c`).

/// `pos` of an id that is not in the heap.
const VACANT: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    expires: u64,
    id: u32,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct IndexedHeap {
    heap: Vec<Node>,
    pos: Vec<u32>,
    free: Vec<u32>,
}

impl IndexedHeap {
    pub(crate) fn with_capacity(n: usize) -> IndexedHeap {
        IndexedHeap { heap: Vec::with_capacity(n), pos: Vec::with_capacity(n), free: Vec::with_capacity(n) }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Arms a timer; returns its id.
    #[inline]
    pub(crate) fn insert(&mut self, expires: u64) -> u32 {
        let id = self.free.pop().unwrap_or_else(|| {
            self.pos.push(VACANT);
            (self.pos.len() - 1) as u32
        });
        self.heap.push(Node { expires, id });
        self.sift_up(self.heap.len() - 1);
        id
    }

    /// Cancels timer `id`; returns its expiry, or `None` if it is not armed.
    #[inline]
    pub(crate) fn remove(&mut self, id: u32) -> Option<u64> {
        let at = *self.pos.get(id as usize).filter(|&&p| p != VACANT)? as usize;
        let node = self.heap[at];
        let last = self.heap.pop().expect("a node is in the heap");
        if at < self.heap.len() {
            self.heap[at] = last;
            if at > 0 && last.expires < self.heap[(at - 1) / 2].expires {
                self.sift_up(at);
            } else {
                self.sift_down(at);
            }
        }
        self.pos[id as usize] = VACANT;
        self.free.push(id);
        Some(node.expires)
    }

    /// Takes the earliest timer: `(expires, id)`.
    #[cfg(test)]
    pub(crate) fn pop(&mut self) -> Option<(u64, u32)> {
        let Node { expires, id } = *self.heap.first()?;
        self.remove(id);
        Some((expires, id))
    }

    #[inline]
    fn sift_up(&mut self, mut at: usize) {
        let node = self.heap[at];
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[parent].expires <= node.expires {
                break;
            }
            self.place(at, self.heap[parent]);
            at = parent;
        }
        self.place(at, node);
    }

    #[inline]
    fn sift_down(&mut self, mut at: usize) {
        let node = self.heap[at];
        let len = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].expires < self.heap[left].expires { right } else { left };
            if node.expires <= self.heap[child].expires {
                break;
            }
            self.place(at, self.heap[child]);
            at = child;
        }
        self.place(at, node);
    }

    #[inline]
    fn place(&mut self, at: usize, node: Node) {
        self.heap[at] = node;
        self.pos[node.id as usize] = at as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modhost_bench::rng::Rng;
    use std::collections::BTreeMap;

    #[test]
    fn matches_a_sorted_model() {
        let mut rng = Rng::new(7);
        let mut heap = IndexedHeap::default();
        let mut model = BTreeMap::new(); // id -> expires
        for _ in 0..20_000 {
            match rng.below(4) {
                0 | 1 => {
                    let expires = rng.below(1000);
                    model.insert(heap.insert(expires), expires);
                }
                2 if !model.is_empty() => {
                    let id = *model.keys().nth(rng.below(model.len() as u64) as usize).unwrap();
                    assert_eq!(heap.remove(id), model.remove(&id));
                    assert_eq!(heap.remove(id), None);
                }
                _ => {
                    let earliest = model.values().min().copied();
                    let popped = heap.pop();
                    assert_eq!(popped.map(|(expires, _)| expires), earliest);
                    if let Some((_, id)) = popped {
                        model.remove(&id);
                    }
                }
            }
            assert_eq!(heap.len(), model.len());
        }
    }
}
