//! The reference: the same workloads against the engine in this process — `ferrolite::Db` for
//! gets and puts, `ferrolite_sql::Database` over `EngineStorage::new(Arc<Db>)` for the point
//! query (prepared once per thread, run with `Session::execute_prepared`) — with the options
//! the server opens its database with (`Options::default()` with the memtable and sync policy),
//! the same preload, key space and value size, N OS threads instead of N connections, and the
//! same bounds, checks and histograms. The server's throughput over loopback divided by this
//! is the cost of the network face.

use crate::cell::{finish, Bounds, Clock, Outcome, Shared};
use crate::client::{PRELOAD_BATCH, PRELOAD_ROWS};
use crate::measure::{self, cell_bar, Proc};
use crate::workload::{self, Op, Rng, Shape, Workload};
use anyhow::{ensure, Context, Result};
use ferrolite::{Db, MapKind, Options, SyncPolicy, WriteBatch};
use ferrolite_bench_format::load::IN_PROCESS;
use ferrolite_sql::storage::EngineStorage;
use ferrolite_sql::{Database, Prepared, Session, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The engine and the SQL layer over it, on a temporary directory.
pub struct InProcess {
    db: Arc<Db>,
    sql: Database,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

impl InProcess {
    /// Open a new database with the server's options.
    pub fn open(memtable: MapKind, sync: SyncPolicy) -> Result<InProcess> {
        let dir = tempfile::Builder::new()
            .prefix("ferrolite-load-inproc-")
            .tempdir()
            .context("creating the in-process database's directory")?;
        let opts = Options::default().memtable(memtable).sync(sync);
        let db = Arc::new(Db::open(dir.path().join("data"), opts).context("opening the engine")?);
        let sql = Database::with_storage(Arc::new(EngineStorage::new(db.clone())))
            .context("opening the SQL layer")?;
        Ok(InProcess { db, sql, _dir: dir })
    }

    /// The same preload as the server's: the key space in batches, table `t` in multi-row
    /// `INSERT`s, with the same values (same seed).
    pub fn preload(&self, shape: &Shape, seed: u64) -> Result<()> {
        let mut rng = Rng::new(seed, u64::MAX);
        let mut from = 0;
        while from < shape.keys {
            let to = (from + PRELOAD_BATCH).min(shape.keys);
            let mut batch = WriteBatch::new();
            for n in from..to {
                batch.put(
                    workload::key(n),
                    workload::value(&mut rng, shape.value_bytes),
                );
            }
            self.db
                .write(batch)
                .with_context(|| format!("preloading keys {from}..{to}"))?;
            from = to;
        }
        self.sql
            .execute(workload::CREATE_TABLE)
            .context("creating table t")?;
        let mut id = 1;
        while id <= shape.rows {
            let last = (id + PRELOAD_ROWS - 1).min(shape.rows);
            let insert = workload::insert_rows(id, last, &mut rng, shape.value_bytes);
            self.sql
                .execute(&insert)
                .with_context(|| format!("preloading rows {id}..={last}"))?;
            id = last + 1;
        }
        Ok(())
    }

    /// One cell: `clients` threads running `workload` within `bounds`.
    pub fn cell(
        &self,
        workload: Workload,
        clients: u32,
        shape: Shape,
        bounds: Bounds,
        seed: u64,
    ) -> Result<Outcome> {
        let bar = cell_bar(&format!("{IN_PROCESS} {} x{clients}", workload.name()));
        let shared = Shared::default();
        let cpu0 = Proc::Myself.cpu_seconds().ok();
        let clock = Clock::start(&bounds);
        let hists = std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients)
                .map(|i| {
                    let shared = &shared;
                    let mut rng = Rng::new(seed, u64::from(i));
                    s.spawn(move || {
                        let mut h = measure::histogram();
                        let mut worker = match Worker::new(self) {
                            Ok(w) => w,
                            Err(e) => {
                                shared.fail(&e);
                                return (h, Instant::now());
                            }
                        };
                        let mut first = true;
                        loop {
                            let t0 = Instant::now();
                            if shared.stopped() || t0 >= clock.deadline {
                                break;
                            }
                            let measured = !first && t0 >= clock.warm_end;
                            if measured && !shared.claim(bounds.requests) {
                                break;
                            }
                            first = false;
                            let op = shape.next_op(workload, &mut rng);
                            match worker.run(op, &shape, &mut rng) {
                                Ok(()) if measured => measure::record(&mut h, t0.elapsed()),
                                Ok(()) => {}
                                Err(e) => {
                                    shared.fail(&e);
                                    break;
                                }
                            }
                        }
                        (h, Instant::now())
                    })
                })
                .collect();
            while !handles.iter().all(|h| h.is_finished()) {
                bar.set_position(shared.started.load(Ordering::Relaxed));
                std::thread::sleep(Duration::from_millis(100));
            }
            handles
                .into_iter()
                .filter_map(|h| match h.join() {
                    Ok(r) => Some(r),
                    Err(_) => {
                        shared.fail(&anyhow::anyhow!("an in-process client thread panicked"));
                        None
                    }
                })
                .collect::<Vec<_>>()
        });
        let cpu1 = Proc::Myself.cpu_seconds().ok();
        let cpu = cpu0.zip(cpu1).map(|(a, b)| b - a);
        let out = finish(
            (IN_PROCESS, workload, clients),
            &shared,
            &clock,
            hists,
            (None, cpu, Proc::Myself.rss_bytes().ok().map(measure::mib)),
        );
        bar.finish_and_clear();
        Ok(out)
    }

    /// Close the engine (background work stopped, WAL synced).
    pub fn close(self) -> Result<()> {
        self.db.close().context("closing the in-process engine")
    }
}

/// One thread's handles: the engine, a SQL session and the prepared point query.
struct Worker<'a> {
    db: &'a Db,
    session: Session,
    select: Prepared,
}

impl<'a> Worker<'a> {
    fn new(p: &'a InProcess) -> Result<Worker<'a>> {
        Ok(Worker {
            db: &p.db,
            session: p.sql.session(),
            select: p
                .sql
                .prepare(workload::SELECT)
                .context("preparing the point query")?,
        })
    }

    fn run(&mut self, op: Op, shape: &Shape, rng: &mut Rng) -> Result<()> {
        match op {
            Op::Get(n) => {
                let v = self
                    .db
                    .get(workload::key(n))
                    .with_context(|| format!("get of key {n}"))?;
                let len = v.map(|v| v.len());
                ensure!(
                    len == Some(shape.value_bytes),
                    "get of key {n}: {len:?} bytes, not {}",
                    shape.value_bytes
                );
            }
            Op::Put(n) => self
                .db
                .put(workload::key(n), workload::value(rng, shape.value_bytes))
                .with_context(|| format!("put of key {n}"))?,
            Op::Sql(id) => {
                let r = self
                    .session
                    .execute_prepared(&self.select, &[Value::Integer(id as i64)])
                    .with_context(|| format!("select of row {id}"))?;
                ensure!(
                    r.rows.len() == 1
                        && matches!(r.rows[0].first(), Some(Value::Text(t)) if t.len() == shape.value_bytes),
                    "select of row {id}: not one row with a text of {} bytes: {:?}",
                    shape.value_bytes,
                    r.rows
                );
            }
        }
        Ok(())
    }
}
