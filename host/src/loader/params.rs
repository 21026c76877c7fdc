//! Module parameters: insmod's `name=value` arguments and `/sys` access.
//!
//! Arguments are split by the kernel's `next_arg` (whitespace outside
//! double quotes; the value starts after the first `=`; quotes around the
//! value or the whole token are dropped) and set by `parse_args`: `-` and `_`
//! are the same in names, an unknown name is a warning and is ignored, a bad
//! value is reported and parsing goes on, and the load fails with the last
//! error. A bare `--` ends the arguments.
//!
//! At runtime a parameter with permission bits is a file,
//! `/sys/module/NAME/parameters/PARAM`: reading shows it by its type's
//! format, writing parses it the same way as insmod does and then tells the
//! module, which may refuse the new value.
//!
//! Kernel counterpart: `kernel/params.c`, `lib/cmdline.c` (`next_arg`).

use modhost_abi::{
    errno::Errno,
    param::{ParamScalar, ParamValue},
};

use super::modinfo::ParamInfo;
use crate::services::printk::Level;

/// One argument: a name and, unless it was bare, a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg<'a> {
    /// The parameter name as written.
    pub name: &'a str,
    /// The value, or `None` for a bare `name`.
    pub value: Option<&'a str>,
}

/// `next_arg`: the next argument of `args` and the rest after it.
///
/// `args` must not start with whitespace.
pub fn next_arg(args: &str) -> (Arg<'_>, &str) {
    let bytes = args.as_bytes();
    let (start, mut in_quote) = if bytes.first() == Some(&b'"') { (1, true) } else { (0, false) };
    let quoted = in_quote;
    let mut equals = None;
    let mut end = start;
    while end < bytes.len() {
        let c = bytes[end];
        if c.is_ascii_whitespace() && !in_quote {
            break;
        }
        if equals.is_none() && c == b'=' && end > start {
            equals = Some(end);
        }
        if c == b'"' {
            in_quote = !in_quote;
        }
        end += 1;
    }
    let token = &args[start..end];
    let token_end = if quoted { token.strip_suffix('"').unwrap_or(token) } else { token };
    let arg = match equals {
        None => Arg { name: token_end, value: None },
        Some(eq) => {
            let name = &args[start..eq];
            let mut value = &args[eq + 1..end];
            if let Some(unquoted) = value.strip_prefix('"') {
                value = unquoted.strip_suffix('"').unwrap_or(unquoted);
            } else if quoted {
                value = value.strip_suffix('"').unwrap_or(value);
            }
            Arg { name, value: Some(value) }
        }
    };
    let rest = args.get(end + 1..).unwrap_or("").trim_start_matches(|c: char| c.is_ascii_whitespace());
    (arg, rest)
}

/// `parameq`: names are equal with `-` and `_` the same.
pub fn parameq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| dash2underscore(x) == dash2underscore(y))
}

fn dash2underscore(c: u8) -> u8 {
    if c == b'-' { b'_' } else { c }
}

/// Parses one parameter's value by its declaration: a scalar, or a
/// comma-separated array of at most its capacity (`param_array`).
///
/// # Errors
///
/// The type's errno; `EINVAL` for too many array elements. Messages the
/// kernel prints from inside the set op go to `log`.
pub(crate) fn parse_value(
    param: &ParamInfo,
    value: Option<&str>,
    log: &mut Vec<(Level, String)>,
) -> Result<ParamValue, Errno> {
    if param.max_len == 0 {
        return param.ty.parse(value).map(ParamValue::Scalar).inspect_err(|e| {
            if *e == Errno::ENOSPC {
                log.push((Level::Err, format!("{}: string parameter too long", param.name)));
            }
        });
    }
    let value = value.ok_or(Errno::EINVAL)?;
    let mut elements = Vec::new();
    for element in value.split(',') {
        if elements.len() == param.max_len as usize {
            log.push((Level::Err, format!("{}: can only take {} arguments", param.name, param.max_len)));
            return Err(Errno::EINVAL);
        }
        elements.push(param.ty.parse(Some(element))?);
    }
    Ok(ParamValue::Array(elements.into()))
}

/// Shows a value as its `/sys` file does, with the trailing newline.
pub fn format_value(param: &ParamInfo, value: &ParamValue) -> String {
    match value {
        ParamValue::Scalar(s) => format!("{}\n", param.ty.format(s)),
        ParamValue::Array(a) if a.is_empty() => String::new(),
        ParamValue::Array(a) => {
            let shown: Vec<String> = a.iter().map(|s: &ParamScalar| param.ty.format(s)).collect();
            format!("{}\n", shown.join(","))
        }
    }
}

