//! Aggregate functions: COUNT, SUM, TOTAL, AVG, MIN, MAX, with DISTINCT, as SQLite computes
//! them.
//!
//! SUM of integers is exact and an overflow is an error ("integer overflow"); once a real is
//! seen the sum is approximate, accumulated with Kahan–Babuška–Neumaier compensation as
//! SQLite (3.43+) does, so long sums of reals agree to the last bit more often. AVG and
//! TOTAL are always real. Their arguments are read as SQLite reads them: text that is a
//! well-formed number is that number (`'2'` adds an integer 2). MIN and MAX ignore NULLs and
//! compare in SQLite's order. Over no rows, COUNT is 0, TOTAL 0.0, the rest NULL.

use super::expr::BExpr;
use crate::{Error, Result, Value};
use std::collections::HashSet;

/// 2^52: integers at least this large are split before they are added as doubles.
const BIG: u64 = 4_503_599_627_370_496;

/// Which aggregate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AggKind {
    /// `count(*)`.
    CountStar,
    /// `count(x)`.
    Count,
    /// `sum(x)`.
    Sum,
    /// `total(x)`.
    Total,
    /// `avg(x)`.
    Avg,
    /// `min(x)`.
    Min,
    /// `max(x)`.
    Max,
}

/// A bound aggregate call.
#[derive(Clone, Debug)]
pub struct AggCall {
    /// Which function.
    pub kind: AggKind,
    /// Its argument (`Lit(Null)` for `count(*)`).
    pub arg: BExpr,
    /// `DISTINCT`.
    pub distinct: bool,
}

/// The running state of one aggregate in one group.
#[derive(Clone, Debug, Default)]
pub struct Acc {
    count: i64,
    int_sum: i64,
    overflow: bool,
    approx: bool,
    sum: f64,
    err: f64,
    best: Option<Value>,
    seen: Option<HashSet<Value>>,
}

impl Acc {
    /// Feed one row.
    pub fn step(&mut self, call: &AggCall, row: &[Value]) -> Result<()> {
        if call.kind == AggKind::CountStar {
            self.count += 1;
            return Ok(());
        }
        let v = call.arg.eval(row, &[])?;
        if v.is_null() {
            return Ok(());
        }
        if call.distinct && !self.seen.get_or_insert_with(HashSet::new).insert(v.clone()) {
            return Ok(());
        }
        self.count += 1;
        match call.kind {
            AggKind::CountStar | AggKind::Count => {}
            AggKind::Min | AggKind::Max => {
                let replace = match &self.best {
                    None => true,
                    Some(b) => {
                        let ord = v.sqlite_cmp(b);
                        if call.kind == AggKind::Min {
                            ord.is_lt()
                        } else {
                            ord.is_gt()
                        }
                    }
                };
                if replace {
                    self.best = Some(v);
                }
            }
            AggKind::Sum | AggKind::Total | AggKind::Avg => match v.numeric_type() {
                Value::Integer(i) if !self.approx => match self.int_sum.checked_add(i) {
                    Some(s) => self.int_sum = s,
                    None => {
                        self.overflow = true;
                        self.start_approx();
                        self.add_int(i);
                    }
                },
                Value::Integer(i) => self.add_int(i),
                other => {
                    if self.approx {
                        self.overflow = false;
                    } else {
                        self.start_approx();
                    }
                    let r = match crate::value::arith(
                        crate::value::ArithOp::Add,
                        &other,
                        &Value::Real(0.0),
                    ) {
                        Value::Real(r) => r,
                        Value::Integer(i) => i as f64,
                        _ => 0.0,
                    };
                    self.add_real(r);
                }
            },
        }
        Ok(())
    }

    fn start_approx(&mut self) {
        self.approx = true;
        let i = self.int_sum;
        if i.unsigned_abs() >= BIG {
            let small = i % 16384;
            self.sum = (i - small) as f64;
            self.err = small as f64;
        } else {
            self.sum = i as f64;
            self.err = 0.0;
        }
    }

    fn add_real(&mut self, r: f64) {
        let t = self.sum + r;
        if self.sum.abs() > r.abs() {
            self.err += (self.sum - t) + r;
        } else {
            self.err += (r - t) + self.sum;
        }
        self.sum = t;
    }

    fn add_int(&mut self, i: i64) {
        if i.unsigned_abs() >= BIG {
            // Split so each part is exact as a double (SQLite does the same).
            let small = i % 16384;
            self.add_real((i - small) as f64);
            self.add_real(small as f64);
        } else {
            self.add_real(i as f64);
        }
    }

    fn real(&self) -> f64 {
        if !self.approx {
            self.int_sum as f64
        } else if self.err.is_nan() {
            self.sum
        } else {
            self.sum + self.err
        }
    }

    /// The result.
    pub fn finish(&self, call: &AggCall) -> Result<Value> {
        Ok(match call.kind {
            AggKind::CountStar | AggKind::Count => Value::Integer(self.count),
            AggKind::Min | AggKind::Max => self.best.clone().unwrap_or(Value::Null),
            AggKind::Total => Value::Real(self.real()),
            AggKind::Sum if self.count == 0 => Value::Null,
            AggKind::Sum if self.overflow => return Err(Error::Eval("integer overflow".into())),
            AggKind::Sum if self.approx => Value::Real(self.real()),
            AggKind::Sum => Value::Integer(self.int_sum),
            AggKind::Avg if self.count == 0 => Value::Null,
            AggKind::Avg => Value::Real(self.real() / self.count as f64),
        })
    }
}
