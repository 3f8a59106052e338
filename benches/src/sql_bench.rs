//! One SQL workload on Ferrolite's SQL layer and on SQLite, side by side.
//!
//! The table is `t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT)` with an index on `k`; row
//! `id` has `k = id · 7919 mod 2^31`-style scrambling made a permutation of `0..rows` (so a
//! range `k BETWEEN s AND s + 99` holds exactly 100 rows) and a 100-byte `v`. The
//! operations, each through prepared statements on both sides:
//!
//! * **insert** — rows in transactions of `txn_rows` (1,000), from 1, 2 or 4 writers, each
//!   writer taking every `writers`-th transaction's id range. SQLite serialises writers
//!   (`BEGIN IMMEDIATE`, a busy timeout); Ferrolite's optimistic transactions on disjoint
//!   keys commit in parallel.
//! * **point select** — `SELECT id, k, v FROM t WHERE id = ?` for random ids.
//! * **range select** — `SELECT id, k, v FROM t WHERE k BETWEEN ? AND ? + 99` (100 rows).
//! * **update** — `UPDATE t SET v = ? WHERE id = ?`, each its own transaction.
//!
//! Before the reads, both sides settle ([`SqlTarget::settle`]): Ferrolite flushes and
//! compacts, SQLite checkpoints its WAL, so reads meet each store at rest, not its
//! background work.
//!
//! Durability is matched per pair ([`SyncMode`]): `normal` is SQLite WAL with
//! `synchronous=NORMAL` against Ferrolite `SyncPolicy::None` — neither syncs on commit, both
//! keep every commit through a process crash; `off` is SQLite `synchronous=OFF` against
//! Ferrolite `SyncPolicy::Buffered` (10 ms) — neither ever waits on the disk (Ferrolite's is
//! the weaker: a process crash may lose the last 10 ms).

use anyhow::{anyhow, Context, Result};
use ferrolite::{MapKind, Options, SyncPolicy};
use ferrolite_sql::{Database, Value};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows per insert transaction.
pub const TXN_ROWS: usize = 1000;

/// Rows a range select returns.
pub const RANGE_ROWS: i64 = 100;

/// The matched durability of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// SQLite WAL + `synchronous=NORMAL`; Ferrolite `SyncPolicy::None`.
    Normal,
    /// SQLite `synchronous=OFF`; Ferrolite `SyncPolicy::Buffered` (10 ms).
    Off,
}

impl SyncMode {
    /// `normal` or `off`.
    pub fn name(self) -> &'static str {
        match self {
            SyncMode::Normal => "normal",
            SyncMode::Off => "off",
        }
    }
}

/// `k` of row `id` among `rows`: a permutation of `0..rows`.
pub fn k_of(id: i64, rows: i64) -> i64 {
    // An odd multiplier modulo a power of two is a bijection; walk it until it lands
    // inside 0..rows (cycle walking keeps it a permutation of 0..rows).
    let m = (rows as u64).next_power_of_two().max(2);
    let mut x = id as u64;
    loop {
        x = (x
            .wrapping_mul(0x9E37_79B9_7F4A_7C15 | 1)
            .wrapping_add(0x632B_E59B))
            & (m - 1);
        if x < rows as u64 {
            return x as i64;
        }
    }
}

/// The 100-byte `v` of row `id` (version `ver`).
pub fn v_of(id: i64, ver: u32) -> String {
    let mut s = format!("{id:012}-{ver:08}-");
    while s.len() < 100 {
        s.push((b'a' + (s.len() as u8 % 26)) as char);
    }
    s
}

/// A database under test.
pub trait SqlTarget: Send + Sync {
    /// `ferrolite-normal`, `sqlite-off`, …
    fn name(&self) -> String;
    /// Insert rows `first..first + count` (`rows` is the final table size, for `k`) from
    /// `writers` threads in transactions of [`TXN_ROWS`].
    fn insert(&self, first: i64, count: i64, rows: i64, writers: usize) -> Result<()>;
    /// Point selects of `ids`; rows found.
    fn point_selects(&self, ids: &[i64]) -> Result<u64>;
    /// Range selects of `k` from each start; rows found.
    fn range_selects(&self, starts: &[i64]) -> Result<u64>;
    /// Updates of `ids`, one transaction each.
    fn updates(&self, ids: &[i64], ver: u32) -> Result<()>;
    /// Bring the files to rest before the read cells: Ferrolite flushes its memtable and
    /// compacts, SQLite checkpoints its WAL into the database file.
    fn settle(&self) -> Result<()>;
}

const CREATE: &str =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT); CREATE INDEX t_k ON t (k)";

/// The transactions of `first..first + count` that writer `w` of `writers` takes.
fn share(first: i64, count: i64, w: usize, writers: usize) -> impl Iterator<Item = (i64, i64)> {
    let txns = (count + TXN_ROWS as i64 - 1) / TXN_ROWS as i64;
    (0..txns)
        .filter(move |t| (*t as usize) % writers == w)
        .map(move |t| {
            let lo = first + t * TXN_ROWS as i64;
            (lo, (lo + TXN_ROWS as i64).min(first + count))
        })
}

