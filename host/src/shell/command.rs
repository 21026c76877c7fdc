//! The command language: one line, one command, in kmod's and a shell's words.
//!
//! A line is split into words like a shell does (quotes, backslashes; `#`
//! starts a comment), then parsed by clap as a multicall command: the first
//! word is the command. `echo VALUE > PATH` takes its redirection from the
//! words before clap sees them, as a shell does (see [`split`]), and a
//! line ending in `&` runs in the background ([`super::jobs`]).
//!
//! The grammar is data only; [`super::exec`] runs it.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use crate::loader::{MODULE_NAME_RULE, valid_module_name};

/// One parsed line.
#[derive(Debug, Parser)]
#[command(multicall = true, disable_help_subcommand = true)]
pub struct Line {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command the shell knows.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load a module: insmod FILE [name=value ...]
    Insmod(Insmod),
    /// Unload modules: rmmod [-f] NAME...
    Rmmod(Rmmod),
    /// List the loaded modules
    Lsmod,
    /// Show a module's information: modinfo [-F FIELD] MODULE...
    Modinfo(Modinfo),
    /// Load a module and what it needs, or remove it (-r)
    Modprobe(Modprobe),
    /// Print the dependency map of the module path
    Depmod,
    /// Print or control the kernel log
    Dmesg(Dmesg),
    /// Print /proc and /sys files
    Cat(Cat),
    /// Print text, or write it to a /sys file: echo VALUE > PATH
    Echo(Echo),
    /// List a /dev, /proc or /sys directory
    Ls(Ls),
    /// List the kernel's threads: workers, kthreads, timers, with their module
    Ps,
    /// Send a signal to a kernel thread, or interrupt a job: kill [-SIGNAL|-N|-s SIGNAL] PID|%N...
    Kill(Kill),
    /// Wait, for scripts (moves a manual clock instead of sleeping)
    Sleep(Sleep),
    /// List the background jobs (COMMAND &)
    Jobs,
    /// Wait for background jobs: wait [%N]
    Wait(Wait),
    /// List the commands, or show one command's help
    Help(Help),
    /// Leave modhost, unloading every module
    #[command(alias = "quit")]
    Exit(Exit),
}

/// `insmod`.
#[derive(Debug, Args)]
pub struct Insmod {
    /// Load as another instance with this name
    #[arg(long, value_parser = instance_name)]
    pub name: Option<String>,
    /// The module file: a path, or a name in the module path (fifo.so)
    pub file: Option<PathBuf>,
    /// Module parameters, name=value
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub params: Vec<String>,
}

