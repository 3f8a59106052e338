//! The catalog: tables and indexes, as SQLite 1.0's `Table` and `Index` are.
//!
//! A [`TableDef`] names typed columns (NOT NULL, DEFAULT), its primary key and its indexes
//! ([`IndexDef`]). A table without a declared primary key gets a hidden rowid, as in SQLite;
//! a single `INTEGER PRIMARY KEY` column *is* the rowid (a NULL inserted there takes the next
//! one). Each table is one JSON entry under `keys::catalog(name)`, written in the same batch
//! as everything else its DDL statement changes; [`Catalog::load`] reads them at open. The
//! in-memory [`Catalog`] is immutable and shared (`Arc`): DDL builds a new one and swaps it
//! in, so a running query keeps the catalog it started with.

use crate::keys;
use crate::storage::{prefix_bounds, ReadView};
use crate::{ColumnType, Error, Result, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A column of a table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Column {
    /// The name as declared.
    pub name: String,
    /// The declared type.
    #[serde(with = "column_type")]
    pub ty: ColumnType,
    /// NOT NULL (implied for primary-key columns).
    pub not_null: bool,
    /// The DEFAULT value (NULL when none).
    #[serde(with = "stored_value")]
    pub default: Value,
}

/// An index on one or more columns of a table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IndexDef {
    /// Its id in keys (`keys::index_prefix`).
    pub id: u32,
    /// The name as declared.
    pub name: String,
    /// Positions of the indexed columns in the table, in index order.
    pub columns: Vec<usize>,
    /// UNIQUE.
    pub unique: bool,
}

/// A table: columns, primary key, indexes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TableDef {
    /// Its id in keys (`keys::table_prefix`).
    pub id: u32,
    /// The name as declared.
    pub name: String,
    /// The columns, in declaration order.
    pub columns: Vec<Column>,
    /// Positions of the primary-key columns; empty for a hidden rowid.
    pub primary_key: Vec<usize>,
    /// The indexes.
    pub indexes: Vec<IndexDef>,
}

impl TableDef {
    /// The position of column `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// `table.column, …` for the columns at `cols` (constraint messages).
    pub fn column_list(&self, cols: &[usize]) -> String {
        let names: Vec<String> = cols
            .iter()
            .map(|&c| format!("{}.{}", self.name, self.columns[c].name))
            .collect();
        names.join(", ")
    }

    /// The primary key as `table.column, …` (`table.rowid` for a hidden rowid).
    pub fn key_list(&self) -> String {
        if self.primary_key.is_empty() {
            format!("{}.rowid", self.name)
        } else {
            self.column_list(&self.primary_key)
        }
    }

    /// The column that is the rowid (a single INTEGER PRIMARY KEY), if any.
    pub fn rowid_alias(&self) -> Option<usize> {
        match self.primary_key.as_slice() {
            [c] if self.columns[*c].ty == ColumnType::Integer => Some(*c),
            _ => None,
        }
    }

    /// Whether rows are keyed by an integer rowid (hidden or an INTEGER PRIMARY KEY).
    pub fn has_rowid(&self) -> bool {
        self.primary_key.is_empty() || self.rowid_alias().is_some()
    }

    /// The SQL text that creates this table and its indexes (for `.schema`).
    pub fn to_sql(&self) -> String {
        let mut cols: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut s = format!("{} {}", c.name, c.ty.name());
                if self.primary_key == [i] {
                    s.push_str(" PRIMARY KEY");
                } else if c.not_null {
                    s.push_str(" NOT NULL");
                }
                if !c.default.is_null() {
                    s.push_str(&format!(" DEFAULT {}", literal(&c.default)));
                }
                s
            })
            .collect();
        if self.primary_key.len() > 1 {
            let names: Vec<_> = self
                .primary_key
                .iter()
                .map(|&i| self.columns[i].name.as_str())
                .collect();
            cols.push(format!("PRIMARY KEY ({})", names.join(", ")));
        }
        let mut out = format!("CREATE TABLE {} ({});", self.name, cols.join(", "));
        for ix in &self.indexes {
            let names: Vec<_> = ix
                .columns
                .iter()
                .map(|&i| self.columns[i].name.as_str())
                .collect();
            out.push_str(&format!(
                "\nCREATE {}INDEX {} ON {} ({});",
                if ix.unique { "UNIQUE " } else { "" },
                ix.name,
                self.name,
                names.join(", ")
            ));
        }
        out
    }
}

