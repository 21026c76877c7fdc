//! The `modhost` binary: boot a kernel, run a session, unload everything on exit.
//!
//! The command line picks where commands come from (`-c`, `--script`, the
//! prompt when stdin is a terminal, else stdin as a script); the session
//! (`modhost::shell::session`) runs them and ends the same way whichever it
//! was: on EOF, `exit`, SIGINT or SIGTERM, every module is unloaded.
//!
//! The binary owns the process's stdout and stderr: it takes fds 1 and 2
//! over at startup (`modhost::shell::stdio`), so that module code writing
//! there is logged rather than mixed into results.
//!
//! The kernel runs in a child process under `modhost::supervisor`, so that
//! the command line survives a kernel panic (`--no-supervisor` runs it in
//! this process).
//!
//! `modhost check SCENARIO` runs a lab scenario instead of a session and
//! prints its KTAP report (`modhost::check`); the kernel's flags
//! (`--module-path`, `--hz`, ...) go before or after `check`.

use clap::{CommandFactory, Parser};
use modhost::{
    Kernel, KernelBuilder,
    check::Scenario,
    kernel::MODULE_PATH_ENV,
    services::printk::Level,
    shell::{Format, Script, console, repl, session::Session, stdio},
    supervisor,
};
use std::{
    fs::File,
    io::{self, BufRead, BufReader, IsTerminal, LineWriter, Write},
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

/// modhost: the Linux loadable-module system, in user space.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Examples:\n  \
    modhost                                  start the prompt; try: insmod fifo.so\n  \
    modhost -c 'insmod fifo.so' -c lsmod     run commands, then unload everything\n  \
    modhost --script lab.txt                 run a file of commands, one per line\n  \
    echo lsmod | modhost                     commands from a pipe\n  \
    modhost --json -c 'insmod fifo.so' -c lsmod -c 'cat /proc/fifo'\n\
    \x20                                          lsmod and the fifo's statistics as JSON\n\n\
    At the prompt TAB completes commands, module files, parameter names and /proc and /sys\n\
    paths; Ctrl-C clears the line (or stops dmesg -w); Ctrl-D or exit leaves.\n\n\
    The module path is --module-path, then $MODHOST_MODULE_PATH (colon-separated),\n\
    then deps/ beside the modhost binary, where cargo puts the shipped plugins, and its directory.\n\n\
    --json prints one JSON value per line:\n  \
    lsmod          [{\"name\",\"size\",\"refcnt\",\"used_by\":[..],\"state\",\"flags\"}, ...]\n  \
    modinfo M      {\"filename\",\"name\",\"license\",\"author\",\"description\",\"version\",\n  \
    \x20              \"vermagic\",\"import_ns\":[..],\"depends\":[..],\n  \
    \x20              \"parm\":[{\"name\",\"type\",\"description\",\"perm\"}]}\n  \
    modinfo -F F M [values of F]\n  \
    cat /proc/fifo {\"capacity\",\"fill\",...}: a statistics file's keys, numbers as numbers\n\
    Other commands and files print as without --json.\n\n\
    On EOF, exit, SIGINT or SIGTERM every module is unloaded, users first; a module whose\n\
    exit is stuck is skipped (and what it uses), and the exit status is then non-zero.\n\
    A second SIGINT or SIGTERM forces the unload (rmmod -f) and exits within a second,\n\
    naming what it abandons.\n\n\
    A module's init, exit, /proc show function or parameter notification that does not\n\
    return within --exit-timeout is reported as a hung task and its command fails.\n\n\
    A fault in module code (a NULL pointer, a division by zero, BUG(), a stack overflow) is an\n\
    Oops in dmesg: the task that faulted dies, the rest goes on (taint D). A timer callback or\n\
    work item that spins for twice --watchdog-thresh is a soft lockup (taint L).\n\n\
    When the kernel dies (abort() or exit() called by module code, a fault it cannot contain),\n\
    modhost prints the log's last lines and `Kernel panic - not syncing: ...` on stderr. At the\n\
    prompt, `reboot` starts a fresh kernel, whose /sys/fs/pstore/dmesg-ramoops-0 holds the old\n\
    log; otherwise the exit status is 70.\n\n\
    Kernel C modules: `modhost build DIR` runs make -C <checkout>/kbuild M=DIR\n\
    (see `modhost build --help`); make runs `modhost modpost`.\n\n\
    A teacher's check: `modhost check lab.scenario` runs a scenario on a manual clock and\n\
    prints KTAP (see `modhost check --help`)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Subcommand>,
    /// Seconds a command waits for a module's init, exit, /proc show function or
    /// parameter notification before it reports a hung task and fails
    #[arg(long = "exit-timeout", value_name = "SECONDS", default_value_t = 5.0, value_parser = seconds, global = true)]
    exit_timeout: f64,
    /// Seconds of the soft-lockup watchdog (watchdog_thresh): a timer callback or work item
    /// that runs twice this long without returning or sleeping is reported
    #[arg(long = "watchdog-thresh", value_name = "SECONDS", default_value_t = 10.0, value_parser = seconds, global = true)]
    watchdog_thresh: f64,
    /// Switch the teaching diagnostics off (lockdep, the explanation of rmmod's waits),
    /// for speed; on by default
    #[arg(long = "no-debug")]
    no_debug: bool,
    /// Jiffies per second (CONFIG_HZ)
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u32).range(1..=10_000), global = true)]
    hz: u32,
    /// A directory to search for modules (repeatable)
    #[arg(long = "module-path", value_name = "DIR", global = true)]
    module_path: Vec<PathBuf>,
    /// Run the commands in FILE, one per line ('-' for stdin)
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Run this command (repeatable; in order)
    #[arg(short = 'c', long = "command", value_name = "CMD")]
    commands: Vec<String>,
    /// Print log messages below this level as they happen (1-8, or a level name)
    #[arg(long = "console-level", value_name = "LEVEL")]
    console_level: Option<String>,
    /// Stop at the first command that fails
    #[arg(long)]
    errexit: bool,
    /// The prompt's history file [default: $HOME/.modhost_history]
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Print lsmod, modinfo and statistics as JSON (keys below)
    #[arg(long)]
    json: bool,
    /// Run the kernel in this process, unsupervised: a kernel panic ends modhost
    #[arg(long = "no-supervisor", global = true)]
    no_supervisor: bool,
}