fn run_writers(writers: usize, f: impl Fn(usize) -> Result<()> + Sync) -> Result<()> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn({
                    let f = &f;
                    move || f(w)
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| anyhow!("a writer panicked"))?)
    })
}

/// Ferrolite's SQL layer on the engine.
pub struct FerroliteSql {
    db: Database,
    engine: Arc<ferrolite::Db>,
    sync: SyncMode,
    memtable: MapKind,
}

impl FerroliteSql {
    /// A fresh database in `dir` with the table created.
    pub fn create(dir: &Path, sync: SyncMode, memtable: MapKind) -> Result<Self> {
        let s = Self::open(dir, sync, memtable)?;
        s.db.execute(CREATE)?;
        Ok(s)
    }

    /// An existing database in `dir` (the table already there).
    pub fn open(dir: &Path, sync: SyncMode, memtable: MapKind) -> Result<Self> {
        let mut opts = Options::default().memtable(memtable);
        opts.sync = match sync {
            SyncMode::Normal => SyncPolicy::None,
            SyncMode::Off => SyncPolicy::Buffered {
                max_delay: Duration::from_millis(10),
            },
        };
        let store = ferrolite_sql::storage::EngineStorage::open(dir, opts)?;
        let engine = store.db().clone();
        let db = Database::with_storage(Arc::new(store))?;
        Ok(FerroliteSql {
            db,
            engine,
            sync,
            memtable,
        })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

impl SqlTarget for FerroliteSql {
    fn name(&self) -> String {
        format!("ferrolite-{}", self.sync.name())
    }

    fn insert(&self, first: i64, count: i64, rows: i64, writers: usize) -> Result<()> {
        let insert = self
            .db
            .prepare("INSERT INTO t (id, k, v) VALUES (?, ?, ?)")?;
        run_writers(writers, |w| {
            let mut s = self.db.session();
            for (lo, hi) in share(first, count, w, writers) {
                s.execute("BEGIN")?;
                for id in lo..hi {
                    s.execute_prepared(
                        &insert,
                        &[
                            Value::Integer(id),
                            Value::Integer(k_of(id, rows)),
                            Value::Text(v_of(id, 0)),
                        ],
                    )?;
                }
                s.execute("COMMIT")
                    .with_context(|| format!("commit of rows {lo}..{hi}"))?;
            }
            Ok(())
        })
    }

    fn point_selects(&self, ids: &[i64]) -> Result<u64> {
        let q = self.db.prepare("SELECT id, k, v FROM t WHERE id = ?")?;
        let mut s = self.db.session();
        let mut found = 0;
        for &id in ids {
            found += s.execute_prepared(&q, &[Value::Integer(id)])?.rows.len() as u64;
        }
        Ok(found)
    }

    fn range_selects(&self, starts: &[i64]) -> Result<u64> {
        let q = self
            .db
            .prepare("SELECT id, k, v FROM t WHERE k BETWEEN ? AND ? + 99")?;
        let mut s = self.db.session();
        let mut found = 0;
        for &k in starts {
            found += s
                .execute_prepared(&q, &[Value::Integer(k), Value::Integer(k)])?
                .rows
                .len() as u64;
        }
        Ok(found)
    }

    fn updates(&self, ids: &[i64], ver: u32) -> Result<()> {
        let q = self.db.prepare("UPDATE t SET v = ? WHERE id = ?")?;
        let mut s = self.db.session();
        for &id in ids {
            s.execute_prepared(&q, &[Value::Text(v_of(id, ver)), Value::Integer(id)])?;
        }
        Ok(())
    }

    fn settle(&self) -> Result<()> {
        self.engine.flush()?;
        self.engine.compact()?;
        Ok(())
    }
}

impl std::fmt::Debug for FerroliteSql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FerroliteSql({}, {})",
            self.sync.name(),
            self.memtable.name()
        )
    }
}

/// SQLite (the bundled build of rusqlite), in WAL mode.
pub struct Sqlite {
    path: std::path::PathBuf,
    sync: SyncMode,
}

impl Sqlite {
    /// A fresh database file in `dir` with the table created.
    pub fn create(dir: &Path, sync: SyncMode) -> Result<Self> {
        let s = Self::open(dir, sync);
        s.connect()?.execute_batch(CREATE)?;
        Ok(s)
    }

    /// Run the one-parameter query `sql` once per argument, reading every column of every
    /// row (as the Ferrolite side builds its rows); the rows found.
    fn count_rows(&self, sql: &str, args: &[i64]) -> Result<u64> {
        let c = self.connect()?;
        let mut q = c.prepare(sql)?;
        let mut found = 0;
        for &a in args {
            let mut rows = q.query([a])?;
            while let Some(r) = rows.next()? {
                let _: (i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                found += 1;
            }
        }
        Ok(found)
    }

    /// An existing database file in `dir`.
    pub fn open(dir: &Path, sync: SyncMode) -> Self {
        Sqlite {
            path: dir.join("bench.sqlite"),
            sync,
        }
    }

    fn connect(&self) -> Result<rusqlite::Connection> {
        let c = rusqlite::Connection::open(&self.path)?;
        c.pragma_update(None, "journal_mode", "WAL")?;
        c.pragma_update(
            None,
            "synchronous",
            if self.sync == SyncMode::Normal {
                "NORMAL"
            } else {
                "OFF"
            },
        )?;
        c.busy_timeout(Duration::from_secs(60))?;
        Ok(c)
    }
}

impl SqlTarget for Sqlite {
    fn name(&self) -> String {
        format!("sqlite-{}", self.sync.name())
    }

