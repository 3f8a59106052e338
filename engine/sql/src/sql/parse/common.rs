//! What the conversions share: the parameter counter and the expression depth, the
//! `Unsupported` error (its text cut to a readable length), names.

use crate::{Error, Result};
use sqlparser::ast as sp;

/// The deepest expression accepted (SQLite's limit is 1000; every level of ours is a few
/// stack frames of the binder and the evaluator).
pub const MAX_DEPTH: usize = 200;

#[derive(Default)]
pub(super) struct Params {
    pub(super) count: usize,
    pub(super) depth: usize,
}

impl Params {
    pub(super) fn take(&mut self, text: &str) -> Result<usize> {
        let digits = text.trim_start_matches('?');
        let index = if digits.is_empty() {
            self.count
        } else {
            match digits.parse::<usize>() {
                Ok(n) if (1..=32766).contains(&n) => n - 1,
                _ => return Err(Error::Unsupported(format!("parameter {text}"))),
            }
        };
        if !text.starts_with('?') {
            return Err(Error::Unsupported(format!("named parameter {text}")));
        }
        self.count = self.count.max(index + 1);
        Ok(index)
    }
}

pub(super) fn unsupported<T>(what: impl std::fmt::Display) -> Result<T> {
    let mut text = what.to_string();
    if let Some((cut, _)) = text.char_indices().nth(80) {
        text.truncate(cut);
        text.push('…');
    }
    Err(Error::Unsupported(text))
}

pub(super) fn ident(i: &sp::Ident) -> String {
    i.value.clone()
}

pub(super) fn object_name(n: &sp::ObjectName) -> Result<String> {
    match n.0.as_slice() {
        [sp::ObjectNamePart::Identifier(i)] => Ok(ident(i)),
        _ => unsupported(format!("qualified name {n}")),
    }
}
