//! depmod and modprobe: loading a module together with what it depends on.
//!
//! depmod reads every module file in the search path (without running it)
//! and works out, from what each imports and what each exports, which
//! modules each one needs. modprobe then loads the needed modules first,
//! skipping those already loaded, and `modprobe -r` removes a module and then
//! every module it needed that nobody uses any more.
//!
//! Kernel counterpart: kmod's `tools/depmod.c` (`modules.dep`),
//! `tools/modprobe.c` and `libkmod-module.c`.

use modhost_abi::errno::Errno;
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use super::{
    modinfo::{self, ModInfo},
    normalize_name,
};
use crate::{
    error::{Error, ErrorKind, Result},
    kernel::Kernel,
};

/// What depmod found: every module in the search path and its dependencies.
#[derive(Debug, Clone, Default)]
pub struct DepMap {
    modules: BTreeMap<String, DepEntry>,
}

/// One module file and what it needs.
#[derive(Debug, Clone)]
pub struct DepEntry {
    /// The module's file.
    pub path: PathBuf,
    /// Its modinfo.
    pub info: ModInfo,
    /// The modules it imports symbols from, directly.
    pub depends: Vec<String>,
}

impl DepMap {
    /// The module of this name.
    pub fn get(&self, name: &str) -> Option<&DepEntry> {
        self.modules.get(name)
    }

    /// Every module, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &DepEntry)> {
        self.modules.iter()
    }

    /// `name` and everything it needs, in load order (dependencies first).
    pub fn load_order(&self, name: &str) -> Vec<String> {
        let mut order = Vec::new();
        self.visit(name, &mut BTreeSet::new(), &mut order);
        order
    }

    fn visit(&self, name: &str, seen: &mut BTreeSet<String>, order: &mut Vec<String>) {
        if !seen.insert(name.to_string()) {
            return;
        }
        if let Some(entry) = self.modules.get(name) {
            for dep in &entry.depends {
                self.visit(dep, seen, order);
            }
        }
        order.push(name.to_string());
    }

    /// The dependency cycles, as kmod's depmod reports them: each a path
    /// from a module back to itself (`a -> b -> a` is `[a, b, a]`), every
    /// module in a cycle on at least one path. Modules in a cycle can never
    /// load (each waits for the other's symbols).
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let mut cycles = Vec::new();
        let mut reported = BTreeSet::new();
        for name in self.modules.keys() {
            if reported.contains(name) {
                continue;
            }
            if let Some(path) = self.path_back_to(name) {
                reported.extend(path.iter().cloned());
                cycles.push(path);
            }
        }
        cycles
    }

    /// A path of dependencies from `start` back to itself, if there is one
    /// (a depth-first search, each module visited once).
    fn path_back_to(&self, start: &str) -> Option<Vec<String>> {
        let mut path = vec![start.to_string()];
        let mut next = vec![0usize];
        let mut seen = BTreeSet::from([start.to_string()]);
        while let Some(at) = next.last_mut() {
            let current = path.last()?;
            let depends = self.modules.get(current).map_or(&[][..], |e| e.depends.as_slice());
            let Some(dep) = depends.get(*at) else {
                path.pop();
                next.pop();
                continue;
            };
            *at += 1;
            if dep == start {
                path.push(start.to_string());
                return Some(path);
            }
            if seen.insert(dep.clone()) {
                path.push(dep.clone());
                next.push(0);
            }
        }
        None
    }

    /// The text of `modules.dep`: `path: dep-path ...`, all dependencies
    /// transitively, one line per module.
    pub fn to_modules_dep(&self) -> String {
        let mut out = String::new();
        for (name, entry) in &self.modules {
            let mut deps = self.load_order(name);
            deps.pop();
            deps.reverse();
            let paths: Vec<String> =
                deps.iter().filter_map(|d| self.modules.get(d)).map(|e| e.path.display().to_string()).collect();
            out.push_str(&format!(
                "{}:{}{}\n",
                entry.path.display(),
                if paths.is_empty() { "" } else { " " },
                paths.join(" ")
            ));
        }
        out
    }
}

