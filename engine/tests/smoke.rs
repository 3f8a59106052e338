//! First end-to-end checks: put/get/delete/scan across flush, compaction and reopen.

use ferrolite::{Db, MapKind, Options, WriteBatch};

fn small(kind: MapKind) -> Options {
    Options::default()
        .memtable(kind)
        .memtable_size(16 << 10)
        .target_file_size(32 << 10)
        .level1_size(64 << 10)
        .block_cache_bytes(1 << 20)
}

#[test]
fn put_get_delete_scan_flush_compact_reopen() {
    for kind in MapKind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let n = 3000u32;
        {
            let db = Db::open(dir.path(), small(kind)).unwrap();
            for i in 0..n {
                db.put(format!("key{i:06}"), format!("value{i}")).unwrap();
            }
            for i in (0..n).step_by(3) {
                db.delete(format!("key{i:06}")).unwrap();
            }
            let mut b = WriteBatch::new();
            b.put("batch-a", "1")
                .put("batch-b", "2")
                .delete("key000001");
            db.write(b).unwrap();
            assert_eq!(
                db.get("key000002").unwrap().as_deref(),
                Some(&b"value2"[..])
            );
            assert_eq!(db.get("key000003").unwrap(), None);
            assert_eq!(db.get("key000001").unwrap(), None);
            let snap = db.snapshot().unwrap();
            db.put("key000002", "changed").unwrap();
            assert_eq!(
                snap.get("key000002").unwrap().as_deref(),
                Some(&b"value2"[..])
            );
            db.flush().unwrap();
            db.compact().unwrap();
            assert_eq!(
                snap.get("key000002").unwrap().as_deref(),
                Some(&b"value2"[..])
            );
            drop(snap);
            assert_eq!(
                db.get("key000002").unwrap().as_deref(),
                Some(&b"changed"[..])
            );
            let live: Vec<_> = db
                .scan_prefix("key")
                .unwrap()
                .map(|r| r.unwrap().0)
                .collect();
            let want: Vec<_> = (0..n)
                .filter(|i| i % 3 != 0 && *i != 1)
                .map(|i| format!("key{i:06}").into_bytes())
                .collect();
            assert_eq!(live.len(), want.len(), "{kind}");
            assert!(
                live.iter().zip(&want).all(|(a, b)| a[..] == b[..]),
                "{kind}"
            );
            db.verify().unwrap();
            let stats = db.stats();
            assert!(
                stats.flushes > 0 && stats.compactions > 0,
                "{kind}: {stats}"
            );
            db.put("after-compact", "x").unwrap();
        }
        let db = Db::open(dir.path(), small(kind)).unwrap();
        assert_eq!(db.get("after-compact").unwrap().as_deref(), Some(&b"x"[..]));
        assert_eq!(
            db.get("key000002").unwrap().as_deref(),
            Some(&b"changed"[..])
        );
        assert_eq!(db.get("key000003").unwrap(), None);
        assert_eq!(db.get("batch-b").unwrap().as_deref(), Some(&b"2"[..]));
        assert_eq!(db.iter().unwrap().count() as u32, 2 * n / 3 - 1 + 3);
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    assert!(matches!(db.put("", "v"), Err(ferrolite::Error::EmptyKey)));
    assert!(matches!(
        db.put(vec![0u8; ferrolite::MAX_KEY_LEN + 1], "v"),
        Err(ferrolite::Error::KeyTooLarge { .. })
    ));
    assert!(matches!(
        Db::open(dir.path(), Options::default()),
        Err(ferrolite::Error::Locked(_))
    ));
    db.close().unwrap();
    assert!(matches!(db.get("k"), Err(ferrolite::Error::Closed)));
    assert!(matches!(db.put("k", "v"), Err(ferrolite::Error::Closed)));
}

#[test]
fn buffered_wal_reaches_the_os_within_max_delay() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let opts = Options::default().sync(ferrolite::SyncPolicy::Buffered {
        max_delay: Duration::from_millis(50),
    });
    let db = Db::open(dir.path(), opts).unwrap();
    let wal_len = || -> u64 {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".wal"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    for i in 0..100 {
        db.put(format!("k{i}"), "v").unwrap();
    }
    assert_eq!(db.get("k99").unwrap().as_deref(), Some(&b"v"[..]));
    // Well past max_delay (and the workers' idle wake-up), with no further writes.
    std::thread::sleep(Duration::from_millis(1500));
    let before_sync = wal_len();
    db.sync_wal().unwrap();
    assert_eq!(
        wal_len(),
        before_sync,
        "an idle database must hand its buffered WAL to the OS within max_delay"
    );
}

#[test]
fn json_wal_reopened_per_write_recovers_and_mixes_with_binary() {
    let dir = tempfile::tempdir().unwrap();
    let ancestor = Options::default()
        .wal_format(ferrolite::RecordFormat::Json)
        .wal_reopen_per_write(true)
        .compaction(false);
    {
        let db = Db::open(dir.path(), ancestor.clone()).unwrap();
        db.put("a", "1").unwrap();
        let mut b = WriteBatch::new();
        b.put("b", vec![0u8, 255, 7]).delete("a");
        db.write(b).unwrap();
        // The segment holds readable JSON records.
        let wal: Vec<u8> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "wal"))
            .flat_map(|p| std::fs::read(p).unwrap())
            .collect();
        assert!(String::from_utf8_lossy(&wal).contains(r#""op":"delete""#));
    } // dropped without flush: the JSON WAL is replayed below
    {
        let db = Db::open(dir.path(), Options::default()).unwrap(); // binary from now on
        assert_eq!(db.get("a").unwrap(), None);
        assert_eq!(db.get("b").unwrap().as_deref(), Some(&[0u8, 255, 7][..]));
        db.put("c", "3").unwrap();
    }
    let db = Db::open(dir.path(), ancestor).unwrap();
    assert_eq!(db.get("c").unwrap().as_deref(), Some(&b"3"[..]));
    assert_eq!(db.iter().unwrap().count(), 2);
}
