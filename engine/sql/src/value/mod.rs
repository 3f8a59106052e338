//! SQL values with SQLite's semantics, to the bit: the one sort order, the type affinities,
//! comparison, arithmetic, `||`, `LIKE`, and how numbers are printed as text.
//!
//! The reference is SQLite 3.54 (the version bundled with the rusqlite dev-dependency, against
//! which `engine/sql/difftest/tests/value_vs_sqlite.rs` checks thousands of random cases). A value is one of the
//! five storage classes; they sort NULL < numbers < TEXT < BLOB, and INTEGER and REAL compare
//! exactly by numeric value (so `2 == 2.0`, and `Eq`/`Hash` agree with that). NaN never
//! exists in SQLite: [`Value::real`] and arithmetic turn it into NULL, and a `Real(NaN)` built
//! by hand behaves as NULL everywhere.
//!
//! Text turns into a number the way SQLite does: a longest numeric prefix (`'12abc'` is 12,
//! `'abc'` is 0, `'1e3'` is 1000.0, no hexadecimal), with only "well-formed" text (surrounding
//! spaces allowed) converted by an affinity. Reals print as SQLite's `%!.17g`: seventeen
//! significant digits, shortened in the cases where SQLite finds a shorter form that reads
//! back the same, always with a `.` or an exponent. SQLite takes those digits from its own
//! fast, not always correctly rounded, binary-to-decimal step; that step is reproduced here
//! (from the published algorithm, with our own table of powers of ten), so the last digit
//! agrees too.

mod like;
mod number;
mod ops;
mod print;
#[cfg(test)]
mod tests;
mod types;

pub use like::like;
pub use ops::{arith, compare, concat, negate};
pub use types::{Affinity, ArithOp, CmpOp, ColumnType, Value};
