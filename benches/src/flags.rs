//! The command-line loop the `dbbench`, `scaling` and `sqlbench` binaries share: options one at a time,
//! each `--name value` or `--name=value` ([`Flags`]), and comma-separated lists ([`list`]).

use anyhow::{Context, Result};

/// One option as given: its name and the value written after `=`, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// `--num`, `-h`, …
    pub name: String,
    inline: Option<String>,
}

/// The options of a command line, in order.
pub struct Flags<I> {
    args: I,
}

impl<I: Iterator<Item = String>> Flags<I> {
    /// Over `args` (without the program name).
    pub fn new(args: I) -> Self {
        Flags { args }
    }

    /// The next option, if any.
    pub fn next_flag(&mut self) -> Option<Flag> {
        let arg = self.args.next()?;
        Some(match arg.split_once('=') {
            Some((n, v)) => Flag {
                name: n.to_string(),
                inline: Some(v.to_string()),
            },
            None => Flag {
                name: arg,
                inline: None,
            },
        })
    }

    /// `flag`'s value: after its `=`, else the next argument.
    pub fn value(&mut self, flag: &Flag) -> Result<String> {
        flag.inline
            .clone()
            .or_else(|| self.args.next())
            .with_context(|| format!("{} needs a value", flag.name))
    }
}

/// A comma-separated list, each item parsed by `f` (empty items skipped).
pub fn list<T>(s: &str, f: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    s.split(',').filter(|x| !x.is_empty()).map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_inline_or_next_and_lists() {
        let args = ["--num=5", "--threads", "1,2", "--flag", "--out"].map(String::from);
        let mut f = Flags::new(args.into_iter());
        let a = f.next_flag().unwrap();
        assert_eq!(
            (a.name.as_str(), f.value(&a).unwrap().as_str()),
            ("--num", "5")
        );
        let b = f.next_flag().unwrap();
        let v = f.value(&b).unwrap();
        assert_eq!(list(&v, |s| Ok(s.parse::<u32>()?)).unwrap(), [1, 2]);
        assert_eq!(f.next_flag().unwrap().name, "--flag");
        let out = f.next_flag().unwrap();
        assert!(f
            .value(&out)
            .unwrap_err()
            .to_string()
            .contains("--out needs a value"));
        assert!(f.next_flag().is_none());
    }
}
