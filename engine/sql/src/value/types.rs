//! The value types: `Value` (SQLite's five storage classes, with its order, equality and
//! hash), `ColumnType` (the strict store rule), `Affinity` (conversions), the operators, and
//! how a value reads as a boolean and prints.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use super::number::{atof, atoi64, exact_i64, int_float_cmp, real_to_i64, AF_FLOAT};
use super::print::format_real;

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
    pub(super) fn norm(&self) -> &Value {
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
    pub(super) fn text_bytes(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
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

/// SQLite's applyNumericAffinity: the number that well-formed numeric text stands for, or
/// `None` if the text is not (entirely) a number. `try_int` also makes integral reals INTEGER.
pub(super) fn numeric_affinity(z: &[u8], try_int: bool) -> Option<Value> {
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
