//! A scenario file, read and checked before anything runs.
//!
//! One step a line; blank lines and `#` comments are skipped. A step is a
//! shell command (the prompt's grammar, [`crate::shell::command`]), or one
//! of the scenario's own words:
//!
//! - `run DURATION`: move the manual clock on by `120s`, `500ms`, `2m` (a
//!   bare number is seconds), letting the kernel settle at every deadline
//!   (the shell's `sleep N` moves it in one go, as at the prompt: what fell
//!   due meanwhile runs late, at once);
//! - `expect dmesg TEXT`: the log has a line containing `TEXT` by now;
//! - `expect fail COMMAND`: the command fails (`expect fail rmmod fifo`
//!   while producers use it).
//!
//! A line that is none of these, or a command that could not finish on its
//! own in a scenario (a background job, `dmesg -w`, `sleep inf`, `exit`,
//! `dmesg -n`, which would hide the log from the check), is refused with
//! its file and line, before the kernel boots.

use clap::Parser;
use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::shell::{
    command::{self, Command, Line},
    script::LINE_MAX,
};

/// The longest `run` a scenario may ask for.
const RUN_MAX: Duration = Duration::from_secs(24 * 60 * 60);

/// A scenario: its file and its steps, in order.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it was read from.
    pub path: PathBuf,
    /// The steps.
    pub steps: Vec<Step>,
}

/// One step, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Its line number, from 1.
    pub line: usize,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Run a shell command; it must succeed.
    Command(String),
    /// Move the clock on by this much, settling at every deadline.
    Run(Duration),
    /// The log has a line containing this text.
    ExpectDmesg(String),
    /// Run a shell command; it must fail.
    ExpectFail(String),
}

/// Why a scenario cannot run: its file, the line if one is to blame, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario file.
    pub path: PathBuf,
    /// The line, from 1.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Reads and checks the scenario in `path`.
    ///
    /// # Errors
    ///
    /// If the file cannot be read, or a line is not a step.
    pub fn read(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read the scenario: {e}"),
        })?;
        Scenario::parse(path, &text)
    }

    /// Checks the scenario `text`, read from `path`.
    ///
    /// # Errors
    ///
    /// If a line is not a step, or there are none.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let error = |line, message| ScenarioError { path: path.to_path_buf(), line, message };
        let mut steps = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if let Some(action) = parse_line(line).map_err(|message| error(Some(number), message))? {
                steps.push(Step { line: number, action });
            }
        }
        if steps.is_empty() {
            return Err(error(None, "no steps: a scenario is commands, `run`s and `expect`s".into()));
        }
        Ok(Scenario { path: path.to_path_buf(), steps })
    }

    /// The directory module files are found relative to: the scenario's.
    pub fn directory(&self) -> PathBuf {
        let parent = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        parent.canonicalize().unwrap_or_else(|_| parent.to_path_buf())
    }
}

impl Step {
    /// The step's short, stable name in the report: the command as written
    /// without its comment, `run 120s`, `dmesg has TEXT`, `COMMAND fails`.
    pub fn name(&self) -> String {
        let name = match &self.action {
            Action::Command(line) => line.clone(),
            Action::Run(duration) => format!("run {}", duration_text(*duration)),
            Action::ExpectDmesg(text) => format!("dmesg has {text}"),
            Action::ExpectFail(line) => format!("{line} fails"),
        };
        // `#` starts a directive in a KTAP result line.
        name.replace('#', "")
    }
}

