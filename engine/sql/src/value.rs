//! SQL values with SQLite's semantics, to the bit: the one sort order, the type affinities,
//! comparison, arithmetic, `||`, `LIKE`, and how numbers are printed as text.
//!
//! The reference is SQLite 3.54 (the version bundled with the rusqlite dev-dependency, against
//! which `tests/value_vs_sqlite.rs` checks thousands of random cases). A value is one of the
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

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::{Error, Result};

/// One SQL value: SQLite's five storage classes.
#[derive(Clone, Debug)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit IEEE float; never NaN when built with [`Value::real`].
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// A column's declared (STRICT) type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// `INTEGER`: 64-bit integers.
    Integer,
    /// `REAL`: 64-bit floats.
    Real,
    /// `TEXT`: UTF-8 text.
    Text,
    /// `BLOB`: bytes.
    Blob,
}

/// SQLite's type affinity of an expression, which steers conversions in comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Affinity {
    /// INTEGER affinity (an `INTEGER` column).
    Integer,
    /// REAL affinity (a `REAL` column).
    Real,
    /// NUMERIC affinity.
    Numeric,
    /// TEXT affinity (a `TEXT` column).
    Text,
    /// BLOB affinity, or none: a `BLOB` column, and every expression that is not a bare column.
    Blob,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>` / `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl ColumnType {
    /// The type's SQL name: `INTEGER`, `REAL`, `TEXT` or `BLOB`.
    pub fn name(&self) -> &'static str {
        match self {
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text => "TEXT",
            ColumnType::Blob => "BLOB",
        }
    }

    /// The column type of a declared type name by SQLite's affinity rules (in order: contains
    /// `INT`; `CHAR`, `CLOB` or `TEXT`; `BLOB`; `REAL`, `FLOA` or `DOUB`), case-insensitive.
    /// `None` for what SQLite would give NUMERIC affinity (or an empty name): unsupported.
    pub fn from_sql_type(name: &str) -> Option<ColumnType> {
        let up = name.to_ascii_uppercase();
        let has = |s: &str| up.contains(s);
        if has("INT") {
            Some(ColumnType::Integer)
        } else if has("CHAR") || has("CLOB") || has("TEXT") {
            Some(ColumnType::Text)
        } else if has("BLOB") {
            Some(ColumnType::Blob)
        } else if has("REAL") || has("FLOA") || has("DOUB") {
            Some(ColumnType::Real)
        } else {
            None
        }
    }

    /// The affinity a column of this type gives its bare references.
    pub fn affinity(&self) -> Affinity {
        match self {
            ColumnType::Integer => Affinity::Integer,
            ColumnType::Real => Affinity::Real,
            ColumnType::Text => Affinity::Text,
            ColumnType::Blob => Affinity::Blob,
        }
    }
}

impl Value {
    /// A REAL, or NULL for NaN (as SQLite stores NaN).
    pub fn real(r: f64) -> Value {
        if r.is_nan() {
            Value::Null
        } else {
            Value::Real(r)
        }
    }

