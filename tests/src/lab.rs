//! The lab: fifo, producers and consumers together, through the library API.
//!
//! Time is a manual clock (HZ 250) moved one jiffy at a time with a settle
//! after each step, so every run of these tests sees the same schedule.

use crate::util::*;
use modhost::{ErrorKind, Kernel};
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// Moves the clock `ms` milliseconds, one jiffy (4 ms) at a time.
fn run_for(kernel: &Kernel, ms: u64) {
    for _ in 0..ms / 4 {
        kernel.clock().advance(Duration::from_millis(4));
        assert!(kernel.settle(), "the kernel did not settle");
    }
}

/// The value of one field of /proc/fifo.
fn fifo_stat(kernel: &Kernel, field: &str) -> u64 {
    let text = kernel.read("/proc/fifo").unwrap();
    let line = text.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap_or_else(|| panic!("{text}"));
    line.split_whitespace().last().unwrap().parse().unwrap()
}

/// `(producer, seq)` of every item a consumer instance logged, in its order.
fn consumed_by(kernel: &Kernel, consumer: &str) -> Vec<(String, u64)> {
    let prefix = format!("{consumer}: got ");
    dmesg(kernel)
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            // "A #12 from producer after 40 ms"
            let words: Vec<&str> = rest.split(' ').collect();
            (words[3].to_string(), words[1].trim_start_matches('#').parse().unwrap())
        })
        .collect()
}

/// How many items a producer instance logged putting.
fn produced_by(kernel: &Kernel, producer: &str) -> u64 {
    let prefix = format!("{producer}: put ");
    dmesg(kernel).iter().filter(|l| l.starts_with(&prefix)).count() as u64
}

/// The items fifo said it discarded from `producer` when it was unloaded.
fn discarded_from(kernel: &Kernel, producer: &str) -> u64 {
    let suffix = format!(" items from {producer}");
    dmesg(kernel)
        .iter()
        .filter_map(|l| l.strip_prefix("fifo: discarded ")?.strip_suffix(&suffix)?.parse::<u64>().ok())
        .sum()
}

#[test]
fn a_producer_before_the_fifo_fails_and_modprobe_loads_the_fifo_first() {
    let kernel = boot();
    let err = kernel.insmod("producer.so", "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownSymbol);
    assert_dmesg(&kernel, "producer: Unknown symbol fifo_put (err -2)");
    assert_eq!(kernel.modprobe("producer", "item=Z").unwrap(), ["fifo", "producer"]);
    let err = kernel.rmmod("fifo").unwrap_err();
    assert_eq!(err.to_string(), "fifo: in use by: producer");
}

#[test]
fn two_producers_and_two_consumers_lose_nothing_and_the_ledger_balances() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=8").unwrap();
    kernel.insmod("producer.so", "item=A rate=60").unwrap();
    kernel.insmod_named("producer.so", Some("producer2"), "item=B rate=40").unwrap();
    kernel.insmod("consumer.so", "rate=30").unwrap();
    kernel.insmod_named("consumer.so", Some("consumer2"), "rate=30").unwrap();
    run_for(&kernel, 3000);
    let queued = fifo_stat(&kernel, "fill");
    for consumer in ["consumer", "consumer2"] {
        kernel.rmmod(consumer).unwrap();
    }
    for producer in ["producer", "producer2"] {
        kernel.rmmod(producer).unwrap();
    }
    kernel.rmmod("fifo").unwrap();

    let mut consumed: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for consumer in ["consumer", "consumer2"] {
        let mut last: BTreeMap<String, u64> = BTreeMap::new();
        for (producer, seq) in consumed_by(&kernel, consumer) {
            if let Some(previous) = last.insert(producer.clone(), seq) {
                assert!(seq > previous, "{consumer} got {producer} #{seq} after #{previous}");
            }
            consumed.entry(producer).or_default().push(seq);
        }
    }
    let mut total_consumed = 0;
    let mut total_produced = 0;
    let mut total_discarded = 0;
    for producer in ["producer", "producer2"] {
        let produced = produced_by(&kernel, producer);
        let mut seqs = consumed.remove(producer).unwrap_or_default();
        seqs.sort_unstable();
        let got = seqs.len() as u64;
        seqs.dedup();
        assert_eq!(seqs.len() as u64, got, "{producer}: an item was consumed twice");
        let discarded = discarded_from(&kernel, producer);
        // Whatever was consumed is a prefix of what was produced, minus the
        // discarded tail: nothing lost in between.
        assert!(seqs.iter().all(|s| *s < produced), "{producer}: consumed an item never produced");
        assert_eq!(produced, got + discarded_in_order(&seqs, produced, discarded), "{producer}");
        total_consumed += got;
        total_produced += produced;
        total_discarded += discarded;
    }
    assert!(consumed.is_empty(), "items from unknown producers: {consumed:?}");
    assert_eq!(total_produced, total_consumed + total_discarded);
    assert_eq!(total_discarded, queued, "what was queued at the end was discarded, and said so");
    assert!(total_produced > 100, "the system ran: {total_produced} items");
    assert_nothing_pinned(&kernel);
}