    fn insert(&self, first: i64, count: i64, rows: i64, writers: usize) -> Result<()> {
        run_writers(writers, |w| {
            let c = self.connect()?;
            let mut ins = c.prepare("INSERT INTO t (id, k, v) VALUES (?1, ?2, ?3)")?;
            for (lo, hi) in share(first, count, w, writers) {
                c.execute_batch("BEGIN IMMEDIATE")?;
                for id in lo..hi {
                    ins.execute(rusqlite::params![id, k_of(id, rows), v_of(id, 0)])?;
                }
                c.execute_batch("COMMIT")?;
            }
            Ok(())
        })
    }

    fn point_selects(&self, ids: &[i64]) -> Result<u64> {
        self.count_rows("SELECT id, k, v FROM t WHERE id = ?1", ids)
    }

    fn range_selects(&self, starts: &[i64]) -> Result<u64> {
        self.count_rows(
            "SELECT id, k, v FROM t WHERE k BETWEEN ?1 AND ?1 + 99",
            starts,
        )
    }

    fn updates(&self, ids: &[i64], ver: u32) -> Result<()> {
        let c = self.connect()?;
        let mut q = c.prepare("UPDATE t SET v = ?1 WHERE id = ?2")?;
        for &id in ids {
            q.execute(rusqlite::params![v_of(id, ver), id])?;
        }
        Ok(())
    }

    fn settle(&self) -> Result<()> {
        self.connect()?
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        Ok(())
    }
}

/// Random ids (or range starts) in `0..hi`, from a fixed seed.
pub fn random_ids(n: usize, hi: i64, seed: u64) -> Vec<i64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(0..hi.max(1))).collect()
}

/// Time `f`, returning its result and the seconds it took.
pub fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let t = Instant::now();
    let r = f()?;
    Ok((r, t.elapsed().as_secs_f64()))
}

/// A target by name on a directory that holds its table already.
pub fn open(name: &str, dir: &Path, memtable: MapKind) -> Result<Arc<dyn SqlTarget>> {
    let (engine, sync) = parse_target(name)?;
    Ok(match engine {
        "ferrolite" => Arc::new(FerroliteSql::open(dir, sync, memtable)?),
        _ => Arc::new(Sqlite::open(dir, sync)),
    })
}

fn parse_target(name: &str) -> Result<(&str, SyncMode)> {
    let (engine, sync) = name
        .split_once('-')
        .ok_or_else(|| anyhow!("target {name}: engine-sync"))?;
    let sync = match sync {
        "normal" => SyncMode::Normal,
        "off" => SyncMode::Off,
        other => return Err(anyhow!("sync {other}: normal or off")),
    };
    match engine {
        "ferrolite" | "sqlite" => Ok((engine, sync)),
        other => Err(anyhow!("engine {other}: ferrolite or sqlite")),
    }
}

/// A target by name on a fresh directory: `ferrolite-normal`, `ferrolite-off`,
/// `sqlite-normal`, `sqlite-off`.
pub fn create(name: &str, dir: &Path, memtable: MapKind) -> Result<Arc<dyn SqlTarget>> {
    let (engine, sync) = parse_target(name)?;
    Ok(match engine {
        "ferrolite" => Arc::new(FerroliteSql::create(dir, sync, memtable)?),
        _ => Arc::new(Sqlite::create(dir, sync)?),
    })
}

/// Every target, in report order.
pub const TARGETS: &[&str] = &[
    "ferrolite-normal",
    "sqlite-normal",
    "ferrolite-off",
    "sqlite-off",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_is_a_permutation() {
        for rows in [1, 7, 1000, 4096, 5000] {
            let mut seen = vec![false; rows as usize];
            for id in 0..rows {
                let k = k_of(id, rows);
                assert!(!seen[k as usize], "{rows}: {k} twice");
                seen[k as usize] = true;
            }
        }
    }

    #[test]
    fn both_engines_agree_on_a_small_table() {
        for name in TARGETS {
            let dir = tempfile::tempdir().unwrap();
            let t = create(name, dir.path(), MapKind::Epoch).unwrap();
            t.insert(0, 3000, 3000, 2).unwrap();
            assert_eq!(t.point_selects(&[0, 5, 2999, 3000]).unwrap(), 3, "{name}");
            assert_eq!(t.range_selects(&[0, 2950]).unwrap(), 150, "{name}");
            t.updates(&[1, 2], 1).unwrap();
        }
    }
}
