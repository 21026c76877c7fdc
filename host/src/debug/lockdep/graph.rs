//! The dependency graph: classes, the edges *held → taken* seen so far,
//! and the search for a path that a new edge would close into a cycle.
//!
//! Classes are kept for the kernel's life, keyed by module and name, so a
//! module loaded again finds the order its code made last time. Each edge
//! keeps what its report will print (where, by whom, the scenario lines),
//! formatted once, when it is first seen.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, atomic::AtomicUsize},
};

use super::{Class, LockKind};

/// What an edge's report prints, made when the edge is first seen.
#[derive(Debug, Clone)]
pub(super) struct DepText {
    /// The two lines a CPU runs to make it: `lock(&fifo_lock);`, `up(&empty);`.
    pub(super) scenario: [String; 2],
    /// Where and by whom: `up(&empty) at get_item+0x5c/0xa0 [fifo]`, ...
    pub(super) trace: Vec<String>,
}

/// An edge: `to` was taken (waited for, or given) while `from` was held.
#[derive(Debug, Clone)]
pub(super) struct Dep {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) text: DepText,
}

#[derive(Debug, Default)]
pub(super) struct Graph {
    classes: Vec<Arc<Class>>,
    by_name: HashMap<(Arc<str>, String), usize>,
    /// Edges by their `from` class.
    edges: HashMap<usize, Vec<Dep>>,
    /// The pairs already reported: each possible deadlock once.
    reported: HashSet<(usize, usize)>,
}

impl Graph {
    /// The class of `module` named `name`, made if new.
    pub(super) fn class(&mut self, module: &Arc<str>, name: String, kind: LockKind) -> Arc<Class> {
        let key = (Arc::clone(module), name);
        if let Some(&id) = self.by_name.get(&key) {
            return Arc::clone(&self.classes[id]);
        }
        let id = self.classes.len();
        let class = Arc::new(Class {
            id,
            name: key.1.clone(),
            module: Arc::clone(module),
            kind,
            givers: parking_lot::Mutex::new(Vec::new()),
            last_giver: AtomicUsize::new(0),
        });
        self.classes.push(Arc::clone(&class));
        self.by_name.insert(key, id);
        class
    }

    /// The class numbered `id`.
    pub(super) fn get(&self, id: usize) -> &Arc<Class> {
        &self.classes[id]
    }

    /// Adds the edge `from → to` if new (`text` makes its report lines).
    /// Returns the existing path `to → ... → from` that the edge closes
    /// into a cycle, the first time the pair does.
    pub(super) fn add(&mut self, from: usize, to: usize, text: impl FnOnce() -> DepText) -> Option<Vec<Dep>> {
        if from == to || self.edges.get(&from).is_some_and(|deps| deps.iter().any(|d| d.to == to)) {
            return None;
        }
        let cycle = self.path(to, from);
        self.edges.entry(from).or_default().push(Dep { from, to, text: text() });
        cycle.filter(|_| self.first_report(from, to))
    }

    /// Whether the pair is reported for the first time (and now is).
    pub(super) fn first_report(&mut self, from: usize, to: usize) -> bool {
        self.reported.insert((from, to))
    }

    /// The shortest path of edges from `start` to `goal`, if any.
    fn path(&self, start: usize, goal: usize) -> Option<Vec<Dep>> {
        let mut came_by: HashMap<usize, &Dep> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut seen = HashSet::from([start]);
        while let Some(at) = queue.pop_front() {
            if at == goal {
                let mut path = Vec::new();
                let mut node = goal;
                while node != start {
                    let dep = came_by[&node];
                    path.push(dep.clone());
                    node = dep.from;
                }
                path.reverse();
                return Some(path);
            }
            for dep in self.edges.get(&at).into_iter().flatten() {
                if seen.insert(dep.to) {
                    came_by.insert(dep.to, dep);
                    queue.push_back(dep.to);
                }
            }
        }
        None
    }
}