/// Checks that the items not consumed are exactly the last `discarded` ones
/// produced, and returns that count.
fn discarded_in_order(consumed: &[u64], produced: u64, discarded: u64) -> u64 {
    let expected: Vec<u64> = (0..produced - discarded).collect();
    assert_eq!(consumed, expected.as_slice(), "the consumed items are the first ones, with no gap");
    discarded
}

#[test]
fn a_fast_producer_fills_the_fifo_and_slows_to_the_consumers_rate() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=8").unwrap();
    kernel.insmod("producer.so", "rate=100").unwrap();
    kernel.insmod("consumer.so", "rate=10").unwrap();
    // 2 s, then 40 ms more: away from the consumer's ticks, when the
    // producer has had time to try again and fall asleep on the full fifo.
    run_for(&kernel, 2040);
    assert_eq!(fifo_stat(&kernel, "fill"), 8);
    assert_eq!(fifo_stat(&kernel, "high_water"), 8);
    assert_eq!(fifo_stat(&kernel, "producers_waiting"), 1);
    let (put, got) = (fifo_stat(&kernel, "puts"), fifo_stat(&kernel, "gets"));
    assert!(put <= got + 8 + 1, "the producer went at the consumer's pace: {put} put, {got} got");
    assert!((20..=21).contains(&got), "the consumer kept its rate: {got} in 2.04 s");
}

#[test]
fn a_fast_consumer_keeps_the_fifo_near_empty_and_waits() {
    let kernel = boot();
    kernel.insmod("fifo.so", "").unwrap();
    kernel.insmod("producer.so", "rate=10").unwrap();
    kernel.insmod("consumer.so", "rate=100").unwrap();
    // Away from the producer's ticks, the consumer sleeps on the empty fifo.
    run_for(&kernel, 2040);
    assert!(fifo_stat(&kernel, "high_water") <= 1);
    assert_eq!(fifo_stat(&kernel, "consumers_waiting"), 1);
    let put = fifo_stat(&kernel, "puts");
    assert!((20..=21).contains(&put), "the producer kept its rate: {put} in 2 s");
}

#[test]
fn rmmod_of_a_producer_blocked_on_a_full_fifo_returns_promptly() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=2").unwrap();
    kernel.insmod("producer.so", "rate=50").unwrap();
    run_for(&kernel, 200);
    assert_eq!(fifo_stat(&kernel, "producers_waiting"), 1, "the producer sleeps on the full fifo");
    let started = Instant::now();
    kernel.rmmod("producer").unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "rmmod took {:?}", started.elapsed());
    assert_eq!(fifo_stat(&kernel, "producers_waiting"), 0);
    kernel.rmmod("fifo").unwrap();
    assert_dmesg(&kernel, "fifo: discarded 2 items from producer");
    assert_nothing_pinned(&kernel);
}

#[test]
fn rmmod_of_a_consumer_blocked_on_an_empty_fifo_returns_promptly() {
    let kernel = boot();
    kernel.insmod("fifo.so", "").unwrap();
    kernel.insmod("consumer.so", "rate=5").unwrap();
    run_for(&kernel, 100);
    assert_eq!(fifo_stat(&kernel, "consumers_waiting"), 1);
    let started = Instant::now();
    kernel.rmmod("consumer").unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    kernel.rmmod("fifo").unwrap();
}

#[test]
fn unloading_everything_leaves_no_thread_timer_or_library_behind() {
    let kernel = boot();
    kernel.modprobe("producer", "rate=20").unwrap();
    kernel.insmod("consumer.so", "rate=20").unwrap();
    run_for(&kernel, 500);
    for name in ["consumer", "producer", "fifo"] {
        kernel.rmmod(name).unwrap();
    }
    let leftovers: Vec<_> = kernel.ps().into_iter().filter(|t| t.module.is_some()).collect();
    assert!(leftovers.is_empty(), "module threads left: {leftovers:?}");
    assert!(!dmesg(&kernel).iter().any(|l| l.contains("at unload")), "nothing had to be reclaimed");
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn a_rate_written_through_sys_takes_effect_within_one_period() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=64").unwrap();
    kernel.insmod("producer.so", "rate=1").unwrap();
    run_for(&kernel, 1000);
    let before = fifo_stat(&kernel, "puts");
    kernel.write("/sys/module/producer/parameters/rate", "10\n").unwrap();
    assert_dmesg(&kernel, "producer: rate 1 -> 10 items/s");
    run_for(&kernel, 100);
    assert!(fifo_stat(&kernel, "puts") > before, "an item within one new period (100 ms)");
    run_for(&kernel, 900);
    let per_second = fifo_stat(&kernel, "puts") - before;
    assert!((10..=11).contains(&per_second), "{per_second} items in the first second at rate 10");
}

