//! The operations both faces offer, written once: [`Api`] checks the input against the
//! [`Limits`], calls the engine or the SQL layer, and answers with [`ApiError`]s. The gRPC and
//! REST modules only translate requests and answers.
//!
//! Every method here may block (a write waits for its group commit and fsync, a scan reads
//! tables, SQL runs a statement); the faces call them on tokio's blocking pool
//! ([`Api::blocking`]), except `get`, which reads the memtable or the block cache and is
//! called inline.
//!
//! The SQL layer's keys (those under [`RESERVED_PREFIX`]) are not part of the key space seen
//! here: writing one is refused, reading one is refused, scans and the key-space watch skip
//! them. The tables are reached through SQL.

use crate::config::Limits;
use crate::error::{ApiError, ApiResult, Code};
use crate::metrics::Metrics;
use crate::wire;
use ferrolite::{Bytes, Db, FeedItem, ValueKind, WriteBatch};
use ferrolite_sql::keys::RESERVED_PREFIX;
use ferrolite_sql::{Database, QueryResult, RowEvent, Value};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// The end of the reserved range: the first key after every key with [`RESERVED_PREFIX`].
fn reserved_end() -> Vec<u8> {
    prefix_end(RESERVED_PREFIX).unwrap_or_default()
}

/// The first key after every key starting with `prefix` (`None`: no such key, the prefix is
/// all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One operation of a batch.
#[derive(Clone, Debug)]
pub enum BatchOp {
    /// Set a key.
    Put(Bytes, Bytes),
    /// Remove a key.
    Delete(Bytes),
}

/// A scan request.
#[derive(Clone, Debug, Default)]
pub struct ScanArgs {
    /// Keys >= start (empty: unbounded).
    pub start: Bytes,
    /// Keys < end (empty: unbounded).
    pub end: Bytes,
    /// Only keys with this prefix (empty: any).
    pub prefix: Bytes,
    /// Page size (0: the default).
    pub limit: usize,
    /// The previous page's token (empty: the first page).
    pub resume: String,
}

/// One page of a scan.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The pairs, in key order.
    pub pairs: Vec<(Bytes, Bytes)>,
    /// The token for the next page (empty: nothing after this page).
    pub next: String,
}

/// The results of a SQL request: one per statement that ran, and the error that stopped the
/// script, with the statement's index.
#[derive(Debug, Default)]
pub struct SqlOutcome {
    /// Results of the statements that succeeded, in order.
    pub results: Vec<QueryResult>,
    /// The first failure (the statements after it did not run).
    pub error: Option<(usize, ApiError)>,
}

/// What a watch asks for.
#[derive(Clone, Debug, Default)]
pub struct WatchArgs {
    /// Empty: the key space; otherwise a SQL table.
    pub table: String,
    /// First sequence number wanted; 0: from now on.
    pub from_seq: u64,
    /// Key space only: keys with this prefix.
    pub prefix: Bytes,
}

/// One item of a watch.
#[derive(Clone, Debug)]
pub enum WatchItem {
    /// A committed batch of the key space (only the operations that passed the filter).
    Batch {
        /// The batch's first sequence number.
        seq: u64,
        /// (sequence number, key, value or `None` for a delete).
        changes: Vec<(u64, Bytes, Option<Bytes>)>,
    },
    /// A row event of a table.
    Row(RowEvent),
}

/// A row event's kind and images, as both faces name them: `insert` (new), `update` (old,
/// new), `delete` (old).
pub fn row_change(e: &RowEvent) -> (&'static str, Option<&[Value]>, Option<&[Value]>) {
    use ferrolite_sql::RowChange;
    match &e.change {
        RowChange::Inserted { new } => ("insert", None, Some(new)),
        RowChange::Updated { old, new } => ("update", Some(old), Some(new)),
        RowChange::Deleted { old } => ("delete", Some(old), None),
    }
}

/// A watch in progress: items from a thread that follows the change feed. Dropping it stops
/// the thread (within [`POLL`]) and frees its stream slot.
#[derive(Debug)]
pub struct Watch {
    /// Items; an error is the last item.
    pub rx: mpsc::Receiver<ApiResult<WatchItem>>,
    _permit: OwnedSemaphorePermit,
}

/// How often a watch's thread looks whether its client left or the server is stopping.
pub const POLL: Duration = Duration::from_millis(100);

