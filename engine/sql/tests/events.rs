//! Domain events: inserted, updated (old and new), deleted, replayed then followed in commit
//! order, on both adapters.

use ferrolite_sql::{Database, RowChange, RowEvent, Value};
use std::time::Duration;

fn drain(sub: &mut ferrolite_sql::RowEvents, n: usize) -> Vec<RowEvent> {
    let mut out = Vec::new();
    while out.len() < n {
        match sub.recv_timeout(Duration::from_secs(5)).unwrap() {
            Some(e) => out.push(e),
            None => panic!("only {} of {n} events", out.len()),
        }
    }
    assert!(
        sub.recv_timeout(Duration::from_millis(50))
            .unwrap()
            .is_none(),
        "more events than expected"
    );
    out
}

fn check(db: &Database) {
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE other (x INTEGER)")
        .unwrap();
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
        .unwrap();
    db.execute("INSERT INTO other VALUES (9)").unwrap();
    let mut s = db.session();
    s.execute("BEGIN; UPDATE t SET v = 'A' WHERE id = 1; DELETE FROM t WHERE id = 2; INSERT INTO t VALUES (3, 'c'); COMMIT")
        .unwrap();
    let mut sub = db.subscribe("t", 0).unwrap();
    let replayed = drain(&mut sub, 5);
    let changes: Vec<_> = replayed
        .iter()
        .map(|e| (e.pk.clone(), e.change.clone()))
        .collect();
    let t = |s: &str| Value::Text(s.into());
    let i = Value::Integer;
    assert_eq!(
        changes,
        vec![
            (
                vec![i(1)],
                RowChange::Inserted {
                    new: vec![i(1), t("a")]
                }
            ),
            (
                vec![i(2)],
                RowChange::Inserted {
                    new: vec![i(2), t("b")]
                }
            ),
            (
                vec![i(1)],
                RowChange::Updated {
                    old: vec![i(1), t("a")],
                    new: vec![i(1), t("A")]
                }
            ),
            (
                vec![i(2)],
                RowChange::Deleted {
                    old: vec![i(2), t("b")]
                }
            ),
            (
                vec![i(3)],
                RowChange::Inserted {
                    new: vec![i(3), t("c")]
                }
            ),
        ]
    );
    assert!(
        replayed.windows(2).all(|w| w[0].seq <= w[1].seq),
        "commit order"
    );
    assert!(
        replayed[2].seq == replayed[4].seq && replayed[1].seq < replayed[2].seq,
        "one transaction, one seq"
    );
    assert_eq!(
        replayed[2..].iter().map(|e| e.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // Live events follow; a failed statement emits nothing.
    db.execute("UPDATE t SET v = v || '!' WHERE id = 3")
        .unwrap();
    assert!(db.execute("INSERT INTO t VALUES (3, 'dup')").is_err());
    let live = drain(&mut sub, 1);
    assert_eq!(
        live[0].change,
        RowChange::Updated {
            old: vec![i(3), t("c")],
            new: vec![i(3), t("c!")]
        }
    );
    // Resuming after the last transaction seen replays only what came after it.
    let mut again = db.subscribe("t", replayed[4].seq + 1).unwrap();
    assert_eq!(drain(&mut again, 1)[0].change, live[0].change);
}

#[test]
fn events_on_the_memory_adapter() {
    check(&Database::in_memory());
}

#[test]
fn events_on_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    check(&Database::open(dir.path(), ferrolite::Options::default()).unwrap());
}
