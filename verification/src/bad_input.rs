//! Bad input and misuse: every case gets its exact typed `ferrolite::Error`, and the database
//! still works afterwards.
//!
//! Cases, on the engine over one memtable kind (under the default options in quick mode, under
//! every stage preset `S0`..`S5` as well in default and full mode):
//!
//! * **keys and values**: an empty key to `put`, `delete`, `get`, a batch, a snapshot's `get`
//!   (`EmptyKey`); a key of `MAX_KEY_LEN + 1` bytes to the same five (`KeyTooLarge` with the
//!   lengths; `MAX_KEY_LEN` itself is accepted); a value of `MAX_VALUE_LEN + 1` bytes to `put`
//!   and in a batch (`ValueTooLarge`); a batch whose encoding exceeds the WAL's record limit
//!   (`BatchTooLarge`; its values share one buffer, so it costs one value's memory). A batch
//!   with one bad operation applies none of its good ones. Empty scan bounds are not errors:
//!   they mean "from the start" (checked, not counted).
//! * **options**: one invalid value per rule of `Options::validate` (both ends of every range),
//!   each `InvalidOptions` naming the field, with nothing created on disk — and the boundary
//!   value of every rule accepted; `num_levels` below the levels a database uses.
//! * **paths**: `Db::open` on a regular file and on a path inside a regular file
//!   (`NotADirectory` naming the path, with or without `create_if_missing`), on a missing
//!   path with `create_if_missing` off (`NotFound`, nothing created), on an existing database
//!   with `error_if_exists` (`AlreadyExists`).
//! * **a lock held by another process**: the `lock-holder` binary opens the database and
//!   prints `LOCKED`; `Db::open` here fails with `Locked` naming the directory (and its message
//!   says so); once the holder's stdin is closed and it exits, the open succeeds.
//! * **use after close**: every fallible public method of `Db` and of a `Snapshot` taken before
//!   the close returns `Closed`; `close` again is `Ok`; a reopen sees the data.
//! * **future format versions**, written the way a newer version would (correct checksums):
//!   a WAL segment header with version 2, a WAL record with format tag 2 appended to a segment
//!   (and every tag up to 255 in quick form: 2, 3, 127, 255), a manifest header with version 2,
//!   a manifest edit with an unknown tag, a table footer with version 2, a table block with
//!   encoding type 2: each `Incompatible` naming the file; put back, the database opens with all
//!   its data (the refused open changed nothing).
//!
//! Reports `VERIFY-STAT bad_inputs` (typed errors asserted).

use crate::engine_model::scratch_root;
use crate::{report, Mode};
use bytes::Bytes;
use ferrolite::fs::FileKind;
use ferrolite::inspect::{self, MAX_RECORD_LEN};
use ferrolite::{
    Db, Error, MapKind, Options, Stage, SyncPolicy, WriteBatch, MAX_KEY_LEN, MAX_VALUE_LEN,
};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Counts the typed errors asserted; names the context in failures.
struct Cases {
    n: u64,
    ctx: String,
}

/// Assert that `$res` is `Err($pat)` (with an optional guard) and count it.
macro_rules! expect_err {
    ($cases:expr, $what:expr, $res:expr, $pat:pat $(if $guard:expr)?) => {{
        match $res {
            Err($pat) $(if $guard)? => $cases.n += 1,
            other => panic!(
                "{}: {}: expected Err({}), got {:?}",
                $cases.ctx,
                $what,
                stringify!($pat $(if $guard)?),
                other.map(|_| ())
            ),
        }
    }};
}

fn scratch(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("ferrolite-bad-input-{tag}-"))
        .tempdir_in(scratch_root())
        .unwrap_or_else(|e| panic!("creating a scratch directory: {e}"))
}

