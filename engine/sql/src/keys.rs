//! Where the SQL layer's data lives in the key space.
//!
//! Every key starts with [`RESERVED_PREFIX`], so the SQL layer shares a database with plain
//! key-value users (the server refuses their writes under it). After the prefix, one byte
//! names the kind and the rest is order-preserving ([`crate::keycode`]):
//!
//! ```text
//! P c <table name, lowercase>            → the table's schema with its indexes (JSON)
//! P m                                    → catalog counters: the next table/index id (JSON)
//! P n <table id: u32 BE>                 → rowid high-water mark (keycode integer)
//! P t <table id: u32 BE> <pk values>     → the row (keycode::encode_row of every column)
//! P i <index id: u32 BE> <values> <pk>   → empty           (a non-unique entry, or any NULL)
//! P i <index id: u32 BE> <values>        → <pk values>     (a unique entry without NULLs)
//! P u                                    → the last transaction's before-images (events)
//! ```
//!
//! A unique entry without NULLs leaves the primary key out of its key, so two transactions
//! inserting the same value write the *same key* and the optimistic commit check sees the
//! conflict (with the key in it, they would not collide). NULLs never collide in a UNIQUE
//! index (SQLite's rule), so such entries keep the key form of a non-unique one.
//!
//! Because the primary key's encoding is order-preserving, a range on it is one scan of
//! `P t <id> …`, and an index range is one scan of `P i <id> …`.

use crate::keycode;
use crate::Value;

/// The first bytes of every key the SQL layer writes.
pub const RESERVED_PREFIX: &[u8] = b"\xfesql";

fn with_kind(kind: u8, cap: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(RESERVED_PREFIX.len() + 1 + cap);
    k.extend_from_slice(RESERVED_PREFIX);
    k.push(kind);
    k
}

/// The catalog entry of a table (`name` compared case-insensitively).
pub fn catalog(name: &str) -> Vec<u8> {
    let mut k = with_kind(b'c', name.len());
    k.extend_from_slice(name.to_lowercase().as_bytes());
    k
}

/// The prefix of every catalog entry.
pub fn catalog_prefix() -> Vec<u8> {
    with_kind(b'c', 0)
}

/// The catalog counters.
pub fn meta() -> Vec<u8> {
    with_kind(b'm', 0)
}

/// The before-image record of the last transaction.
pub fn undo() -> Vec<u8> {
    with_kind(b'u', 0)
}

/// A table's rowid high-water mark.
pub fn rowid_mark(table: u32) -> Vec<u8> {
    let mut k = with_kind(b'n', 4);
    k.extend_from_slice(&table.to_be_bytes());
    k
}

/// The prefix of every row of a table.
pub fn table_prefix(table: u32) -> Vec<u8> {
    let mut k = with_kind(b't', 4);
    k.extend_from_slice(&table.to_be_bytes());
    k
}

/// The key of the row with primary key `pk`.
pub fn row(table: u32, pk: &[Value]) -> Vec<u8> {
    let mut k = table_prefix(table);
    keycode::encode_key(pk, &mut k);
    k
}

/// The prefix of every entry of an index.
pub fn index_prefix(index: u32) -> Vec<u8> {
    let mut k = with_kind(b'i', 4);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// The key of an index entry (and its value), per the module's layout.
pub fn index_entry(index: u32, unique: bool, values: &[Value], pk: &[Value]) -> (Vec<u8>, Vec<u8>) {
    let mut k = index_prefix(index);
    keycode::encode_key(values, &mut k);
    if unique && !values.iter().any(Value::is_null) {
        let mut v = Vec::new();
        keycode::encode_key(pk, &mut v);
        (k, v)
    } else {
        keycode::encode_key(pk, &mut k);
        (k, Vec::new())
    }
}

/// Whether `key` is a row key, and of which table.
pub fn row_table(key: &[u8]) -> Option<(u32, &[u8])> {
    let rest = key.strip_prefix(RESERVED_PREFIX)?.strip_prefix(b"t")?;
    let id = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    Some((id, &rest[4..]))
}

/// The primary key of an index entry (from its key, or from its value for a unique entry).
pub fn index_entry_pk(
    index_prefix_len: usize,
    columns: usize,
    key: &[u8],
    value: &[u8],
) -> crate::Result<Vec<Value>> {
    if !value.is_empty() {
        return keycode::decode_key(value);
    }
    let rest = key
        .get(index_prefix_len..)
        .ok_or_else(|| crate::Error::corrupt("index entry", "key shorter than its prefix"))?;
    let mut values = keycode::decode_key(rest)?;
    if values.len() < columns {
        return Err(crate::Error::corrupt(
            "index entry",
            "fewer values than columns",
        ));
    }
    Ok(values.split_off(columns))
}
