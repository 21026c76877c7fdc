//! The graph's cycle search and the classes' naming, without modules.

use super::{
    LockKind,
    graph::{DepText, Graph},
};
use std::sync::Arc;

fn text(line: &str) -> impl FnOnce() -> DepText {
    let line = line.to_string();
    move || DepText { scenario: [line.clone(), line.clone()], trace: vec![line] }
}

#[test]
fn an_edge_that_closes_a_cycle_returns_the_path_once() {
    let mut graph = Graph::default();
    let module: Arc<str> = Arc::from("fifo");
    let lock = graph.class(&module, "&lock".into(), LockKind::Mutex).id;
    let empty = graph.class(&module, "&empty".into(), LockKind::Semaphore).id;
    let fill = graph.class(&module, "&fill".into(), LockKind::Semaphore).id;
    assert!(graph.add(lock, empty, text("down under lock")).is_none());
    assert!(graph.add(fill, lock, text("up fill under lock")).is_none(), "no cycle through fill");
    let cycle = graph.add(empty, lock, text("up empty under lock")).expect("lock -> empty -> lock");
    assert_eq!(cycle.len(), 1);
    assert_eq!((cycle[0].from, cycle[0].to), (lock, empty));
    assert!(graph.add(empty, lock, text("again")).is_none(), "a known edge is not new");
}

#[test]
fn a_longer_cycle_is_found_through_every_edge() {
    let mut graph = Graph::default();
    let module: Arc<str> = Arc::from("m");
    let [a, b, c] = ["&a", "&b", "&c"].map(|n| graph.class(&module, n.into(), LockKind::Mutex).id);
    assert!(graph.add(a, b, text("a b")).is_none());
    assert!(graph.add(b, c, text("b c")).is_none());
    let cycle = graph.add(c, a, text("c a")).expect("a -> b -> c -> a");
    let path: Vec<_> = cycle.iter().map(|d| (d.from, d.to)).collect();
    assert_eq!(path, [(a, b), (b, c)]);
}

#[test]
fn classes_are_one_per_module_and_name() {
    let mut graph = Graph::default();
    let (fifo, other): (Arc<str>, Arc<str>) = (Arc::from("fifo"), Arc::from("other"));
    let first = graph.class(&fifo, "&lock".into(), LockKind::Mutex);
    assert!(Arc::ptr_eq(&first, &graph.class(&fifo, "&lock".into(), LockKind::Mutex)));
    assert!(!Arc::ptr_eq(&first, &graph.class(&other, "&lock".into(), LockKind::Mutex)));
}
