//! The `modhost` binary: boot a kernel, run commands, unload everything on exit.

use clap::Parser;
use modhost::{
    Kernel,
    kernel::MODULE_PATH_ENV,
    services::printk::Level,
    shell::{Script, run_line, run_script},
};
use std::{
    fs::File,
    io::{self, BufRead, BufReader, IsTerminal, Write},
    path::PathBuf,
    process::ExitCode,
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
    echo lsmod | modhost                     commands from a pipe\n\n\
    The module path is --module-path, then $MODHOST_MODULE_PATH (colon-separated),\n\
    then the directory of the modhost binary, where cargo puts the shipped plugins."
)]
struct Cli {
    /// Jiffies per second (CONFIG_HZ)
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    hz: u32,
    /// A directory to search for modules (repeatable)
    #[arg(long = "module-path", value_name = "DIR")]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let kernel = boot(&cli);
    let mut out = io::stdout();
    let mut err = io::stderr();
    let script = if !cli.commands.is_empty() {
        let lines = cli.commands.join("\n");
        run_script(&kernel, lines.as_bytes(), &mut out, &mut err, cli.errexit)
    } else if let Some(path) = &cli.script {
        match open_script(path) {
            Ok(input) => run_script(&kernel, input, &mut out, &mut err, cli.errexit),
            Err(e) => {
                let _ = writeln!(err, "modhost: {}: {e}", path.display());
                Script { ok: false, exit: Some(2) }
            }
        }
    } else if io::stdin().is_terminal() {
        prompt(&kernel)
    } else {
        run_script(&kernel, io::stdin().lock(), &mut out, &mut err, cli.errexit)
    };
    kernel.shutdown();
    ExitCode::from(u8::try_from(script.status()).unwrap_or(1))
}

/// Boots the kernel with the command line's settings and a console on stdout.
fn boot(cli: &Cli) -> Kernel {
    let mut builder = Kernel::builder().hz(cli.hz);
    for dir in module_path(cli) {
        builder = builder.module_path(dir);
    }
    if let Some(level) = cli.console_level.as_deref().and_then(console_level) {
        builder = builder.console_level(level);
    }
    let kernel = builder.boot();
    kernel.printk().set_console(Some(Box::new(|record| {
        let _ = writeln!(io::stdout().lock(), "{record}");
    })));
    kernel
}

/// `--module-path`, then `$MODHOST_MODULE_PATH`, then the binary's directory.
fn module_path(cli: &Cli) -> Vec<PathBuf> {
    let mut dirs = cli.module_path.clone();
    if let Some(env) = std::env::var_os(MODULE_PATH_ENV) {
        dirs.extend(std::env::split_paths(&env).filter(|d| !d.as_os_str().is_empty()));
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(PathBuf::from)) {
        dirs.push(dir);
    }
    dirs
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

/// A plain prompt on a terminal.
fn prompt(kernel: &Kernel) -> Script {
    let mut ok = true;
    let stdin = io::stdin();
    loop {
        print!("modhost# ");
        let _ = io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => {
                println!();
                return Script { ok, exit: None };
            }
            Ok(_) => {}
        }
        let outcome = run_line(kernel, &line, &mut io::stdout(), &mut io::stderr());
        ok &= outcome.ok;
        if let modhost::shell::Flow::Exit(status) = outcome.flow {
            return Script { ok, exit: Some(status) };
        }
    }
}
