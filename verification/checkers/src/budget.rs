//! What every checker shares with the verifier: how hard to work ([`Mode`], from
//! `FERROLITE_VERIFY_MODE`), the figures it hands back (`VERIFY-STAT` lines, [`report`]), and
//! the seeded bug it runs, if any ([`active_mutant`]).

use std::fmt;
use std::time::Duration;

/// How hard each checker works: `quick` (CI), `default` (a user's run), `full` (long).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// CI bounds: the whole verify run within minutes on 2 cores.
    Quick,
    /// A user's run: tens of minutes for everything.
    Default,
    /// Long runs.
    Full,
}

impl Mode {
    /// The mode named by `FERROLITE_VERIFY_MODE` (`quick`, `default`, `full`); `default` when
    /// unset. Panics on an unknown name, naming the accepted ones.
    pub fn from_env() -> Mode {
        match std::env::var("FERROLITE_VERIFY_MODE").as_deref() {
            Err(_) | Ok("") | Ok("default") => Mode::Default,
            Ok("quick") => Mode::Quick,
            Ok("full") => Mode::Full,
            Ok(other) => panic!("FERROLITE_VERIFY_MODE={other}: expected quick, default or full"),
        }
    }

    /// The mode named by `FERROLITE_VERIFY_MODE`, but [`Mode::Quick`] when it is unset: a
    /// plain `cargo test` (a debug build, most likely) stays short; the verifier always names
    /// its mode.
    pub fn from_env_or_quick() -> Mode {
        let named = std::env::var_os("FERROLITE_VERIFY_MODE").is_some_and(|v| !v.is_empty());
        if named {
            Mode::from_env()
        } else {
            Mode::Quick
        }
    }

    /// Pick the budget for this mode.
    pub fn pick<T>(self, quick: T, default: T, full: T) -> T {
        match self {
            Mode::Quick => quick,
            Mode::Default => default,
            Mode::Full => full,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Quick => "quick",
            Mode::Default => "default",
            Mode::Full => "full",
        })
    }
}

/// Print a line the verifier collects: `VERIFY-STAT <key> <value>`. Values of one key are
/// summed over a cell (for example `iterations` or `histories`). Printed to stdout; run the
/// tests with `--nocapture` to see them.
pub fn report(key: &str, value: u64) {
    println!("VERIFY-STAT {key} {value}");
}

/// The mutant this process runs (`FERROLITE_MUTANT`), if any, for messages and budgets.
///
/// # Panics
///
/// If the variable names no known mutant (see `ferrolite_structures::testing::active_mutant`).
pub fn active_mutant() -> Option<String> {
    ferrolite_structures::testing::active_mutant().map(|m| m.name.to_string())
}

/// The duration the environment variable `var` sets, in seconds (fractions allowed); `None`
/// when it is unset or empty. Panics on a value that is not a positive number of seconds: a
/// misspelt budget would otherwise run the default one silently.
pub fn secs_from_env(var: &str) -> Option<Duration> {
    let s = std::env::var(var).ok().filter(|s| !s.trim().is_empty())?;
    let secs: f64 = s
        .trim()
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x > 0.0)
        .unwrap_or_else(|| panic!("{var}={s}: expected a positive number of seconds"));
    Some(Duration::from_secs_f64(secs))
}