/// The database still reads and writes: a put, a get, a batch.
#[track_caller]
fn still_works(db: &Db, ctx: &str) {
    db.put("alive", "yes")
        .unwrap_or_else(|e| panic!("{ctx}: put after bad input: {e}"));
    let mut b = WriteBatch::new();
    b.put("alive2", "yes").delete("alive");
    db.write(b)
        .unwrap_or_else(|e| panic!("{ctx}: batch after bad input: {e}"));
    assert_eq!(db.get("alive").unwrap().as_deref(), None, "{ctx}");
    assert_eq!(
        db.get("alive2").unwrap().as_deref(),
        Some(&b"yes"[..]),
        "{ctx}"
    );
}

/// Keys, values and batches out of bounds, on an open database.
fn keys_and_values(c: &mut Cases, dir: &Path, opts: &Options) {
    let db = Db::open(dir, opts.clone()).unwrap_or_else(|e| panic!("{}: open: {e}", c.ctx));
    db.put("present", "v").unwrap();
    let snap = db.snapshot().unwrap();
    let empty = Bytes::new();
    let long = Bytes::from(vec![b'k'; MAX_KEY_LEN + 1]);
    let max_key = Bytes::from(vec![b'm'; MAX_KEY_LEN]);
    // One buffer shared by every value that needs it (calloc'd, never touched).
    let huge = Bytes::from(vec![0u8; MAX_VALUE_LEN + 1]);
    let max_value = huge.slice(..MAX_VALUE_LEN);

    expect_err!(
        c,
        "put(empty key)",
        db.put(empty.clone(), "v"),
        Error::EmptyKey
    );
    expect_err!(
        c,
        "delete(empty key)",
        db.delete(empty.clone()),
        Error::EmptyKey
    );
    expect_err!(c, "get(empty key)", db.get(&empty), Error::EmptyKey);
    expect_err!(
        c,
        "snapshot get(empty key)",
        snap.get(&empty),
        Error::EmptyKey
    );
    let mut b = WriteBatch::new();
    b.put("good-in-bad-batch", "v").put(empty.clone(), "v");
    expect_err!(c, "batch with an empty key", db.write(b), Error::EmptyKey);
    let mut b = WriteBatch::new();
    b.put("good-in-bad-batch", "v").delete(empty.clone());
    expect_err!(
        c,
        "batch deleting an empty key",
        db.write(b),
        Error::EmptyKey
    );

    let too_long = |len: usize, max: usize| len == MAX_KEY_LEN + 1 && max == MAX_KEY_LEN;
    expect_err!(
        c,
        "put(long key)",
        db.put(long.clone(), "v"),
        Error::KeyTooLarge { len, max } if too_long(len, max)
    );
    expect_err!(
        c,
        "delete(long key)",
        db.delete(long.clone()),
        Error::KeyTooLarge { len, max } if too_long(len, max)
    );
    expect_err!(
        c,
        "get(long key)",
        db.get(&long),
        Error::KeyTooLarge { len, max } if too_long(len, max)
    );
    expect_err!(
        c,
        "snapshot get(long key)",
        snap.get(&long),
        Error::KeyTooLarge { len, max } if too_long(len, max)
    );
    let mut b = WriteBatch::new();
    b.put("good-in-bad-batch", "v").put(long.clone(), "v");
    expect_err!(
        c,
        "batch with a long key",
        db.write(b),
        Error::KeyTooLarge { len, max } if too_long(len, max)
    );

    let value_too_long = |len: usize, max: usize| len == MAX_VALUE_LEN + 1 && max == MAX_VALUE_LEN;
    expect_err!(
        c,
        "put(huge value)",
        db.put("k", huge.clone()),
        Error::ValueTooLarge { len, max } if value_too_long(len, max)
    );
    let mut b = WriteBatch::new();
    b.put("good-in-bad-batch", "v").put("k", huge.clone());
    expect_err!(
        c,
        "batch with a huge value",
        db.write(b),
        Error::ValueTooLarge { len, max } if value_too_long(len, max)
    );
    // Every value within limits, the whole batch over the WAL's record limit.
    let mut b = WriteBatch::new();
    let n = MAX_RECORD_LEN / MAX_VALUE_LEN + 1;
    for i in 0..n {
        b.put(format!("big{i}"), max_value.clone());
    }
    expect_err!(
        c,
        "batch over the record limit",
        db.write(b),
        Error::BatchTooLarge { len, max } if len > MAX_RECORD_LEN && max == MAX_RECORD_LEN
    );

    // None of the bad batches applied its good operation.
    assert_eq!(
        db.get("good-in-bad-batch").unwrap(),
        None,
        "{}: a refused batch was partly applied",
        c.ctx
    );
    assert_eq!(db.get("big0").unwrap(), None, "{}", c.ctx);
    // The largest key is accepted, by every operation.
    db.put(max_key.clone(), "max").unwrap();
    assert_eq!(
        db.get(&max_key).unwrap().as_deref(),
        Some(&b"max"[..]),
        "{}",
        c.ctx
    );
    assert_eq!(snap.get(&max_key).unwrap(), None, "{}", c.ctx);
    // Empty scan bounds are not errors: "from the start" / "to the end".
    let all: Vec<_> = db.scan(&b""[..]..).unwrap().map(|e| e.unwrap().0).collect();
    let also: Vec<_> = db.iter().unwrap().map(|e| e.unwrap().0).collect();
    assert_eq!(all, also, "{}: scan from the empty key", c.ctx);
    assert!(
        db.scan(&b""[..]..&b""[..]).unwrap().next().is_none(),
        "{}: the empty range",
        c.ctx
    );
    drop(snap);
    still_works(&db, &c.ctx);
    db.delete(max_key).unwrap();
    db.close().unwrap();
}

