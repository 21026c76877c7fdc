//! Property tests: parameter parsing and the command grammar hold for any input.

use crate::util::*;
use modhost::{
    loader::params::{join_args, next_arg},
    shell::run_line,
};
use proptest::prelude::*;

/// Splits an argument string the kernel's way into `(name, value)` pairs.
fn split_args(args: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = args.trim_start();
    while !rest.is_empty() {
        let (arg, after) = next_arg(rest);
        out.push((arg.name.to_string(), arg.value.map(str::to_string)));
        rest = after;
    }
    out
}

proptest! {
    /// What insmod joins (quoting values with spaces), the kernel splits back.
    #[test]
    fn joined_arguments_split_back(
        pairs in prop::collection::vec(("[a-z][a-z0-9_-]{0,8}", "[a-zA-Z0-9 =,._-]{0,12}"), 0..6)
    ) {
        let words: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let split = split_args(&join_args(&words));
        let expected: Vec<(String, Option<String>)> =
            pairs.iter().map(|(n, v)| (n.clone(), Some(v.clone()))).collect();
        prop_assert_eq!(split, expected);
    }

    /// Any argument string at all is tokenized without panicking, and the
    /// tokens never overlap or go past the end.
    #[test]
    fn any_argument_string_tokenizes(args in "\\PC{0,40}") {
        let mut rest = args.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let mut guard = 0;
        while !rest.is_empty() {
            let (_, after) = next_arg(rest);
            prop_assert!(after.len() < rest.len(), "next_arg made progress");
            rest = after;
            guard += 1;
            prop_assert!(guard <= 41);
        }
    }

    /// Any line is split and parsed into a command or a one-line error.
    #[test]
    fn any_line_is_a_command_or_a_one_line_error(line in "\\PC{0,40}") {
        let kernel = boot();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = run_line(&kernel, &line, &mut out, &mut err);
        let err = String::from_utf8(err).unwrap();
        if !outcome.ok {
            prop_assert_eq!(err.lines().count(), 1, "one line: {:?}", err);
            prop_assert!(err.ends_with('\n'));
        }
    }

    /// Lines made of real command words and plausible arguments never panic,
    /// and every failure is reported as lines that name the command.
    #[test]
    fn command_like_lines_fail_cleanly(
        command in prop::sample::select(modhost::shell::command::COMMANDS.to_vec()),
        args in prop::collection::vec(
            prop::sample::select(vec![
                "testmod.so", "nosuch.so", "-f", "-r", "-D", "-F", "parm", "i=3", "i=abc", "--name", "x",
                "/proc/modules", "/sys/module", "/sys/module/testmod/parameters/i", "-l", "err", "-n", "3", "0.001",
            ]),
            0..4,
        ),
    ) {
        let kernel = boot();
        let line = format!("{command} {}", args.join(" "));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = run_line(&kernel, &line, &mut out, &mut err);
        let err = String::from_utf8(err).unwrap();
        if !outcome.ok {
            prop_assert!(!err.is_empty(), "{line}: a failure says why");
            for l in err.lines() {
                prop_assert!(!l.is_empty(), "{line}: no blank error lines");
            }
        }
    }
}
