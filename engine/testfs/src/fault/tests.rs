//! Unit tests of the `fault` adapter.

use super::*;

fn setup() -> (tempfile::TempDir, FaultFs) {
    (tempfile::tempdir().unwrap(), FaultFs::over_std())
}

#[test]
fn classes_come_from_file_names() {
    for (name, class) in [
        ("000001.wal", FileKind::Wal),
        ("000002.sst", FileKind::Table),
        ("MANIFEST-000003", FileKind::Manifest),
        ("CURRENT", FileKind::Current),
        ("CURRENT.tmp", FileKind::Current),
        ("LOCK", FileKind::Other),
        ("x.txt", FileKind::Other),
    ] {
        assert_eq!(FileKind::of(&Path::new("/db").join(name)), class, "{name}");
    }
    assert_eq!(FileKind::of(Path::new("/")), FileKind::Other);
}

#[test]
fn counts_by_kind_and_class() {
    let (dir, fs) = setup();
    let wal = dir.path().join("000001.wal");
    let mut w = fs.create_new(&wal, IoJob::Flush).unwrap();
    w.write_all(b"abc").unwrap();
    w.write_all(b"def").unwrap();
    w.sync_data().unwrap();
    drop(w);
    fs.sync_dir(dir.path()).unwrap();
    assert_eq!(fs.read(&wal).unwrap(), b"abcdef");
    let r = fs.open_random(&wal).unwrap();
    let mut b = [0u8; 2];
    r.read_exact_at(&mut b, 1).unwrap();
    assert_eq!(&b, b"bc");
    fs.rename(&wal, &dir.path().join("000002.sst")).unwrap();
    assert_eq!(fs.list_dir(dir.path()).unwrap().len(), 1);
    let c = fs.counts();
    assert_eq!(c.get(OpKind::Create, FileKind::Wal), 1);
    assert_eq!(c.get(OpKind::Write, FileKind::Wal), 2);
    assert_eq!(c.get(OpKind::Sync, FileKind::Wal), 1);
    assert_eq!(c.get(OpKind::Read, FileKind::Wal), 2);
    assert_eq!(c.get(OpKind::Open, FileKind::Wal), 1);
    assert_eq!(c.get(OpKind::Rename, FileKind::Table), 1);
    assert_eq!(c.of_kind(OpKind::SyncDir), 1);
    assert_eq!(c.of_kind(OpKind::List), 1);
    assert_eq!(c.of_class(FileKind::Wal), 7);
    assert_eq!(c.total, 10);
    assert_eq!(c.injected, 0);
    assert!(c.to_string().contains("write/wal=2"), "{c}");
    fs.reset_counts();
    assert_eq!(fs.counts(), FaultCounts::default());
}

#[test]
fn one_shot_fails_exactly_the_nth_matching_op() {
    let (dir, fs) = setup();
    fs.arm(
        FaultRule::eio()
            .on(&[OpKind::Write])
            .class(&[FileKind::Wal])
            .nth(2),
    );
    let mut other = fs
        .create_new(&dir.path().join("000001.sst"), IoJob::Flush)
        .unwrap();
    let mut w = fs
        .create_new(&dir.path().join("000002.wal"), IoJob::Flush)
        .unwrap();
    for _ in 0..5 {
        other.write_all(b"x").unwrap(); // another class: never matches
    }
    w.write_all(b"0").unwrap();
    w.write_all(b"1").unwrap();
    let e = w.write_all(b"2").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::Other);
    assert!(e.to_string().contains("EIO"), "{e}");
    w.write_all(b"3").unwrap(); // one-shot: the next succeeds
    w.sync_data().unwrap();
    assert_eq!(fs.read(&dir.path().join("000002.wal")).unwrap(), b"013");
    assert_eq!(fs.counts().injected, 1);
    assert!(!fs.is_stuck());
}

#[test]
fn full_disk_is_sticky_until_disarmed_and_can_write_short() {
    let (dir, fs) = setup();
    fs.start_trace();
    fs.arm(
        FaultRule::full_disk()
            .on(&[OpKind::Write])
            .short_write(ShortWrite::Half),
    );
    let p = dir.path().join("000003.wal");
    let mut w = fs.create_new(&p, IoJob::Flush).unwrap();
    let e = w.write_all(b"abcdefgh").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::StorageFull);
    assert_eq!(
        fs.read(&p).unwrap(),
        b"abcd",
        "half written before the error"
    );
    assert!(fs.is_stuck());
    assert_eq!(
        w.write_all(b"z").unwrap_err().kind(),
        io::ErrorKind::StorageFull
    );
    assert_eq!(
        fs.create_new(&dir.path().join("x"), IoJob::Flush)
            .unwrap_err()
            .kind(),
        io::ErrorKind::StorageFull
    );
    // Syncs, renames and removals still work on a full disk.
    w.sync_data().unwrap();
    fs.remove_file(&p).unwrap();
    let trace = fs.take_trace();
    let failed: Vec<u64> = trace
        .iter()
        .filter(|r| r.injected)
        .map(|r| r.index)
        .collect();
    assert_eq!(failed, vec![1, 3, 4]);
    assert_eq!(trace[1].kind, OpKind::Write);
    assert_eq!(trace[1].class, FileKind::Wal);
    assert_eq!(fs.counts().injected, 3);
    fs.disarm();
    assert!(!fs.is_stuck());
    drop(fs.create_new(&dir.path().join("y"), IoJob::Flush).unwrap());
}

#[test]
fn short_write_never_writes_everything_and_custom_errors() {
    assert_eq!(ShortWrite::Bytes(100).prefix(10), 9);
    assert_eq!(ShortWrite::Bytes(3).prefix(10), 3);
    assert_eq!(ShortWrite::Bytes(3).prefix(0), 0);
    let (dir, fs) = setup();
    fs.arm(
        FaultRule::new(Injected::Custom {
            kind: io::ErrorKind::PermissionDenied,
            message: "nope".into(),
        })
        .on(&[OpKind::Rename, OpKind::Remove])
        .nth(1),
    );
    let a = dir.path().join("a");
    drop(fs.create(&a, IoJob::Open).unwrap());
    fs.rename(&a, &dir.path().join("b")).unwrap();
    let e = fs.remove_file(&dir.path().join("b")).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(e.to_string(), "nope");
    fs.remove_file(&dir.path().join("b")).unwrap();
    // Reads and opens can fail too.
    fs.arm(FaultRule::eio().on(&[OpKind::Read]));
    drop(fs.create(&a, IoJob::Open).unwrap());
    assert!(fs.read(&a).is_err());
    assert!(fs.read(&a).is_ok());
    fs.arm(FaultRule::eio().on(&[OpKind::Lock, OpKind::SyncDir]).nth(1));
    let lock = fs.lock(&dir.path().join("LOCK")).unwrap();
    assert!(fs.sync_dir(dir.path()).is_err());
    drop(lock);
}