/// The shared state behind both faces.
pub struct Api {
    db: Arc<Db>,
    sql: Database,
    limits: Limits,
    streams: Arc<Semaphore>,
    stopping: Arc<AtomicBool>,
    /// The server's counters.
    pub metrics: Metrics,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("limits", &self.limits).finish()
    }
}

impl Api {
    /// The operations over `db`, with the SQL layer sharing it.
    pub fn new(db: Arc<Db>, limits: Limits) -> ApiResult<Api> {
        let storage = ferrolite_sql::storage::EngineStorage::new(db.clone());
        let sql = Database::with_storage(Arc::new(storage))?;
        Ok(Api {
            db,
            sql,
            streams: Arc::new(Semaphore::new(limits.max_streams)),
            limits,
            stopping: Arc::new(AtomicBool::new(false)),
            metrics: Metrics::default(),
        })
    }

    /// The engine.
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Run `f` on tokio's blocking pool (a thread that may wait for I/O).
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Api) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let api = self.clone();
        match tokio::task::spawn_blocking(move || f(&api)).await {
            Ok(r) => r,
            Err(e) => Err(ApiError::new(
                Code::Internal,
                format!("the request's task failed: {e}"),
            )),
        }
    }

    /// Start stopping: health says so, watches end with `UNAVAILABLE`.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether [`Api::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// SQL and watch streams open now.
    pub fn open_streams(&self) -> usize {
        self.limits.max_streams - self.streams.available_permits()
    }

    /// A stream slot, or `RESOURCE_EXHAUSTED` when all are taken.
    pub fn stream_slot(&self) -> ApiResult<OwnedSemaphorePermit> {
        self.streams.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                Code::Busy,
                format!(
                    "too many open streams (the limit is {}); retry later",
                    self.limits.max_streams
                ),
            )
        })
    }

    fn check_key(&self, what: &str, key: &[u8]) -> ApiResult<()> {
        if key.is_empty() {
            return Err(ApiError::invalid(format!("{what}: empty key")));
        }
        if key.len() > ferrolite::MAX_KEY_LEN {
            return Err(ApiError::too_large(format!(
                "{what}: key of {} bytes exceeds the maximum of {}",
                key.len(),
                ferrolite::MAX_KEY_LEN
            )));
        }
        if key.starts_with(RESERVED_PREFIX) {
            return Err(ApiError::invalid(format!(
                "{what}: keys starting with 0xFE \"sql\" belong to the SQL layer's tables (use SQL)"
            )));
        }
        Ok(())
    }

    fn check_value(&self, what: &str, value: &[u8]) -> ApiResult<()> {
        if value.len() > self.limits.max_value_bytes {
            return Err(ApiError::too_large(format!(
                "{what}: value of {} bytes exceeds the maximum of {} (--max-value-bytes)",
                value.len(),
                self.limits.max_value_bytes
            )));
        }
        Ok(())
    }

    fn visible_seq(&self) -> u64 {
        self.db.visible_seq()
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> ApiResult<Option<Bytes>> {
        self.check_key("key", key)?;
        Ok(self.db.get(key)?)
    }

    /// Set `key`; the last sequence number visible after it.
    pub fn put(&self, key: Bytes, value: Bytes) -> ApiResult<u64> {
        self.check_key("key", &key)?;
        self.check_value("value", &value)?;
        self.db.put(key, value)?;
        Ok(self.visible_seq())
    }

    /// Remove `key`.
    pub fn delete(&self, key: Bytes) -> ApiResult<u64> {
        self.check_key("key", &key)?;
        self.db.delete(key)?;
        Ok(self.visible_seq())
    }

    /// Apply every operation or none. Every operation is checked before anything is written.
    pub fn batch(&self, ops: Vec<BatchOp>) -> ApiResult<u64> {
        if ops.len() > self.limits.max_batch_ops {
            return Err(ApiError::too_large(format!(
                "a batch of {} operations exceeds the maximum of {} (--max-batch-ops)",
                ops.len(),
                self.limits.max_batch_ops
            )));
        }
        let mut batch = WriteBatch::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                BatchOp::Put(k, v) => {
                    self.check_key(&format!("ops[{i}]"), &k)?;
                    self.check_value(&format!("ops[{i}]"), &v)?;
                    batch.put(k, v);
                }
                BatchOp::Delete(k) => {
                    self.check_key(&format!("ops[{i}]"), &k)?;
                    batch.delete(k);
                }
            }
        }
        if !batch.is_empty() {
            self.db.write(batch)?;
        }
        Ok(self.visible_seq())
    }

    /// One page of a range or prefix, skipping the SQL layer's keys.
    pub fn scan(&self, args: ScanArgs) -> ApiResult<Page> {
        let limit = match args.limit {
            0 => self.limits.default_scan_page,
            n => n.min(self.limits.max_scan_page),
        };
        // Lower bound: the largest of start, prefix and the key after the resume point.
        let mut lower: Bound<Vec<u8>> = Bound::Unbounded;
        let mut raise = |b: Bound<Vec<u8>>| {
            let higher = match (&lower, &b) {
                (Bound::Unbounded, _) => true,
                (_, Bound::Unbounded) => false,
                (Bound::Included(a) | Bound::Excluded(a), Bound::Included(x))
                | (Bound::Included(a), Bound::Excluded(x)) => x > a,
                (Bound::Excluded(a), Bound::Excluded(x)) => x > a,
            };
            if higher {
                lower = b;
            }
        };
        if !args.start.is_empty() {
            raise(Bound::Included(args.start.to_vec()));
        }
        if !args.prefix.is_empty() {
            raise(Bound::Included(args.prefix.to_vec()));
        }
        if !args.resume.is_empty() {
            raise(Bound::Excluded(
                wire::parse_resume_token(&args.resume)?.to_vec(),
            ));
        }
        let mut upper: Option<Vec<u8>> = (!args.end.is_empty()).then(|| args.end.to_vec());
        if !args.prefix.is_empty() {
            if let Some(pe) = prefix_end(&args.prefix) {
                upper = Some(match upper {
                    Some(u) if u < pe => u,
                    _ => pe,
                });
            }
        }
        let upper_bound = match &upper {
            Some(u) => Bound::Excluded(u.clone()),
            None => Bound::Unbounded,
        };
        // A page also stops before its keys and values pass the request limit (at least one
        // pair is always returned): clients' default message limit is 4 MiB (tonic, grpc-go).
        let budget = self.limits.max_request_bytes;
        let mut bytes = 0usize;
        let mut pairs = Vec::with_capacity(limit.min(1024));
        let mut more = false;
        let mut iter = self.db.scan((lower, upper_bound.clone()))?;
        loop {
            let Some(item) = iter.next() else { break };
            let (k, v) = item?;
            if k.starts_with(RESERVED_PREFIX) {
                // Jump over the SQL layer's keys with a new scan after them.
                let after = reserved_end();
                if upper.as_ref().is_some_and(|u| *u <= after) {
                    break;
                }
                iter = self
                    .db
                    .scan((Bound::Included(after), upper_bound.clone()))?;
                continue;
            }
            if pairs.len() == limit || (!pairs.is_empty() && bytes + k.len() + v.len() > budget) {
                more = true;
                break;
            }
            bytes += k.len() + v.len();
            pairs.push((k, v));
        }
        let next = match (more, pairs.last()) {
            (true, Some((k, _))) => wire::resume_token(k),
            _ => String::new(),
        };
        Ok(Page { pairs, next })
    }

    /// Run one statement with `params`, or a script of statements (without parameters) in one
    /// session. A transaction left open by the script is rolled back.
    ///
    /// A lone query (SELECT, EXPLAIN) runs on the calling task, as `get` does: it reads a
    /// snapshot and never waits for a writer, and a point query costs microseconds, far less
    /// than the two thread hand-offs of the blocking pool (which dominated a profile of the
    /// server under SQL point queries). Anything that writes runs on the blocking pool.
    pub async fn run_sql(
        self: &Arc<Self>,
        text: String,
        params: Vec<Value>,
    ) -> ApiResult<SqlOutcome> {
        let stmts = self.sql_prepare(&text, &params)?;
        if stmts.len() == 1 && stmts[0].is_query() {
            return self.sql_run(&stmts, &params);
        }
        self.blocking(move |a| a.sql_run(&stmts, &params)).await
    }

    /// Parse a request's SQL text into statements, checking the request's shape.
    fn sql_prepare(&self, text: &str, params: &[Value]) -> ApiResult<Vec<ferrolite_sql::Prepared>> {
        let stmts = self.sql.prepare_script(text)?;
        if stmts.is_empty() {
            return Err(ApiError::invalid("no SQL statement"));
        }
        if stmts.len() > 1 && !params.is_empty() {
            return Err(ApiError::invalid(
                "parameters go with a single statement, not a script",
            ));
        }
        Ok(stmts)
    }

    /// Run parsed statements in one session.
    fn sql_run(
        &self,
        stmts: &[ferrolite_sql::Prepared],
        params: &[Value],
    ) -> ApiResult<SqlOutcome> {
        let mut session = self.sql.session();
        let mut out = SqlOutcome::default();
        let mut rows = 0usize;
        for (i, stmt) in stmts.iter().enumerate() {
            match session.execute_prepared(stmt, params) {
                Ok(r) => {
                    rows += r.rows.len();
                    if rows > self.limits.max_sql_rows {
                        out.error = Some((
                            i,
                            ApiError::too_large(format!(
                                "the result has more than {} rows (--max-sql-rows); add a LIMIT",
                                self.limits.max_sql_rows
                            )),
                        ));
                        break;
                    }
                    out.results.push(r);
                }
                Err(e) => {
                    out.error = Some((i, e.into()));
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Follow the change feed of the key space or of a table.
    pub fn watch(self: &Arc<Self>, args: WatchArgs) -> ApiResult<Watch> {
        if self.is_stopping() {
            return Err(ApiError::new(
                Code::Unavailable,
                "the server is shutting down",
            ));
        }
        let permit = self.stream_slot()?;
        let from = match args.from_seq {
            0 => self.visible_seq() + 1,
            n => n,
        };
        let (tx, rx) = mpsc::channel(256);
        let api = self.clone();
        if args.table.is_empty() {
            let sub = self.db.subscribe(from, self.limits.watch_buffer)?;
            let prefix = args.prefix;
            std::thread::Builder::new()
                .name("ferrolite-watch".into())
                .spawn(move || follow_keys(&api, sub, &prefix, &tx))
                .map_err(|e| ApiError::new(Code::Internal, format!("cannot start a watch: {e}")))?;
        } else {
            if !args.prefix.is_empty() {
                return Err(ApiError::invalid("a table watch takes no prefix"));
            }
            if self.sql.catalog().table(&args.table).is_err() {
                return Err(ApiError::new(
                    Code::NotFound,
                    format!("no such table: {}", args.table),
                ));
            }
            let events = self.sql.subscribe(&args.table, from)?;
            std::thread::Builder::new()
                .name("ferrolite-watch".into())
                .spawn(move || follow_rows(&api, events, &tx))
                .map_err(|e| ApiError::new(Code::Internal, format!("cannot start a watch: {e}")))?;
        }
        Ok(Watch {
            rx,
            _permit: permit,
        })
    }

    /// `serving` or `shutting_down`, the last visible sequence number, the memtable.
    pub fn health(&self) -> (&'static str, u64, &'static str) {
        let stats = self.db.stats();
        let status = if self.is_stopping() {
            "shutting_down"
        } else {
            "serving"
        };
        (status, stats.last_seq, stats.memtable)
    }

    /// The engine's and the server's statistics as one JSON document.
    pub fn stats_json(&self) -> serde_json::Value {
        let s = self.db.stats();
        let counters: serde_json::Map<String, serde_json::Value> = s
            .counters()
            .into_iter()
            .map(|(name, _, v)| (name.to_string(), v.into()))
            .collect();
        let requests: Vec<serde_json::Value> = self
            .metrics
            .requests()
            .into_iter()
            .map(|(face, op, code, n)| {
                serde_json::json!({ "face": face, "op": op, "code": code, "count": n })
            })
            .collect();
        serde_json::json!({
            "engine": {
                "memtable": s.memtable,
                "last_seq": s.last_seq,
                "counters": counters,
                "files_per_level": s.files_per_level,
                "bytes_per_level": s.bytes_per_level,
                "immutable_memtables": s.immutable_memtables,
                "memtable_bytes": s.memtable_bytes,
                "cache": { "blocks": s.cache_blocks, "bytes": s.cache_bytes, "hits": s.cache_hits, "misses": s.cache_misses },
                "feed_subscribers": s.feed_subscribers,
                "write_amplification": s.write_amplification(),
                "stall_seconds": s.stall_time().as_secs_f64(),
            },
            "server": {
                "uptime_seconds": self.metrics.uptime().as_secs_f64(),
                "open_streams": self.open_streams(),
                "requests": requests,
            },
        })
    }

    /// The Prometheus text of [`Metrics::prometheus`].
    pub fn metrics_text(&self) -> String {
        self.metrics
            .prometheus(&self.db.stats(), self.open_streams())
    }
}

/// The items of `watch` as a stream. When the feed's thread ends without an error (it saw
/// the server stopping but could not queue its last word), the stream ends with
/// `UNAVAILABLE` all the same, so a client always learns why its watch ended.
pub fn watch_stream(
    api: Arc<Api>,
    watch: Watch,
) -> impl futures_util::Stream<Item = ApiResult<WatchItem>> + Send + 'static {
    futures_util::stream::unfold((Some(watch), api), |(watch, api)| async move {
        let mut w = watch?;
        match w.rx.recv().await {
            Some(item) => {
                let last = item.is_err();
                Some((item, (if last { None } else { Some(w) }, api)))
            }
            None => Some((stopping_item(), (None, api))),
        }
    })
}

/// Send `item` unless the client left or the server is stopping; `false`: stop following.
/// A full channel (a slow client) is waited on in steps, so the thread still notices both.
fn deliver(api: &Api, tx: &mpsc::Sender<ApiResult<WatchItem>>, item: ApiResult<WatchItem>) -> bool {
    let mut item = item;
    loop {
        match tx.try_send(item) {
            Ok(()) => return true,
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
            Err(mpsc::error::TrySendError::Full(back)) => {
                if api.is_stopping() {
                    return false;
                }
                item = back;
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// End the watch because the server is stopping (the last item the client gets).
fn stopping_item() -> ApiResult<WatchItem> {
    Err(ApiError::new(
        Code::Unavailable,
        "the server is shutting down; watch again from the next sequence number",
    ))
}

fn follow_keys(
    api: &Api,
    mut sub: ferrolite::Subscription,
    prefix: &[u8],
    tx: &mpsc::Sender<ApiResult<WatchItem>>,
) {
    loop {
        if api.is_stopping() {
            let _ = tx.try_send(stopping_item());
            return;
        }
        if tx.is_closed() {
            return;
        }
        let item = match sub.recv_timeout(POLL) {
            Ok(None) => continue,
            Ok(Some(FeedItem::Event(ev))) => {
                let changes: Vec<_> = ev
                    .ops
                    .iter()
                    .enumerate()
                    .filter(|(_, op)| !op.key.starts_with(RESERVED_PREFIX) && op.key.starts_with(prefix))
                    .map(|(i, op)| {
                        let value = (op.kind == ValueKind::Put).then(|| op.value.clone());
                        (ev.seq + i as u64, op.key.clone(), value)
                    })
                    .collect();
                if changes.is_empty() {
                    continue;
                }
                Ok(WatchItem::Batch {
                    seq: ev.seq,
                    changes,
                })
            }
            Ok(Some(FeedItem::Gap {
                from,
                available_from,
            })) => Err(ApiError::new(
                Code::OutOfRange,
                format!("events from {from} are no longer in the log; the oldest available is {available_from} (watch from there, or scan for the current state)"),
            )),
            Ok(Some(FeedItem::Lagged {
                missed_from,
                missed_to,
            })) => Err(ApiError::new(
                Code::Lagged,
                format!("the client fell behind and events {missed_from}..={missed_to} were dropped; watch again from {missed_from}"),
            )),
            Err(e) => Err(e.into()),
        };
        let last = item.is_err();
        if !deliver(api, tx, item) || last {
            return;
        }
    }
}

fn follow_rows(
    api: &Api,
    mut events: ferrolite_sql::RowEvents,
    tx: &mpsc::Sender<ApiResult<WatchItem>>,
) {
    loop {
        if api.is_stopping() {
            let _ = tx.try_send(stopping_item());
            return;
        }
        if tx.is_closed() {
            return;
        }
        let item = match events.recv_timeout(POLL) {
            Ok(None) => continue,
            Ok(Some(e)) => Ok(WatchItem::Row(e)),
            Err(e) => Err(ApiError::from(e)),
        };
        let last = item.is_err();
        if !deliver(api, tx, item) || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(reserved_end(), b"\xfesqm".to_vec());
    }
}
