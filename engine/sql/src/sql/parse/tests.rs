//! The parser's unit tests: positions of syntax errors, constructs named as unsupported,
//! the subset parsed.

use super::*;
use crate::sql::ast::Expr;

#[test]
fn a_syntax_error_names_its_position() {
    match parse("SELECT * FROM t WHERE") {
        Err(Error::Syntax { line, column, .. }) => {
            assert!(line >= 1 && column >= 1, "{line}:{column}")
        }
        other => panic!("{other:?}"),
    }
    match parse("SELECT 1;\nSELEC 2") {
        Err(Error::Syntax { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn constructs_outside_the_subset_are_named() {
    for (sql, needle) in [
        ("SELECT * FROM a LEFT JOIN b ON a.x = b.x", "LEFT JOIN"),
        ("SELECT 1 UNION SELECT 2", "UNION"),
        ("SELECT * FROM (SELECT 1)", "subquery"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH"),
        ("SELECT CASE WHEN 1 THEN 2 END", "CASE"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
        ("SELECT x FROM t WHERE x IN (SELECT 1)", "IN (subquery)"),
    ] {
        match parse(sql) {
            Err(Error::Unsupported(m)) => assert!(m.contains(needle), "{sql}: {m}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
}

#[test]
fn the_subset_parses() {
    let stmts = parse(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL DEFAULT 3, v TEXT, UNIQUE (v));
         CREATE UNIQUE INDEX ik ON t (k, v);
         INSERT INTO t (id, k) VALUES (1, 2), (?, ?);
         SELECT DISTINCT t.k AS kk, count(*) FROM t JOIN u ON t.id = u.id WHERE k BETWEEN 1 AND 2
           AND v LIKE 'a%' AND k IN (1, 2) AND v IS NOT NULL GROUP BY k HAVING count(*) > 1
           ORDER BY kk DESC LIMIT 10 OFFSET 2;
         UPDATE t SET k = k + 1 WHERE id = 1; DELETE FROM t WHERE id >= 5;
         BEGIN; COMMIT; ROLLBACK; EXPLAIN SELECT * FROM t; DROP INDEX ik; DROP TABLE IF EXISTS t",
    )
    .unwrap();
    assert_eq!(stmts.len(), 12);
    let Statement::CreateTable(ct) = &stmts[0] else {
        panic!()
    };
    assert_eq!(ct.primary_key, ["id"]);
    assert_eq!(ct.unique, [vec!["v".to_string()]]);
    assert!(
        matches!(&stmts[2], Statement::Insert { rows, .. } if rows[1] == [Expr::Param(0), Expr::Param(1)])
    );
}