/// A value as SQL literal text.
pub fn literal(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.to_string(),
    }
}

/// The catalog counters (`keys::meta`).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Counters {
    /// The next table or index id.
    pub next_id: u32,
}

/// Every table, by lowercase name; immutable once built.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    tables: BTreeMap<String, Arc<TableDef>>,
    /// The counters as stored.
    pub counters: Counters,
}

impl Catalog {
    /// Read the catalog from a view.
    pub fn load(view: &dyn ReadView) -> Result<Catalog> {
        let mut catalog = Catalog::default();
        if let Some(raw) = view.get(&keys::meta())? {
            catalog.counters =
                serde_json::from_slice(&raw).map_err(|e| Error::corrupt("catalog counters", e))?;
        }
        let (lo, hi) = prefix_bounds(&keys::catalog_prefix());
        for entry in view.scan(lo, hi)? {
            let (_, raw) = entry?;
            let table: TableDef =
                serde_json::from_slice(&raw).map_err(|e| Error::corrupt("catalog entry", e))?;
            catalog.check(&table)?;
            catalog
                .tables
                .insert(table.name.to_lowercase(), Arc::new(table));
        }
        Ok(catalog)
    }

    fn check(&self, t: &TableDef) -> Result<()> {
        let n = t.columns.len();
        let bad = t.id >= self.counters.next_id
            || t.primary_key.iter().any(|&c| c >= n)
            || t.indexes
                .iter()
                .any(|ix| ix.id >= self.counters.next_id || ix.columns.iter().any(|&c| c >= n));
        if bad || n == 0 {
            return Err(Error::corrupt(
                "catalog entry",
                format!("table {} refers past its columns or ids", t.name),
            ));
        }
        Ok(())
    }

    /// The table `name` (case-insensitive).
    pub fn table(&self, name: &str) -> Result<&Arc<TableDef>> {
        self.tables
            .get(&name.to_lowercase())
            .ok_or_else(|| Error::Name(format!("no such table: {name}")))
    }

    /// Whether a table `name` exists.
    pub fn has_table(&self, name: &str) -> bool {
        self.tables.contains_key(&name.to_lowercase())
    }

    /// The table by id.
    pub fn table_by_id(&self, id: u32) -> Option<&Arc<TableDef>> {
        self.tables.values().find(|t| t.id == id)
    }

    /// Every table, by name.
    pub fn tables(&self) -> impl Iterator<Item = &Arc<TableDef>> {
        self.tables.values()
    }

    /// The table holding index `name`, and the index's position in it.
    pub fn index(&self, name: &str) -> Option<(&Arc<TableDef>, usize)> {
        self.tables.values().find_map(|t| {
            t.indexes
                .iter()
                .position(|ix| ix.name.eq_ignore_ascii_case(name))
                .map(|i| (t, i))
        })
    }

    /// A copy with `table` put (added or replaced).
    pub fn with_table(&self, table: TableDef) -> Catalog {
        let mut c = self.clone();
        c.tables.insert(table.name.to_lowercase(), Arc::new(table));
        c
    }

    /// A copy without table `name`.
    pub fn without_table(&self, name: &str) -> Catalog {
        let mut c = self.clone();
        c.tables.remove(&name.to_lowercase());
        c
    }
}

mod column_type {
    use crate::ColumnType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ty: &ColumnType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(ty.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ColumnType, D::Error> {
        let name = String::deserialize(d)?;
        ColumnType::from_sql_type(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown column type {name}")))
    }
}

mod stored_value {
    use crate::Value;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    enum Stored {
        Null,
        Integer(i64),
        Real(f64),
        Text(String),
        Blob(Vec<u8>),
    }

    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        match v.clone() {
            Value::Null => Stored::Null,
            Value::Integer(i) => Stored::Integer(i),
            Value::Real(r) => Stored::Real(r),
            Value::Text(t) => Stored::Text(t),
            Value::Blob(b) => Stored::Blob(b),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Ok(match Stored::deserialize(d)? {
            Stored::Null => Value::Null,
            Stored::Integer(i) => Value::Integer(i),
            Stored::Real(r) => Value::Real(r),
            Stored::Text(t) => Value::Text(t),
            Stored::Blob(b) => Value::Blob(b),
        })
    }
}
