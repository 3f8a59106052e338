//! What an operation answered ([`Outcome`]), from the engine or from the model, in one type so
//! the two can be compared and printed side by side; the model's own answers (scans and prefix
//! scans of a `BTreeMap`) and the conversions of the engine's results.

use super::ops::Key;
use crate::model::{within, write_list};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

/// The model: the database's contents.
pub(super) type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A write, flush, compaction or snapshot drop succeeded.
    Done,
    /// A point read.
    Value(Option<Vec<u8>>),
    /// A scan.
    Entries(Vec<(Vec<u8>, Vec<u8>)>),
    /// `verify()`: tables checked.
    Tables(usize),
    /// A snapshot was taken (its serial number).
    Snap(u32),
    /// An iterator was opened (its serial number) and its first entries read.
    Opened(u32, Vec<(Vec<u8>, Vec<u8>)>),
    /// The operation did nothing (no live snapshot, or too many).
    Nothing(&'static str),
    /// The engine refused an empty key (`Error::EmptyKey`).
    Refused,
    /// The engine returned an error.
    Error(String),
}

fn show_bytes(b: &[u8]) -> String {
    const MAX: usize = 12;
    if b.len() <= MAX {
        format!("\"{}\"", b.escape_ascii())
    } else {
        format!("\"{}…\"({} B)", b[..MAX].escape_ascii(), b.len())
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => f.write_str("ok"),
            Outcome::Value(Some(v)) => write!(f, "Some({})", show_bytes(v)),
            Outcome::Value(None) => f.write_str("None"),
            Outcome::Entries(es) => write_list(f, es, |f, (k, v)| {
                write!(f, "({}, {})", show_bytes(k), show_bytes(v))
            }),
            Outcome::Tables(n) => write!(f, "Ok({n} tables)"),
            Outcome::Snap(n) => write!(f, "snapshot #{n}"),
            Outcome::Opened(n, first) => {
                write!(f, "iterator #{n}, first ")?;
                Outcome::Entries(first.clone()).fmt(f)
            }
            Outcome::Nothing(why) => write!(f, "(nothing: {why})"),
            Outcome::Refused => f.write_str("Err(EmptyKey)"),
            Outcome::Error(e) => write!(f, "Err({e})"),
        }
    }
}

pub(super) fn model_scan(
    model: &Model,
    lower: &Bound<Key>,
    upper: &Bound<Key>,
    take: usize,
) -> Outcome {
    let (lower, upper) = (owned_bound(lower), owned_bound(upper));
    Outcome::Entries(
        model
            .iter()
            .filter(|(k, _)| within(&k.as_slice(), &lower, &upper))
            .take(take)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

pub(super) fn model_prefix(model: &Model, prefix: &[u8]) -> Outcome {
    Outcome::Entries(
        model
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

pub(super) fn collect(it: ferrolite::Result<ferrolite::DbIter>, take: usize) -> Outcome {
    let it = match it {
        Ok(it) => it,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    let mut out = Vec::new();
    for item in it.take(take) {
        match item {
            Ok((k, v)) => out.push((k.to_vec(), v.to_vec())),
            Err(e) => return Outcome::Error(e.to_string()),
        }
    }
    Outcome::Entries(out)
}

pub(super) fn owned_bound(b: &Bound<Key>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(&k.0[..]),
        Bound::Excluded(k) => Bound::Excluded(&k.0[..]),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub(super) fn done(r: ferrolite::Result<()>) -> Outcome {
    match r {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Error(e.to_string()),
    }
}

pub(super) fn value_of<B: AsRef<[u8]>>(r: ferrolite::Result<Option<B>>) -> Outcome {
    match r {
        Ok(v) => Outcome::Value(v.map(|b| b.as_ref().to_vec())),
        Err(ferrolite::Error::EmptyKey) => Outcome::Refused,
        Err(e) => Outcome::Error(e.to_string()),
    }
}
