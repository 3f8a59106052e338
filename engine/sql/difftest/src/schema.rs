//! The schema model the generator keeps while it writes a script: tables, their columns and
//! primary keys, and their indexes; and the DDL that creates them.
//!
//! A table has 2–5 columns named `c0`, `c1`, … (the same names in every table, so a join
//! has to qualify them) of type INTEGER, REAL or TEXT (BLOB rarely), some NOT NULL, and one
//! of three primary keys: an `INTEGER PRIMARY KEY` (the rowid), a composite `PRIMARY KEY
//! (a, b)` (sometimes a single non-integer column), or none (a hidden rowid). Indexes have
//! one or two columns, some UNIQUE. The model is what the generator *wrote*, not what
//! succeeded: a UNIQUE index whose back-fill failed is still in it, which only makes a later
//! statement fail on both sides.

use crate::values::Ty;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// A column.
#[derive(Clone, Debug)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Declared `NOT NULL` (or part of a primary key).
    pub not_null: bool,
    /// `DEFAULT` literal, if any.
    pub default: Option<String>,
    /// A `UNIQUE` column constraint (an automatic index).
    pub unique: bool,
}

/// A table's primary key.
#[derive(Clone, Debug, PartialEq)]
pub enum PrimaryKey {
    /// `INTEGER PRIMARY KEY` on this column: the rowid.
    Rowid(usize),
    /// `PRIMARY KEY (…)` on these columns (NOT NULL).
    Columns(Vec<usize>),
    /// None: a hidden rowid.
    None,
}

/// An index.
#[derive(Clone, Debug)]
pub struct Index {
    /// Its name (unique in the database).
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<usize>,
    /// `UNIQUE`.
    pub unique: bool,
    /// Made by a UNIQUE constraint of `CREATE TABLE` (cannot be dropped).
    pub constraint: bool,
}

/// A table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<Column>,
    /// Its primary key.
    pub pk: PrimaryKey,
    /// Its indexes (those of UNIQUE constraints first).
    pub indexes: Vec<Index>,
    /// A table constraint `UNIQUE (…)` on these columns, if any.
    pub unique: Option<Vec<usize>>,
}

impl Table {
    /// The primary-key columns (empty for a hidden rowid).
    pub fn pk_columns(&self) -> Vec<usize> {
        match &self.pk {
            PrimaryKey::Rowid(c) => vec![*c],
            PrimaryKey::Columns(cs) => cs.clone(),
            PrimaryKey::None => vec![],
        }
    }

    /// Every key: the primary key's columns and each index's, in order.
    pub fn keys(&self) -> Vec<Vec<usize>> {
        let mut keys = Vec::new();
        let pk = self.pk_columns();
        if !pk.is_empty() {
            keys.push(pk);
        }
        keys.extend(self.indexes.iter().map(|ix| ix.columns.clone()));
        keys
    }

    /// Whether column `c` is under a uniqueness rule (primary key or a UNIQUE index).
    pub fn in_unique_key(&self, c: usize) -> bool {
        self.pk_columns().contains(&c)
            || self
                .indexes
                .iter()
                .any(|ix| ix.unique && ix.columns.contains(&c))
    }

    /// `CREATE TABLE` for this table (SQLite runs it with `STRICT` appended, which
    /// Ferrolite's parser does not take: its tables are always strict).
    pub fn create_sql(&self) -> String {
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut s = format!("{} {}", c.name, c.ty.sql());
                if self.pk == PrimaryKey::Rowid(i) {
                    s.push_str(" PRIMARY KEY");
                } else if c.not_null {
                    s.push_str(" NOT NULL");
                }
                if let Some(d) = &c.default {
                    s.push_str(&format!(" DEFAULT {d}"));
                }
                if c.unique {
                    s.push_str(" UNIQUE");
                }
                s
            })
            .collect();
        if let PrimaryKey::Columns(cs) = &self.pk {
            let names: Vec<&str> = cs.iter().map(|&c| self.columns[c].name.as_str()).collect();
            parts.push(format!("PRIMARY KEY ({})", names.join(", ")));
        }
        if let Some(cs) = &self.unique {
            let names: Vec<&str> = cs.iter().map(|&c| self.columns[c].name.as_str()).collect();
            parts.push(format!("UNIQUE ({})", names.join(", ")));
        }
        format!("CREATE TABLE {} ({})", self.name, parts.join(", "))
    }

    /// `CREATE [UNIQUE] INDEX` for index `ix`.
    pub fn create_index_sql(&self, ix: &Index) -> String {
        let names: Vec<&str> = ix
            .columns
            .iter()
            .map(|&c| self.columns[c].name.as_str())
            .collect();
        format!(
            "CREATE {}INDEX {} ON {} ({})",
            if ix.unique { "UNIQUE " } else { "" },
            ix.name,
            self.name,
            names.join(", ")
        )
    }
}

