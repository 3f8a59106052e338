//! The table layer end to end on both adapters: DDL, constraints, queries, recovery.

use ferrolite_sql::{Database, Error, Value};

fn int(i: i64) -> Value {
    Value::Integer(i)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    db.execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
}

fn schema(db: &Database) {
    db.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, score REAL DEFAULT 1.5);
         CREATE UNIQUE INDEX users_name ON users (name);
         CREATE INDEX users_age ON users (age);",
    )
    .unwrap();
}

fn each_adapter(f: impl Fn(&Database)) {
    f(&Database::in_memory());
    let dir = tempfile::tempdir().unwrap();
    f(&Database::open(dir.path(), ferrolite::Options::default()).unwrap());
}

#[test]
fn insert_select_update_delete() {
    each_adapter(|db| {
        schema(db);
        let r = db
            .execute(
                "INSERT INTO users (name, age) VALUES ('ada', 36), ('grace', 45), ('alan', NULL)",
            )
            .unwrap();
        assert_eq!(r.rows_affected, 3);
        assert_eq!(
            rows(db, "SELECT id, name, age, score FROM users ORDER BY id"),
            vec![
                vec![int(1), text("ada"), int(36), Value::Real(1.5)],
                vec![int(2), text("grace"), int(45), Value::Real(1.5)],
                vec![int(3), text("alan"), Value::Null, Value::Real(1.5)],
            ]
        );
        assert_eq!(
            db.execute("UPDATE users SET age = age + 1 WHERE name = 'ada'")
                .unwrap()
                .rows_affected,
            1
        );
        assert_eq!(
            rows(db, "SELECT age FROM users WHERE id = 1"),
            vec![vec![int(37)]]
        );
        assert_eq!(
            rows(db, "SELECT name FROM users WHERE age > 40"),
            vec![vec![text("grace")]]
        );
        assert_eq!(
            db.execute("DELETE FROM users WHERE age IS NULL")
                .unwrap()
                .rows_affected,
            1
        );
        assert_eq!(
            rows(db, "SELECT count(*), sum(age), avg(age) FROM users"),
            vec![vec![int(2), int(82), Value::Real(41.0)]]
        );
        // The index on age follows the update and the delete.
        assert_eq!(
            rows(db, "SELECT name FROM users WHERE age = 37"),
            vec![vec![text("ada")]]
        );
        assert!(rows(db, "SELECT name FROM users WHERE age = 36").is_empty());
    });
}

#[test]
fn a_violation_is_typed_and_changes_nothing() {
    each_adapter(|db| {
        schema(db);
        db.execute("INSERT INTO users (id, name, age) VALUES (1, 'ada', 36)")
            .unwrap();
        let before = rows(db, "SELECT * FROM users");
        // The second row breaks the unique index: the first row of the statement is undone too.
        let e = db
            .execute("INSERT INTO users (id, name) VALUES (2, 'bob'), (3, 'ada')")
            .unwrap_err();
        assert!(
            matches!(e, Error::Unique(ref m) if m.contains("users.name")),
            "{e}"
        );
        let e = db
            .execute("INSERT INTO users (id, name) VALUES (1, 'zed')")
            .unwrap_err();
        assert!(matches!(e, Error::Unique(_)), "{e}");
        let e = db
            .execute("INSERT INTO users (id, name) VALUES (4, NULL)")
            .unwrap_err();
        assert!(
            matches!(e, Error::NotNull(ref m) if m == "users.name"),
            "{e}"
        );
        let e = db
            .execute("INSERT INTO users (id, name, age) VALUES (5, 'eve', 'old')")
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::TypeMismatch {
                    expected: "INTEGER",
                    got: "TEXT",
                    ..
                }
            ),
            "{e}"
        );
        let e = db.execute("UPDATE users SET name = NULL").unwrap_err();
        assert!(matches!(e, Error::NotNull(_)), "{e}");
        assert_eq!(rows(db, "SELECT * FROM users"), before);
        assert!(rows(db, "SELECT * FROM users WHERE name = 'bob'").is_empty());
    });
}