/// What `modhost` does other than a session.
#[derive(Debug, clap::Subcommand)]
enum Subcommand {
    /// Run a lab scenario on a fresh kernel with a manual clock and print
    /// a KTAP report; exit 0 if every test is ok, 1 if not, 2 for a
    /// scenario that cannot be read
    #[command(after_help = "A scenario has one step a line: a shell command (insmod fifo.so size=8), \
    `run 120s`\n(move the clock on, letting the kernel settle at every deadline), `expect dmesg TEXT` \
    or\n`expect fail COMMAND`; # starts a comment. Module files are found relative to the \
    scenario's\ndirectory, then in the module path. See scenarios/lab.scenario.")]
    Check {
        /// The scenario file
        scenario: PathBuf,
    },
}

fn main() -> ExitCode {
    // `modhost modpost` and `modhost build` are kbuild's tools, not a session.
    if let Some(status) = modhost::modpost::run_tool(&std::env::args_os().collect::<Vec<_>>()) {
        return status;
    }
    let cli = Cli::parse();
    if let Some(Subcommand::Check { scenario }) = &cli.command {
        refuse_session_flags(&cli);
        return check(&cli, scenario);
    }
    if cli.no_supervisor {
        return ExitCode::from(run_kernel(&cli));
    }
    let settings = supervisor::Settings { interactive: is_prompt(&cli), history: history(&cli) };
    supervisor::supervise(&settings, || run_kernel(&cli))
}

/// The kernel's life: boot, run the session, unload everything; returns
/// the exit status.
fn run_kernel(cli: &Cli) -> u8 {
    let format = if cli.json { Format::Json } else { Format::Text };
    let kernel = boot(cli);
    supervisor::kernel_booted(&kernel);
    // From here on results and messages go through the host's own copies
    // of stdout and stderr; what module code writes to fds 1 and 2 is logged.
    if let Err(e) = stdio::take_over(&kernel) {
        eprintln!("modhost: warning: module code shares stdout and stderr: {e}");
    }
    kernel.printk().set_console(Some(console::plain()));
    let session = Arc::new(Session::new(kernel, format));
    let prompt = is_prompt(cli);
    if let Err(e) = session.handle_signals(prompt) {
        let _ = writeln!(stdio::stderr(), "modhost: warning: cannot handle signals: {e}");
    }
    let (mut out, mut err) = (LineWriter::new(stdio::stdout()), LineWriter::new(stdio::stderr()));
    let mut run_script = |input: &mut dyn BufRead| session.run_script(input, &mut out, &mut err, cli.errexit);
    let script = if !cli.commands.is_empty() {
        let lines = cli.commands.join("\n");
        run_script(&mut lines.as_bytes())
    } else if let Some(path) = &cli.script {
        match open_script(path) {
            Ok(mut input) => run_script(&mut input),
            Err(e) => {
                let _ = writeln!(stdio::stderr(), "modhost: {}: {e}", path.display());
                Script { ok: false, exit: Some(2) }
            }
        }
    } else if prompt {
        repl::run_repl(&session, history(cli).as_deref())
    } else {
        run_script(&mut io::stdin().lock())
    };
    let all_unloaded = session.end();
    stdio::flush();
    // Modules left loaded at the end (shown in dmesg) fail a clean run.
    let status = if all_unloaded || script.status() != 0 { script.status() } else { 1 };
    u8::try_from(status).unwrap_or(1)
}