#[test]
fn rate_zero_pauses_until_a_rate_is_written() {
    let kernel = boot();
    kernel.insmod("fifo.so", "").unwrap();
    kernel.insmod("producer.so", "rate=0").unwrap();
    assert_dmesg(&kernel, "producer: loaded paused (rate=0); write a rate to start");
    run_for(&kernel, 1000);
    assert_eq!(fifo_stat(&kernel, "puts"), 0);
    kernel.write("/sys/module/producer/parameters/rate", "5").unwrap();
    // One item at once, then one every 200 ms: five before the second is up.
    run_for(&kernel, 996);
    assert_eq!(fifo_stat(&kernel, "puts"), 5);
    kernel.write("/sys/module/producer/parameters/rate", "0").unwrap();
    run_for(&kernel, 1000);
    assert_eq!(fifo_stat(&kernel, "puts"), 5, "paused again");
}

#[test]
fn bad_sizes_and_items_are_clear_errors() {
    let kernel = boot();
    let err = kernel.insmod("fifo.so", "size=0").unwrap_err();
    assert_eq!(err.insmod_strerror(), "Invalid parameters");
    assert_dmesg(&kernel, "fifo: size=0 is out of range: it must be 1 to 4096");
    kernel.insmod("fifo.so", "size=5000").unwrap_err();
    kernel.insmod("fifo.so", "").unwrap();
    let long = "x".repeat(64);
    let err = kernel.insmod("producer.so", &format!("item={long}")).unwrap_err();
    assert_eq!(err.insmod_strerror(), "Invalid parameters");
    assert_dmesg(&kernel, "producer: item must be 1 to 63 bytes, not 64");
    assert!(kernel.lsmod().iter().all(|m| m.name != "producer"));
}

#[test]
fn proc_fifo_shows_the_statistics() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=16").unwrap();
    let text = kernel.read("/proc/fifo").unwrap();
    assert!(text.starts_with("capacity:          16\nfill:              0\n"), "{text}");
    assert!(kernel.list("/proc").unwrap().contains(&"fifo".to_string()));
    kernel.rmmod("fifo").unwrap();
    assert!(kernel.read("/proc/fifo").is_err(), "the file goes with the module");
}

#[test]
fn each_instance_shows_its_own_counters_in_proc() {
    let kernel = boot();
    kernel.insmod("fifo.so", "size=4").unwrap();
    kernel.insmod("producer.so", "item=A rate=10").unwrap();
    kernel.insmod_named("producer.so", Some("producer2"), "item=B rate=5").unwrap();
    run_for(&kernel, 996);
    let one = kernel.read("/proc/producer").unwrap();
    let two = kernel.read("/proc/producer2").unwrap();
    assert!(one.starts_with("item:     A\nrate:     10\n"), "{one}");
    assert!(two.starts_with("item:     B\nrate:     5\n"), "{two}");
    let produced = |text: &str| -> u64 {
        text.lines().find_map(|l| l.strip_prefix("produced: ")).unwrap().trim().parse().unwrap()
    };
    assert_eq!(produced(&one) + produced(&two), 4, "what the full fifo holds");
    assert_eq!(fifo_stat(&kernel, "producers_waiting"), 2, "and each producer sleeps on it with one more");
}

/// The README's "From Rust" example, word for word but for the module path.
#[test]
fn a_producer_without_a_consumer_fills_the_fifo() -> modhost::Result<()> {
    let kernel = Kernel::builder().manual_clock().module_path(module_dir()).boot();
    kernel.insmod("fifo.so", "size=8")?;
    kernel.modprobe("producer", "item=A rate=50")?;
    assert!(kernel.settle()); // the first item goes in at once
    kernel.clock().advance(Duration::from_secs(1));
    assert!(kernel.settle());
    assert!(kernel.read("/proc/fifo")?.contains("fill:              8"));
    kernel.rmmod("producer")?;
    Ok(())
}