#[test]
fn create_index_back_fills_and_a_duplicate_refuses_unique() {
    each_adapter(|db| {
        db.execute("CREATE TABLE t (a INTEGER, b TEXT)").unwrap();
        for i in 0..600 {
            db.execute(&format!("INSERT INTO t VALUES ({}, 'v{}')", i % 300, i))
                .unwrap();
        }
        let e = db.execute("CREATE UNIQUE INDEX ta ON t (a)").unwrap_err();
        assert!(matches!(e, Error::Unique(_)), "{e}");
        assert!(db.catalog().index("ta").is_none());
        db.execute("CREATE INDEX ta ON t (a)").unwrap();
        let plan = rows(db, "EXPLAIN SELECT b FROM t WHERE a = 7");
        assert!(format!("{plan:?}").contains("USING INDEX ta"), "{plan:?}");
        let mut got = rows(db, "SELECT b FROM t WHERE a = 7");
        got.sort_by(|x, y| x[0].sqlite_cmp(&y[0]));
        assert_eq!(got, vec![vec![text("v307")], vec![text("v7")]]);
        db.execute("CREATE UNIQUE INDEX tb ON t (b)").unwrap();
        db.execute("DROP INDEX ta").unwrap();
        assert!(
            format!("{:?}", rows(db, "EXPLAIN SELECT b FROM t WHERE a = 7")).contains("SCAN t")
        );
        db.execute("DROP TABLE t").unwrap();
        assert!(matches!(db.execute("SELECT * FROM t"), Err(Error::Name(_))));
    });
}

#[test]
fn the_catalog_and_rows_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path(), ferrolite::Options::default()).unwrap();
        schema(&db);
        db.execute("INSERT INTO users (name, age) VALUES ('ada', 36), ('grace', 45)")
            .unwrap();
    }
    let db = Database::open(dir.path(), ferrolite::Options::default()).unwrap();
    assert_eq!(db.catalog().table("USERS").unwrap().indexes.len(), 2);
    assert_eq!(
        rows(&db, "SELECT name FROM users WHERE age = 45"),
        vec![vec![text("grace")]]
    );
    // Rowids go on after the largest stored one.
    db.execute("INSERT INTO users (name) VALUES ('alan')")
        .unwrap();
    assert_eq!(
        rows(&db, "SELECT id FROM users WHERE name = 'alan'"),
        vec![vec![int(3)]]
    );
}

#[test]
fn joins_groups_and_ordering() {
    each_adapter(|db| {
        db.execute(
            "CREATE TABLE dept (id INTEGER PRIMARY KEY, name TEXT);
             CREATE TABLE emp (id INTEGER PRIMARY KEY, dept INTEGER, salary INTEGER);
             INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'empty');
             INSERT INTO emp VALUES (1, 1, 100), (2, 1, 120), (3, 2, 90), (4, NULL, 50);",
        )
        .unwrap();
        assert_eq!(
            rows(
                db,
                "SELECT d.name, count(*) AS n, sum(e.salary) FROM emp e JOIN dept d ON e.dept = d.id
                 GROUP BY d.name HAVING n >= 1 ORDER BY 3 DESC"
            ),
            vec![vec![text("eng"), int(2), int(220)], vec![text("ops"), int(1), int(90)]]
        );
        assert_eq!(
            rows(db, "SELECT DISTINCT dept FROM emp WHERE dept IS NOT NULL ORDER BY dept DESC LIMIT 1 OFFSET 1"),
            vec![vec![int(1)]]
        );
        assert_eq!(
            rows(
                db,
                "SELECT max(salary), min(salary) FROM emp WHERE salary BETWEEN 60 AND 110"
            ),
            vec![vec![int(100), int(90)]]
        );
        assert_eq!(
            rows(
                db,
                "SELECT count(*) FROM emp WHERE dept IN (2, 3) OR salary < 60"
            ),
            vec![vec![int(2)]]
        );
        assert_eq!(
            rows(
                db,
                "SELECT name FROM dept WHERE name LIKE 'E%' ORDER BY name"
            ),
            vec![vec![text("empty")], vec![text("eng")]]
        );
        assert_eq!(
            rows(db, "SELECT 7 / 2, 7.0 / 2, 1 / 0, 'a' || 1"),
            vec![vec![int(3), Value::Real(3.5), Value::Null, text("a1")]]
        );
        assert_eq!(
            rows(db, "SELECT count(*), sum(salary) FROM emp WHERE id > 100"),
            vec![vec![int(0), Value::Null]]
        );
    });
}

#[test]
fn a_closed_engine_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        ferrolite_sql::storage::EngineStorage::open(dir.path(), ferrolite::Options::default())
            .unwrap();
    let engine = store.db().clone();
    let db = Database::with_storage(std::sync::Arc::new(store)).unwrap();
    db.execute("CREATE TABLE t (a INTEGER)").unwrap();
    engine.close().unwrap();
    assert!(matches!(
        db.execute("INSERT INTO t VALUES (1)"),
        Err(Error::Storage(ferrolite::Error::Closed))
    ));
    assert!(matches!(
        db.execute("SELECT * FROM t"),
        Err(Error::Storage(ferrolite::Error::Closed))
    ));
}
