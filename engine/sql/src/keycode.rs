//! Byte encodings of values: an order-preserving ("memcomparable") key encoding, and a
//! compact row codec.
//!
//! **Keys.** [`encode_value`] maps a value to bytes whose lexicographic order is the value
//! order of [`Value::sqlite_cmp`], and which are self-delimiting, so the concatenation of the
//! encodings of a tuple ([`encode_key`]) sorts exactly as the tuples compare element by
//! element (a tuple before its extensions). Each value starts with a class tag: NULL <
//! number < TEXT < BLOB.
//!
//! INTEGER and REAL interleave in exact numeric order, though an i64 does not always fit in an
//! f64: a number is written as (1) the order-preserving bit pattern of its f64 approximation
//! (the real itself, or the integer rounded to nearest), then (2) the exact remainder
//! `integer - approximation` (0 for a real; |remainder| <= 512 since f64 spacing below 2^63
//! is at most 1024), then (3) the type, integer first. Rounding is monotone, so a smaller
//! approximation means a smaller number; equal approximations are ordered by the remainder.
//! Integer 2 and real 2.0 compare equal but encode differently (integer first), so decoding
//! gives back the type. -0.0 is written as 0.0; a NaN real as NULL, as SQLite stores it.
//!
//! TEXT and BLOB bytes are escaped (`00` as `00 FF`) and end in `00 00`, which keeps both
//! byte order and the prefix-free property.
//!
//! **Rows.** [`encode_row`] is a compact, versioned, non-ordered codec: a format byte, the
//! value count, then per value a type byte and a zigzag varint, 8 little-endian bytes, or a
//! varint length and bytes. Decoders never panic and never allocate from an unchecked length:
//! bad input is [`Error::Corrupt`].

use crate::value::Value;
use crate::{Error, Result};

const TAG_NULL: u8 = 0x01;
const TAG_NUM: u8 = 0x02;
const TAG_TEXT: u8 = 0x03;
const TAG_BLOB: u8 = 0x04;

/// Bias of the remainder field: `2 * (remainder + REM_BIAS) + type` is written as a u16.
const REM_BIAS: i64 = 1024;
const TYPE_INT: u16 = 0;
const TYPE_REAL: u16 = 1;

/// The f64 whose integer value is 2^63.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// f64 bits whose unsigned byte order is the numeric order (no NaN here).
fn ordered_bits(r: f64) -> u64 {
    let bits = r.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Inverse of [`ordered_bits`].
fn from_ordered_bits(u: u64) -> f64 {
    f64::from_bits(if u >> 63 == 1 { u & !(1 << 63) } else { !u })
}

fn push_number(approx: f64, rem: i64, ty: u16, out: &mut Vec<u8>) {
    out.push(TAG_NUM);
    out.extend_from_slice(&ordered_bits(approx).to_be_bytes());
    // rem is within [-512, 512] for integers and 0 for reals, so this fits a u16.
    let tail = ((rem + REM_BIAS) as u16) << 1 | ty;
    out.extend_from_slice(&tail.to_be_bytes());
}

fn push_escaped(tag: u8, bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 3);
    out.push(tag);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// Append the order-preserving encoding of `v` to `out`.
pub fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Real(r) if r.is_nan() => out.push(TAG_NULL),
        Value::Integer(i) => {
            let approx = *i as f64; // round to nearest
            let rem = if approx >= TWO_63 {
                i128::from(*i) - (1i128 << 63)
            } else {
                i128::from(*i) - i128::from(approx as i64)
            };
            push_number(approx, rem as i64, TYPE_INT, out);
        }
        Value::Real(r) => push_number(if *r == 0.0 { 0.0 } else { *r }, 0, TYPE_REAL, out),
        Value::Text(s) => push_escaped(TAG_TEXT, s.as_bytes(), out),
        Value::Blob(b) => push_escaped(TAG_BLOB, b, out),
    }
}

/// Append the encodings of `values`, in order: a key that sorts as the tuple does.
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) {
    for v in values {
        encode_value(v, out);
    }
}

fn corrupt(detail: impl std::fmt::Display) -> Error {
    Error::corrupt("key", detail)
}

