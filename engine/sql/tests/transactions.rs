//! Optimistic transactions: snapshots, buffered writes, conflicts that apply nothing.

use ferrolite_sql::{Database, Error, Value};
use std::sync::Arc;

fn setup() -> Database {
    let db = Database::in_memory();
    db.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL); INSERT INTO acct VALUES (1, 100), (2, 100)")
        .unwrap();
    db
}

fn balance(db: &Database, id: i64) -> Value {
    db.execute(&format!("SELECT balance FROM acct WHERE id = {id}"))
        .unwrap()
        .rows[0][0]
        .clone()
}

#[test]
fn a_write_to_a_row_read_after_the_snapshot_conflicts_and_nothing_applies() {
    let db = setup();
    let mut a = db.session();
    let mut b = db.session();
    a.execute("BEGIN").unwrap();
    b.execute("BEGIN").unwrap();
    a.execute("UPDATE acct SET balance = balance - 10 WHERE id = 1")
        .unwrap();
    a.execute("UPDATE acct SET balance = balance + 10 WHERE id = 2")
        .unwrap();
    // b reads row 1 at its snapshot and writes row 2.
    assert_eq!(
        b.execute("SELECT balance FROM acct WHERE id = 1")
            .unwrap()
            .rows,
        vec![vec![Value::Integer(100)]]
    );
    b.execute("UPDATE acct SET balance = 0 WHERE id = 2")
        .unwrap();
    a.execute("COMMIT").unwrap();
    let e = b.execute("COMMIT").unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e}");
    assert!(!b.in_transaction());
    assert_eq!(balance(&db, 1), Value::Integer(90));
    assert_eq!(balance(&db, 2), Value::Integer(110), "nothing of b applied");
}

#[test]
fn snapshots_do_not_see_later_commits_and_reads_see_own_writes() {
    let db = setup();
    let mut a = db.session();
    a.execute("BEGIN").unwrap();
    a.execute("INSERT INTO acct VALUES (3, 5)").unwrap();
    assert_eq!(
        a.execute("SELECT count(*) FROM acct").unwrap().rows[0][0],
        Value::Integer(3)
    );
    db.execute("UPDATE acct SET balance = 0 WHERE id = 2")
        .unwrap();
    assert_eq!(
        a.execute("SELECT balance FROM acct WHERE id = 2")
            .unwrap()
            .rows[0][0],
        Value::Integer(100)
    );
    assert_eq!(
        db.execute("SELECT count(*) FROM acct").unwrap().rows[0][0],
        Value::Integer(2),
        "uncommitted"
    );
    // a read row 2, which changed after a's snapshot: its commit fails, its insert is gone.
    assert!(matches!(a.execute("COMMIT"), Err(Error::Conflict(_))));
    assert_eq!(
        db.execute("SELECT count(*) FROM acct").unwrap().rows[0][0],
        Value::Integer(2)
    );
}

#[test]
fn a_read_only_transaction_never_conflicts_and_rollback_discards() {
    let db = setup();
    let mut a = db.session();
    a.execute("BEGIN; SELECT * FROM acct").unwrap();
    db.execute("UPDATE acct SET balance = 1").unwrap();
    a.execute("COMMIT").unwrap();
    a.execute("BEGIN; DELETE FROM acct; ROLLBACK").unwrap();
    assert_eq!(
        db.execute("SELECT count(*) FROM acct").unwrap().rows[0][0],
        Value::Integer(2)
    );
    assert!(matches!(a.execute("COMMIT"), Err(Error::Transaction(_))));
    assert!(matches!(
        a.execute("BEGIN; BEGIN"),
        Err(Error::Transaction(_))
    ));
}

#[test]
fn a_failed_statement_inside_begin_is_undone_alone() {
    let db = setup();
    let mut a = db.session();
    a.execute("BEGIN").unwrap();
    a.execute("INSERT INTO acct VALUES (3, 1)").unwrap();
    assert!(a.execute("INSERT INTO acct VALUES (4, 1), (1, 1)").is_err());
    a.execute("COMMIT").unwrap();
    let ids: Vec<_> = db.execute("SELECT id FROM acct ORDER BY id").unwrap().rows;
    assert_eq!(
        ids,
        vec![
            vec![Value::Integer(1)],
            vec![Value::Integer(2)],
            vec![Value::Integer(3)]
        ]
    );
}

#[test]
fn concurrent_lone_increments_are_all_kept() {
    // Lone statements retry on conflict: no lost update.
    let db = Arc::new(setup());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    db.execute("UPDATE acct SET balance = balance + 1 WHERE id = 1")
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(balance(&db, 1), Value::Integer(300));
}

#[test]
fn concurrent_transfers_keep_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::open(dir.path(), ferrolite::Options::default()).unwrap());
    db.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        .unwrap();
    for i in 0..8 {
        db.execute(&format!("INSERT INTO acct VALUES ({i}, 100)"))
            .unwrap();
    }
    let conflicts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let db = db.clone();
            let conflicts = conflicts.clone();
            std::thread::spawn(move || {
                let mut s = db.session();
                for i in 0..100 {
                    let (from, to) = ((i + t) % 8, (i * 3 + t + 1) % 8);
                    if from == to {
                        continue;
                    }
                    s.execute("BEGIN").unwrap();
                    s.execute(&format!(
                        "UPDATE acct SET balance = balance - 1 WHERE id = {from}"
                    ))
                    .unwrap();
                    s.execute(&format!(
                        "UPDATE acct SET balance = balance + 1 WHERE id = {to}"
                    ))
                    .unwrap();
                    match s.execute("COMMIT") {
                        Ok(_) => {}
                        Err(Error::Conflict(_)) => {
                            conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        db.execute("SELECT sum(balance) FROM acct").unwrap().rows[0][0],
        Value::Integer(800)
    );
}

#[test]
fn ddl_fails_transactions_that_used_the_old_schema() {
    let db = setup();
    let mut a = db.session();
    a.execute("BEGIN").unwrap();
    a.execute("INSERT INTO acct VALUES (3, 1)").unwrap();
    db.execute("CREATE INDEX acct_balance ON acct (balance)")
        .unwrap();
    // a's insert did not maintain the new index: its commit must fail.
    assert!(matches!(a.execute("COMMIT"), Err(Error::Conflict(_))));
    assert!(matches!(
        a.execute("BEGIN; CREATE TABLE x (a INTEGER)"),
        Err(Error::Transaction(_))
    ));
    let n = db
        .execute("SELECT count(*) FROM acct WHERE balance = 1")
        .unwrap()
        .rows[0][0]
        .clone();
    assert_eq!(n, Value::Integer(0));
}