/// `parse_args` for module `name`: sets `values` from `args`.
///
/// Every problem is logged the kernel's way; the result is the errno of the
/// last failed parameter. Values of parameters that parsed are set even if
/// another failed (the load fails anyway).
pub(crate) fn parse_args(
    name: &str,
    args: &str,
    params: &[ParamInfo],
    values: &mut [ParamValue],
    log: &mut Vec<(Level, String)>,
) -> Result<(), Errno> {
    let mut result = Ok(());
    let mut rest = args.trim_start_matches(|c: char| c.is_ascii_whitespace());
    while !rest.is_empty() {
        let (arg, after) = next_arg(rest);
        rest = after;
        if arg.value.is_none() && arg.name == "--" {
            if !rest.is_empty() {
                log.push((Level::Warning, format!("{name}: parameters '{rest}' after `--' ignored")));
            }
            break;
        }
        let Some(index) = params.iter().position(|p| parameq(arg.name, &p.name)) else {
            log.push((Level::Warning, format!("{name}: unknown parameter '{}' ignored", arg.name)));
            continue;
        };
        match parse_value(&params[index], arg.value, log) {
            Ok(value) => values[index] = value,
            Err(errno) => {
                let shown = arg.value.unwrap_or("");
                let param = &params[index].name;
                let line = if errno == Errno::ENOSPC {
                    format!("{name}: `{shown}' too large for parameter `{param}'")
                } else {
                    format!("{name}: `{shown}' invalid for parameter `{param}'")
                };
                log.push((Level::Err, line));
                result = Err(errno);
            }
        }
    }
    result
}

/// Joins command-line words into one argument string as kmod's insmod does:
/// a value with a space that is not already quoted gets double quotes.
pub fn join_args<S: AsRef<str>>(words: &[S]) -> String {
    let quote = |word: &str| -> String {
        match word.split_once('=') {
            Some((name, value)) if value.contains(' ') && !value.starts_with('"') => format!("{name}=\"{value}\""),
            _ => word.to_string(),
        }
    };
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use modhost_abi::param::ParamType;

    fn split(args: &str) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        let mut rest = args;
        while !rest.is_empty() {
            let (arg, after) = next_arg(rest);
            out.push((arg.name.to_string(), arg.value.map(str::to_string)));
            rest = after;
        }
        out
    }

    fn pair(name: &str, value: Option<&str>) -> (String, Option<String>) {
        (name.to_string(), value.map(str::to_string))
    }

    #[test]
    fn next_arg_splits_like_the_kernel() {
        assert_eq!(split("a=1 b"), [pair("a", Some("1")), pair("b", None)]);
        assert_eq!(split("item=\"a b\" rate=5"), [pair("item", Some("a b")), pair("rate", Some("5"))]);
        assert_eq!(split("\"item=a b\""), [pair("item", Some("a b"))]);
        assert_eq!(split("x=a=b"), [pair("x", Some("a=b"))]);
        assert_eq!(split("x=  y"), [pair("x", Some("")), pair("y", None)]);
        assert_eq!(split("x=\"\""), [pair("x", Some(""))]);
    }

    #[test]
    fn dashes_and_underscores_are_the_same_in_names() {
        assert!(parameq("my-rate", "my_rate"));
        assert!(parameq("my_rate", "my-rate"));
        assert!(!parameq("rate", "rates"));
    }

    fn param(name: &str, ty: ParamType, max_len: u32) -> ParamInfo {
        ParamInfo { name: name.to_string(), ty, max_len, string_len: 0, perm: 0o444, description: String::new() }
    }

    #[test]
    fn parse_args_warns_on_unknown_and_reports_the_last_error() {
        let params = [param("rate", ParamType::UInt, 0), param("ids", ParamType::Int, 2)];
        let mut values = vec![ParamValue::Scalar(ParamScalar::Unsigned(1)), ParamValue::Array(Default::default())];
        let mut log = Vec::new();
        let result = parse_args("producer", "bogus=1 rate=abc ids=1,2,3", &params, &mut values, &mut log);
        assert_eq!(result, Err(Errno::EINVAL));
        let lines: Vec<_> = log.into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            lines,
            [
                "producer: unknown parameter 'bogus' ignored",
                "producer: `abc' invalid for parameter `rate'",
                "ids: can only take 2 arguments",
                "producer: `1,2,3' invalid for parameter `ids'",
            ]
        );
    }

    #[test]
    fn arrays_and_the_end_of_arguments() {
        let params = [param("ids", ParamType::Int, 3)];
        let mut values = vec![ParamValue::Array(Default::default())];
        let mut log = Vec::new();
        assert_eq!(parse_args("m", "ids=1,-2 -- junk", &params, &mut values, &mut log), Ok(()));
        assert_eq!(values[0], ParamValue::Array(vec![ParamScalar::Signed(1), ParamScalar::Signed(-2)].into()));
        assert_eq!(log[0].1, "m: parameters 'junk' after `--' ignored");
        assert_eq!(format_value(&params[0], &values[0]), "1,-2\n");
    }

    #[test]
    fn insmod_quotes_values_with_spaces() {
        assert_eq!(join_args(&["item=a b", "rate=5"]), "item=\"a b\" rate=5");
        assert_eq!(join_args(&["item=\"a b\""]), "item=\"a b\"");
    }
}