/// `rmmod`.
#[derive(Debug, Args)]
pub struct Rmmod {
    /// Force: remove even a module with references (taints the kernel R)
    #[arg(short, long)]
    pub force: bool,
    /// Module names (or files)
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `modinfo`.
#[derive(Debug, Args)]
pub struct Modinfo {
    /// Print only this field's values
    #[arg(short = 'F', long)]
    pub field: Option<String>,
    /// Modules: names, files or names in the module path
    #[arg(required = true)]
    pub modules: Vec<String>,
}

/// `modprobe`.
#[derive(Debug, Args)]
pub struct Modprobe {
    /// Remove the module, then the modules it needed that nobody uses
    #[arg(short, long)]
    pub remove: bool,
    /// Print the insmod steps instead of loading
    #[arg(short = 'D', long)]
    pub show_depends: bool,
    /// The module name
    pub module: String,
    /// Module parameters, name=value
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub params: Vec<String>,
}

/// `dmesg`.
#[derive(Debug, Args)]
pub struct Dmesg {
    /// Print, then clear the log
    #[arg(short = 'c', long = "read-clear")]
    pub read_clear: bool,
    /// Clear the log without printing
    #[arg(short = 'C', long)]
    pub clear: bool,
    /// Only these levels, comma-separated (emerg,alert,crit,err,warn,notice,info,debug)
    #[arg(short, long, value_delimiter = ',')]
    pub level: Vec<String>,
    /// Set the console level: messages below it are printed as they happen
    #[arg(short = 'n', long = "console-level")]
    pub console_level: Option<String>,
    /// Show the facility and level of each line
    #[arg(short = 'x', long)]
    pub decode: bool,
    /// Do not print timestamps
    #[arg(short = 't', long)]
    pub notime: bool,
    /// Follow: after the log, print new messages as they come, until Ctrl-C
    #[arg(short = 'w', long)]
    pub follow: bool,
}

/// `cat`.
#[derive(Debug, Args)]
pub struct Cat {
    /// Files under /dev, /proc or /sys
    #[arg(required = true)]
    pub paths: Vec<String>,
}

/// `echo`.
#[derive(Debug, Args)]
pub struct Echo {
    /// Do not add a newline
    #[arg(short = 'n')]
    pub no_newline: bool,
    /// The words to print or write
    #[arg(allow_hyphen_values = true)]
    pub words: Vec<String>,
}

/// `ls`.
#[derive(Debug, Args)]
pub struct Ls {
    /// Long listing: a device's major and minor
    #[arg(short = 'l')]
    pub long: bool,
    /// Directories under /dev, /proc or /sys (default /)
    pub paths: Vec<String>,
}

/// `wait`.
#[derive(Debug, Args)]
pub struct Wait {
    /// The job, %N (default: every job)
    pub job: Option<String>,
}

/// `kill`.
#[derive(Debug, Args)]
pub struct Kill {
    /// The signal (-INT, -SIGINT, -2, -s INT; default TERM), then the PIDs
    /// or jobs (%N: interrupted, whatever the signal)
    #[arg(required = true, allow_hyphen_values = true, trailing_var_arg = true, value_name = "[-SIGNAL] PID|%N")]
    pub args: Vec<String>,
}

/// `sleep`.
#[derive(Debug, Args)]
pub struct Sleep {
    /// Seconds, fractions allowed; inf sleeps until interrupted
    #[arg(allow_negative_numbers = true)]
    pub seconds: f64,
}

/// `help`.
#[derive(Debug, Args)]
pub struct Help {
    /// A command
    pub command: Option<String>,
}

/// `exit`.
#[derive(Debug, Args)]
pub struct Exit {
    /// The exit status
    pub status: Option<i32>,
}

/// `--name`: an instance name must be a valid module name, as it is given.
fn instance_name(name: &str) -> Result<String, &'static str> {
    if valid_module_name(name) { Ok(name.to_string()) } else { Err(MODULE_NAME_RULE) }
}

/// The command names, for `help` and suggestions.
pub const COMMANDS: [&str; 17] = [
    "insmod", "rmmod", "lsmod", "modinfo", "modprobe", "depmod", "dmesg", "cat", "echo", "ls", "ps", "sleep", "jobs",
    "wait", "kill", "help", "exit",
];

/// A line split into words, with an `echo` redirection taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// The words, command first.
    pub words: Vec<String>,
    /// The output redirection, if any.
    pub redirect: Option<Redirect>,
    /// The line ended in `&`: run it in the background.
    pub background: bool,
}

/// `> FILE` or `>> FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The file.
    pub path: String,
    /// `>>`: append rather than truncate.
    pub append: bool,
}

/// Why a line could not be split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// A quote is not closed.
    UnbalancedQuotes,
    /// `>` or `>>` with no file after it.
    MissingTarget,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitError::UnbalancedQuotes => "unbalanced quotes",
            SplitError::MissingTarget => "syntax error near unexpected token `newline'",
        })
    }
}

/// Splits a line into words and takes out its redirections, as a shell
/// does: `>FILE`, `> FILE`, `>>FILE` and `>> FILE` anywhere on the line; the
/// words around them are the command's, so `echo 3 > FILE extra` writes
/// `3 extra`; of several redirections the last one counts. A `&` that ends
/// the line (not `\&`, not `&&`) asks for the background.
pub fn split(line: &str) -> Result<Words, SplitError> {
    let (line, background) = strip_background(line);
    let mut rest = shlex::split(line).ok_or(SplitError::UnbalancedQuotes)?.into_iter();
    let mut words = Vec::new();
    let mut redirect = None;
    while let Some(word) = rest.next() {
        let Some(target) = word.strip_prefix('>') else {
            words.push(word);
            continue;
        };
        let (target, append) = match target.strip_prefix('>') {
            Some(target) => (target, true),
            None => (target, false),
        };
        let path = if target.is_empty() { rest.next().ok_or(SplitError::MissingTarget)? } else { target.to_string() };
        redirect = Some(Redirect { path, append });
    }
    Ok(Words { words, redirect, background })
}

