//! Watches: the key space and a table, replayed and live, over gRPC streams and Server-Sent
//! Events; their clear endings (history gone, fallen behind); the stream limit.

use crate::harness::{b64, unb64, url_key, Server};
use ferrolite_server::proto::{self, watch_response::Item};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

/// Read Server-Sent Events from a response until `n` events (of any name) arrived.
async fn sse_events(resp: reqwest::Response, n: usize) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut body = resp.bytes_stream();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(20), body.next())
            .await
            .expect("an event within 20 s")
            .expect("the stream ended early")
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut name = String::from("message");
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            if !data.is_empty() {
                out.push((name, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_space_and_table_watches_over_both_faces() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &[]);
    let mut g = s.grpc_client().await;
    let http = s.http_client();

    // History first: a key and a table, before any watch.
    g.put(s.req(proto::PutRequest {
        key: b"a/1".to_vec(),
        value: b"one".to_vec(),
    }))
    .await
    .unwrap();
    http.post(s.url("/v1/sql"))
        .json(&json!({ "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('x')" }))
        .send()
        .await
        .unwrap();

    // gRPC: the key space under a/ from the start (replayed), then live.
    let mut keys = g
        .watch(s.req(proto::WatchRequest {
            from_seq: 1,
            prefix: b"a/".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    // gRPC: table t, from now on.
    let mut rows = g
        .watch(s.req(proto::WatchRequest {
            table: "t".into(),
            from_seq: 0,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    // REST: the key space from the start, and table t from the start.
    let sse_keys = http
        .get(s.url(&format!("/v1/watch?from_seq=1&prefix={}", url_key(b"a/"))))
        .send()
        .await
        .unwrap();
    assert_eq!(sse_keys.status(), 200);
    assert_eq!(sse_keys.headers()["content-type"], "text/event-stream");
    let sse_rows = http
        .get(s.url("/v1/watch?table=t&from_seq=1"))
        .send()
        .await
        .unwrap();

    // Live writes: a batch with a key outside the prefix, a row update.
    http.post(s.url("/v1/batch"))
        .json(&json!({ "ops": [
            { "put": { "key": b64(b"a/2"), "value": b64(b"two") } },
            { "put": { "key": b64(b"b/1"), "value": b64(b"elsewhere") } },
            { "delete": { "key": b64(b"a/1") } },
        ]}))
        .send()
        .await
        .unwrap();
    http.post(s.url("/v1/sql"))
        .json(&json!({ "sql": "UPDATE t SET v = 'y' WHERE id = 1" }))
        .send()
        .await
        .unwrap();

    let next =
        |m: Option<Result<proto::WatchResponse, tonic::Status>>| m.unwrap().unwrap().item.unwrap();
    match next(keys.next().await) {
        Item::Batch(b) => {
            assert_eq!(b.changes.len(), 1);
            assert_eq!(b.changes[0].key, b"a/1");
            assert_eq!(b.changes[0].value.as_deref(), Some(&b"one"[..]));
        }
        other => panic!("{other:?}"),
    }
    match next(keys.next().await) {
        Item::Batch(b) => {
            let got: Vec<_> = b
                .changes
                .iter()
                .map(|c| (c.key.clone(), c.value.clone()))
                .collect();
            assert_eq!(
                got,
                vec![
                    (b"a/2".to_vec(), Some(b"two".to_vec())),
                    (b"a/1".to_vec(), None)
                ],
                "b/1 is outside the prefix; the delete has no value"
            );
            assert_eq!(b.changes[1].seq, b.changes[0].seq + 2);
        }
        other => panic!("{other:?}"),
    }
    match next(rows.next().await) {
        Item::Row(r) => {
            assert_eq!((r.table.as_str(), r.change.as_str()), ("t", "update"));
            assert_eq!(
                r.old.unwrap().values[1].kind,
                Some(proto::value::Kind::Text("x".into()))
            );
            assert_eq!(
                r.new.unwrap().values[1].kind,
                Some(proto::value::Kind::Text("y".into()))
            );
        }
        other => panic!("{other:?}"),
    }

    let ev = sse_events(sse_keys, 2).await;
    assert_eq!(ev[0].0, "batch");
    assert_eq!(
        unb64(ev[0].1["changes"][0]["key"].as_str().unwrap()),
        b"a/1"
    );
    assert_eq!(ev[1].1["changes"][1]["deleted"], true);
    let ev = sse_events(sse_rows, 2).await;
    assert_eq!(
        ev.iter()
            .map(|(n, v)| (n.as_str(), v["change"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        vec![("row", "insert"), ("row", "update")]
    );
    assert_eq!(ev[1].1["new"], json!([1, "y"]));

    // A table that does not exist.
    let e = g
        .watch(s.req(proto::WatchRequest {
            table: "nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    let r = http
        .get(s.url("/v1/watch?table=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_ends_clearly_when_its_history_left_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("db");
    {
        let s = Server::start(&data, &[]);
        let mut g = s.grpc_client().await;
        for i in 0..10u8 {
            g.put(s.req(proto::PutRequest {
                key: vec![b'k', i],
                value: vec![i],
            }))
            .await
            .unwrap();
        }
        s.signal(crate::harness::SIGTERM);
        let mut s = s;
        assert!(s.wait(Duration::from_secs(30)).success());
    }
    // Reopening replays the log into a table and deletes it: sequence 1 is gone.
    let s = Server::start(&data, &[]);
    let mut g = s.grpc_client().await;
    let mut w = g
        .watch(s.req(proto::WatchRequest {
            from_seq: 1,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let e = w.next().await.unwrap().unwrap_err();
    assert_eq!(e.code(), tonic::Code::OutOfRange);
    assert!(
        e.message().contains("no longer in the log"),
        "{}",
        e.message()
    );
    assert!(w.next().await.is_none(), "the stream ends after the error");
    let r = s
        .http_client()
        .get(s.url("/v1/watch?from_seq=1"))
        .send()
        .await
        .unwrap();
    let ev = sse_events(r, 1).await;
    assert_eq!(ev[0].0, "error");
    assert_eq!(ev[0].1["error"], "OUT_OF_RANGE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_falls_behind_is_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &["--watch-buffer", "4"]);
    let g = s.grpc_client().await;
    // The watcher's connection has a 64 KiB window (hyper's client default, 2 MiB, would hold
    // a thousand of these messages): what it does not read stays in the server.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", s.grpc))
        .unwrap()
        .initial_stream_window_size(65_535)
        .initial_connection_window_size(65_535)
        .connect()
        .await
        .unwrap();
    let mut w = proto::ferrolite_client::FerroliteClient::new(channel)
        .watch(s.req(proto::WatchRequest::default()))
        .await
        .unwrap()
        .into_inner();
    // The watcher reads nothing while 1,500 batches of 2 KiB commit: the HTTP/2 window (32
    // messages), the server's channel (256) and the feed's 4 slots fill, and the feed drops the
    // backlog.
    let value = vec![7u8; 2048];
    let mut tasks = Vec::new();
    for t in 0..4u32 {
        let mut g = g.clone();
        let value = value.clone();
        let req = move |i: u32| {
            s_req(proto::PutRequest {
                key: format!("lag/{t}/{i}").into_bytes(),
                value: value.clone(),
            })
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..375 {
                g.put(req(i)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seen = 0;
    let err = loop {
        match tokio::time::timeout(Duration::from_secs(20), w.next())
            .await
            .unwrap()
        {
            Some(Ok(_)) => seen += 1,
            Some(Err(e)) => break e,
            None => panic!("ended without saying why after {seen} items"),
        }
    };
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("fell behind"), "{}", err.message());
    assert!(seen < 1500, "{seen} items: nothing was dropped?");
}

fn s_req<T>(msg: T) -> tonic::Request<T> {
    tonic::Request::new(msg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &["--max-streams", "2"]);
    let mut g = s.grpc_client().await;
    let http = s.http_client();
    let _a = g
        .watch(s.req(proto::WatchRequest::default()))
        .await
        .unwrap();
    let b = http.get(s.url("/v1/watch")).send().await.unwrap();
    assert_eq!(b.status(), 200);
    let e = g
        .watch(s.req(proto::WatchRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted);
    assert!(
        e.message().contains("too many open streams"),
        "{}",
        e.message()
    );
    let r = http
        .post(s.url("/v1/sql"))
        .json(&json!({ "sql": "SELECT 1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Closing one frees its slot (the watch's thread notices within its poll interval).
    drop(b);
    let mut ok = false;
    for _ in 0..100 {
        let r = http
            .post(s.url("/v1/sql"))
            .json(&json!({ "sql": "SELECT 1" }))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the slot of the closed watch was never freed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_source_resumes_after_its_last_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &[]);
    let http = s.http_client();
    http.post(s.url("/v1/sql"))
        .json(&json!({ "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b'), ('c'); INSERT INTO t (v) VALUES ('d')" }))
        .send()
        .await
        .unwrap();
    let first = http
        .get(s.url("/v1/watch?table=t&from_seq=1"))
        .send()
        .await
        .unwrap();
    let ev = sse_events(first, 4).await;
    let ids: Vec<String> = ev
        .iter()
        .map(|(_, v)| format!("{}.{}", v["seq"], v["index"]))
        .collect();
    // The connection broke after the second row of the first commit: resume from there.
    let again = http
        .get(s.url("/v1/watch?table=t"))
        .header("last-event-id", &ids[1])
        .send()
        .await
        .unwrap();
    let ev = sse_events(again, 2).await;
    let got: Vec<&str> = ev
        .iter()
        .map(|(_, v)| v["new"][1].as_str().unwrap())
        .collect();
    assert_eq!(got, ["c", "d"]);
    let r = http
        .get(s.url("/v1/watch?table=t"))
        .header("last-event-id", "x.y")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
