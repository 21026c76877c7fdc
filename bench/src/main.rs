//! `modhost-bench`: runs benchmark suites and prints their figures against targets.
//!
//! `cargo run --release -p modhost-bench -- [SUITE...] [--json] [--check]`.
//! With no suite named, every suite runs, in the order of [`suites::SUITES`].
//! Each suite measures our mechanism beside one or more peers on this machine
//! and returns [`report::Figure`]s; the project's targets are mostly ratios
//! between the two, so a figure is meaningful on any machine. This file only
//! parses the arguments, runs the suites and prints; see `report.rs` for the
//! output.
//!
//! `modhost-bench soak [--seconds N] [--seed S]` runs the reliability soak
//! (`modhost_bench::soak`) instead: never part of a bare run, since it is a
//! test that takes a minute, not a figure. `rss-probe` is the `memory`
//! suite's child process, not for people.
//!
//! Kernel counterpart: none (the kernel's are `tools/testing/selftests` and
//! `perf bench`).

mod peers;
mod report;
mod suites;

use clap::{Parser, Subcommand, builder::PossibleValuesParser};
use std::{
    process::ExitCode,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// modhost's benchmarks: our figures beside peers', with the project's targets.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Suites to run, in order (default: all)
    #[arg(value_name = "SUITE", value_parser = PossibleValuesParser::new(suites::SUITES.iter().map(|s| s.name)))]
    suites: Vec<String>,
    /// Print JSON (keys documented in report.rs) instead of a table
    #[arg(long)]
    json: bool,
    /// Exit with status 1 if any target is missed
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Random insmod, rmmod, modprobe -r and rate writes under traffic, with
    /// invariants checked; exits 1 if any failed
    Soak {
        /// How long to run
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The workload's seed (default: from the time); the same seed gives the same operations
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Prints one RSS figure of this process in KiB (the memory suite's child)
    #[command(hide = true)]
    RssProbe { probe: suites::memory::Probe },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Command::Soak { seconds, seed }) => soak(Duration::from_secs(seconds), seed),
        Some(Command::RssProbe { probe }) => {
            println!("{}", suites::memory::probe(probe));
            ExitCode::SUCCESS
        }
        None => bench(&args),
    }
}

fn bench(args: &Args) -> ExitCode {
    let chosen: Vec<&suites::Suite> = if args.suites.is_empty() {
        suites::SUITES.iter().collect()
    } else {
        args.suites.iter().filter_map(|name| suites::SUITES.iter().find(|s| s.name == name)).collect()
    };
    let mut results = Vec::new();
    for suite in chosen {
        eprintln!("modhost-bench: running {}...", suite.name);
        let figures = (suite.run)();
        if !args.json {
            print!("{}", report::table(suite, &figures));
        }
        results.push((suite, figures));
    }
    if args.json {
        println!("{}", report::json(&results));
    }
    let missed = results.iter().flat_map(|(_, figures)| figures).filter(|f| f.pass() == Some(false)).count();
    if args.check && missed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn soak(duration: Duration, seed: Option<u64>) -> ExitCode {
    // Any seed will do when none is given; printed in the report, it replays the run.
    let seed = seed.unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |t| t.as_nanos() as u64));
    let report = modhost_bench::soak::run(&suites::module_dir(), duration, seed);
    print!("{report}");
    for failure in &report.failures {
        eprintln!("modhost-bench soak: {failure}");
    }
    if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
