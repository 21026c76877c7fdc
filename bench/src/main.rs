//! `modhost-bench`: runs benchmark suites and prints their figures against targets.
//!
//! `cargo run --release -p modhost-bench -- [SUITE...] [--json] [--check]`.
//! With no suite named, every suite runs, in the order of [`suites::SUITES`].
//! Each suite measures our mechanism beside one or more peers on this machine
//! and returns [`report::Figure`]s; the project's targets are ratios between
//! the two, so a figure is meaningful on any machine. This file only parses
//! the arguments, runs the suites and prints; see `report.rs` for the output.
//!
//! Kernel counterpart: none (the kernel's are `tools/testing/selftests` and
//! `perf bench`).

mod peers;
mod report;
mod suites;

use clap::{Parser, builder::PossibleValuesParser};
use std::process::ExitCode;

/// modhost's benchmarks: our figures beside peers', with the project's targets.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
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

fn main() -> ExitCode {
    let args = Args::parse();
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
