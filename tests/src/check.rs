//! `modhost check`: the shipped scenarios pass, a module with a bug fails
//! with the kernel's report as a diagnostic, a broken scenario is named by
//! file and line with exit status 2; and `/sys/kernel/debug/modhost/rates`
//! shows what a work item or timer that re-arms itself achieves.

use crate::{cbuild::build_c, clab::run_for, kbuild::modhost, util::*};
use modhost::{
    Kernel,
    check::{self, Scenario},
};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// A file of the checkout.
fn checkout(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Runs the scenario in `path` through the library: whether every test
/// was ok, and the report.
fn check(path: &Path) -> (bool, String) {
    let scenario = Scenario::read(path).unwrap_or_else(|e| panic!("{e}"));
    let kernel = scenario.boot(Kernel::builder().module_path(module_dir()));
    let mut out = Vec::new();
    let ok = check::run(&kernel, &scenario, &mut out);
    (ok, String::from_utf8(out).unwrap())
}

/// The result lines of a report, without their numbers: `ok NAME`.
fn results(report: &str) -> Vec<String> {
    report
        .lines()
        .filter_map(|l| {
            let (status, rest) =
                l.strip_prefix("not ok ").map(|r| ("not ok", r)).or(l.strip_prefix("ok ").map(|r| ("ok", r)))?;
            Some(format!("{status} {}", rest.split_once(' ')?.1))
        })
        .collect()
}

/// The `# ` lines of a report.
fn diagnostics(report: &str) -> Vec<&str> {
    report.lines().filter_map(|l| l.strip_prefix("# ")).collect()
}

/// The rate a rates line says was achieved.
fn achieved(line: &str) -> f64 {
    let after = line.split_once("achieved ").expect("an achieved rate").1;
    after.split_once("/s").expect("a rate per second").0.parse().unwrap()
}

/// The line of `module` in the report's rates (or the rates file).
fn rate_line<'a>(lines: impl IntoIterator<Item = &'a str>, module: &str) -> &'a str {
    let mut lines = lines.into_iter();
    lines.find(|l| l.split_whitespace().next() == Some(module)).unwrap_or_else(|| panic!("no rate of {module}"))
}

#[test]
fn the_shipped_lab_sheet_passes_with_the_rates_it_asked_for() {
    let (ok, report) = check(&checkout("scenarios/lab.scenario"));
    assert!(ok, "{report}");
    assert!(report.starts_with("KTAP version 1\n1..16\nok 1 insmod fifo.so size=8\n"), "{report}");
    let results = results(&report);
    assert!(results.iter().all(|r| r.starts_with("ok ")), "{report}");
    assert!(results.contains(&"ok run 120s".to_string()), "{results:?}");
    assert_eq!(
        results[results.len() - 6..],
        [
            "ok no hang",
            "ok no leak",
            "ok no kernel report",
            "ok fifo invariants held",
            "ok ledger balanced",
            "ok rates achieved"
        ]
    );
    let diagnostics = diagnostics(&report);
    for (module, rate) in [("producer", 5.0), ("producer2", 3.0), ("consumer", 8.0)] {
        let line = rate_line(diagnostics.iter().copied(), module);
        assert!(line.contains(&format!("rate={rate} ")), "{line}");
        assert!((achieved(line) - rate).abs() < 0.05, "{line}");
        let plugin = if module == "consumer" { "consumer" } else { "producer" };
        assert!(line.contains(&format!("(work item re-armed at {plugin}-plugin/src/lib.rs:")), "{line}");
    }
    assert!(diagnostics.iter().any(|d| d.starts_with("put ") && d.ends_with(" of 8 slots")), "{report}");
    assert!(diagnostics.contains(&"rmmod: ERROR: Module fifo is in use by: consumer producer2 producer"), "{report}");
}

#[test]
fn the_c_lab_sheet_passes_and_its_ledger_reads_the_c_fifo() {
    let (ok, report) = check(&build_c("lab").join("lab.scenario"));
    assert!(ok, "{report}");
    let diagnostics = diagnostics(&report);
    let books = diagnostics.iter().find(|d| d.starts_with("put ")).expect("the fifo's books");
    let numbers: Vec<u64> = books.split(' ').filter_map(|w| w.parse().ok()).collect();
    let [put, got, left, slots] = numbers[..] else { panic!("{books}") };
    assert!(put == got + left && left <= slots && slots == 8, "{books}");
    assert!(put > 900, "8 items a second for 120 s: {books}");
    let producer = rate_line(diagnostics.iter().copied(), "producer");
    assert!(producer.contains("rate=5 ") && producer.ends_with("(work item re-armed at producer.c:35)"), "{producer}");
}

#[test]
fn a_module_with_a_bug_fails_the_check_with_the_kernels_report() {
    let memory = build_c("memory");
    let scratch = Scratch::new("check-bug");
    let text = format!("insmod {0}/oob.ko\ninsmod {0}/leak.ko\nrun 1s\nrmmod oob leak\n", memory.display());
    let (ok, report) = check(Path::new(&scratch.file("bugs.scenario", text.as_bytes())));
    assert!(!ok, "{report}");
    let results = results(&report);
    assert!(results[..4].iter().all(|r| r.starts_with("ok ")), "the steps succeed: {report}");
    assert!(results.contains(&"not ok no leak".to_string()), "{report}");
    assert!(results.contains(&"not ok no kernel report".to_string()), "{report}");
    assert!(results.contains(&"ok ledger balanced # SKIP no fifo was loaded".to_string()), "{report}");
    let at = |line: &str| report.find(line).unwrap_or_else(|| panic!("no {line:?} in:\n{report}"));
    assert!(at("not ok 7 no kernel report\n# BUG: KASAN: slab-out-of-bounds in kfree at oob.c:") > 0);
    assert!(at("not ok 6 no leak\n# unreferenced object ") > 0);
}

