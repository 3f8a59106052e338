//! Every key-value operation over both faces, each checked through the other face.

use crate::harness::{b64, unb64, url_key, Server};
use ferrolite_server::proto::{self, batch_op};
use serde_json::{json, Value};

fn put(key: &[u8], value: &[u8]) -> proto::BatchOp {
    proto::BatchOp {
        op: Some(batch_op::Op::Put(proto::PutRequest {
            key: key.to_vec(),
            value: value.to_vec(),
        })),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_put_delete_batch_and_scan_over_both_faces() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &[]);
    let mut g = s.grpc_client().await;
    let http = s.http_client();

    // gRPC put, REST get; a key with bytes that are not text.
    let key = b"k\xff\x00/+";
    let w = g
        .put(s.req(proto::PutRequest {
            key: key.to_vec(),
            value: b"v1".to_vec(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(w.visible_seq >= 1);
    let r: Value = http
        .get(s.url(&format!("/v1/kv/{}", url_key(key))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unb64(r["value"].as_str().unwrap()), b"v1");
    assert_eq!(unb64(r["key"].as_str().unwrap()), key);

    // REST put (standard base64 in the path works too when percent-encoded), gRPC get.
    let resp = http
        .put(s.url(&format!("/v1/kv/{}", url_key(b"rest-key"))))
        .json(&json!({ "value": b64(b"from rest") }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seq = resp.json::<Value>().await.unwrap()["visible_seq"]
        .as_u64()
        .unwrap();
    assert!(seq > w.visible_seq);
    let got = g
        .get(s.req(proto::GetRequest {
            key: b"rest-key".to_vec(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(got.found);
    assert_eq!(got.value, b"from rest");

    // Missing keys: found = false over gRPC, 404 over REST.
    let got = g
        .get(s.req(proto::GetRequest {
            key: b"nope".to_vec(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!got.found);
    let resp = http
        .get(s.url(&format!("/v1/kv/{}", url_key(b"nope"))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "NOT_FOUND");

    // Deletes: REST deletes what gRPC wrote and the other way round.
    let resp = http
        .delete(s.url(&format!("/v1/kv/{}", url_key(key))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    g.delete(s.req(proto::DeleteRequest {
        key: b"rest-key".to_vec(),
    }))
    .await
    .unwrap();
    for k in [&key[..], b"rest-key"] {
        let got = g
            .get(s.req(proto::GetRequest { key: k.to_vec() }))
            .await
            .unwrap()
            .into_inner();
        assert!(!got.found, "{k:?} still there");
    }

    // Batches: 25 keys by gRPC, a put and a delete by REST.
    let ops: Vec<_> = (0..25u8)
        .map(|i| put(format!("p/{i:02}").as_bytes(), &[i]))
        .collect();
    g.batch(s.req(proto::BatchRequest { ops })).await.unwrap();
    let resp = http
        .post(s.url("/v1/batch"))
        .json(&json!({ "ops": [
            { "put": { "key": b64(b"p/99"), "value": b64(b"last") } },
            { "delete": { "key": b64(b"p/00") } },
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Scans: pages of 7 over the prefix by gRPC, following resume tokens.
    let mut keys = Vec::new();
    let mut resume = String::new();
    let mut pages = 0;
    loop {
        let page = g
            .scan(s.req(proto::ScanRequest {
                prefix: b"p/".to_vec(),
                limit: 7,
                resume: resume.clone(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.pairs.len() <= 7);
        keys.extend(page.pairs.into_iter().map(|kv| kv.key));
        if page.next.is_empty() {
            break;
        }
        resume = page.next;
    }
    let mut want: Vec<Vec<u8>> = (1..25u8)
        .map(|i| format!("p/{i:02}").into_bytes())
        .collect();
    want.push(b"p/99".to_vec());
    assert_eq!(keys, want);
    assert_eq!(pages, 4, "25 keys in pages of 7, no empty last page");

    // The same scan by REST, with a start and an end inside the prefix.
    let mut rest_keys = Vec::new();
    let mut next = String::new();
    loop {
        let mut url = format!(
            "/v1/scan?prefix={}&start={}&end={}&limit=4",
            url_key(b"p/"),
            url_key(b"p/05"),
            url_key(b"p/10")
        );
        if !next.is_empty() {
            url.push_str(&format!("&resume={next}"));
        }
        let page: Value = http
            .get(s.url(&url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for kv in page["pairs"].as_array().unwrap() {
            rest_keys.push(unb64(kv["key"].as_str().unwrap()));
        }
        next = page["next"].as_str().unwrap().to_string();
        if next.is_empty() {
            break;
        }
    }
    let want: Vec<Vec<u8>> = (5..10u8)
        .map(|i| format!("p/{i:02}").into_bytes())
        .collect();
    assert_eq!(rest_keys, want);

    // A page size over the maximum is lowered to it.
    let page = g
        .scan(s.req(proto::ScanRequest {
            limit: 1_000_000,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.pairs.len(), 25);
    assert!(page.next.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_layers_keys_are_not_in_the_key_space() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("db"), &["--max-scan-page", "5"]);
    let mut g = s.grpc_client().await;
    let http = s.http_client();
    // Tables put keys under 0xFE "sql"; keys around them stay visible.
    let resp = http
        .post(s.url("/v1/sql"))
        .json(&json!({ "sql": "CREATE TABLE t (a INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    for k in [&b"\xfd"[..], b"\xfesqk", b"\xfesqm", b"\xff"] {
        g.put(s.req(proto::PutRequest {
            key: k.to_vec(),
            value: b"x".to_vec(),
        }))
        .await
        .unwrap();
    }
    let mut keys = Vec::new();
    let mut resume = String::new();
    loop {
        let page = g
            .scan(s.req(proto::ScanRequest {
                resume: resume.clone(),
                limit: 2,
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        keys.extend(page.pairs.into_iter().map(|kv| kv.key));
        if page.next.is_empty() {
            break;
        }
        resume = page.next;
    }
    assert_eq!(
        keys,
        vec![
            b"\xfd".to_vec(),
            b"\xfesqk".to_vec(),
            b"\xfesqm".to_vec(),
            b"\xff".to_vec()
        ]
    );
    // Reading or writing one of the SQL layer's keys is refused on both faces.
    let e = g
        .get(s.req(proto::GetRequest {
            key: b"\xfesql\x00".to_vec(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(e.message().contains("SQL layer"), "{}", e.message());
    let resp = http
        .put(s.url(&format!("/v1/kv/{}", url_key(b"\xfesqlc"))))
        .json(&json!({ "value": b64(b"evil") }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // The table is intact.
    let r: Value = s.sql_json(json!({ "sql": "SELECT count(*) FROM t" })).await;
    assert_eq!(r["results"][0]["rows"], json!([[3]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_stops_at_the_byte_budget() {
    let dir = tempfile::tempdir().unwrap();
    // Values of 40 KiB, a budget of 100 KiB: pages of two pairs, however large the limit.
    let s = Server::start(
        &dir.path().join("db"),
        &[
            "--max-request-bytes",
            "102400",
            "--max-value-bytes",
            "65536",
        ],
    );
    let mut g = s.grpc_client().await;
    for i in 0..5u8 {
        g.put(proto::PutRequest {
            key: vec![b'v', i],
            value: vec![i; 40 << 10],
        })
        .await
        .unwrap();
    }
    let mut sizes = Vec::new();
    let mut resume = String::new();
    loop {
        let page = g
            .scan(proto::ScanRequest {
                limit: 100,
                resume: resume.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        sizes.push(page.pairs.len());
        if page.next.is_empty() {
            break;
        }
        resume = page.next;
    }
    assert_eq!(sizes, [2, 2, 1]);
}
