//! Tab completion and hints for the prompt.
//!
//! What completes depends on the command and the word:
//!
//! | where | candidates |
//! |---|---|
//! | the first word, `help X` | command names |
//! | `insmod X`, `modinfo X` | modules in the module path (`fifo.so`), `.so` files and directories on disk |
//! | `insmod X.so Y` | X's parameters, `name=`, listed with their type and description |
//! | `modprobe X` | module names in the module path; with `-r`, loaded modules |
//! | `modprobe X Y` | X's parameters |
//! | `rmmod X` | loaded modules |
//! | `cat X`, `ls X`, `echo V > X` | `/proc` and `/sys` paths |
//!
//! Modules and their parameters come from the files' `.modinfo` sections
//! ([`Kernel::depmod`], [`Kernel::modinfo`]): the files are read, never
//! loaded, so a TAB runs no code of theirs, and a `.so` without a
//! `.modinfo` (a procedural macro's library, a system library) is no
//! candidate. A word is split from the line at whitespace; quotes are not
//! interpreted here.

use clap::CommandFactory;
use rustyline::completion::Pair;
use std::{fs, path::Path};

use super::command::{COMMANDS, Line};
use crate::Kernel;

/// The candidates for the word that ends at `pos`, and where that word
/// starts.
pub fn complete(kernel: &Kernel, line: &str, pos: usize) -> (usize, Vec<Pair>) {
    let before = &line[..pos];
    let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let word = &before[start..];
    let words: Vec<&str> = before[..start].split_whitespace().collect();
    let Some((&command, args)) = words.split_first() else {
        return (start, commands(word, " "));
    };
    let candidates = match command {
        "help" if args.is_empty() => commands(word, ""),
        "insmod" | "modinfo" | "modprobe" if word.starts_with('-') => Vec::new(),
        "insmod" | "modprobe" if module_arg(args).is_some() => {
            module_arg(args).map(|module| params(kernel, module, args, word)).unwrap_or_default()
        }
        "insmod" | "modinfo" => module_files(kernel, word),
        "modprobe" if args.iter().any(|a| *a == "-r" || *a == "--remove") => loaded(kernel, args, word),
        "modprobe" => module_names(kernel, word),
        "rmmod" => loaded(kernel, args, word),
        "cat" | "ls" => kernel_paths(kernel, word),
        "echo" if args.last() == Some(&">") => kernel_paths(kernel, word),
        "echo" if word.starts_with('>') => {
            return (start + 1, kernel_paths(kernel, &word[1..]));
        }
        _ => Vec::new(),
    };
    (start, candidates)
}

/// A hint shown after the cursor: the command's usage while only its name is
/// typed (`insmod ` → `[OPTIONS] [FILE] [PARAMS]...`).
pub fn usage_hint(line: &str) -> Option<String> {
    let command = line.strip_suffix(' ')?;
    if command.is_empty() || command.contains(char::is_whitespace) {
        return None;
    }
    let mut grammar = Line::command();
    let usage = grammar.find_subcommand_mut(command)?.render_usage().to_string();
    let args = usage.trim_start_matches("Usage: ").strip_prefix(command)?.trim_start();
    (!args.is_empty()).then(|| args.to_string())
}

fn pair(display: String, replacement: String) -> Pair {
    Pair { display, replacement }
}

fn commands(word: &str, after: &str) -> Vec<Pair> {
    COMMANDS.iter().filter(|c| c.starts_with(word)).map(|c| pair(c.to_string(), format!("{c}{after}"))).collect()
}

/// The module argument of insmod or modprobe, once typed: the first word
/// that is not an option (nor `--name`'s value).
fn module_arg<'a>(args: &[&'a str]) -> Option<&'a str> {
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if *arg == "--name" {
            skip_value = true;
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

/// `name=` for each parameter of `module` not given yet.
fn params(kernel: &Kernel, module: &str, args: &[&str], word: &str) -> Vec<Pair> {
    if word.contains('=') {
        return Vec::new();
    }
    let Ok(report) = kernel.modinfo(module) else { return Vec::new() };
    let given: Vec<&str> = args.iter().filter_map(|a| a.split_once('=').map(|(name, _)| name)).collect();
    report
        .info
        .params
        .iter()
        .filter(|p| p.name.starts_with(word) && !given.contains(&p.name.as_str()))
        .map(|p| {
            let mut display = format!("{}=  ({})", p.name, p.type_name());
            if !p.description.is_empty() {
                display.push_str(&format!(" {}", p.description));
            }
            pair(display, format!("{}=", p.name))
        })
        .collect()
}

/// Module files: `NAME.so` for each module in the module path, then `.so`
/// files and directories on disk.
fn module_files(kernel: &Kernel, word: &str) -> Vec<Pair> {
    let mut candidates = Vec::new();
    if !word.contains('/') {
        let mut files: Vec<String> = kernel
            .depmod()
            .iter()
            .filter_map(|(_, entry)| {
                let file = entry.path.file_name()?.to_str()?;
                let file = file.strip_prefix("lib").unwrap_or(file).to_string();
                file.starts_with(word).then_some(file)
            })
            .collect();
        files.sort();
        files.dedup();
        candidates.extend(files.into_iter().map(|f| pair(f.clone(), f)));
    }
    candidates.extend(disk_paths(word));
    candidates
}

/// The names of the modules in the module path, as depmod finds them.
fn module_names(kernel: &Kernel, word: &str) -> Vec<Pair> {
    kernel
        .depmod()
        .iter()
        .map(|(name, _)| name)
        .filter(|n| n.starts_with(word))
        .map(|n| pair(n.clone(), n.clone()))
        .collect()
}

/// `.so` files and directories whose path starts with `word`.
fn disk_paths(word: &str) -> Vec<Pair> {
    let (dir, base) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    let listed = if dir.is_empty() { Path::new(".") } else { Path::new(dir) };
    let mut candidates: Vec<Pair> = fs::read_dir(listed)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            if !name.starts_with(base) || (name.starts_with('.') && !base.starts_with('.')) {
                return None;
            }
            let is_dir = entry.path().is_dir();
            if !is_dir && !name.ends_with(".so") {
                return None;
            }
            let suffix = if is_dir { "/" } else { "" };
            Some(pair(format!("{name}{suffix}"), format!("{dir}{name}{suffix}")))
        })
        .collect();
    candidates.sort_by(|a, b| a.display.cmp(&b.display));
    candidates
}