impl Kernel {
    /// Reads every module file in the search path (depmod).
    ///
    /// Files that are not modhost modules are skipped; the first module of a
    /// name in search-path order wins.
    pub fn depmod(&self) -> DepMap {
        let mut modules = BTreeMap::new();
        for dir in &self.inner.module_path {
            for path in so_files(dir) {
                if let Ok(info) = modinfo::inspect(&path) {
                    let name = normalize_name(&info.name);
                    modules.entry(name).or_insert(DepEntry { path, info, depends: Vec::new() });
                }
            }
        }
        let mut exporters: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, entry) in &modules {
            for export in &entry.info.exports {
                exporters.entry(export.name.as_str()).or_insert(name.as_str());
            }
        }
        let depends: BTreeMap<String, Vec<String>> = modules
            .iter()
            .map(|(name, entry)| {
                let deps: BTreeSet<String> = entry
                    .info
                    .imports
                    .iter()
                    .filter_map(|symbol| exporters.get(symbol.as_str()))
                    .filter(|owner| **owner != name)
                    .map(|owner| owner.to_string())
                    .collect();
                (name.clone(), deps.into_iter().collect())
            })
            .collect();
        for (name, deps) in depends {
            if let Some(entry) = modules.get_mut(&name) {
                entry.depends = deps;
            }
        }
        DepMap { modules }
    }

    /// Loads `name` and, first, every module it needs that is not loaded;
    /// returns the modules it loaded. A module already loaded is a success.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] if no module of that name is in the search
    /// path; otherwise the failed insmod's error (the modules loaded before it
    /// stay loaded, as with kmod).
    pub fn modprobe(&self, name: &str, args: &str) -> Result<Vec<String>> {
        let map = self.depmod();
        let name = self.dep_name(&map, name)?;
        let mut loaded = Vec::new();
        for module in map.load_order(&name) {
            if self.is_loaded(&module) {
                continue;
            }
            let Some(entry) = map.get(&module) else { continue };
            let module_args = if module == name { args } else { "" };
            loaded.push(self.insmod(&entry.path, module_args)?);
        }
        Ok(loaded)
    }

    /// What `modprobe --show-depends` prints: one `(path, args)` per module
    /// to load, dependencies first, loaded or not.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] if no module of that name is in the search path.
    pub fn show_depends(&self, name: &str, args: &str) -> Result<Vec<(PathBuf, String)>> {
        let map = self.depmod();
        let name = self.dep_name(&map, name)?;
        Ok(map
            .load_order(&name)
            .into_iter()
            .filter_map(|m| {
                let entry = map.get(&m)?;
                Some((entry.path.clone(), if m == name { args.to_string() } else { String::new() }))
            })
            .collect())
    }

    /// Removes `name`, then every module it needed that is now unused
    /// (`modprobe -r`); returns the modules it removed. A module in the
    /// search path that is not loaded is a success with nothing removed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] (`not found.`) for a module neither loaded
    /// nor in the search path, [`ErrorKind::InUse`] if `name` is in use; the
    /// dependencies' own failures are not errors.
    pub fn modprobe_remove(&self, name: &str) -> Result<Vec<String>> {
        let map = self.depmod();
        let name = normalize_name(name);
        if !self.is_loaded(&name) {
            if map.get(&name).is_none() {
                return Err(Error::new(ErrorKind::NotFound, Errno::ENOENT, name, "not found."));
            }
            return Ok(Vec::new());
        }
        if self.refcount(&name) > 0 {
            return Err(Error::new(ErrorKind::InUse, Errno::EWOULDBLOCK, &name, "in use"));
        }
        self.rmmod(&name)?;
        let mut removed = vec![name.clone()];
        let mut deps = map.load_order(&name);
        deps.pop();
        for dep in deps.into_iter().rev() {
            if self.is_loaded(&dep) && self.refcount(&dep) == 0 && self.rmmod(&dep).is_ok() {
                removed.push(dep);
            }
        }
        Ok(removed)
    }

    /// The depmod name of `name`, or the error modprobe reports.
    fn dep_name(&self, map: &DepMap, name: &str) -> Result<String> {
        let name = normalize_name(name);
        if map.get(&name).is_some() {
            return Ok(name);
        }
        let dirs: Vec<String> = self.inner.module_path.iter().map(|d| d.display().to_string()).collect();
        let dirs = if dirs.is_empty() { "(no module path)".to_string() } else { dirs.join(":") };
        Err(Error::new(ErrorKind::NotFound, Errno::ENOENT, name, format!("not found in directory {dirs}")))
    }

    fn is_loaded(&self, name: &str) -> bool {
        self.inner.modules.lock().find(name).is_some()
    }

    fn refcount(&self, name: &str) -> u32 {
        let modules = self.inner.modules.lock();
        modules.find(name).map_or(0, |m| modules.refcount(m))
    }
}

/// The module files (`.so` and `.ko`) directly in `dir`, sorted by name.
fn so_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "so" || e == "ko") && p.is_file())
        .collect();
    files.sort();
    files
}