/// Every rule of `Options::validate`: one invalid value each (nothing created on disk), and
/// the boundary value accepted.
fn options_rules(c: &mut Cases, base: &Options) {
    let root = scratch("options");
    let path = root.path().join("db");
    let d = |ms: u64| Duration::from_millis(ms);
    let cases: Vec<(&str, Options, Options)> = vec![
        (
            "memtable_size",
            base.clone().memtable_size(4095),
            base.clone().memtable_size(4096),
        ),
        (
            "max_immutable_memtables",
            base.clone().max_immutable_memtables(0),
            base.clone().max_immutable_memtables(1),
        ),
        (
            "block_size",
            base.clone().block_size(255),
            base.clone().block_size(256),
        ),
        (
            "block_size",
            base.clone().block_size((16 << 20) + 1),
            base.clone().block_size(16 << 20),
        ),
        (
            "bloom_bits_per_key",
            base.clone().bloom_bits_per_key(65),
            base.clone().bloom_bits_per_key(64),
        ),
        (
            "l0_compaction_trigger",
            base.clone().l0_compaction_trigger(0),
            base.clone().l0_compaction_trigger(1),
        ),
        (
            "compaction",
            base.clone()
                .l0_compaction_trigger(9)
                .l0_slowdown_trigger(8)
                .l0_stop_trigger(12),
            base.clone()
                .l0_compaction_trigger(8)
                .l0_slowdown_trigger(8)
                .l0_stop_trigger(12),
        ),
        (
            "slowdown",
            base.clone()
                .l0_compaction_trigger(4)
                .l0_slowdown_trigger(13)
                .l0_stop_trigger(12),
            base.clone()
                .l0_compaction_trigger(4)
                .l0_slowdown_trigger(12)
                .l0_stop_trigger(12),
        ),
        (
            "num_levels",
            base.clone().num_levels(1),
            base.clone().num_levels(2),
        ),
        (
            "num_levels",
            base.clone().num_levels(17),
            base.clone().num_levels(16),
        ),
        (
            "level_size_multiplier",
            base.clone().level_size_multiplier(1),
            base.clone().level_size_multiplier(2),
        ),
        (
            "level1_size",
            base.clone().level1_size(4095),
            base.clone().level1_size(4096),
        ),
        (
            "target_file_size",
            base.clone().target_file_size(4095),
            base.clone().target_file_size(4096),
        ),
        (
            "background_threads",
            base.clone().background_threads(0),
            base.clone().background_threads(1),
        ),
        (
            "max_delay",
            base.clone().sync(SyncPolicy::GroupCommit {
                max_delay: d(1000) + Duration::from_nanos(1),
            }),
            base.clone()
                .sync(SyncPolicy::GroupCommit { max_delay: d(1000) }),
        ),
        (
            "max_delay",
            base.clone()
                .sync(SyncPolicy::Buffered { max_delay: d(2000) }),
            base.clone()
                .sync(SyncPolicy::Buffered { max_delay: d(1000) }),
        ),
    ];
    for (field, bad, boundary) in cases {
        let what = format!("Options with a bad {field}");
        expect_err!(
            c,
            &what,
            Db::open(&path, bad.clone()),
            Error::InvalidOptions(ref msg) if msg.contains(field)
        );
        assert!(
            !path.exists(),
            "{}: {what}: invalid options created {path:?}",
            c.ctx
        );
        expect_err!(c, &what, bad.validate(), Error::InvalidOptions(_));
        boundary
            .validate()
            .unwrap_or_else(|e| panic!("{}: the boundary value of {field} refused: {e}", c.ctx));
    }
    // A database using 3 levels, reopened with fewer.
    {
        let db = Db::open(&path, base.clone().num_levels(3)).unwrap();
        db.put("k", "v").unwrap();
        db.compact().unwrap(); // to the last level, L2
    }
    expect_err!(
        c,
        "num_levels below the database's",
        Db::open(&path, base.clone().num_levels(2)),
        Error::InvalidOptions(ref msg) if msg.contains("num_levels")
    );
    let db = Db::open(&path, base.clone().num_levels(3)).unwrap();
    assert_eq!(
        db.get("k").unwrap().as_deref(),
        Some(&b"v"[..]),
        "{}",
        c.ctx
    );
    still_works(&db, &c.ctx);
}