/// Decode one escaped byte string from the start of `buf`: the bytes and the length read.
fn take_escaped(buf: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match (buf.get(i), buf.get(i + 1)) {
            (Some(0), Some(0)) => return Ok((out, i + 2)),
            (Some(0), Some(0xFF)) => {
                out.push(0);
                i += 2;
            }
            (Some(0), Some(b)) => return Err(corrupt(format!("bad escape 00 {b:02x}"))),
            (Some(&b), _) if b != 0 => {
                out.push(b);
                i += 1;
            }
            _ => return Err(corrupt("unterminated text or blob")),
        }
    }
}

/// Decode the value at the start of `buf`: the value and the number of bytes it took.
/// [`Error::Corrupt`] on bytes no [`encode_value`] produces.
pub fn decode_value(buf: &[u8]) -> Result<(Value, usize)> {
    let Some((&tag, rest)) = buf.split_first() else {
        return Err(corrupt("empty"));
    };
    match tag {
        TAG_NULL => Ok((Value::Null, 1)),
        TAG_NUM => {
            let (Some(hi), Some(lo)) = (rest.get(..8), rest.get(8..10)) else {
                return Err(corrupt("truncated number"));
            };
            let approx = from_ordered_bits(u64::from_be_bytes(hi.try_into().map_err(corrupt)?));
            let tail = u16::from_be_bytes(lo.try_into().map_err(corrupt)?);
            let rem = i64::from(tail >> 1) - REM_BIAS;
            let v = match tail & 1 {
                TYPE_REAL
                    if rem == 0 && !approx.is_nan() && approx.to_bits() != (-0.0f64).to_bits() =>
                {
                    Value::Real(approx)
                }
                TYPE_INT if approx.fract() == 0.0 && (-TWO_63..=TWO_63).contains(&approx) => {
                    let exact = approx as i128 + i128::from(rem); // approx is integral, |approx| <= 2^63
                    match i64::try_from(exact) {
                        Ok(i) if i as f64 == approx => Value::Integer(i),
                        _ => {
                            return Err(corrupt(format!(
                                "integer {approx} {rem:+} out of canonical form"
                            )))
                        }
                    }
                }
                _ => {
                    return Err(corrupt(format!(
                        "bad number {approx} {rem:+} type {}",
                        tail & 1
                    )))
                }
            };
            Ok((v, 11))
        }
        TAG_TEXT => {
            let (bytes, n) = take_escaped(rest)?;
            let s =
                String::from_utf8(bytes).map_err(|e| corrupt(format!("text is not UTF-8: {e}")))?;
            Ok((Value::Text(s), 1 + n))
        }
        TAG_BLOB => {
            let (bytes, n) = take_escaped(rest)?;
            Ok((Value::Blob(bytes), 1 + n))
        }
        t => Err(corrupt(format!("unknown tag {t:#04x}"))),
    }
}

/// Decode a whole buffer of concatenated values (an [`encode_key`] output).
pub fn decode_key(buf: &[u8]) -> Result<Vec<Value>> {
    let mut values = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let (v, n) = decode_value(&buf[at..])?;
        values.push(v);
        at += n;
    }
    Ok(values)
}

// ---------------------------------------------------------------------------------------------
// Rows

/// The row format this module writes.
const ROW_FORMAT_V1: u8 = 1;

const ROW_NULL: u8 = 0;
const ROW_INT: u8 = 1;
const ROW_REAL: u8 = 2;
const ROW_TEXT: u8 = 3;
const ROW_BLOB: u8 = 4;

fn put_varint(mut x: u64, out: &mut Vec<u8>) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// Encode a row: compact, versioned, not order-preserving.
pub fn encode_row(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + values.len() * 3);
    out.push(ROW_FORMAT_V1);
    put_varint(values.len() as u64, &mut out);
    for v in values {
        match v {
            Value::Null => out.push(ROW_NULL),
            Value::Real(r) if r.is_nan() => out.push(ROW_NULL),
            Value::Integer(i) => {
                out.push(ROW_INT);
                put_varint(((i << 1) ^ (i >> 63)) as u64, &mut out);
            }
            Value::Real(r) => {
                out.push(ROW_REAL);
                out.extend_from_slice(&r.to_le_bytes());
            }
            Value::Text(s) => {
                out.push(ROW_TEXT);
                put_varint(s.len() as u64, &mut out);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Blob(b) => {
                out.push(ROW_BLOB);
                put_varint(b.len() as u64, &mut out);
                out.extend_from_slice(b);
            }
        }
    }
    out
}