/// The database's tables, and a counter for index names.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// The tables.
    pub tables: Vec<Table>,
    next_index: usize,
}

fn random_type(rng: &mut StdRng) -> Ty {
    match rng.random_range(0..100) {
        0..40 => Ty::Integer,
        40..62 => Ty::Real,
        62..96 => Ty::Text,
        _ => Ty::Blob,
    }
}

impl Schema {
    /// A new random table named `name` (no indexes yet).
    pub fn random_table(rng: &mut StdRng, name: &str) -> Table {
        let n = rng.random_range(2..=5);
        let mut columns: Vec<Column> = (0..n)
            .map(|i| Column {
                name: format!("c{i}"),
                ty: random_type(rng),
                not_null: rng.random_bool(0.2),
                default: None,
                unique: rng.random_bool(0.08),
            })
            .collect();
        let pk = match rng.random_range(0..100) {
            0..35 => {
                let c = rng.random_range(0..n);
                columns[c].ty = Ty::Integer;
                columns[c].not_null = false;
                PrimaryKey::Rowid(c)
            }
            35..65 => {
                let width = if rng.random_bool(0.75) { 2 } else { 1 };
                let mut cs: Vec<usize> = (0..n).collect();
                let mut chosen = Vec::new();
                for _ in 0..width {
                    let i = rng.random_range(0..cs.len());
                    chosen.push(cs.remove(i));
                }
                for &c in &chosen {
                    // A single INTEGER column would be the rowid: make it another type.
                    if width == 1 && columns[c].ty == Ty::Integer {
                        columns[c].ty = Ty::Text;
                    }
                    if columns[c].ty == Ty::Blob {
                        columns[c].ty = Ty::Text;
                    }
                    columns[c].not_null = true;
                }
                PrimaryKey::Columns(chosen)
            }
            _ => PrimaryKey::None,
        };
        // Defaults once the types are final: Ferrolite refuses an ill-typed DEFAULT at CREATE
        // TABLE, where SQLite fails only the INSERT that uses it (a deliberate difference).
        for c in &mut columns {
            if rng.random_bool(0.12) {
                c.default = Some(crate::values::stored(rng, c.ty, 0.1));
            }
        }
        let unique = rng.random_bool(0.06).then(|| {
            let a = rng.random_range(0..n);
            let b = rng.random_range(0..n);
            if a == b {
                vec![a]
            } else {
                vec![a, b]
            }
        });
        // The automatic indexes, named as both sides name them: column constraints in
        // column order, then the table constraint (none for the primary key's columns).
        let mut indexes = Vec::new();
        let mut constraints: Vec<Vec<usize>> = (0..n)
            .filter(|&c| columns[c].unique)
            .map(|c| vec![c])
            .collect();
        constraints.extend(unique.clone());
        let pk_cols = match &pk {
            PrimaryKey::Rowid(c) => vec![*c],
            PrimaryKey::Columns(cs) => cs.clone(),
            PrimaryKey::None => vec![],
        };
        for (k, cols) in constraints.into_iter().enumerate() {
            if cols != pk_cols {
                indexes.push(Index {
                    name: format!("sqlite_autoindex_{name}_{}", k + 1),
                    columns: cols,
                    unique: true,
                    constraint: true,
                });
            }
        }
        Table {
            name: name.to_string(),
            columns,
            pk,
            indexes,
            unique,
        }
    }

    /// A new random index on table `t` (not yet added).
    pub fn random_index(&mut self, rng: &mut StdRng, t: usize) -> Index {
        let table = &self.tables[t];
        let n = table.columns.len();
        let first = rng.random_range(0..n);
        let mut columns = vec![first];
        if rng.random_bool(0.55) {
            let others: Vec<usize> = (0..n).filter(|&c| c != first).collect();
            if let Some(&second) = others.choose(rng) {
                columns.push(second);
            }
        }
        self.next_index += 1;
        Index {
            name: format!("ix{}_{}", self.next_index, table.name),
            columns,
            unique: rng.random_bool(0.3),
            constraint: false,
        }
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }
}
