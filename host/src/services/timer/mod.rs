//! Kernel timers (`timer_list`): placeholder while the wheel is built.

pub mod wheel;