/// A cursor over a row's bytes; every read checks the bounds.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, what: &str) -> Error {
        Error::corrupt("row", format!("{what} at byte {}", self.at))
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.at).ok_or_else(|| self.err("truncated"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(self.err("varint overflow"));
            }
            x |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err(self.err("varint too long"))
    }

    fn bytes(&mut self, n: u64) -> Result<&'a [u8]> {
        let left = self.buf.len() - self.at;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| self.err("length past the end"))?;
        let s = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
}

/// Decode an [`encode_row`] output. [`Error::Corrupt`] on a wrong format byte, truncation,
/// a bad type byte, text that is not UTF-8, or trailing bytes.
pub fn decode_row(buf: &[u8]) -> Result<Vec<Value>> {
    let mut r = Reader { buf, at: 0 };
    let format = r.byte()?;
    if format != ROW_FORMAT_V1 {
        return Err(Error::corrupt(
            "row",
            format!("unknown row format {format}"),
        ));
    }
    let count = r.varint()?;
    // Every value takes at least one byte: a larger count is corrupt, and caps the allocation.
    if count > (buf.len() - r.at) as u64 {
        return Err(r.err("value count past the end"));
    }
    let mut values = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let v = match r.byte()? {
            ROW_NULL => Value::Null,
            ROW_INT => {
                let z = r.varint()?;
                Value::Integer(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            ROW_REAL => {
                let raw = r.bytes(8)?;
                let real = f64::from_le_bytes(raw.try_into().map_err(|_| r.err("truncated real"))?);
                if real.is_nan() {
                    return Err(r.err("NaN real"));
                }
                Value::Real(real)
            }
            ROW_TEXT => {
                let n = r.varint()?;
                let raw = r.bytes(n)?;
                let s = std::str::from_utf8(raw).map_err(|_| r.err("text is not UTF-8"))?;
                Value::Text(s.to_string())
            }
            ROW_BLOB => {
                let n = r.varint()?;
                Value::Blob(r.bytes(n)?.to_vec())
            }
            t => return Err(r.err(&format!("unknown value type {t}"))),
        };
        values.push(v);
    }
    if r.at != buf.len() {
        return Err(r.err("trailing bytes"));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    /// Same class and same value, reals bit for bit (for rows) or up to the sign of zero.
    fn identical(a: &Value, b: &Value, zero_sign: bool) -> bool {
        match (a, b) {
            (Value::Real(x), Value::Real(y)) => {
                x.to_bits() == y.to_bits() || (!zero_sign && *x == 0.0 && *y == 0.0)
            }
            (Value::Real(x), Value::Null) | (Value::Null, Value::Real(x)) => x.is_nan(),
            _ => a.type_name() == b.type_name() && a.sqlite_cmp(b) == Ordering::Equal,
        }
    }

    /// The order keys must have: `sqlite_cmp`, then INTEGER before an equal REAL.
    fn key_order(a: &Value, b: &Value) -> Ordering {
        let rank = |v: &Value| u8::from(matches!(v, Value::Real(r) if !r.is_nan()));
        a.sqlite_cmp(b).then_with(|| rank(a).cmp(&rank(b)))
    }

    fn enc(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_value(v, &mut out);
        out
    }

    /// Values dense around the places where i64 and f64 disagree.
    fn value() -> impl Strategy<Value = Value> {
        let bases = prop::sample::select(vec![
            0i64,
            1,
            1 << 52,
            1 << 53,
            1 << 62,
            i64::MAX - 1023,
            i64::MAX,
            i64::MIN,
            -(1 << 53),
        ]);
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::Integer),
            (bases.clone(), -1100i64..1100).prop_map(|(b, d)| Value::Integer(b.saturating_add(d))),
            (bases, -3i32..4).prop_map(|(b, k)| {
                let mut r = b as f64;
                for _ in 0..k.abs() {
                    r = if k > 0 { r.next_up() } else { r.next_down() };
                }
                Value::Real(r)
            }),
            any::<f64>().prop_map(Value::Real),
            prop::sample::select(vec![
                0.0,
                -0.0,
                1.5,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                5e-324
            ])
            .prop_map(Value::Real),
            "[a\\x00\\u{ff}b]{0,6}".prop_map(Value::Text),
            any::<String>().prop_map(Value::Text),
            prop::collection::vec(prop::sample::select(vec![0u8, 1, 0xFF, b'a']), 0..6)
                .prop_map(Value::Blob),
            prop::collection::vec(any::<u8>(), 0..12).prop_map(Value::Blob),
        ]
    }

    #[test]
    fn examples() {
        assert_eq!(enc(&Value::Null), vec![TAG_NULL]);
        assert_eq!(
            enc(&Value::Text("a\0".into())),
            vec![TAG_TEXT, b'a', 0, 0xFF, 0, 0]
        );
        assert!(enc(&Value::Integer(2)) < enc(&Value::Real(2.0)));
        assert!(enc(&Value::Real(1.5)) < enc(&Value::Integer(2)));
        assert!(enc(&Value::Real(2.0)) < enc(&Value::Real(2.5)));
        assert!(enc(&Value::Integer(i64::MAX)) < enc(&Value::Real(9_223_372_036_854_775_808.0)));
        assert!(enc(&Value::Integer((1 << 53) + 1)) > enc(&Value::Real((1u64 << 53) as f64)));
        assert_eq!(enc(&Value::Real(-0.0)), enc(&Value::Real(0.0)));
        let mut key = Vec::new();
        encode_key(
            &[Value::Integer(7), Value::Text("x".into()), Value::Null],
            &mut key,
        );
        let back = decode_key(&key).expect("decode");
        assert!(
            matches!(back.as_slice(), [Value::Integer(7), Value::Text(s), Value::Null] if s == "x")
        );
        assert!(decode_value(&[TAG_NUM, 1, 2]).is_err());
        assert!(decode_value(&[TAG_TEXT, b'a', 0, 7]).is_err());
        assert!(decode_value(&[0x7F]).is_err());
    }

    #[test]
    fn row_examples() {
        let row = vec![
            Value::Null,
            Value::Integer(-1),
            Value::Real(-0.0),
            Value::Text("é".into()),
            Value::Blob(vec![0, 1]),
        ];
        let raw = encode_row(&row);
        let back = decode_row(&raw).expect("decode");
        assert!(
            row.iter().zip(&back).all(|(a, b)| identical(a, b, true)) && back.len() == row.len()
        );
        assert!(decode_row(&raw[..raw.len() - 1]).is_err());
        assert!(decode_row(&[raw.as_slice(), &[0]].concat()).is_err());
        assert!(decode_row(&[2, 0]).is_err());
        // A huge count or length is refused before any allocation.
        assert!(decode_row(&[1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]).is_err());
        assert!(decode_row(&[
            1, 1, ROW_BLOB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01
        ])
        .is_err());
        assert!(decode_row(&[1, 1, ROW_TEXT, 1, 0xFF]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn key_round_trip(v in value()) {
            let raw = enc(&v);
            let (back, n) = decode_value(&raw).expect("decode");
            prop_assert_eq!(n, raw.len());
            prop_assert!(identical(&v, &back, false), "{:?} came back as {:?}", v, back);
        }

        #[test]
        fn key_order_is_value_order(a in value(), b in value()) {
            prop_assert_eq!(enc(&a).cmp(&enc(&b)), key_order(&a, &b), "{:?} vs {:?}", a, b);
        }

        #[test]
        fn tuple_key_order_is_tuple_order(
            a in prop::collection::vec(value(), 0..4),
            b in prop::collection::vec(value(), 0..4),
        ) {
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            encode_key(&a, &mut ka);
            encode_key(&b, &mut kb);
            let want = a.iter().zip(&b).map(|(x, y)| key_order(x, y)).find(|o| o.is_ne())
                .unwrap_or(a.len().cmp(&b.len()));
            prop_assert_eq!(ka.cmp(&kb), want, "{:?} vs {:?}", a, b);
            let back = decode_key(&ka).expect("decode");
            prop_assert!(back.len() == a.len() && a.iter().zip(&back).all(|(x, y)| identical(x, y, false)));
        }

        #[test]
        fn row_round_trip(row in prop::collection::vec(value(), 0..8)) {
            let back = decode_row(&encode_row(&row)).expect("decode");
            prop_assert!(back.len() == row.len() && row.iter().zip(&back).all(|(x, y)| identical(x, y, true)),
                "{:?} came back as {:?}", row, back);
        }

        #[test]
        fn decoding_garbage_never_panics(raw in prop::collection::vec(any::<u8>(), 0..40)) {
            let _ = decode_value(&raw);
            let _ = decode_key(&raw);
            let _ = decode_row(&raw);
            let mut row = vec![ROW_FORMAT_V1];
            row.extend_from_slice(&raw);
            let _ = decode_row(&row);
            let mut key = vec![TAG_NUM];
            key.extend_from_slice(&raw);
            let _ = decode_key(&key);
        }
    }
}