/// `Db::open` on paths that cannot hold a database.
fn paths(c: &mut Cases, base: &Options) {
    let root = scratch("paths");
    let file = root.path().join("a-file");
    std::fs::write(&file, b"not a database").unwrap();
    // `NotADirectory` naming the path.
    let not_a_dir =
        |want: &Path, e: &Error| matches!(e, Error::NotADirectory(path) if path == want);
    let e = Db::open(&file, base.clone()).map(|_| ());
    expect_err!(c, "open(a regular file)", e, ref e if not_a_dir(&file, e));
    let e = Db::open(&file, base.clone().create_if_missing(false)).map(|_| ());
    expect_err!(
        c,
        "open(a regular file), create_if_missing off",
        e,
        ref e if not_a_dir(&file, e)
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"not a database",
        "{}",
        c.ctx
    );
    let inside = file.join("db");
    let e = Db::open(&inside, base.clone()).map(|_| ());
    expect_err!(
        c,
        "open(a path inside a regular file)",
        e,
        ref e if not_a_dir(&inside, e)
    );
    // Even without `create_if_missing`: asking whether `inside` exists already fails with
    // `NotADirectory`, which says more than `NotFound` would.
    let e = Db::open(&inside, base.clone().create_if_missing(false)).map(|_| ());
    expect_err!(
        c,
        "open(a path inside a regular file), create_if_missing off",
        e,
        ref e if not_a_dir(&inside, e)
    );
    let missing = root.path().join("missing");
    expect_err!(
        c,
        "open(a missing path), create_if_missing off",
        Db::open(&missing, base.clone().create_if_missing(false)),
        Error::NotFound(ref p) if *p == missing
    );
    assert!(
        !missing.exists(),
        "{}: a refused open created {missing:?}",
        c.ctx
    );
    // An empty directory is no database either.
    std::fs::create_dir(&missing).unwrap();
    expect_err!(
        c,
        "open(an empty directory), create_if_missing off",
        Db::open(&missing, base.clone().create_if_missing(false)),
        Error::NotFound(ref p) if *p == missing
    );
    let db_path = root.path().join("db");
    {
        let db = Db::open(&db_path, base.clone().error_if_exists(true)).unwrap();
        db.put("k", "v").unwrap();
    }
    expect_err!(
        c,
        "open with error_if_exists",
        Db::open(&db_path, base.clone().error_if_exists(true)),
        Error::AlreadyExists(ref p) if *p == db_path
    );
    let db = Db::open(&db_path, base.clone().create_if_missing(false)).unwrap();
    assert_eq!(
        db.get("k").unwrap().as_deref(),
        Some(&b"v"[..]),
        "{}",
        c.ctx
    );
    still_works(&db, &c.ctx);
}

