//! Text to number as SQLite reads it (`sqlite3AtoF`, `sqlite3Atoi64`: the longest numeric
//! prefix, SQLite's white space, no hexadecimal), and the exact conversions between integers
//! and reals that the sort order and the affinities need.

use std::cmp::Ordering;

/// `r` as an i64 when it is exactly an integer in i64's range (-0.0 gives 0).
pub(super) fn exact_i64(r: f64) -> Option<i64> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    (r.fract() == 0.0 && (-TWO_63..TWO_63).contains(&r)).then_some(r as i64)
}

/// Exact comparison of an integer with a (non-NaN) real.
pub(super) fn int_float_cmp(i: i64, r: f64) -> Ordering {
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
pub(super) fn real_to_i64(r: f64) -> i64 {
    if r < -9_223_372_036_854_774_784.0 {
        i64::MIN
    } else if r > 9_223_372_036_854_774_784.0 {
        i64::MAX
    } else {
        r as i64
    }
}

// ---------------------------------------------------------------------------------------------
// Text to number, as SQLite's sqlite3AtoF / sqlite3Atoi64 do it.

/// SQLite's white space: space, \t, \n, \v, \f, \r.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The bit of [`atof`]'s result that tells a `.` or an exponent was part of the number.
pub(super) const AF_FLOAT: i32 = 2;

/// The closest double to `s * 10^p` (SQLite gives 0 or infinity outside 10^-348..10^347).
pub(super) fn pow10_to_f64(s: u64, p: i64) -> f64 {
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
pub(super) fn atof(full: &[u8]) -> (i32, f64) {
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
pub(super) fn atoi64(z: &[u8]) -> (i32, i64) {
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