/// One line: `None` for a blank line or a comment.
fn parse_line(line: &str) -> Result<Option<Action>, String> {
    if line.len() > LINE_MAX {
        return Err(format!("line too long ({} bytes; the limit is {LINE_MAX})", line.len()));
    }
    let words = command::split(line).map_err(|e| e.to_string())?;
    let Some(first) = words.words.first() else { return Ok(None) };
    let rest = |n: usize| words.words[n..].join(" ");
    match first.as_str() {
        "run" => match words.words.as_slice() {
            [_, duration] => parse_duration(duration).map(|d| Some(Action::Run(d))),
            _ => Err("run takes one duration: run 120s".into()),
        },
        "expect" => match words.words.get(1).map(String::as_str) {
            Some("dmesg") if words.words.len() > 2 => Ok(Some(Action::ExpectDmesg(rest(2)))),
            Some("fail") if words.words.len() > 2 => {
                let command = after_words(line, 2);
                check_command(command)?;
                Ok(Some(Action::ExpectFail(command_name(command)?)))
            }
            _ => Err("expect what? `expect dmesg TEXT` or `expect fail COMMAND`".into()),
        },
        _ => {
            check_command(line)?;
            Ok(Some(Action::Command(command_name(line)?)))
        }
    }
}

/// The line after its first `n` words, as written.
fn after_words(line: &str, n: usize) -> &str {
    let mut rest = line.trim_start();
    for _ in 0..n {
        rest = rest.split_once(char::is_whitespace).map_or("", |(_, after)| after).trim_start();
    }
    rest
}

/// A command as the step runs it and names it: its words (quoted again
/// where they need it) and its redirection, without a comment.
fn command_name(line: &str) -> Result<String, String> {
    let words = command::split(line).map_err(|e| e.to_string())?;
    let mut text = words.words.iter().map(|w| quoted(w)).collect::<Result<Vec<_>, _>>()?.join(" ");
    if let Some(redirect) = words.redirect {
        let arrow = if redirect.append { ">>" } else { ">" };
        text.push_str(&format!(" {arrow} {}", quoted(&redirect.path)?));
    }
    Ok(text)
}

/// A word as a shell reads it back: quoted only if it has to be.
fn quoted(word: &str) -> Result<String, String> {
    let plain = !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || "'\"\\#&<>|;$`*?".contains(c));
    if plain { Ok(word.to_string()) } else { shlex::try_quote(word).map(String::from).map_err(|e| e.to_string()) }
}

/// Refuses a line that is not a command, or one that cannot end by itself.
fn check_command(line: &str) -> Result<(), String> {
    let words = command::split(line).map_err(|e| e.to_string())?;
    if words.background {
        return Err("a background job (&) cannot be checked; run it in the foreground".into());
    }
    let parsed = Line::try_parse_from(&words.words).map_err(|e| {
        let word = words.words.first().map_or("", String::as_str);
        match e.kind() {
            clap::error::ErrorKind::InvalidSubcommand => {
                let hint = command::suggest(word).map_or_else(
                    || " (a step is a command, run, or expect)".to_string(),
                    |s| format!("; did you mean '{s}'?"),
                );
                format!("unknown command '{word}'{hint}")
            }
            _ => {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
                format!("{word}: {first}")
            }
        }
    })?;
    match parsed.command {
        Command::Exit(_) => Err("exit: a scenario ends at its last line".into()),
        Command::Dmesg(d) if d.follow => Err("dmesg -w follows the log for ever; use dmesg".into()),
        Command::Dmesg(d) if d.console_level.is_some() => {
            Err("dmesg -n changes the console the check reads the log from".into())
        }
        Command::Sleep(s) if !(s.seconds.is_finite() && (0.0..=RUN_MAX.as_secs_f64()).contains(&s.seconds)) => {
            Err(format!("sleep {}: a scenario sleeps at most {} s", s.seconds, RUN_MAX.as_secs()))
        }
        Command::Jobs | Command::Wait(_) => Err("a scenario has no background jobs".into()),
        _ => Ok(()),
    }
}

/// `120s`, `500ms`, `2m`, `2min`, `1.5` (seconds): positive, at most a day.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("'{text}' is not a duration (120s, 500ms, 2m)");
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        _ => return Err(bad()),
    };
    match Duration::try_from_secs_f64(seconds) {
        Ok(d) if !d.is_zero() && d <= RUN_MAX => Ok(d),
        _ => Err(format!("run {text}: a run lasts more than 0 and at most {} s", RUN_MAX.as_secs())),
    }
}