/// Exits with clap's usage error if a flag of the session is given with
/// `check`, which has no session (the kernel's flags are shared).
fn refuse_session_flags(cli: &Cli) {
    let given = [
        (!cli.commands.is_empty(), "--command"),
        (cli.script.is_some(), "--script"),
        (cli.console_level.is_some(), "--console-level"),
        (cli.errexit, "--errexit"),
        (cli.history.is_some(), "--history"),
        (cli.json, "--json"),
    ];
    if let Some((_, flag)) = given.iter().find(|(given, _)| *given) {
        let message = format!("the subcommand 'check' cannot be used with '{flag}'");
        Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message).exit();
    }
}

/// `modhost check`: reads the scenario (status 2 if it cannot), then runs
/// it on a kernel of its own, supervised unless `--no-supervisor`.
fn check(cli: &Cli, path: &Path) -> ExitCode {
    let scenario = match Scenario::read(path) {
        Ok(scenario) => scenario,
        Err(e) => {
            let _ = writeln!(io::stderr(), "modhost: check: {e}");
            return ExitCode::from(2);
        }
    };
    let run = || {
        let kernel = scenario.boot(builder(cli));
        supervisor::kernel_booted(&kernel);
        if let Err(e) = stdio::take_over(&kernel) {
            eprintln!("modhost: warning: module code shares stdout and stderr: {e}");
        }
        let all_ok = modhost::check::run(&kernel, &scenario, &mut LineWriter::new(stdio::stdout()));
        stdio::flush();
        u8::from(!all_ok)
    };
    if cli.no_supervisor {
        return ExitCode::from(run());
    }
    supervisor::supervise(&supervisor::Settings::default(), run)
}

/// Whether the session is the prompt: no commands given and stdin a terminal.
fn is_prompt(cli: &Cli) -> bool {
    cli.commands.is_empty() && cli.script.is_none() && io::stdin().is_terminal()
}

/// The prompt's history file.
fn history(cli: &Cli) -> Option<PathBuf> {
    cli.history.clone().or_else(repl::default_history)
}

/// Boots the kernel with the command line's settings; the console is set
/// once the output is taken over (the prompt puts its own in place).
fn boot(cli: &Cli) -> Kernel {
    builder(cli).boot()
}

/// The command line's kernel settings.
fn builder(cli: &Cli) -> KernelBuilder {
    let mut builder = Kernel::builder()
        .hz(cli.hz)
        .exit_timeout(Duration::from_secs_f64(cli.exit_timeout))
        .watchdog_thresh(Duration::from_secs_f64(cli.watchdog_thresh))
        .debug(!cli.no_debug);
    for dir in module_path(cli) {
        builder = builder.module_path(dir);
    }
    if let Some(level) = cli.console_level.as_deref().and_then(console_level) {
        builder = builder.console_level(level);
    }
    builder
}

/// `--module-path`, then `$MODHOST_MODULE_PATH`, then `deps/` beside the binary and its directory.
fn module_path(cli: &Cli) -> Vec<PathBuf> {
    let mut dirs = cli.module_path.clone();
    if let Some(env) = std::env::var_os(MODULE_PATH_ENV) {
        dirs.extend(std::env::split_paths(&env).filter(|d| !d.as_os_str().is_empty()));
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(PathBuf::from)) {
        // cargo puts the shipped plugins, dependencies of this binary, in deps/.
        dirs.push(dir.join("deps"));
        dirs.push(dir);
    }
    dirs
}

/// A bound in seconds: positive and finite.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() && s < 1e9 => Ok(s),
        _ => Err(format!("'{text}' is not a number of seconds between 0 and 1e9")),
    }
}

/// A console level: `1`..`8`, or a level name (one above that level).
fn console_level(text: &str) -> Option<u8> {
    match text.parse::<u8>() {
        Ok(n) => (1..=8).contains(&n).then_some(n),
        Err(_) => Level::parse(text).map(|l| l as u8 + 1),
    }
}

fn open_script(path: &PathBuf) -> io::Result<Box<dyn BufRead>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    Ok(Box::new(BufReader::new(File::open(path)?)))
}
