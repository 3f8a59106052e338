//! Shutdown with requests in flight: SIGTERM drains and closes (every acknowledged write is
//! there after a restart, watches end with UNAVAILABLE), the deadline cancels what is stuck,
//! a second signal exits at once.

use crate::harness::{b64, Server, SIGINT, SIGTERM};
use ferrolite_server::proto;
use futures_util::StreamExt;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_closes_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("db");
    let mut s = Server::start(&data, &["--sync", "every-write"]);
    let g = s.grpc_client().await;
    // (key, value) of every acknowledged put.
    type Acked = Vec<(Vec<u8>, Vec<u8>)>;
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut watch = g
        .clone()
        .watch(proto::WatchRequest::default())
        .await
        .unwrap()
        .into_inner();

    let mut writers = Vec::new();
    for t in 0..4u32 {
        let mut g = g.clone();
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let (k, v) = (
                    format!("g/{t}/{i}").into_bytes(),
                    format!("v{i}").into_bytes(),
                );
                match g
                    .put(proto::PutRequest {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .await
                {
                    Ok(_) => acked.lock().unwrap().push((k, v)),
                    Err(_) => return i,
                }
            }
            unreachable!()
        }));
    }
    for t in 0..2u32 {
        let http = s.http_client();
        let url = s.url("");
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let (k, v) = (format!("r/{t}/{i}"), format!("v{i}"));
                let r = http
                    .put(format!(
                        "{url}/v1/kv/{}",
                        crate::harness::url_key(k.as_bytes())
                    ))
                    .json(&json!({ "value": b64(v.as_bytes()) }))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => acked.lock().unwrap().push((k.into(), v.into())),
                    _ => return i,
                }
            }
            unreachable!()
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let before = acked.lock().unwrap().len();
    assert!(before > 0, "no write was acknowledged before the signal");
    s.signal(SIGTERM);
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let st = s.wait(Duration::from_secs(20));
        (st, s)
    })
    .await
    .unwrap();
    let (status, s) = status;
    assert!(status.success(), "{status}:\n{}", s.log_text());
    let log = s.log_text();
    assert!(log.contains("every request finished"), "{log}");
    assert!(log.contains("database closed, WAL synced"), "{log}");
    for w in writers {
        w.await.unwrap();
    }
    // The watch ended with UNAVAILABLE (after whatever it had been sent).
    let mut last = None;
    while let Some(item) = watch.next().await {
        if let Err(e) = item {
            last = Some(e);
        }
    }
    let last = last.expect("the watch ended without saying why");
    assert_eq!(last.code(), tonic::Code::Unavailable, "{last:?}");
    println!(
        "{} writes acknowledged ({before} before SIGTERM), stopped in {:?}",
        acked.lock().unwrap().len(),
        started.elapsed()
    );

    // Every acknowledged write is there after a restart.
    let s = Server::start(&data, &[]);
    let mut g = s.grpc_client().await;
    let acked = acked.lock().unwrap().clone();
    for (k, v) in &acked {
        let got = g
            .get(proto::GetRequest { key: k.clone() })
            .await
            .unwrap()
            .into_inner();
        assert!(
            got.found,
            "acknowledged {:?} is missing",
            String::from_utf8_lossy(k)
        );
        assert_eq!(&got.value, v);
    }
}

/// A server with a table of `rows` 300-byte rows, and a SQL stream over it that the client
/// does not read: HTTP/2 flow control holds the server's response in flight.
async fn server_with_a_stuck_stream(
    data: &std::path::Path,
    extra: &[&str],
) -> (Server, tonic::Streaming<proto::SqlResponse>) {
    let s = Server::start(data, extra);
    let http = s.http_client();
    let filler = "x".repeat(300);
    http.post(s.url("/v1/sql"))
        .json(&json!({ "sql": "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)" }))
        .send()
        .await
        .unwrap();
    let values: Vec<String> = (0..1000).map(|_| format!("('{filler}')")).collect();
    let insert = format!("INSERT INTO big (v) VALUES {}", values.join(", "));
    for _ in 0..2 {
        let r = http
            .post(s.url("/v1/sql"))
            .json(&json!({ "sql": insert }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // A 64 KiB HTTP/2 window (hyper's client default is 2 MiB, which would take the whole
    // result): the server cannot finish sending.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", s.grpc))
        .unwrap()
        .initial_stream_window_size(65_535)
        .initial_connection_window_size(65_535)
        .connect()
        .await
        .unwrap();
    let mut g = proto::ferrolite_client::FerroliteClient::new(channel);
    let stream = g
        .sql(proto::SqlRequest {
            sql: "SELECT * FROM big".into(),
            params: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    (s, stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_cancels_what_is_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, stream) =
        server_with_a_stuck_stream(&dir.path().join("db"), &["--shutdown-timeout", "1"]).await;
    let started = Instant::now();
    s.signal(SIGTERM);
    let (status, s) = tokio::task::spawn_blocking(move || (s.wait(Duration::from_secs(20)), s))
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(status.success(), "{status}:\n{}", s.log_text());
    assert!(
        took >= Duration::from_millis(900),
        "stopped after {took:?}: nothing was in flight?"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    let log = s.log_text();
    assert!(log.contains("cancelled"), "{log}");
    assert!(log.contains("database closed, WAL synced"), "{log}");
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, stream) =
        server_with_a_stuck_stream(&dir.path().join("db"), &["--shutdown-timeout", "60"]).await;
    s.signal(SIGTERM);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        s.try_wait().is_none(),
        "the server should be waiting for the stuck stream"
    );
    let started = Instant::now();
    s.signal(SIGINT);
    let (status, s) = tokio::task::spawn_blocking(move || (s.wait(Duration::from_secs(10)), s))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(130), "{}", s.log_text());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(s.log_text().contains("second signal"), "{}", s.log_text());
    drop(stream);
}