/// A duration as a scenario writes it: `120s`, `500ms`.
fn duration_text(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Action>, String> {
        Scenario::parse(Path::new("lab.scenario"), text)
            .map(|s| s.steps.into_iter().map(|s| s.action).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn steps_are_commands_runs_and_expectations() {
        let text = "# the lab sheet\n\ninsmod fifo.so size=8   # eight slots\n\
                    insmod --name producer2 producer.so item=\"B b\" rate=3\n\
                    run 2m\nrun 500ms\nrun 1.5\n\
                    echo 10 > /sys/module/consumer/parameters/rate\n\
                    expect dmesg fifo: ready with 8 slots\nexpect fail rmmod fifo # in use\n";
        let steps = parse(text).unwrap();
        assert_eq!(
            steps,
            [
                Action::Command("insmod fifo.so size=8".into()),
                Action::Command("insmod --name producer2 producer.so 'item=B b' rate=3".into()),
                Action::Run(Duration::from_secs(120)),
                Action::Run(Duration::from_millis(500)),
                Action::Run(Duration::from_millis(1500)),
                Action::Command("echo 10 > /sys/module/consumer/parameters/rate".into()),
                Action::ExpectDmesg("fifo: ready with 8 slots".into()),
                Action::ExpectFail("rmmod fifo".into()),
            ]
        );
        let scenario = Scenario::parse(Path::new("s/lab.scenario"), text).unwrap();
        let names: Vec<String> = scenario.steps.iter().map(Step::name).collect();
        assert_eq!(names[2..5], ["run 120s", "run 500ms", "run 1500ms"]);
        assert_eq!(names[6..], ["dmesg has fifo: ready with 8 slots", "rmmod fifo fails"]);
        assert_eq!(scenario.steps[0].line, 3);
    }

    #[test]
    fn a_line_that_is_not_a_step_is_named_with_its_file_and_line() {
        let cases = [
            (
                "insmod fifo.so\ninsmdo producer.so\n",
                "lab.scenario:2: unknown command 'insmdo'; did you mean 'insmod'?",
            ),
            ("run\n", "lab.scenario:1: run takes one duration: run 120s"),
            ("run 2 weeks\n", "lab.scenario:1: run takes one duration: run 120s"),
            ("run 2h\n", "lab.scenario:1: '2h' is not a duration (120s, 500ms, 2m)"),
            ("run 0s\n", "lab.scenario:1: run 0s: a run lasts more than 0 and at most 86400 s"),
            ("expect\n", "lab.scenario:1: expect what? `expect dmesg TEXT` or `expect fail COMMAND`"),
            ("expect fail frob\n", "lab.scenario:1: unknown command 'frob' (a step is a command, run, or expect)"),
            ("cat /dev/sleepy &\n", "lab.scenario:1: a background job (&) cannot be checked; run it in the foreground"),
            ("dmesg -w\n", "lab.scenario:1: dmesg -w follows the log for ever; use dmesg"),
            ("sleep inf\n", "lab.scenario:1: sleep inf: a scenario sleeps at most 86400 s"),
            ("exit 3\n", "lab.scenario:1: exit: a scenario ends at its last line"),
            ("echo \"open\n", "lab.scenario:1: unbalanced quotes"),
            ("rmmod\n", "lab.scenario:1: rmmod: the following required arguments were not provided:"),
            ("# nothing\n\n", "lab.scenario: no steps: a scenario is commands, `run`s and `expect`s"),
        ];
        for (text, error) in cases {
            assert_eq!(parse(text).unwrap_err(), error, "{text:?}");
        }
    }

    #[test]
    fn the_directory_is_the_scenarios_own() {
        let scenario = Scenario::parse(Path::new("lab.scenario"), "lsmod\n").unwrap();
        assert_eq!(scenario.directory(), Path::new(".").canonicalize().unwrap());
        assert_eq!(after_words("  expect   fail rmmod  fifo", 2), "rmmod  fifo");
    }
}