/// The line without a final `&`, and whether it had one.
pub fn strip_background(line: &str) -> (&str, bool) {
    let trimmed = line.trim_end();
    match trimmed.strip_suffix('&') {
        Some(rest) if !rest.ends_with('&') && !rest.ends_with('\\') => (rest, true),
        _ => (line, false),
    }
}

/// The known command closest to `word`, if one is close enough.
pub fn suggest(word: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_quotes_and_redirection() {
        let target = |w: &Words| w.redirect.as_ref().map(|r| (r.path.clone(), r.append));
        let w = split("insmod producer.so item=\"a b\" # a comment").unwrap();
        assert_eq!(w.words, ["insmod", "producer.so", "item=a b"]);
        let w = split("echo 10 > /sys/module/producer/parameters/rate").unwrap();
        assert_eq!(w.words, ["echo", "10"]);
        assert_eq!(target(&w), Some(("/sys/module/producer/parameters/rate".into(), false)));
        let w = split("echo -n 10 >/sys/x").unwrap();
        assert_eq!((w.words.len(), target(&w)), (3, Some(("/sys/x".into(), false))));
        let w = split("echo 3 > /sys/x extra").unwrap();
        assert_eq!(w.words, ["echo", "3", "extra"]);
        assert_eq!(target(&w), Some(("/sys/x".into(), false)));
        let w = split("echo 3 >> /sys/x").unwrap();
        assert_eq!(target(&w), Some(("/sys/x".into(), true)));
        let w = split("echo 3 >>/sys/x > /sys/y").unwrap();
        assert_eq!(target(&w), Some(("/sys/y".into(), false)));
        assert_eq!(split("echo \"unbalanced"), Err(SplitError::UnbalancedQuotes));
        assert_eq!(split("echo 3 >"), Err(SplitError::MissingTarget));
        let w = split("cat /dev/sleepy &").unwrap();
        assert_eq!((w.words, w.background), (vec!["cat".to_string(), "/dev/sleepy".into()], true));
        assert!(split("cat /dev/sleepy&  ").unwrap().background);
        assert!(!split("echo a \\&").unwrap().background);
        assert!(!split("echo a && ").unwrap().background);
    }

    #[test]
    fn lines_parse_into_commands() {
        let line = Line::try_parse_from(["insmod", "--name", "p2", "producer.so", "item=B", "rate=5"]).unwrap();
        let Command::Insmod(insmod) = line.command else { panic!("insmod") };
        assert_eq!(insmod.name.as_deref(), Some("p2"));
        assert_eq!(insmod.params, ["item=B", "rate=5"]);
        let line = Line::try_parse_from(["rmmod", "-f", "fifo", "producer"]).unwrap();
        assert!(matches!(line.command, Command::Rmmod(Rmmod { force: true, .. })));
        let line = Line::try_parse_from(["dmesg", "-l", "err,warn"]).unwrap();
        let Command::Dmesg(dmesg) = line.command else { panic!("dmesg") };
        assert_eq!(dmesg.level, ["err", "warn"]);
        let line = Line::try_parse_from(["kill", "-2", "42"]).unwrap();
        let Command::Kill(kill) = line.command else { panic!("kill") };
        assert_eq!(kill.args, ["-2", "42"]);
        let line = Line::try_parse_from(["kill", "-s", "INT", "42"]).unwrap();
        let Command::Kill(kill) = line.command else { panic!("kill") };
        assert_eq!(kill.args, ["-s", "INT", "42"]);
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        assert_eq!(suggest("lsmdo"), Some("lsmod"));
        assert_eq!(suggest("insmdo"), Some("insmod"));
        assert_eq!(suggest("modprob"), Some("modprobe"));
        assert_eq!(suggest("frobnicate"), None);
    }
}