#[test]
fn a_producer_held_back_by_a_full_fifo_is_said_but_not_failed() {
    let scratch = Scratch::new("check-full");
    let text = "insmod fifo.so size=4\ninsmod producer.so rate=50\ninsmod consumer.so rate=10\nrun 30s\n";
    let (ok, report) = check(Path::new(&scratch.file("full.scenario", text.as_bytes())));
    assert!(ok, "{report}");
    let diagnostics = diagnostics(&report);
    let producer = rate_line(diagnostics.iter().copied(), "producer");
    assert!((achieved(producer) - 10.0).abs() < 0.5, "as fast as the consumer: {producer}");
    assert!(producer.contains("% in its callback"), "{producer}");
    let said = diagnostics.iter().find(|d| d.starts_with("after the run of line 4: producer: rate=50")).expect("said");
    assert!(said.ends_with("/s outside it, as asked"), "{said}");
}

/// Runs the modhost binary's `check` on `scenario` (the kernel's flags go
/// before `check` or after it).
fn modhost_check(scenario: &Path) -> Output {
    Command::new(modhost())
        .arg("--module-path")
        .arg(module_dir())
        .args(["check", "--exit-timeout", "5"])
        .arg(scenario)
        .output()
        .expect("modhost runs")
}

#[test]
fn the_binary_exits_0_1_or_2_and_names_a_broken_line() {
    let scratch = Scratch::new("check-bin");
    let broken = scratch.file("broken.scenario", b"# a typo\ninsmod fifo.so\ninsmdo producer.so\n");
    let out = modhost_check(Path::new(&broken));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "nothing ran");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("modhost: check: {broken}:3: unknown command 'insmdo'; did you mean 'insmod'?\n")
    );
    let missing = scratch.join("missing.scenario");
    let out = modhost_check(&missing);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with(&format!("modhost: check: {}: cannot read", missing.display())), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let failing = scratch.file("failing.scenario", b"insmod fifo.so\nrmmod nosuch\n");
    let out = modhost_check(Path::new(&failing));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\nnot ok 2 rmmod nosuch\n# rmmod: ERROR: Module nosuch is not currently loaded\n"),
        "{stdout}"
    );

    let out = Command::new(modhost()).args(["-c", "lsmod", "check"]).arg(&failing).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a session's flag is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("'check' cannot be used with '--command'"));

    let out = modhost_check(&checkout("scenarios/lab.scenario"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("KTAP version 1\n1..16\n"));
}

#[test]
fn the_rates_file_shows_the_c_producers_achieved_rate_beside_its_rate() {
    let kernel = boot();
    let lab = build_c("lab");
    kernel.insmod(lab.join("fifo.ko"), "size=8").unwrap();
    kernel.insmod(lab.join("producer.ko"), "item=A rate=5").unwrap();
    kernel.insmod(lab.join("consumer.ko"), "rate=10").unwrap();
    assert_eq!(kernel.list("/sys/kernel/debug/modhost").unwrap(), ["rates"]);
    run_for(&kernel, 12_000);
    let rates = kernel.read("/sys/kernel/debug/modhost/rates").unwrap();
    let producer = rate_line(rates.lines(), "producer");
    assert!(producer.starts_with("producer         rate=5      achieved "), "{rates}");
    assert!(producer.ends_with("/s  (work item re-armed at producer.c:35)"), "{rates}");
    // HZ / rate is 50 jiffies, and delayed work runs on the tick after: 250 / 51.
    assert!((achieved(producer) - 250.0 / 51.0).abs() < 0.05, "{rates}");
    let consumer = rate_line(rates.lines(), "consumer");
    assert!(consumer.contains("% in its callback"), "it waits for the producer: {consumer}");
    assert_eq!(rates.lines().count(), 2, "the fifo re-arms nothing: {rates}");
    let err = kernel.write("/sys/kernel/debug/modhost/rates", "1").unwrap_err();
    assert_eq!(err.errno(), modhost::Errno::EACCES);
    for name in ["consumer", "producer", "fifo"] {
        kernel.rmmod(name).unwrap();
    }
    assert_eq!(kernel.read("/sys/kernel/debug/modhost/rates").unwrap(), "");
}

#[test]
fn a_timer_that_re_arms_itself_has_its_rate_too() {
    let kernel = boot();
    kernel.insmod(build_c("snippets").join("timer_old.ko"), "").unwrap();
    run_for(&kernel, 312);
    let rates = kernel.read("/sys/kernel/debug/modhost/rates").unwrap();
    let line = rate_line(rates.lines(), "timer_old");
    assert!(line.starts_with("timer_old        rate=-      achieved "), "{rates}");
    assert!(line.ends_with("/s  (timer re-armed at timer_old.c:20)"), "{rates}");
    // Every HZ / 10 jiffies, on the tick after: 250 / 26 a second.
    assert!((achieved(line) - 250.0 / 26.0).abs() < 0.05, "{rates}");
    kernel.rmmod("timer_old").unwrap();
}
