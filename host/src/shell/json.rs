//! `--json`: lsmod, modinfo and the modules' statistics as JSON, for programs.
//!
//! Each command prints one JSON value per line (JSON Lines), with keys that
//! do not change between releases; a key with nothing to say is still there
//! (an empty string or array), so readers need no special cases.
//!
//! - `lsmod`: one array, newest module first, of
//!   `{"name", "size", "refcnt", "used_by": [..], "state", "flags"}`;
//!   `state` is `/proc/modules`' column (`Live`, `Loading`, `Unloading`) and
//!   `flags` its taint letters.
//! - `modinfo MODULE`: one object per module, `{"filename", "name",
//!   "license", "author", "description", "version", "vermagic",
//!   "import_ns": [..], "depends": [..], "parm": [{"name", "type",
//!   "description", "perm"}]}` (`perm` is the octal mode, a string like
//!   `"0644"`); with `-F FIELD`, an array of that field's values.
//! - `cat` of a statistics file (every line `key: value`, as `/proc/fifo`,
//!   `/proc/producer` and `/proc/consumer` are): one object of those keys,
//!   numbers as numbers. Other files print as they are.
//!
//! No JSON library: the output is a handful of flat shapes, and [`Value`]
//! writes them.

use std::fmt::{self, Write as _};

use crate::views::{lsmod::LsmodEntry, modinfo::ModInfoReport};

/// A JSON value, written compactly by its `Display`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// A whole number.
    Int(i128),
    /// An array.
    Array(Vec<Value>),
    /// An object, its keys in this order.
    Object(Vec<(&'static str, Value)>),
    /// An object whose keys come from data (a statistics file).
    Map(Vec<(String, Value)>),
}

impl Value {
    fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    fn strings<S: AsRef<str>>(items: &[S]) -> Value {
        Value::Array(items.iter().map(|s| Value::str(s.as_ref())).collect())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write_str(f, s),
            Value::Int(n) => write!(f, "{n}"),
            Value::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Object(fields) => write_object(f, fields.iter().map(|(k, v)| (*k, v))),
            Value::Map(fields) => write_object(f, fields.iter().map(|(k, v)| (k.as_str(), v))),
        }
    }
}

fn write_object<'a>(f: &mut fmt::Formatter<'_>, fields: impl Iterator<Item = (&'a str, &'a Value)>) -> fmt::Result {
    f.write_char('{')?;
    for (i, (key, value)) in fields.enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write_str(f, key)?;
        write!(f, ":{value}")?;
    }
    f.write_char('}')
}

/// A JSON string: quotes, backslashes and control characters escaped.
fn write_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// lsmod as one array.
pub fn lsmod(entries: &[LsmodEntry]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|e| {
                Value::Object(vec![
                    ("name", Value::str(&e.name)),
                    ("size", Value::Int(e.size.into())),
                    ("refcnt", Value::Int(e.refcnt.into())),
                    ("used_by", Value::strings(&e.holders)),
                    ("state", Value::str(e.state.proc_name())),
                    ("flags", Value::str(&e.flags)),
                ])
            })
            .collect(),
    )
}

/// One module's modinfo as an object.
pub fn modinfo(report: &ModInfoReport) -> Value {
    let info = &report.info;
    let params = info
        .params
        .iter()
        .map(|p| {
            Value::Object(vec![
                ("name", Value::str(&p.name)),
                ("type", Value::str(p.type_name())),
                ("description", Value::str(&p.description)),
                ("perm", Value::str(format!("{:04o}", p.perm))),
            ])
        })
        .collect();
    Value::Object(vec![
        ("filename", Value::str(report.filename.display().to_string())),
        ("name", Value::str(&info.name)),
        ("license", Value::str(&info.license)),
        ("author", Value::str(&info.author)),
        ("description", Value::str(&info.description)),
        ("version", Value::str(&info.version)),
        ("vermagic", Value::str(&info.vermagic)),
        ("import_ns", Value::strings(&info.import_ns)),
        ("depends", Value::strings(&report.depends)),
        ("parm", Value::Array(params)),
    ])
}

/// `modinfo -F FIELD` as an array of the values.
pub fn modinfo_field(report: &ModInfoReport, field: &str) -> Value {
    Value::Array(report.fields().into_iter().filter(|(key, _)| *key == field).map(|(_, v)| Value::Str(v)).collect())
}

/// A statistics file (`key: value` lines) as an object; `None` for any
/// other file.
pub fn stats(contents: &str) -> Option<Value> {
    let mut fields = Vec::new();
    for line in contents.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.split_once(':')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        let value = value.trim();
        let value = value.parse::<i128>().map(Value::Int).unwrap_or_else(|_| Value::str(value));
        fields.push((key.to_string(), value));
    }
    (!fields.is_empty()).then_some(Value::Map(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::ModuleState;

    #[test]
    fn strings_are_escaped() {
        let v = Value::Array(vec![Value::str("a\"b\\c\nd\u{1}"), Value::Int(-3)]);
        assert_eq!(v.to_string(), r#"["a\"b\\c\nd\u0001",-3]"#);
    }

    #[test]
    fn lsmod_has_stable_keys() {
        let entry = LsmodEntry {
            name: "fifo".into(),
            size: 16384,
            refcnt: 1,
            holders: vec!["producer".into()],
            state: ModuleState::Live,
            flags: String::new(),
            base: 0,
        };
        assert_eq!(
            lsmod(&[entry]).to_string(),
            r#"[{"name":"fifo","size":16384,"refcnt":1,"used_by":["producer"],"state":"Live","flags":""}]"#
        );
    }

    #[test]
    fn statistics_files_become_objects_and_others_do_not() {
        let v = stats("item:     A\nrate:     5\nproduced: 12\n").unwrap();
        assert_eq!(v.to_string(), r#"{"item":"A","rate":5,"produced":12}"#);
        assert_eq!(stats("fifo 16384 0 - Live 0x0\n"), None);
        assert_eq!(stats("5\n"), None);
        assert_eq!(stats(""), None);
    }
}