/// A lock held by another process: `Locked` naming the directory, until it exits.
fn locked_by_another_process(c: &mut Cases, base: &Options, lock_holder: &Path) {
    let root = scratch("locked");
    let dir = root.path().join("db");
    {
        let db = Db::open(&dir, base.clone()).unwrap();
        db.put("k", "v").unwrap();
    }
    let mut child = Command::new(lock_holder)
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: spawning {}: {e}", c.ctx, lock_holder.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("reading the lock holder's stdout");
    if line.trim_end() != "LOCKED" {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{}: the lock holder said {line:?}, not LOCKED", c.ctx);
    }
    for create in [true, false] {
        match Db::open(&dir, base.clone().create_if_missing(create)) {
            Err(Error::Locked(ref p)) if *p == dir => {
                let msg = Error::Locked(p.clone()).to_string();
                assert!(
                    msg.contains(&dir.display().to_string()) && msg.contains("LOCK"),
                    "{}: the Locked message names neither the path nor the lock: {msg}",
                    c.ctx
                );
                c.n += 1;
            }
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{}: open of a database another process holds: expected Locked({}), got {:?}",
                    c.ctx,
                    dir.display(),
                    other.map(|_| ())
                );
            }
        }
    }
    drop(child.stdin.take()); // EOF: the holder closes its database and exits
    let status = child.wait().expect("waiting for the lock holder");
    assert!(
        status.success(),
        "{}: the lock holder failed: {status}",
        c.ctx
    );
    let db = Db::open(&dir, base.clone())
        .unwrap_or_else(|e| panic!("{}: open after the holder exited: {e}", c.ctx));
    assert_eq!(
        db.get("k").unwrap().as_deref(),
        Some(&b"v"[..]),
        "{}",
        c.ctx
    );
    still_works(&db, &c.ctx);
}

/// Every fallible public method after `close`.
fn use_after_close(c: &mut Cases, base: &Options) {
    let root = scratch("closed");
    let db = Db::open(root.path(), base.clone()).unwrap();
    db.put("k", "v").unwrap();
    let snap = db.snapshot().unwrap();
    db.close().unwrap();
    db.close().unwrap(); // idempotent
    let mut batch = WriteBatch::new();
    batch.put("a", "b");
    expect_err!(c, "put", db.put("k", "v"), Error::Closed);
    expect_err!(c, "delete", db.delete("k"), Error::Closed);
    expect_err!(c, "write", db.write(batch), Error::Closed);
    expect_err!(c, "get", db.get("k"), Error::Closed);
    expect_err!(c, "scan", db.scan(..), Error::Closed);
    expect_err!(c, "iter", db.iter(), Error::Closed);
    expect_err!(c, "scan_prefix", db.scan_prefix("k"), Error::Closed);
    expect_err!(c, "snapshot", db.snapshot(), Error::Closed);
    expect_err!(c, "flush", db.flush(), Error::Closed);
    expect_err!(c, "compact", db.compact(), Error::Closed);
    expect_err!(c, "sync_wal", db.sync_wal(), Error::Closed);
    expect_err!(c, "verify", db.verify(), Error::Closed);
    expect_err!(c, "subscribe", db.subscribe(0, 8), Error::Closed);
    expect_err!(c, "on_event", db.on_event(0, 8, |_| {}), Error::Closed);
    expect_err!(c, "snapshot.get", snap.get("k"), Error::Closed);
    expect_err!(c, "snapshot.scan", snap.scan(..), Error::Closed);
    expect_err!(c, "snapshot.iter", snap.iter(), Error::Closed);
    expect_err!(
        c,
        "snapshot.scan_prefix",
        snap.scan_prefix("k"),
        Error::Closed
    );
    // Infallible methods still answer.
    assert_eq!(db.path(), root.path());
    let _ = db.stats();
    drop(snap);
    drop(db);
    let db = Db::open(root.path(), base.clone()).unwrap();
    assert_eq!(
        db.get("k").unwrap().as_deref(),
        Some(&b"v"[..]),
        "{}",
        c.ctx
    );
    still_works(&db, &c.ctx);
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn only(dir: &Path, suffix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("no *{suffix} in {}", dir.display()))
}

