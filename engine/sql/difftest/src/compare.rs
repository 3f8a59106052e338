//! When two outcomes agree.
//!
//! Both errors agree (messages are not compared); an error against a success never does.
//! Rows agree when they hold identical values — same storage class, integers equal, reals
//! bit for bit, texts and blobs byte for byte — as multisets, or, for a query whose ORDER BY
//! is total, as sequences. A total ORDER BY still leaves rows that compare equal in every
//! column (an integer 2 and a real 2.0) in an unspecified order, so within each run of such
//! rows the order is not compared. Rows affected must be equal.

use crate::exec::Outcome;
use crate::script::Kind;
use ferrolite_sql::Value;
use std::cmp::Ordering;

/// Same storage class and same value; reals bit for bit.
pub fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Blob(x), Value::Blob(y)) => x == y,
        _ => false,
    }
}

fn identical_rows(a: &[Vec<Value>], b: &[Vec<Value>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(u, v)| identical(u, v)))
}

/// A key that sorts identical rows together (`Debug` prints reals exactly, -0.0 apart).
fn key(row: &[Value]) -> String {
    format!("{row:?}")
}

fn sorted(rows: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let mut v = rows.to_vec();
    v.sort_by_cached_key(|r| key(r));
    v
}

fn tie(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.sqlite_cmp(y) == Ordering::Equal)
}

/// The rows with each run of rows that tie in every column put in a canonical order.
fn canonical_runs(rows: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut start = 0;
    for i in 1..=rows.len() {
        if i == rows.len() || !tie(&rows[i - 1], &rows[i]) {
            out.extend(sorted(&rows[start..i]));
            start = i;
        }
    }
    out
}

/// Whether Ferrolite's outcome `ours` agrees with SQLite's `theirs` for a statement of `kind`.
pub fn agree(kind: &Kind, ours: &Outcome, theirs: &Outcome) -> bool {
    match (ours, theirs) {
        (Outcome::Error(_), Outcome::Error(_)) => true,
        (Outcome::Rows(a), Outcome::Rows(b)) => match kind {
            Kind::Query { ordered: true } => identical_rows(&canonical_runs(a), &canonical_runs(b)),
            _ => identical_rows(&sorted(a), &sorted(b)),
        },
        (Outcome::Affected(a), Outcome::Affected(b)) => a == b,
        (Outcome::Done, Outcome::Done) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multisets_ignore_order_sequences_do_not() {
        let r = |i: i64| vec![Value::Integer(i)];
        let a = Outcome::Rows(vec![r(1), r(2)]);
        let b = Outcome::Rows(vec![r(2), r(1)]);
        assert!(agree(&Kind::Query { ordered: false }, &a, &b));
        assert!(!agree(&Kind::Query { ordered: true }, &a, &b));
        let two = Outcome::Rows(vec![vec![Value::Integer(2)], vec![Value::Real(2.0)]]);
        let owt = Outcome::Rows(vec![vec![Value::Real(2.0)], vec![Value::Integer(2)]]);
        assert!(agree(&Kind::Query { ordered: true }, &two, &owt), "a tie");
        let neg = Outcome::Rows(vec![vec![Value::Real(-0.0)]]);
        let pos = Outcome::Rows(vec![vec![Value::Real(0.0)]]);
        assert!(!agree(&Kind::Query { ordered: false }, &neg, &pos), "bits");
        assert!(agree(
            &Kind::Insert,
            &Outcome::Error("x".into()),
            &Outcome::Error("y".into())
        ));
        assert!(!agree(
            &Kind::Insert,
            &Outcome::Affected(1),
            &Outcome::Error("y".into())
        ));
    }
}
