//! The command line of the `synchro` binary: a small hand-written parser.
//!
//! Options take their value either as the next argument (`--threads 1,2`) or after an equals
//! sign (`--threads=1,2`). Lists are comma-separated. See [`USAGE`]. The maps are the rows of
//! [`Sweep::standard`]: the registry's and `scc-treeindex`.

use crate::sweep::{Sweep, SynchroPlan};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The help text.
pub const USAGE: &str = "\
synchro — Synchrobench-style throughput of Ferrolite's concurrent maps

USAGE: synchro [OPTIONS]

OPTIONS:
  --maps LIST          maps to run, comma-separated (default: all:
                       mutex,epoch,hazard,noreclaim,seize,crossbeam,btree,scc-treeindex)
  --threads LIST       worker thread counts (default: 1,2)
  --updates LIST       update percentages, 0-100 (default: 10,50)
  --range N            key range; the map starts with N/2 keys (default: 131072)
  --duration-ms MS     duration of each run in milliseconds (default: 1000)
  --reps N             repetitions per cell; the median is reported (default: 3)
  --dist DIST          uniform | zipf (theta 0.99) | zipf:THETA (default: uniform)
  --seed N             base random seed (default: 24301)
  --json PATH          also write the raw results as JSON to PATH
  -h, --help           print this help
";

/// Parsed options of the `synchro` binary.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Maps to run (rows of [`Sweep::standard`], by their names), in the order given.
    pub maps: Vec<String>,
    /// Thread counts, update ratios, key range, run length, repetitions, distribution, seed.
    pub plan: SynchroPlan,
    /// Where to write raw JSON results, if anywhere.
    pub json: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            maps: Sweep::standard()
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            plan: SynchroPlan::default(),
            json: None,
        }
    }
}

impl Options {
    /// The rows the options name, from [`Sweep::standard`].
    pub fn sweep(&self) -> Sweep {
        Sweep::standard()
            .select(&self.maps)
            .expect("parse checked the map names")
    }
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Run the benchmark.
    Run(Options),
    /// Print [`USAGE`].
    Help,
}

/// Parse the arguments (without the program name).
pub fn parse<I, S>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut opts = Options::default();
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !name.starts_with("--") {
            return Err(format!("unexpected argument `{arg}` (see --help)"));
        }
        const KNOWN: [&str; 9] = [
            "--maps",
            "--threads",
            "--updates",
            "--range",
            "--duration-ms",
            "--reps",
            "--dist",
            "--seed",
            "--json",
        ];
        if !KNOWN.contains(&name.as_str()) {
            return Err(format!("unknown option `{name}` (see --help)"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("`{name}` needs a value"))?,
        };
        let ctx = |e: String| format!("{name}: {e}");
        let plan = &mut opts.plan;
        match name.as_str() {
            "--maps" => opts.maps = maps(&value).map_err(ctx)?,
            "--threads" => plan.threads = list(&value).map_err(ctx)?,
            "--updates" => plan.updates = list(&value).map_err(ctx)?,
            "--range" => plan.range = one(&value).map_err(ctx)?,
            "--duration-ms" => plan.duration = Duration::from_millis(one(&value).map_err(ctx)?),
            "--reps" => plan.reps = one(&value).map_err(ctx)?,
            "--dist" => plan.dist = one(&value).map_err(ctx)?,
            "--seed" => plan.seed = one(&value).map_err(ctx)?,
            "--json" => opts.json = Some(PathBuf::from(value)),
            _ => unreachable!("`{name}` is in KNOWN"),
        }
    }
    validate(&opts)?;
    Ok(Command::Run(opts))
}

/// A list of map names, each a row of [`Sweep::standard`] (case ignored), as the rows spell
/// them.
fn maps(s: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = list(s)?;
    let rows = Sweep::standard().select(&names)?;
    Ok(rows.names().into_iter().map(String::from).collect())
}

fn validate(o: &Options) -> Result<(), String> {
    let o = &o.plan;
    if o.threads.contains(&0) {
        return Err("--threads: thread counts must be at least 1".into());
    }
    if let Some(u) = o.updates.iter().find(|&&u| u > 100) {
        return Err(format!("--updates: {u} is not a percentage"));
    }
    if o.range < 2 {
        return Err("--range: must be at least 2".into());
    }
    if o.duration.is_zero() {
        return Err("--duration-ms: must be positive".into());
    }
    if o.reps == 0 {
        return Err("--reps: must be at least 1".into());
    }
    Ok(())
}

fn one<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim().parse::<T>().map_err(|e| format!("`{s}`: {e}"))
}

fn list<T: FromStr + PartialEq>(s: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    let mut out = Vec::new();
    for item in s.split(',').filter(|i| !i.trim().is_empty()) {
        let v = one(item)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err("empty list".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().copied())? {
            Command::Run(o) => Ok(o),
            Command::Help => Err("help".into()),
        }
    }

    use crate::workload::KeyDist;

    #[test]
    fn defaults() {
        assert_eq!(run(&[]).unwrap(), Options::default());
        assert_eq!(parse(["--help"]), Ok(Command::Help));
    }

    #[test]
    fn all_options() {
        let o = run(&[
            "--maps",
            "epoch,Crossbeam",
            "--threads=1,2,4",
            "--updates",
            "0,100",
            "--range",
            "1024",
            "--duration-ms",
            "50",
            "--reps",
            "5",
            "--dist",
            "zipf",
            "--seed=9",
            "--json",
            "out.json",
        ])
        .unwrap();
        assert_eq!(o.maps, ["epoch", "crossbeam"]);
        assert_eq!(o.sweep().names(), ["epoch", "crossbeam"]);
        let p = &o.plan;
        assert_eq!(p.threads, vec![1, 2, 4]);
        assert_eq!(p.updates, vec![0, 100]);
        assert_eq!(p.range, 1024);
        assert_eq!(p.duration, Duration::from_millis(50));
        assert_eq!(p.reps, 5);
        assert_eq!(p.dist, KeyDist::Zipf { theta: 0.99 });
        assert_eq!(p.seed, 9);
        assert_eq!(o.json, Some(PathBuf::from("out.json")));
        // The outside reference is a row like the others; a name given twice runs once.
        let o = run(&["--maps", "Scc-TreeIndex,btree,scc-treeindex"]).unwrap();
        assert_eq!(o.maps, ["scc-treeindex", "btree"]);
    }

    #[test]
    fn usage_names_every_map() {
        // The default list in the help text is written out: it must keep up with the rows.
        let listed = USAGE
            .split("(default: all:")
            .nth(1)
            .expect("the --maps line");
        let listed: String = listed
            .split(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(listed, Sweep::standard().names().join(","));
    }

    #[test]
    fn errors() {
        assert!(run(&["--maps", "skiplist"]).is_err());
        assert!(run(&["--threads", "0"]).is_err());
        assert!(run(&["--updates", "101"]).is_err());
        assert!(run(&["--range"]).is_err());
        assert!(run(&["--reps", "x"]).is_err());
        let unknown = run(&["--frobnicate"]).unwrap_err();
        assert!(unknown.contains("unknown option"), "{unknown}");
        assert!(run(&["stray"]).is_err());
        assert!(run(&["--threads", ","]).is_err());
    }
}