/// Rewrite the framed log at `path` with its records plus `extra`, as a writer of this format
/// would (fresh frames, correct checksums).
fn append_record(path: &Path, extra: &[u8]) {
    let log = inspect::read_log(&ferrolite::StdFs::shared(), path).expect("reading a log");
    let mut payloads: Vec<&[u8]> = log.records.iter().map(|r| &r.payload[..]).collect();
    payloads.push(extra);
    std::fs::write(path, inspect::encode_log(FileKind::of(path), &payloads)).unwrap();
}

/// Give a log file header another version, with a correct header checksum.
fn set_log_version(path: &Path, version: u32) {
    let mut b = std::fs::read(path).unwrap();
    b[8..12].copy_from_slice(&version.to_le_bytes());
    let crc = crc32c::crc32c(&b[..12]);
    b[12..16].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(path, b).unwrap();
}

/// Files written by a newer format version: `Incompatible` naming the file; put back, all is
/// there.
fn future_formats(c: &mut Cases, base: &Options, mode: Mode) {
    let root = scratch("future");
    let opts = base.clone().auto_compaction(false);
    {
        let db = Db::open(root.path(), opts.clone()).unwrap();
        for i in 0..50 {
            db.put(format!("t{i:03}"), format!("table-{i}")).unwrap();
        }
        db.flush().unwrap(); // a table and a manifest edit
        for i in 0..5 {
            db.put(format!("w{i}"), format!("wal-{i}")).unwrap(); // WAL records
        }
    }
    // On a copy: an open replays the WAL into a table, and the next case needs the segment.
    let check_all = |c: &Cases, what: &str| {
        let copy = scratch("future-copy");
        for entry in std::fs::read_dir(root.path()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "LOCK" {
                std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
            }
        }
        let db = Db::open(copy.path(), opts.clone())
            .unwrap_or_else(|e| panic!("{}: {what}: open after putting it back: {e}", c.ctx));
        for i in 0..50 {
            assert_eq!(
                db.get(format!("t{i:03}")).unwrap().as_deref(),
                Some(format!("table-{i}").as_bytes()),
                "{}: {what}",
                c.ctx
            );
        }
        for i in 0..5 {
            assert_eq!(
                db.get(format!("w{i}")).unwrap().as_deref(),
                Some(format!("wal-{i}").as_bytes()),
                "{}: {what}",
                c.ctx
            );
        }
        db.close().unwrap();
    };
    // Each case: change one file, expect Incompatible naming it, put it back, check all.
    let case = |c: &mut Cases, what: &str, file: PathBuf, change: &dyn Fn(&Path)| {
        let saved = std::fs::read(&file).unwrap();
        change(&file);
        expect_err!(
            c,
            what,
            Db::open(root.path(), opts.clone()),
            Error::Incompatible { ref path, .. } if *path == file
        );
        assert!(
            file.exists(),
            "{}: {what}: the refused open removed the file",
            c.ctx
        );
        std::fs::write(&file, saved).unwrap();
        check_all(c, what);
    };
    // The open that wrote the WAL records left them in one segment (the next open replays it).
    let wal = only(root.path(), ".wal");
    let tags: Vec<u8> = mode.pick(
        vec![2, 3, 127, 255],
        (2..=255).collect(),
        (2..=255).collect(),
    );
    for tag in tags {
        case(
            c,
            &format!("a WAL record with format tag {tag}"),
            wal.clone(),
            &|p| {
                // A newer encoding of a batch: its tag, then bytes this build cannot know.
                let mut payload = vec![tag];
                payload.extend_from_slice(&99u64.to_le_bytes());
                payload.extend_from_slice(b"future batch encoding");
                append_record(p, &payload);
            },
        );
    }
    case(c, "a WAL segment of log version 2", wal.clone(), &|p| {
        set_log_version(p, 2)
    });
    let manifest = root.path().join(
        std::fs::read_to_string(root.path().join("CURRENT"))
            .unwrap()
            .trim_end(),
    );
    case(c, "a manifest of log version 2", manifest.clone(), &|p| {
        set_log_version(p, 2)
    });
    case(c, "a manifest edit with tag 200", manifest.clone(), &|p| {
        let mut edit = vec![200u8];
        edit.extend_from_slice(&7u64.to_le_bytes());
        append_record(p, &edit)
    });
    let table = only(root.path(), ".sst");
    case(c, "a table footer of version 2", table.clone(), &|p| {
        let mut b = std::fs::read(p).unwrap();
        let f = b.len() - 64;
        b[f + 48..f + 52].copy_from_slice(&2u32.to_le_bytes());
        let crc = crc32c::crc32c(&b[f..f + 52]);
        b[f + 52..f + 56].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(p, b).unwrap();
    });
    case(c, "a table block of encoding type 2", table.clone(), &|p| {
        // The index block (read at open): trailer type byte 2, checksum recomputed.
        let mut b = std::fs::read(p).unwrap();
        let f = b.len() - 64;
        let (off, size) = (u64_at(&b, f + 12) as usize, u32_at(&b, f + 20) as usize);
        b[off + size] = 2;
        let crc = crc32c::crc32c_append(crc32c::crc32c(&b[off..off + size]), &[2]);
        b[off + size + 1..off + size + 5].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(p, b).unwrap();
    });
}

