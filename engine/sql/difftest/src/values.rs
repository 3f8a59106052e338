//! Value domains and SQL literals: small sets of values, so that equal values, duplicates,
//! NULLs and UNIQUE violations happen often, plus a few extremes.
//!
//! Integers are mostly −5..=20, sometimes an extreme (the i64 limits, ±2^53 and 2^53 + 1);
//! reals are a handful of short decimals that every parser reads to the same double (0.5,
//! 2.5, −1.25, −0.0, ±1e300 …) and integral ones; texts are short, with LIKE wildcards
//! inside and numeric-looking ones ('10', '2'); blobs are a few bytes. Literals are printed
//! so that SQLite and Ferrolite read the same value: reals always carry a `.` or an
//! exponent (Rust's shortest round-trip form), texts are quoted with `''`.
//!
//! Some values stay out of some places, because with them the answer depends on an order
//! or a plan that SQL leaves unspecified (and the two engines choose differently):
//!
//! - The i64 limits are never *stored*: whether SUM overflows ("integer overflow") depends
//!   on the order it adds the rows, and whether `abs()` fails on a row on whether the row
//!   is evaluated at all (SQLite moves WHERE and HAVING terms around).
//! - i64::MIN is no comparison literal: SQLite propagates `c = -9223372036854775808` into
//!   the other terms, so `abs(c)` fails even on an empty table.
//! - Stored reals never cancel each other: with 1e300 and −1e300 (or 2^53 and −2^53) in a
//!   column, SUM and AVG depend on the order of the rows in their last bits, or more. The
//!   stored negative giant is −1e200 instead.
//! - −0.0 is stored (it reads back as 0.0) and compared, but no expression makes it: where
//!   equal values merge (GROUP BY, DISTINCT, min/max), which of 0.0 and −0.0 shows is
//!   unspecified.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// A column type of the generated schemas (the STRICT types both sides implement).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `INTEGER`.
    Integer,
    /// `REAL`.
    Real,
    /// `TEXT`.
    Text,
    /// `BLOB`.
    Blob,
}

impl Ty {
    /// The SQL type name.
    pub fn sql(self) -> &'static str {
        match self {
            Ty::Integer => "INTEGER",
            Ty::Real => "REAL",
            Ty::Text => "TEXT",
            Ty::Blob => "BLOB",
        }
    }

    /// Whether values of this type are numbers.
    pub fn numeric(self) -> bool {
        matches!(self, Ty::Integer | Ty::Real)
    }
}

/// The extremes mixed into the integer domain.
const EXTREME_INTS: &[i64] = &[
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    1 << 53,
    (1 << 53) + 1,
    -(1 << 31),
    1_000_000,
];

/// The real domain of comparisons: short decimals every parser reads alike.
const REALS: &[f64] = &[
    0.5, 1.0, 2.5, -1.25, 3.0, 0.0, -0.0, 2.0, 0.1, 7.75, 1.5, 10.0, 9.5, 0.001, -3.0, 4.0, 1e300,
    -1e300, 1e-300, 123.456,
];

/// The text domain: short, case variants, LIKE wildcards, numeric-looking text.
pub const TEXTS: &[&str] = &[
    "", "a", "A", "ab", "b%", "_x", "abc", "b", "B", "ba", "a_c", "10", "2", " a", "zz", "aB", "é",
];

/// The blob domain.
const BLOBS: &[&[u8]] = &[b"", b"\x00", b"a", b"ab", b"\xff", b"\x01\x02"];

/// The extremes that may be stored (sums of a few hundred of them cannot overflow).
const EXTREME_STORED: &[i64] = &[1 << 53, (1 << 53) + 1, -(1 << 53), -(1 << 31), 1_000_000];

/// The reals that may be stored: no two giants that cancel.
const REALS_STORED: &[f64] = &[
    0.5,
    1.0,
    2.5,
    -1.25,
    3.0,
    0.0,
    -0.0,
    2.0,
    0.1,
    7.75,
    1.5,
    10.0,
    9.5,
    0.001,
    -3.0,
    4.0,
    1e300,
    -1e200,
    1e-300,
    123.456,
    1e6,
    -2147483648.0,
    9007199254740992.0,
];

/// A real to store.
pub fn stored_real(rng: &mut StdRng) -> f64 {
    if rng.random_bool(0.3) {
        rng.random_range(-5..=20) as f64
    } else {
        *REALS_STORED.choose(rng).unwrap_or(&0.5)
    }
}

/// An integer to store in a REAL column (no −2^53 to cancel 2^53).
fn stored_int_for_real(rng: &mut StdRng) -> i64 {
    match stored_int(rng) {
        i if i == -(1 << 53) => 1 << 53,
        i => i,
    }
}

/// A small real operand (no giants) for UPDATE arithmetic; positive if `positive`.
pub fn small_real(rng: &mut StdRng, positive: bool) -> f64 {
    const SMALL: &[f64] = &[0.5, 1.0, 2.5, 1.25, 3.0, 2.0, 0.1, 7.75, 1.5, 0.001];
    let r = *SMALL.choose(rng).unwrap_or(&0.5);
    if positive || rng.random_bool(0.5) {
        r
    } else {
        -r
    }
}

