//! SQL over both faces: results streamed row by row (gRPC), as JSON and NDJSON (REST);
//! scripts and transactions; errors with the SQL layer's message and their codes.

use crate::harness::Server;
use ferrolite_server::proto::{self, sql_response::Item, value::Kind};
use futures_util::StreamExt;
use serde_json::{json, Value};

fn int(i: i64) -> proto::Value {
    proto::Value {
        kind: Some(Kind::Integer(i)),
    }
}

fn text(t: &str) -> proto::Value {
    proto::Value {
        kind: Some(Kind::Text(t.into())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_scripts_and_errors_over_both_faces() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &[]);
    let mut g = s.grpc_client().await;
    let http = s.http_client();

    // A script over REST: DDL, a multi-row insert, in one request.
    let r = http
        .post(s.url("/v1/sql"))
        .json(&json!({ "sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER); CREATE INDEX users_age ON users (age); INSERT INTO users (name, age) VALUES ('ada', 36), ('grace', 45), ('alan', 41)" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 3);
    assert_eq!(body["results"][2]["rows_affected"], 3);

    // A parameterised query over gRPC: columns, one message per row, done.
    let mut stream = g
        .sql(s.req(proto::SqlRequest {
            sql: "SELECT name, age FROM users WHERE age > ? ORDER BY age".into(),
            params: vec![int(40)],
        }))
        .await
        .unwrap()
        .into_inner();
    let mut items = Vec::new();
    while let Some(m) = stream.next().await {
        items.push(m.unwrap().item.unwrap());
    }
    assert_eq!(items.len(), 4, "{items:?}");
    match &items[0] {
        Item::Columns(c) => assert_eq!(c.names, ["name", "age"]),
        other => panic!("{other:?}"),
    }
    match (&items[1], &items[2]) {
        (Item::Row(a), Item::Row(b)) => {
            assert_eq!(a.values, vec![text("alan"), int(41)]);
            assert_eq!(b.values, vec![text("grace"), int(45)]);
        }
        other => panic!("{other:?}"),
    }
    match &items[3] {
        Item::Done(d) => assert_eq!((d.rows, d.rows_affected), (2, 0)),
        other => panic!("{other:?}"),
    }

    // The same as NDJSON: a line per row.
    let r = http
        .post(s.url("/v1/sql"))
        .header("accept", "application/x-ndjson")
        .json(
            &json!({ "sql": "SELECT name FROM users WHERE age > ? ORDER BY age", "params": [40] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = r
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            json!({"statement": 0, "columns": ["name"]}),
            json!({"statement": 0, "row": ["alan"]}),
            json!({"statement": 0, "row": ["grace"]}),
            json!({"statement": 0, "done": {"rows": 2, "rows_affected": 0}}),
        ]
    );

    // A transaction in one script over gRPC; a transaction left open is rolled back.
    let stream = g
        .sql(s.req(proto::SqlRequest {
            sql: "BEGIN; UPDATE users SET age = age + 1 WHERE name = 'ada'; COMMIT".into(),
            params: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    let n = stream.count().await;
    assert_eq!(n, 3, "a Done per statement");
    let r: Value = s
        .sql_json(json!({ "sql": "BEGIN; DELETE FROM users" }))
        .await;
    assert_eq!(r["results"][1]["rows_affected"], 3);
    let r: Value = s
        .sql_json(json!({ "sql": "SELECT age FROM users WHERE name = 'ada'" }))
        .await;
    assert_eq!(
        r["results"][0]["rows"],
        json!([[37]]),
        "committed, and the open DELETE rolled back"
    );

    // Errors carry the SQL layer's message, with their codes, on both faces.
    let cases: [(&str, tonic::Code, u16, &str); 5] = [
        (
            "SELEC 1",
            tonic::Code::InvalidArgument,
            400,
            "syntax error at line 1, column 1",
        ),
        (
            "SELECT nope FROM users",
            tonic::Code::InvalidArgument,
            400,
            "no such column: nope",
        ),
        (
            "INSERT INTO users (id, name) VALUES (1, 'dup')",
            tonic::Code::AlreadyExists,
            409,
            "UNIQUE constraint failed: users.id",
        ),
        (
            "INSERT INTO users (name, age) VALUES ('eve', 'old')",
            tonic::Code::InvalidArgument,
            400,
            "type mismatch: users.age is INTEGER, got TEXT",
        ),
        (
            "COMMIT",
            tonic::Code::FailedPrecondition,
            400,
            "no transaction is active",
        ),
    ];
    for (sql, code, status, message) in cases {
        let e = g
            .sql(s.req(proto::SqlRequest {
                sql: sql.into(),
                params: vec![],
            }))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{sql}: {e:?}");
        assert!(e.message().contains(message), "{sql}: {}", e.message());
        let r = http
            .post(s.url("/v1/sql"))
            .json(&json!({ "sql": sql }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{sql}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{sql}: {body}"
        );
    }

    // A script that fails at its third statement: the first two results, then the error.
    let mut stream = g
        .sql(s.req(proto::SqlRequest {
            sql: "SELECT 1; SELECT 2; SELECT nope FROM users; SELECT 4".into(),
            params: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    let mut dones = 0;
    let err = loop {
        match stream.next().await {
            Some(Ok(m)) => {
                if matches!(m.item, Some(Item::Done(_))) {
                    dones += 1;
                }
            }
            Some(Err(e)) => break e,
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(dones, 2);
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().starts_with("statement 2: no such column"),
        "{}",
        err.message()
    );
    let r = http
        .post(s.url("/v1/sql?format=ndjson"))
        .json(&json!({ "sql": "SELECT 1; SELECT nope FROM users" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let last: Value =
        serde_json::from_str(r.text().await.unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last["error"], "INVALID_ARGUMENT");
    assert_eq!(last["statement"], 1);

    // Values of every type round-trip as parameters and results.
    http.post(s.url("/v1/sql"))
        .json(&json!({ "sql": "CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB)" }))
        .send()
        .await
        .unwrap();
    let r = http
        .post(s.url("/v1/sql"))
        .json(&json!({ "sql": "INSERT INTO v VALUES (?, ?, ?, ?)", "params": [i64::MIN, 2.5, "é", {"base64": "AP8="}] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r: Value = s
        .sql_json(json!({ "sql": "SELECT i, r, t, b, NULL FROM v" }))
        .await;
    assert_eq!(
        r["results"][0]["rows"],
        json!([[i64::MIN, 2.5, "é", {"base64": "AP8="}, null]])
    );
}