    /// The storage class name: `NULL`, `INTEGER`, `REAL`, `TEXT` or `BLOB` (SQLite's `typeof`,
    /// upper-case).
    pub fn type_name(&self) -> &'static str {
        match self.norm() {
            Value::Null => "NULL",
            Value::Integer(_) => "INTEGER",
            Value::Real(_) => "REAL",
            Value::Text(_) => "TEXT",
            Value::Blob(_) => "BLOB",
        }
    }

    /// Whether the value is NULL (a NaN real counts as NULL).
    pub fn is_null(&self) -> bool {
        matches!(self.norm(), Value::Null)
    }

    /// NaN as NULL, everything else as is.
    fn norm(&self) -> &Value {
        match self {
            Value::Real(r) if r.is_nan() => &Value::Null,
            v => v,
        }
    }

    /// The value in a boolean context (`WHERE`, `AND`, `CASE WHEN`): `None` for NULL, else
    /// whether its numeric value is non-zero (text and blobs by their numeric prefix).
    pub fn truthy(&self) -> Option<bool> {
        match self.norm() {
            Value::Null => None,
            Value::Integer(i) => Some(*i != 0),
            Value::Real(r) => Some(*r != 0.0),
            Value::Text(s) => Some(atof(s.as_bytes()).1 != 0.0),
            Value::Blob(b) => Some(atof(b).1 != 0.0),
        }
    }

    /// Compare two values in SQLite's sort order (BINARY collation): NULL < numbers (INTEGER
    /// and REAL by exact numeric value) < TEXT (bytewise) < BLOB (bytewise).
    pub fn sqlite_cmp(&self, other: &Value) -> Ordering {
        fn class(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Integer(_) | Value::Real(_) => 1,
                Value::Text(_) => 2,
                Value::Blob(_) => 3,
            }
        }
        let (a, b) = (self.norm(), other.norm());
        match (a, b) {
            (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
            (Value::Real(x), Value::Real(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (Value::Integer(i), Value::Real(r)) => int_float_cmp(*i, *r),
            (Value::Real(r), Value::Integer(i)) => int_float_cmp(*i, *r).reverse(),
            (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
            _ => class(a).cmp(&class(b)),
        }
    }

    /// The STRICT store rule: the value as stored in a column of type `ty`, or `Err` with the
    /// value's type name. NULL passes; an INTEGER column also takes a REAL that is exactly an
    /// integer strictly between the i64 limits (SQLite's integer affinity leaves ±2^63 REAL,
    /// so a STRICT table refuses them); a REAL column also takes an INTEGER (converted); TEXT
    /// and BLOB take only their own class.
    pub fn coerce_to_column(self, ty: ColumnType) -> std::result::Result<Value, &'static str> {
        match (ty, self) {
            (_, Value::Real(r)) if r.is_nan() => Ok(Value::Null),
            (_, Value::Null) => Ok(Value::Null),
            (ColumnType::Integer, Value::Integer(i)) => Ok(Value::Integer(i)),
            (ColumnType::Integer, Value::Real(r)) => match integer_affinity(r) {
                Value::Integer(i) => Ok(Value::Integer(i)),
                _ => Err("REAL"),
            },
            // SQLite keeps an integral REAL as an integer on disk: -0.0 reads back as 0.0.
            (ColumnType::Real, Value::Real(0.0)) => Ok(Value::Real(0.0)), // also matches -0.0
            (ColumnType::Real, Value::Real(r)) => Ok(Value::Real(r)),
            (ColumnType::Real, Value::Integer(i)) => Ok(Value::Real(i as f64)),
            (ColumnType::Text, Value::Text(s)) => Ok(Value::Text(s)),
            (ColumnType::Blob, Value::Blob(b)) => Ok(Value::Blob(b)),
            (_, v) => Err(v.type_name()),
        }
    }

    /// SQLite's `sqlite3_value_numeric_type` (what SUM, TOTAL and AVG read): text that is a
    /// well-formed number becomes that number — INTEGER if it is written as one, else REAL
    /// (`'2'` is 2, `'2.0'` is 2.0) — and every other value stays as it is.
    pub fn numeric_type(self) -> Value {
        match self {
            Value::Text(s) => numeric_affinity(s.as_bytes(), false).unwrap_or(Value::Text(s)),
            v => v,
        }
    }

    /// SQLite's conversion of a value by an affinity. INTEGER and NUMERIC turn well-formed
    /// numeric text into INTEGER (when exactly an integer in range) or REAL, and an integral
    /// REAL into INTEGER; REAL does the same but always ends in REAL; TEXT turns numbers into
    /// their text; BLOB (none) changes nothing. NULL and blobs never change.
    pub fn apply_affinity(self, aff: Affinity) -> Value {
        match aff {
            Affinity::Blob => self,
            Affinity::Text => match self {
                Value::Integer(_) | Value::Real(_) => match self.norm() {
                    Value::Null => Value::Null,
                    v => Value::Text(v.to_string()),
                },
                v => v,
            },
            Affinity::Integer | Affinity::Numeric => match self {
                Value::Text(s) => numeric_affinity(s.as_bytes(), true).unwrap_or(Value::Text(s)),
                Value::Real(r) => integer_affinity(r),
                v => v,
            },
            // A REAL column keeps integral values as integers on disk, so -0.0 reads back 0.0.
            Affinity::Real => match self {
                Value::Text(s) => match numeric_affinity(s.as_bytes(), true) {
                    Some(Value::Integer(i)) => Value::Real(i as f64),
                    Some(v) => v,
                    None => Value::Text(s),
                },
                Value::Integer(i) => Value::Real(i as f64),
                Value::Real(0.0) => Value::Real(0.0), // also matches -0.0
                v => v.norm().clone(),
            },
        }
    }

    /// The bytes of the value's text form (`None` for NULL): what `||`, `LIKE` and TEXT
    /// affinity see. Blobs give their bytes as they are.
    fn text_bytes(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        match self.norm() {
            Value::Null => None,
            Value::Text(s) => Some(Cow::Borrowed(s.as_bytes())),
            Value::Blob(b) => Some(Cow::Borrowed(b)),
            v => Some(Cow::Owned(v.to_string().into_bytes())),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.sqlite_cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        self.sqlite_cmp(other)
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.norm() {
            Value::Null => state.write_u8(0),
            Value::Integer(i) => {
                state.write_u8(1);
                state.write_i64(*i);
            }
            Value::Real(r) => match exact_i64(*r) {
                Some(i) => {
                    state.write_u8(1);
                    state.write_i64(i);
                }
                None => {
                    state.write_u8(2);
                    state.write_u64(r.to_bits());
                }
            },
            Value::Text(s) => {
                state.write_u8(3);
                s.as_bytes().hash(state);
            }
            Value::Blob(b) => {
                state.write_u8(4);
                b.hash(state);
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.norm() {
            Value::Null => f.write_str("NULL"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => f.write_str(&format_real(*r)),
            Value::Text(s) => f.write_str(s),
            Value::Blob(b) => {
                f.write_str("X'")?;
                for byte in b {
                    write!(f, "{byte:02X}")?;
                }
                f.write_str("'")
            }
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Integer(i)
    }
}

impl From<f64> for Value {
    fn from(r: f64) -> Value {
        Value::real(r)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Value {
        Value::Blob(b)
    }
}

/// `r` as an i64 when it is exactly an integer in i64's range (-0.0 gives 0).
fn exact_i64(r: f64) -> Option<i64> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    (r.fract() == 0.0 && (-TWO_63..TWO_63).contains(&r)).then_some(r as i64)
}

/// Exact comparison of an integer with a (non-NaN) real.
fn int_float_cmp(i: i64, r: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if r < -TWO_63 {
        return Ordering::Greater;
    }
    if r >= TWO_63 {
        return Ordering::Less;
    }
    let y = r as i64; // truncation toward zero, exact for |r| < 2^63
    i.cmp(&y)
        .then_with(|| (i as f64).partial_cmp(&r).unwrap_or(Ordering::Equal))
}

/// SQLite's real-to-integer conversion: truncation, saturating near the ends of the range.
fn real_to_i64(r: f64) -> i64 {
    if r < -9_223_372_036_854_774_784.0 {
        i64::MIN
    } else if r > 9_223_372_036_854_774_784.0 {
        i64::MAX
    } else {
        r as i64
    }
}

/// A REAL under INTEGER/NUMERIC affinity: INTEGER when exactly integral and strictly inside
/// i64's range (SQLite keeps the two extreme values REAL).
fn integer_affinity(r: f64) -> Value {
    if r.is_nan() {
        return Value::Null;
    }
    let ix = real_to_i64(r);
    if r == ix as f64 && ix > i64::MIN && ix < i64::MAX {
        Value::Integer(ix)
    } else {
        Value::Real(r)
    }
}

// ---------------------------------------------------------------------------------------------
// Text to number, as SQLite's sqlite3AtoF / sqlite3Atoi64 do it.

/// SQLite's white space: space, \t, \n, \v, \f, \r.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The bit of [`atof`]'s result that tells a `.` or an exponent was part of the number.
const AF_FLOAT: i32 = 2;

/// The closest double to `s * 10^p` (SQLite gives 0 or infinity outside 10^-348..10^347).
fn pow10_to_f64(s: u64, p: i64) -> f64 {
    if s == 0 || p < -348 {
        0.0
    } else if p > 347 {
        f64::INFINITY
    } else {
        format!("{s}e{p}").parse().unwrap_or(0.0)
    }
}

/// Text to real as SQLite reads it (up to the first NUL): returns `(rc, value)` where `rc > 0`
/// means the whole text (spaces around allowed) is a number, `rc < 0` that only a prefix is,
/// and `rc == 0` that no prefix is (value 0.0). `rc & AF_FLOAT` tells a `.` or exponent was
/// part of the number. Only the first ~19 significant digits count, as in SQLite.
fn atof(full: &[u8]) -> (i32, f64) {
    let z = full.split(|&b| b == 0).next().unwrap_or(&[]);
    let at = |i: usize| z.get(i).copied().unwrap_or(0);
    const BIG: u64 = (u64::MAX - 9) / 10;
    let mut i = 0;
    while is_space(at(i)) {
        i += 1;
    }
    let neg = at(i) == b'-';
    if matches!(at(i), b'-' | b'+') {
        i += 1;
    }
    let (mut s, mut d, mut m) = (0u64, 0i64, 0i32);
    while at(i).is_ascii_digit() {
        if m == 9 {
            d += 1;
        } else {
            s = s * 10 + u64::from(at(i) - b'0');
            m = 1;
            if s >= BIG {
                m = 9;
            }
        }
        i += 1;
    }
    if at(i) == b'.' {
        i += 1;
        if at(i).is_ascii_digit() {
            m |= 1;
            while at(i).is_ascii_digit() {
                if s < BIG {
                    s = s * 10 + u64::from(at(i) - b'0');
                    d -= 1;
                } else {
                    m = 11;
                }
                i += 1;
            }
        } else if m == 0 {
            return (0, 0.0);
        }
        m |= 2;
    } else if m == 0 {
        return (0, 0.0);
    }
    if matches!(at(i), b'e' | b'E') {
        let e_at = i;
        i += 1;
        let esign = if at(i) == b'-' { -1 } else { 1 };
        if matches!(at(i), b'-' | b'+') {
            i += 1;
        }
        if at(i).is_ascii_digit() {
            let mut exp = 0i64;
            while at(i).is_ascii_digit() {
                exp = if exp < 10000 {
                    exp * 10 + i64::from(at(i) - b'0')
                } else {
                    10000
                };
                i += 1;
            }
            m |= 2;
            d += esign * exp;
        } else {
            i = e_at; // the 'e' is trailing garbage
        }
    }
    let mut r = if s == 0 {
        m |= 4;
        0.0
    } else {
        pow10_to_f64(s, d)
    };
    if neg {
        r = -r;
    }
    while is_space(at(i)) {
        i += 1;
    }
    if i >= z.len() {
        (m, r)
    } else {
        (m | -16, r)
    }
}

/// Text to i64 as SQLite's sqlite3Atoi64 (all bytes, NULs included): `(rc, value)` with rc
/// -1 no digits, 0 exact, 1 trailing non-space text, 2 out of range, 3 exactly 2^63.
/// The value saturates when out of range.
fn atoi64(z: &[u8]) -> (i32, i64) {
    let at = |i: usize| z.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while i < z.len() && is_space(z[i]) {
        i += 1;
    }
    let neg = i < z.len() && z[i] == b'-';
    if i < z.len() && matches!(z[i], b'-' | b'+') {
        i += 1;
    }
    let start = i;
    while i < z.len() && z[i] == b'0' {
        i += 1;
    }
    let digits_at = i;
    let mut u: u64 = 0;
    while i < z.len() && at(i).is_ascii_digit() {
        u = u.wrapping_mul(10).wrapping_add(u64::from(z[i] - b'0'));
        i += 1;
    }
    let ndigits = i - digits_at;
    let mut value = if u > i64::MAX as u64 {
        if neg {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if neg {
        -(u as i64)
    } else {
        u as i64
    };
    let rc = if ndigits == 0 && start == digits_at {
        -1
    } else if z[i..].iter().any(|&b| !is_space(b)) {
        1
    } else {
        0
    };
    if ndigits < 19 {
        return (rc, value);
    }
    let order = if ndigits > 19 {
        Ordering::Greater
    } else {
        z[digits_at..i].cmp(b"9223372036854775808".as_slice())
    };
    if order == Ordering::Less {
        return (rc, value);
    }
    value = if neg { i64::MIN } else { i64::MAX };
    match order {
        Ordering::Greater => (2, value),
        _ if neg => (rc, value),
        _ => (3, value),
    }
}

/// SQLite's applyNumericAffinity: the number that well-formed numeric text stands for, or
/// `None` if the text is not (entirely) a number. `try_int` also makes integral reals INTEGER.
fn numeric_affinity(z: &[u8], try_int: bool) -> Option<Value> {
    let (rc, r) = atof(z);
    if rc <= 0 {
        return None;
    }
    if rc & AF_FLOAT == 0 {
        let ix = real_to_i64(r);
        if r == 0.0 || (r == ix as f64 && (-(1i64 << 51)..(1i64 << 51)).contains(&ix)) {
            return Some(Value::Integer(ix));
        }
        if let (0, ix) = atoi64(z) {
            return Some(Value::Integer(ix));
        }
    }
    Some(if try_int {
        integer_affinity(r)
    } else {
        Value::Real(r)
    })
}

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

// ---------------------------------------------------------------------------------------------
// LIKE

/// Longest LIKE pattern SQLite accepts by default (SQLITE_LIMIT_LIKE_PATTERN_LENGTH), bytes.
const LIKE_PATTERN_LIMIT: usize = 50_000;

/// Characters of text the way SQLite reads UTF-8 (up to the first NUL, leniently: a stray
/// continuation byte is a character of its own, a bad sequence is U+FFFD).
fn sqlite_chars(z: &[u8]) -> Vec<u32> {
    const TRANS1: [u8; 64] = [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
        0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
        0x1e, 0x1f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
        0x0d, 0x0e, 0x0f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x01, 0x02, 0x03,
        0x00, 0x01, 0x00, 0x00,
    ];
    let z = z.split(|&b| b == 0).next().unwrap_or(&[]);
    let mut out = Vec::with_capacity(z.len());
    let mut i = 0;
    while let Some(&b) = z.get(i) {
        i += 1;
        let mut c = u32::from(b);
        if b >= 0xc0 {
            c = u32::from(TRANS1[usize::from(b - 0xc0)]);
            while let Some(&n) = z.get(i).filter(|&&n| n & 0xc0 == 0x80) {
                c = c.wrapping_shl(6).wrapping_add(u32::from(n & 0x3f));
                i += 1;
            }
            if c < 0x80 || c & 0xFFFF_F800 == 0xD800 {
                c = 0xFFFD;
            }
        }
        out.push(c);
    }
    out
}

/// One element of a compiled LIKE pattern.
#[derive(Clone, Copy, PartialEq)]
enum Tok {
    /// `%`
    Any,
    /// `_`
    One,
    /// A character, matched case-insensitively for ASCII letters.
    Lit(u32),
}

/// `text LIKE pattern [ESCAPE escape]` as SQLite's built-in LIKE: `%` any run of characters,
/// `_` one character, ASCII letters match either case, other characters exactly; NULL if
/// either operand is NULL; numbers and blobs are matched as their text. An escape character
/// `E` makes `E%`, `E_`, `EE` literal (an `E` ending the pattern matches nothing); an escape
/// of `%` or `_` turns that wildcard off. `Error::Eval` for an escape of NUL (not one
/// character to SQLite) or a pattern longer than 50,000 bytes.
/// The matcher is iterative (O(pattern × text) at worst, never exponential).
pub fn like(pattern: &Value, text: &Value, escape: Option<char>) -> Result<Value> {
    let pattern_len = pattern.text_bytes().map_or(0, |p| p.len());
    if pattern_len > LIKE_PATTERN_LIMIT {
        return Err(Error::Eval("LIKE or GLOB pattern too complex".into()));
    }
    if escape == Some('\0') {
        return Err(Error::Eval(
            "ESCAPE expression must be a single character".into(),
        ));
    }
    let (Some(p), Some(t)) = (pattern.text_bytes(), text.text_bytes()) else {
        return Ok(Value::Null);
    };
    let esc = escape.map(u32::from);
    let (any, one) = (u32::from('%'), u32::from('_'));
    let mut toks = Vec::new();
    let mut chars = sqlite_chars(&p).into_iter();
    while let Some(c) = chars.next() {
        toks.push(if Some(c) == esc {
            match chars.next() {
                Some(lit) => Tok::Lit(lit),
                None => return Ok(Value::Integer(0)),
            }
        } else if c == any {
            Tok::Any
        } else if c == one {
            Tok::One
        } else {
            Tok::Lit(c)
        });
    }
    Ok(Value::Integer(i64::from(wildcard_match(
        &toks,
        &sqlite_chars(&t),
    ))))
}

/// Whether `s` matches `p`: the classic greedy matcher that backtracks only to the latest
/// `%` (a later `%` can absorb anything an earlier one could).
fn wildcard_match(p: &[Tok], s: &[u32]) -> bool {
    let fold = |c: u32| {
        if c < 0x80 {
            u32::from((c as u8).to_ascii_lowercase())
        } else {
            c
        }
    };
    let (mut pi, mut si) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                pi += 1;
                resume = Some((pi, si));
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                si += 1;
                continue;
            }
            Some(Tok::Lit(c)) if fold(*c) == fold(s[si]) => {
                pi += 1;
                si += 1;
                continue;
            }
            _ => {}
        }
        match resume {
            Some((rp, rs)) => {
                pi = rp;
                si = rs + 1;
                resume = Some((rp, rs + 1));
            }
            None => return false,
        }
    }
    p[pi.min(p.len())..].iter().all(|t| *t == Tok::Any)
}

// ---------------------------------------------------------------------------------------------
// Real to text, as SQLite's "%!.17g".

/// SQLite's estimate of floor(p * log2(10)).
fn pwr10to2(p: i64) -> i64 {
    (p * 108_853) >> 15
}

/// SQLite's estimate of floor(b * log10(2)).
fn pwr2to10(b: i64) -> i64 {
    (b * 78_913) >> 18
}

/// The 64 most significant bits of 10^p (p in -348..=347), that is
/// floor(10^p * 2^(63 - pwr10to2(p))), computed once with a small bignum.
fn pow10_hi(p: i64) -> u64 {
    static TABLE: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (-348..=347).map(pow10_hi_exact).collect());
    usize::try_from(p + 348)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
        .unwrap_or(1 << 63)
}

/// [`pow10_hi`] from scratch: little-endian u32 limbs, ×10 or ÷10 at a time.
fn pow10_hi_exact(p: i64) -> u64 {
    let shift = 63 - pwr10to2(p); // bits of 2^shift to scale by
    let mut big: Vec<u32>;
    let mut scale = shift;
    if p >= 0 {
        big = vec![1];
        for _ in 0..p {
            let mut carry = 0u64;
            for limb in &mut big {
                let v = u64::from(*limb) * 10 + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                big.push(carry as u32);
            }
        }
    } else {
        // floor(2^shift / 10^-p) = -p successive floor divisions by ten.
        let s = usize::try_from(shift).unwrap_or(0);
        big = vec![0; s / 32 + 1];
        big[s / 32] = 1 << (s % 32);
        for _ in 0..-p {
            let mut rem = 0u64;
            for limb in big.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 10) as u32;
                rem = v % 10;
            }
        }
        scale = 0;
    }
    let bit = |j: i64| -> u64 {
        usize::try_from(j)
            .ok()
            .and_then(|j| big.get(j / 32).map(|l| u64::from(l >> (j % 32)) & 1))
            .unwrap_or(0)
    };
    (0..64).fold(0u64, |x, i| x | (bit(i - scale) << i))
}

/// The digits SQLite's printf starts from for `a > 0` (finite) at 17 significant digits
/// (sqlite3FpDecode with sqlite3Fp2Convert10): `a * 10^(17-k)`, with `k` estimated from the
/// binary exponent, computed with a 64-bit power of ten and rounded on one extra bit. That
/// gives 18 or 19 digits, not always correctly rounded; SQLite's output depends on exactly
/// these digits. Returns the digits (values 0-9) and the decimal point's position
/// (`a ~ 0.digits * 10^idp`).
fn sqlite_digits(a: f64) -> (Vec<u8>, i64) {
    let bits = a.to_bits();
    let biased = (bits >> 52) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        let nn = frac.leading_zeros();
        (frac << nn, -1074 - i64::from(nn))
    } else {
        ((frac << 11) | (1 << 63), biased - 1086)
    };
    let p = 17 - pwr2to10(e + 63);
    let h = ((u128::from(m) * u128::from(pow10_hi(p))) >> 64) as u64;
    let sh = -(e + pwr10to2(p) + 2);
    let h = u32::try_from(sh)
        .ok()
        .and_then(|sh| h.checked_shr(sh))
        .unwrap_or(0);
    let d = h.wrapping_add((h << 1) & 2) >> 1;
    let z: Vec<u8> = d.to_string().bytes().map(|b| b - b'0').collect();
    let idp = z.len() as i64 - p;
    (z, idp)
}

/// `r` printed as SQLite prints a REAL (`CAST(r AS TEXT)`): 17 significant digits, fewer when
/// a shorter form rounds to the same double in the ways SQLite tries; `x.0` for integral
/// values; an exponent (`1.0e+20`, `1.5e-07`) below 1e-4 or from 1e17; `Inf`, `-Inf`.
fn format_real(r: f64) -> String {
    if r.is_nan() {
        return "NULL".into();
    }
    if r.is_infinite() {
        return if r < 0.0 { "-Inf".into() } else { "Inf".into() };
    }
    if r == 0.0 {
        return "0.0".into();
    }
    let a = r.abs();
    let (mut z, mut idp) = sqlite_digits(a);
    let n = z.len() as i64;
    if z.len() < 18 || z[0] == 0 {
        return format!("{r:e}"); // unreachable: SQLite's digit string has 18 or more digits
    }
    let num = |d: &[u8]| d.iter().fold(0u64, |v, &x| v * 10 + u64::from(x));
    let mut iround = 17;
    if z[15] == 9 && z[14] == 9 {
        let mut jj = 14;
        while jj > 0 && z[jj - 1] == 9 {
            jj -= 1;
        }
        let v2 = if jj == 0 { 1 } else { num(&z[..jj]) + 1 };
        if a == pow10_to_f64(v2, idp - jj as i64) {
            iround = jj + 1;
        }
    } else if idp >= n || (z[15] == 0 && z[14] == 0 && z[13] == 0) {
        let mut jj = 13;
        while jj > 1 && z[jj - 1] == 0 {
            jj -= 1;
        }
        if a == pow10_to_f64(num(&z[..jj]), idp - jj as i64) {
            iround = jj + 1;
        }
    }
    let round_up = z[iround] >= 5;
    z.truncate(iround);
    if round_up {
        let mut j = iround;
        loop {
            if j == 0 {
                z.insert(0, 1);
                idp += 1;
                break;
            }
            j -= 1;
            z[j] += 1;
            if z[j] <= 9 {
                break;
            }
            z[j] = 0;
        }
    }
    while z.len() > 1 && z.last() == Some(&0) {
        z.pop();
    }
    let digits: String = z.iter().map(|d| char::from(b'0' + d)).collect();
    let e = idp - 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if r < 0.0 {
        out.push('-');
    }
    if !(-4..=16).contains(&e) {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push_str(&format!(
            "e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        ));
    } else if e < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-e - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = (e + 1) as usize;
        if digits.len() > int_len {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn reals_print_like_sqlite() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e20, "1.0e+20"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (-0.0, "0.0"),
            (1e-5, "1.0e-05"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "10000000000000000.0"),
            (1e17, "1.0e+17"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (123.456, "123.456"),
            (5e-324, "4.9406564584124654e-324"),
        ];
        for (r, want) in cases {
            assert_eq!(Value::Real(r).to_string(), want, "{r:?}");
        }
        assert_eq!(Value::Integer(-42).to_string(), "-42");
        assert_eq!(Value::Null.to_string(), "NULL");
        assert_eq!(t("a b").to_string(), "a b");
        assert_eq!(Value::Blob(vec![0, 0xAB]).to_string(), "X'00AB'");
    }

    #[test]
    fn sort_order_and_equality_are_sqlites() {
        let big = 9_007_199_254_740_992i64;
        assert!(Value::Integer(big + 1) > Value::Real(big as f64));
        assert_eq!(Value::Integer(2), Value::Real(2.0));
        assert_eq!(Value::Real(-0.0), Value::Real(0.0));
        assert!(Value::Integer(i64::MAX) < Value::Real(9_223_372_036_854_775_808.0));
        assert!(Value::Integer(i64::MIN) == Value::Real(-9_223_372_036_854_775_808.0));
        assert!(Value::Real(f64::INFINITY) < t(""));
        assert!(t("b") < Value::Blob(vec![]));
        assert!(Value::Null < Value::Real(f64::NEG_INFINITY));
        assert!(Value::Real(f64::NAN).is_null());
        let set: HashSet<Value> = [
            Value::Integer(2),
            Value::Real(2.0),
            Value::Real(-0.0),
            Value::Integer(0),
        ]
        .into();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn truthiness_reads_numeric_prefixes() {
        assert_eq!(t("12abc").truthy(), Some(true));
        assert_eq!(t("abc").truthy(), Some(false));
        assert_eq!(t("0.5").truthy(), Some(true));
        assert_eq!(Value::Blob(b"1".to_vec()).truthy(), Some(true));
        assert_eq!(Value::Real(0.0).truthy(), Some(false));
        assert_eq!(Value::Null.truthy(), None);
    }

    #[test]
    fn declared_types_follow_affinity_rules() {
        let cases = [
            ("INT", Some(ColumnType::Integer)),
            ("bigint", Some(ColumnType::Integer)),
            ("FLOATING POINT", Some(ColumnType::Integer)),
            ("VARCHAR(10)", Some(ColumnType::Text)),
            ("clob", Some(ColumnType::Text)),
            ("BLOB", Some(ColumnType::Blob)),
            ("DOUBLE PRECISION", Some(ColumnType::Real)),
            ("float", Some(ColumnType::Real)),
            ("NUMERIC", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(ColumnType::from_sql_type(name), want, "{name}");
        }
        assert_eq!(ColumnType::Real.name(), "REAL");
        assert_eq!(ColumnType::Text.affinity(), Affinity::Text);
    }

    #[test]
    fn strict_store_rule() {
        use ColumnType as C;
        assert!(matches!(
            Value::Real(3.0).coerce_to_column(C::Integer),
            Ok(Value::Integer(3))
        ));
        assert_eq!(
            Value::Real(3.5).coerce_to_column(C::Integer).err(),
            Some("REAL")
        );
        assert_eq!(
            Value::Real(1e19).coerce_to_column(C::Integer).err(),
            Some("REAL")
        );
        assert!(
            matches!(Value::Integer(3).coerce_to_column(C::Real), Ok(Value::Real(r)) if r == 3.0)
        );
        assert_eq!(t("3").coerce_to_column(C::Integer).err(), Some("TEXT"));
        assert_eq!(
            Value::Integer(3).coerce_to_column(C::Text).err(),
            Some("INTEGER")
        );
        assert_eq!(t("x").coerce_to_column(C::Blob).err(), Some("TEXT"));
        assert!(matches!(
            Value::Null.coerce_to_column(C::Blob),
            Ok(Value::Null)
        ));
    }

    #[test]
    fn affinities_convert_like_sqlite() {
        let num = |s: &str| t(s).apply_affinity(Affinity::Numeric);
        assert!(matches!(num(" 12 "), Value::Integer(12)));
        assert!(matches!(num("1e3"), Value::Integer(1000)));
        assert!(matches!(num("2.5"), Value::Real(r) if r == 2.5));
        assert!(matches!(num("0x10"), Value::Text(_)));
        assert!(matches!(num("12abc"), Value::Text(_)));
        assert!(matches!(t("5").apply_affinity(Affinity::Real), Value::Real(r) if r == 5.0));
        assert!(
            matches!(Value::Real(1.0).apply_affinity(Affinity::Text), Value::Text(s) if s == "1.0")
        );
        assert!(matches!(
            t("5").apply_affinity(Affinity::Blob),
            Value::Text(_)
        ));
    }

    #[test]
    fn comparisons_apply_affinity() {
        let yes = Value::Integer(1);
        let no = Value::Integer(0);
        let eq = |l: &Value, la, r: &Value, ra| compare(CmpOp::Eq, l, la, r, ra);
        assert_eq!(
            eq(
                &Value::Integer(12),
                Affinity::Integer,
                &t(" 12"),
                Affinity::Blob
            ),
            yes
        );
        assert_eq!(
            eq(
                &Value::Integer(12),
                Affinity::Blob,
                &t("12"),
                Affinity::Blob
            ),
            no
        );
        assert_eq!(
            eq(&t("1.0"), Affinity::Text, &Value::Real(1.0), Affinity::Blob),
            yes
        );
        assert_eq!(
            compare(
                CmpOp::Lt,
                &Value::Integer(12),
                Affinity::Blob,
                &t("1"),
                Affinity::Blob
            ),
            yes
        );
        assert!(eq(&Value::Null, Affinity::Blob, &Value::Null, Affinity::Blob).is_null());
    }

    #[test]
    fn arithmetic_is_sqlites() {
        let (i, r) = (Value::Integer, Value::Real);
        let is = |v: Value, want: Value| {
            assert!(
                v.sqlite_cmp(&want).is_eq() && v.type_name() == want.type_name(),
                "{v:?} != {want:?}"
            )
        };
        is(arith(ArithOp::Rem, &r(5.5), &i(2)), r(1.0));
        is(
            arith(ArithOp::Div, &i(i64::MIN), &i(-1)),
            r(9_223_372_036_854_775_808.0),
        );
        is(arith(ArithOp::Rem, &i(i64::MIN), &i(-1)), i(0));
        is(
            arith(ArithOp::Add, &i(i64::MAX), &i(1)),
            r(9_223_372_036_854_775_808.0),
        );
        is(arith(ArithOp::Div, &i(-7), &i(2)), i(-3));
        is(arith(ArithOp::Div, &i(1), &i(0)), Value::Null);
        is(arith(ArithOp::Div, &r(1.0), &r(0.0)), Value::Null);
        is(arith(ArithOp::Add, &t("12abc"), &i(1)), i(13));
        is(arith(ArithOp::Add, &t("abc"), &i(1)), i(1));
        is(arith(ArithOp::Add, &t("1e3"), &i(0)), r(1000.0));
        is(
            arith(ArithOp::Sub, &r(f64::INFINITY), &r(f64::INFINITY)),
            Value::Null,
        );
        is(arith(ArithOp::Mul, &Value::Null, &i(1)), Value::Null);
        is(negate(&i(i64::MIN)), r(9_223_372_036_854_775_808.0));
        is(negate(&t("-3")), i(3));
        is(concat(&i(1), &r(2.0)), t("12.0"));
        is(concat(&i(1), &Value::Null), Value::Null);
    }

    #[test]
    fn like_semantics() {
        let m =
            |p: &str, s: &str, e: Option<char>| like(&t(p), &t(s), e).ok().and_then(|v| v.truthy());
        assert_eq!(m("a%", "ABC", None), Some(true));
        assert_eq!(m("_b_", "abc", None), Some(true));
        assert_eq!(m("_", "é", None), Some(true));
        assert_eq!(m("é", "É", None), Some(false));
        assert_eq!(m("a\\%", "a%", Some('\\')), Some(true));
        assert_eq!(m("a\\%", "ab", Some('\\')), Some(false));
        assert_eq!(m("a\\", "a", Some('\\')), Some(false));
        assert_eq!(m("a%%", "a%", Some('%')), Some(true));
        assert_eq!(m("a%%", "ab", Some('%')), Some(false));
        assert_eq!(
            like(&Value::Null, &t("a"), None).ok().map(|v| v.is_null()),
            Some(true)
        );
        assert_eq!(m("1_", "", None), Some(false));
        assert!(matches!(
            like(&Value::Integer(12), &Value::Real(12.0), None),
            Ok(Value::Integer(0))
        ));
        assert!(like(&t("a"), &t("a"), Some('\0')).is_err());
        assert!(like(&t(&"a".repeat(50_001)), &t("a"), None).is_err());
    }

    #[test]
    fn like_is_not_exponential() {
        let start = std::time::Instant::now();
        let text = "a".repeat(20_000);
        assert_eq!(
            like(&t("%a%a%a%a%a%a%a%a%a%b"), &t(&text), None)
                .ok()
                .and_then(|v| v.truthy()),
            Some(false)
        );
        assert_eq!(
            like(&t("%a%a%a%a%a%a%a%a%a%"), &t(&text), None)
                .ok()
                .and_then(|v| v.truthy()),
            Some(true)
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
}