/// Loaded modules not already named on the line.
fn loaded(kernel: &Kernel, args: &[&str], word: &str) -> Vec<Pair> {
    let mut names: Vec<String> = kernel
        .lsmod()
        .into_iter()
        .map(|m| m.name)
        .filter(|n| n.starts_with(word) && !args.contains(&n.as_str()))
        .collect();
    names.sort();
    names.into_iter().map(|n| pair(n.clone(), n)).collect()
}

/// `/proc` and `/sys` paths: the entries of the directory typed so far.
fn kernel_paths(kernel: &Kernel, word: &str) -> Vec<Pair> {
    let (dir, base) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("/", word),
    };
    let Ok(entries) = kernel.list(dir) else { return Vec::new() };
    entries.into_iter().filter(|e| e.starts_with(base)).map(|e| pair(e.clone(), format!("{dir}{e}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replacements(kernel: &Kernel, line: &str) -> (usize, Vec<String>) {
        let (start, pairs) = complete(kernel, line, line.len());
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn command_names_complete_with_a_space() {
        let kernel = Kernel::builder().manual_clock().boot();
        assert_eq!(replacements(&kernel, "lsm"), (0, vec!["lsmod ".to_string()]));
        assert_eq!(replacements(&kernel, "mod").1, ["modinfo ", "modprobe "]);
        assert_eq!(replacements(&kernel, "help rm"), (5, vec!["rmmod".to_string()]));
    }

    #[test]
    fn kernel_paths_complete_directory_by_directory() {
        let kernel = Kernel::builder().manual_clock().boot();
        assert_eq!(replacements(&kernel, "cat /p"), (4, vec!["/proc/".to_string()]));
        assert_eq!(replacements(&kernel, "ls ").1, ["/dev/", "/proc/", "/sys/"]);
        assert!(replacements(&kernel, "cat /proc/").1.contains(&"/proc/modules".to_string()));
        assert_eq!(replacements(&kernel, "echo 5 >/s"), (8, vec!["/sys/".to_string()]));
        assert_eq!(replacements(&kernel, "echo 5 > /s"), (9, vec!["/sys/".to_string()]));
    }

    /// A kernel whose module path is where cargo built the plugins: next to
    /// this test binary.
    fn kernel_with_modules() -> Kernel {
        let dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
        Kernel::builder().manual_clock().module_path(dir).boot()
    }

    #[test]
    fn parameters_complete_from_the_module_file() {
        let kernel = kernel_with_modules();
        let line = "insmod producer.so ra";
        let (start, pairs) = complete(&kernel, line, line.len());
        assert_eq!(start, 19);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].replacement, "rate=");
        assert_eq!(pairs[0].display, "rate=  (uint) Items per second; 0 pauses");
        assert_eq!(replacements(&kernel, "insmod --name p2 producer.so rate=5 ").1, ["item="]);
        assert_eq!(replacements(&kernel, "modprobe producer i").1, ["item="]);
        assert!(replacements(&kernel, "insmod producer.so rate=").1.is_empty(), "no completion of values");
        assert!(kernel.lsmod().is_empty(), "completion reads modinfo without loading");
    }

    #[test]
    fn modules_complete_by_file_name_or_module_name() {
        let kernel = kernel_with_modules();
        assert!(replacements(&kernel, "insmod fi").1.contains(&"fifo.so".to_string()));
        assert!(replacements(&kernel, "modinfo prod").1.contains(&"producer.so".to_string()));
        assert_eq!(replacements(&kernel, "modprobe fif").1, ["fifo"]);
        assert!(replacements(&kernel, "insmod clap").1.is_empty(), "no procedural macro libraries");
        kernel.insmod("fifo.so", "").unwrap();
        assert_eq!(replacements(&kernel, "rmmod ").1, ["fifo"]);
        assert_eq!(replacements(&kernel, "modprobe -r f").1, ["fifo"]);
        assert!(replacements(&kernel, "rmmod fifo ").1.is_empty(), "fifo is named already");
        kernel.rmmod("fifo").unwrap();
    }

    #[test]
    fn the_module_argument_is_found_past_options() {
        assert_eq!(module_arg(&["--name", "p2", "producer.so", "item=A"]), Some("producer.so"));
        assert_eq!(module_arg(&["--name", "p2"]), None);
        assert_eq!(module_arg(&["-r"]), None);
    }

    #[test]
    fn usage_hints_follow_a_command_name() {
        assert_eq!(usage_hint("rmmod ").as_deref(), Some("[OPTIONS] <NAMES>..."));
        assert_eq!(usage_hint("lsmod "), None);
        assert_eq!(usage_hint("rmmod fifo "), None);
        assert_eq!(usage_hint("rmmod"), None);
    }
}
