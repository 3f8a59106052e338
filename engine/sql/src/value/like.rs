//! SQLite's default LIKE: `%` and `_`, case-insensitive for ASCII letters only, an optional
//! escape character, text read as SQLite reads UTF-8; matched without backtracking blow-up.

use super::types::Value;
use crate::{Error, Result};

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
