//! EXPLAIN: which access path a predicate gets, and when ORDER BY needs no sort.

use ferrolite_sql::Database;

fn plan(db: &Database, sql: &str) -> String {
    let r = db
        .execute(&format!("EXPLAIN {sql}"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows
        .iter()
        .map(|r| r[0].to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn db() -> Database {
    let db = Database::in_memory();
    db.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT, w REAL);
         CREATE INDEX t_k ON t (k);
         CREATE UNIQUE INDEX t_vw ON t (v, w);
         CREATE TABLE u (a TEXT, b INTEGER, PRIMARY KEY (a, b));",
    )
    .unwrap();
    db
}

#[track_caller]
fn has(p: &str, needle: &str) {
    assert!(p.contains(needle), "expected {needle:?} in\n{p}");
}

#[track_caller]
fn lacks(p: &str, needle: &str) {
    assert!(!p.contains(needle), "did not expect {needle:?} in\n{p}");
}

#[test]
fn primary_key_predicates_use_the_primary_key() {
    let db = db();
    has(
        &plan(&db, "SELECT * FROM t WHERE id = 5"),
        "SEARCH t USING PRIMARY KEY (id = 5)",
    );
    has(
        &plan(&db, "SELECT * FROM t WHERE id > 5 AND id <= 9"),
        "PRIMARY KEY RANGE (id > 5 AND id <= 9)",
    );
    has(
        &plan(&db, "SELECT * FROM t WHERE id BETWEEN 1 AND 3"),
        "PRIMARY KEY RANGE (id >= 1 AND id <= 3)",
    );
    has(
        &plan(&db, "SELECT * FROM t WHERE 5 < id"),
        "PRIMARY KEY RANGE (id > 5)",
    );
    has(
        &plan(&db, "SELECT * FROM u WHERE a = 'x' AND b > 2"),
        "PRIMARY KEY RANGE (a = 'x' AND b > 2)",
    );
    has(
        &plan(&db, "SELECT * FROM u WHERE a = 'x' AND b = 2"),
        "SEARCH u USING PRIMARY KEY (a = 'x' AND b = 2)",
    );
}

#[test]
fn indexed_predicates_use_the_index_and_others_scan() {
    let db = db();
    has(
        &plan(&db, "SELECT * FROM t WHERE k = 3"),
        "SEARCH t USING INDEX t_k (k = 3)",
    );
    has(
        &plan(&db, "SELECT * FROM t WHERE k >= 3 AND v = 'a'"),
        "USING INDEX t_vw (v = 'a')",
    );
    has(
        &plan(&db, "SELECT * FROM t WHERE v = 'a' AND w < 2.5"),
        "USING INDEX t_vw (v = 'a' AND w < 2.5)",
    );
    has(
        &plan(&db, "SELECT * FROM t WHERE k IS NULL"),
        "USING INDEX t_k (k IS NULL)",
    );
    // Only the second column of t_vw: the index cannot answer it.
    has(&plan(&db, "SELECT * FROM t WHERE w = 1.0"), "SCAN t");
    has(&plan(&db, "SELECT * FROM t WHERE k + 1 = 3"), "SCAN t");
    has(
        &plan(&db, "SELECT * FROM t WHERE k = 3 OR id = 2"),
        "SCAN t",
    );
    has(
        &plan(&db, "UPDATE t SET v = 'x' WHERE k = 3"),
        "USING INDEX t_k",
    );
    has(
        &plan(&db, "DELETE FROM t WHERE id < 3"),
        "PRIMARY KEY RANGE",
    );
}

#[test]
fn order_by_on_the_key_needs_no_sort() {
    let db = db();
    let p = plan(&db, "SELECT * FROM t ORDER BY k LIMIT 5");
    has(&p, "SCAN t USING INDEX t_k (in index order)");
    lacks(&p, "SORT");
    let p = plan(&db, "SELECT * FROM t WHERE k > 3 ORDER BY k DESC");
    has(&p, "(descending)");
    lacks(&p, "SORT");
    lacks(&plan(&db, "SELECT * FROM t ORDER BY id"), "SORT");
    lacks(
        &plan(&db, "SELECT * FROM t WHERE v = 'a' ORDER BY w"),
        "SORT",
    );
    has(&plan(&db, "SELECT * FROM t ORDER BY w"), "SORT");
    has(&plan(&db, "SELECT * FROM t ORDER BY k, id DESC"), "SORT");
    has(
        &plan(&db, "SELECT k, count(*) FROM t GROUP BY k ORDER BY k"),
        "SORT",
    );
}

#[test]
fn joins_look_up_the_inner_table_by_key() {
    let db = db();
    db.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, tid INTEGER, name TEXT)")
        .unwrap();
    has(
        &plan(&db, "SELECT * FROM p JOIN t ON p.tid = t.id"),
        "SEARCH t USING PRIMARY KEY (per outer row)",
    );
    has(
        &plan(&db, "SELECT * FROM p JOIN t ON t.k = p.id"),
        "SEARCH t USING INDEX t_k (per outer row)",
    );
    has(
        &plan(&db, "SELECT * FROM t JOIN p ON p.name = t.v"),
        "HASH SCAN p",
    );
}
