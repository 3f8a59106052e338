//! The API as a new user writes it: every method takes borrowed and owned keys and values
//! (`&str`, `&String`, `&Vec<u8>`, `&[u8]`, `String`, `Vec<u8>`, `Bytes`, byte arrays), every
//! range form scans without a type annotation, and what `get` returns is nameable without a
//! separate dependency (`ferrolite::Bytes`). If a change breaks one of these forms, this file
//! stops compiling.

use ferrolite::{Bytes, Db, Error, Options, WriteBatch};
use std::ops::Bound;

fn keys(iter: ferrolite::DbIter) -> Vec<Bytes> {
    iter.map(|e| e.unwrap().0).collect()
}

#[test]
fn borrowed_and_owned_keys_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    let key = String::from("k1");
    let value = vec![1u8, 2, 3];
    db.put(&key, &value).unwrap(); // borrowed: copied
    db.put("k2", "v2").unwrap(); // &str
    db.put(&b"k3"[..], &b"v3"[..]).unwrap(); // &[u8]
    db.put(b"k4", b"v4").unwrap(); // &[u8; N]
    db.put(String::from("k5"), vec![5u8]).unwrap(); // owned: moved in
    db.put(Bytes::from_static(b"k6"), [6u8; 2]).unwrap();
    db.put(key.clone(), value.clone()).unwrap();
    let got: Option<Bytes> = db.get(&key).unwrap();
    assert_eq!(got.as_deref(), Some(&value[..]));
    assert_eq!(db.get("k4").unwrap().as_deref(), Some(&b"v4"[..]));
    assert_eq!(db.get(b"k6").unwrap().as_deref(), Some(&[6u8, 6][..]));
    db.delete(&key).unwrap();
    db.delete("k2").unwrap();
    assert_eq!(db.get(&key).unwrap(), None);

    let mut batch = WriteBatch::new();
    let owner = String::from("b");
    batch
        .put(&owner, "x")
        .put("c", owner.clone())
        .delete(&b"k3"[..]);
    db.write(batch).unwrap();
    assert_eq!(db.get("c").unwrap().as_deref(), Some(&b"b"[..]));
}

#[test]
fn every_range_form_scans() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    for k in ["a", "b", "c", "d"] {
        db.put(k, k).unwrap();
    }
    let all = keys(db.scan(..).unwrap());
    assert_eq!(all, ["a", "b", "c", "d"]);
    assert_eq!(keys(db.scan("b".."d").unwrap()), ["b", "c"]);
    assert_eq!(keys(db.scan("b"..="d").unwrap()), ["b", "c", "d"]);
    assert_eq!(keys(db.scan("c"..).unwrap()), ["c", "d"]);
    assert_eq!(keys(db.scan(.."b").unwrap()), ["a"]);
    assert_eq!(keys(db.scan(..="b").unwrap()), ["a", "b"]);
    let (lo, hi) = (String::from("b"), String::from("c"));
    assert_eq!(keys(db.scan(&lo..=&hi).unwrap()), ["b", "c"]);
    assert_eq!(keys(db.scan(lo.clone()..hi.clone()).unwrap()), ["b"]);
    assert_eq!(
        keys(db.scan((Bound::Excluded("a"), Bound::Unbounded)).unwrap()),
        ["b", "c", "d"]
    );
    let snap = db.snapshot().unwrap();
    db.put("e", "e").unwrap();
    assert_eq!(keys(snap.scan(..).unwrap()), all);
    assert_eq!(keys(snap.scan("c"..).unwrap()), ["c", "d"]);
    assert_eq!(keys(db.iter().unwrap()).len(), 5);
}

#[test]
fn an_owned_snapshot_outlives_the_borrow_and_fails_after_close() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    db.put("k", "1").unwrap();
    let snap = db.snapshot_owned().unwrap();
    db.put("k", "2").unwrap();
    // Moved to another thread: it borrows nothing.
    let seen = std::thread::spawn(move || {
        let v = snap.get("k").unwrap();
        (v, snap)
    })
    .join()
    .unwrap();
    assert_eq!(seen.0.as_deref(), Some(&b"1"[..]));
    assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"2"[..]));
    db.close().unwrap();
    assert!(matches!(seen.1.get("k"), Err(Error::Closed)));
}

#[test]
fn a_regular_file_is_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, b"not a database").unwrap();
    match Db::open(&file, Options::default()) {
        Err(Error::NotADirectory(p)) => assert_eq!(p, file),
        other => panic!("expected NotADirectory, got {other:?}"),
    }
    let inside = file.join("db");
    assert!(matches!(
        Db::open(&inside, Options::default()),
        Err(Error::NotADirectory(p)) if p == inside
    ));
}