/// Run every bad-input case on the engine over memtable `kind`; `lock_holder` is the
/// `lock-holder` binary. Panics with the case on failure.
pub fn run(kind: MapKind, mode: Mode, lock_holder: &Path) {
    let presets: Vec<(String, Options)> = {
        let mut v = vec![("default options".to_string(), Options::default())];
        if mode != Mode::Quick {
            v.extend(
                Stage::ALL
                    .iter()
                    .map(|&s| (format!("preset {}", s.name()), Options::stage(s))),
            );
        }
        v.into_iter().map(|(n, o)| (n, o.memtable(kind))).collect()
    };
    let mut c = Cases {
        n: 0,
        ctx: String::new(),
    };
    for (name, opts) in &presets {
        c.ctx = format!("memtable {}, {name}", kind.name());
        let dir = scratch("kv");
        keys_and_values(&mut c, dir.path(), opts);
        use_after_close(&mut c, opts);
        future_formats(&mut c, opts, mode);
    }
    c.ctx = format!("memtable {}", kind.name());
    let base = Options::default().memtable(kind);
    options_rules(&mut c, &base);
    paths(&mut c, &base);
    locked_by_another_process(&mut c, &base, lock_holder);
    println!(
        "bad input: memtable {}, mode {mode}: {} typed errors asserted over {} option sets",
        kind.name(),
        c.n,
        presets.len()
    );
    report("bad_inputs", c.n);
}
