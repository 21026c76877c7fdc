//! Workqueues and work items (being written).
