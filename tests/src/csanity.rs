//! Lab sanity: the classic parameter mistakes named as they happen.

use crate::{cbuild::build_c, util::*};
use std::path::PathBuf;

fn ko(name: &str) -> PathBuf {
    build_c("sanity").join(format!("{name}.ko"))
}

#[test]
fn a_rate_above_hz_makes_a_zero_delay_busy_loop_that_is_named_once() {
    let kernel = boot();
    kernel.insmod(ko("busy_rate"), "rate=1000").unwrap();
    wait_for_line(&kernel, "busy_rate: a work item re-arms itself with a delay of 0 jiffies at busy_rate.c:");
    assert_dmesg_contains(&kernel, "a busy loop (at HZ=250 a delay under 4 ms rounds to 0");
    kernel.rmmod("busy_rate").unwrap();
    let reports = dmesg(&kernel).iter().filter(|l| l.contains("re-arms itself with a delay of 0")).count();
    assert_eq!(reports, 1, "once per item");
}

#[test]
fn a_rate_at_or_below_hz_is_not_a_busy_loop() {
    let kernel = boot();
    kernel.insmod(ko("busy_rate"), "rate=250").unwrap();
    crate::clab::run_for(&kernel, 40);
    kernel.rmmod("busy_rate").unwrap();
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("re-arms itself")), "{:?}", dmesg(&kernel));
    assert_dmesg_contains(&kernel, "produced ");
}