/// A random integer to store: the domain without the i64 limits.
pub fn stored_int(rng: &mut StdRng) -> i64 {
    if rng.random_bool(0.08) {
        *EXTREME_STORED.choose(rng).unwrap_or(&0)
    } else {
        rng.random_range(-5..=20)
    }
}

/// An integer for a comparison: the domain without i64::MIN.
pub fn comparison_int(rng: &mut StdRng) -> i64 {
    match int(rng) {
        i64::MIN => i64::MAX,
        i => i,
    }
}

/// A random integer of the domain (arithmetic operands).
pub fn int(rng: &mut StdRng) -> i64 {
    if rng.random_bool(0.08) {
        *EXTREME_INTS.choose(rng).unwrap_or(&0)
    } else {
        rng.random_range(-5..=20)
    }
}

/// A value for an `INTEGER PRIMARY KEY`: a stored integer, so never near `i64::MAX`. Past
/// a rowid of `i64::MAX` SQLite picks a random free rowid for the next NULL, where Ferrolite
/// refuses ("no rowid left"): a deliberate difference, kept away.
pub fn rowid(rng: &mut StdRng) -> i64 {
    stored_int(rng)
}

/// A small integer (−5..=20, no extremes): for arithmetic operands and LIMIT-like uses.
pub fn small_int(rng: &mut StdRng) -> i64 {
    rng.random_range(-5..=20)
}

/// A random real of the domain (a third of them integral values of the integer domain).
pub fn real(rng: &mut StdRng) -> f64 {
    if rng.random_bool(0.3) {
        rng.random_range(-5..=20) as f64
    } else {
        *REALS.choose(rng).unwrap_or(&0.5)
    }
}

/// The SQL literal of an integer.
pub fn int_sql(i: i64) -> String {
    i.to_string()
}

/// The SQL literal of a real: always with a `.` or an exponent, read back bit for bit.
pub fn real_sql(r: f64) -> String {
    let s = format!("{r:?}");
    if s.contains(['.', 'e', 'E']) || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// The SQL literal of a text.
pub fn text_sql(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The SQL literal of a blob.
pub fn blob_sql(b: &[u8]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!("X'{hex}'")
}

/// A literal of type `ty` from its domain (never NULL).
pub fn literal(rng: &mut StdRng, ty: Ty) -> String {
    match ty {
        Ty::Integer => int_sql(int(rng)),
        Ty::Real => real_sql(real(rng)),
        Ty::Text => text_sql(TEXTS.choose(rng).unwrap_or(&"a")),
        Ty::Blob => blob_sql(BLOBS.choose(rng).unwrap_or(&&b"a"[..])),
    }
}

/// A literal to compare with a column of type `ty`: mostly of its type, sometimes a number
/// of the other numeric type (2.0 against an INTEGER column, 2 against a REAL one), rarely a
/// value of another class or NULL.
pub fn comparand(rng: &mut StdRng, ty: Ty) -> String {
    let p: f64 = rng.random();
    if p < 0.02 {
        return "NULL".into();
    }
    if p < 0.05 {
        let other = *[Ty::Integer, Ty::Real, Ty::Text]
            .choose(rng)
            .unwrap_or(&Ty::Integer);
        return expr_literal(rng, other);
    }
    match ty {
        Ty::Integer if p < 0.25 => real_sql(real(rng)),
        Ty::Integer => int_sql(comparison_int(rng)),
        Ty::Real if p < 0.3 => int_sql(comparison_int(rng)),
        _ => literal(rng, ty),
    }
}

/// A literal that an expression returns (`coalesce(c, lit)` …): of type `ty`, never −0.0
/// (see the module documentation) nor i64::MIN.
pub fn expr_literal(rng: &mut StdRng, ty: Ty) -> String {
    match ty {
        Ty::Integer => int_sql(comparison_int(rng)),
        Ty::Real => match real(rng) {
            0.0 => real_sql(0.0), // also -0.0
            r => real_sql(r),
        },
        _ => literal(rng, ty),
    }
}

/// A value to store in a column of type `ty`: well typed (an INTEGER column also takes an
/// integral real, a REAL column an integer, as both sides convert them); NULL with
/// probability `null_p`.
pub fn stored(rng: &mut StdRng, ty: Ty, null_p: f64) -> String {
    if rng.random_bool(null_p) {
        return "NULL".into();
    }
    match ty {
        Ty::Integer if rng.random_bool(0.05) => real_sql(rng.random_range(-5..=20) as f64),
        Ty::Integer => int_sql(stored_int(rng)),
        Ty::Real if rng.random_bool(0.2) => int_sql(stored_int_for_real(rng)),
        Ty::Real => real_sql(stored_real(rng)),
        _ => literal(rng, ty),
    }
}

/// A LIKE pattern.
pub fn like_pattern(rng: &mut StdRng) -> String {
    const PATTERNS: &[&str] = &[
        "a%", "%a", "%b%", "_", "A%", "a_", "%", "", "ab", "_x", "b%", "%\\%%", "a_c", "%c", "1%",
    ];
    text_sql(PATTERNS.choose(rng).unwrap_or(&"a%"))
}
