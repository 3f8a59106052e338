//! Arithmetic, negation, `||` and comparison with SQLite's semantics: NULL propagates, text
//! and blobs read as numbers the way the VDBE reads them, INTEGER overflow falls back to
//! REAL, and a comparison applies the operands' affinities first.

use super::number::{atof, atoi64, real_to_i64, AF_FLOAT};
use super::types::{numeric_affinity, Affinity, ArithOp, CmpOp, Value};
use std::cmp::Ordering;

/// An arithmetic operand: its numeric class, its value as a real, and (for `%` on reals) its
/// value as an integer, each the way SQLite's VDBE reads it.
struct Operand {
    int: Option<i64>,
    real: f64,
    as_int: i64,
}

impl Operand {
    /// `None` for NULL.
    fn of(v: &Value) -> Option<Operand> {
        Some(match v.norm() {
            Value::Null => return None,
            Value::Integer(i) => Operand {
                int: Some(*i),
                real: *i as f64,
                as_int: *i,
            },
            Value::Real(r) => Operand {
                int: None,
                real: *r,
                as_int: real_to_i64(*r),
            },
            Value::Text(s) => Operand::of_text(s.as_bytes()),
            Value::Blob(b) => Operand::of_text(b),
        })
    }

    /// SQLite's computeNumericType: text is INTEGER if its numeric prefix has no `.` or
    /// exponent and reads as an i64, else REAL.
    fn of_text(z: &[u8]) -> Operand {
        let (rc, real) = atof(z);
        let (irc, ix) = atoi64(z);
        let is_int = rc & AF_FLOAT == 0 && if rc <= 0 { irc <= 1 } else { irc == 0 };
        Operand {
            int: is_int.then_some(ix),
            real,
            as_int: ix,
        }
    }
}

/// `l op r` with SQLite's semantics: NULL propagates; text and blobs read as numbers; INTEGER
/// overflow (and `i64::MIN / -1`) falls back to REAL; `/` truncates on integers; division or
/// remainder by zero is NULL; `%` with a REAL operand takes both as integers and gives REAL.
pub fn arith(op: ArithOp, l: &Value, r: &Value) -> Value {
    let (Some(a), Some(b)) = (Operand::of(l), Operand::of(r)) else {
        return Value::Null;
    };
    if let (Some(x), Some(y)) = (a.int, b.int) {
        let exact = match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            ArithOp::Div if y == 0 => return Value::Null,
            ArithOp::Div => x.checked_div(y),
            ArithOp::Rem if y == 0 => return Value::Null,
            ArithOp::Rem => x.checked_rem(if y == -1 { 1 } else { y }),
        };
        if let Some(v) = exact {
            return Value::Integer(v);
        }
    }
    let (x, y) = (a.real, b.real);
    let out = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div if y == 0.0 => return Value::Null,
        ArithOp::Div => x / y,
        ArithOp::Rem => {
            let (ix, iy) = (a.as_int, b.as_int);
            match iy {
                0 => return Value::Null,
                -1 => 0.0,
                _ => ix.checked_rem(iy).unwrap_or(0) as f64,
            }
        }
    };
    Value::real(out)
}

/// Unary minus, as SQLite computes it (`0 - v`): NULL stays NULL, `-i64::MIN` is REAL, text
/// reads as a number.
pub fn negate(v: &Value) -> Value {
    arith(ArithOp::Sub, &Value::Integer(0), v)
}

/// `l || r`: NULL if either is NULL, else the text of both (numbers as printed, blobs as
/// their bytes; bytes that are not UTF-8 are replaced by U+FFFD, where SQLite keeps them).
pub fn concat(l: &Value, r: &Value) -> Value {
    let (Some(a), Some(b)) = (l.text_bytes(), r.text_bytes()) else {
        return Value::Null;
    };
    let mut bytes = Vec::with_capacity(a.len() + b.len());
    bytes.extend_from_slice(&a);
    bytes.extend_from_slice(&b);
    match String::from_utf8(bytes) {
        Ok(s) => Value::Text(s),
        Err(e) => Value::Text(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// `l op r` with SQLite's comparison affinity rules: NULL if either side is NULL; if one side
/// has INTEGER/REAL/NUMERIC affinity, text on either side that is a well-formed number is
/// compared as that number; else if one side has TEXT affinity, numbers are compared as their
/// text (when the other side is text). Then [`Value::sqlite_cmp`]. Gives `Integer(1)`/`(0)`.
pub fn compare(op: CmpOp, l: &Value, la: Affinity, r: &Value, ra: Affinity) -> Value {
    let (l, r) = (l.norm(), r.norm());
    if l.is_null() || r.is_null() {
        return Value::Null;
    }
    let numeric = |a: Affinity| matches!(a, Affinity::Integer | Affinity::Real | Affinity::Numeric);
    // SQLite applies one affinity to both sides, and only when one side is text: NUMERIC if
    // either side is numeric, else TEXT if exactly one side is TEXT (two TEXT columns, like
    // two BLOB ones, compare as they are).
    let any_text = matches!(l, Value::Text(_)) || matches!(r, Value::Text(_));
    let ord = if any_text && (numeric(la) || numeric(ra)) {
        let num = |v: &Value| match v {
            Value::Text(s) => numeric_affinity(s.as_bytes(), false).unwrap_or_else(|| v.clone()),
            _ => v.clone(),
        };
        num(l).sqlite_cmp(&num(r))
    } else if any_text && (la == Affinity::Text) != (ra == Affinity::Text) {
        let text = |v: &Value| v.clone().apply_affinity(Affinity::Text);
        text(l).sqlite_cmp(&text(r))
    } else {
        l.sqlite_cmp(r)
    };
    let yes = match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    };
    Value::Integer(i64::from(yes))
}
