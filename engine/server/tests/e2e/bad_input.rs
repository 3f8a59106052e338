//! Every kind of bad input on both faces gets its status code and a message — never a crash,
//! never a half-applied batch. The test prints the table it checked (`--nocapture`).

use crate::harness::{b64, url_key, Server};
use bytes::{Buf, BufMut};
use ferrolite_server::proto::{self, batch_op};
use serde_json::{json, Value};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

/// A codec that sends and receives raw bytes: a client that can send a broken message.
#[derive(Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

async fn raw_call(s: &Server, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", s.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    grpc.unary(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(path),
        Raw,
    )
    .await
    .map(|r| r.into_inner())
}

fn put_op(key: &[u8], value: Vec<u8>) -> proto::BatchOp {
    proto::BatchOp {
        op: Some(batch_op::Op::Put(proto::PutRequest {
            key: key.to_vec(),
            value,
        })),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_its_code_on_both_faces() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("db"),
        &[
            "--max-request-bytes",
            "65536",
            "--max-value-bytes",
            "1024",
            "--max-batch-ops",
            "10",
        ],
    );
    let mut g = s.grpc_client().await;
    let http = s.http_client();
    let mut table: Vec<(String, String, String)> = Vec::new();

    // gRPC.
    let grpc_cases: Vec<(&str, Status, tonic::Code)> = vec![
        (
            "malformed protobuf (Put)",
            raw_call(&s, "/ferrolite.v1.Ferrolite/Put", vec![0xff, 0xff, 0xff])
                .await
                .unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
        (
            "unknown method",
            raw_call(&s, "/ferrolite.v1.Ferrolite/Frobnicate", vec![])
                .await
                .unwrap_err(),
            tonic::Code::Unimplemented,
        ),
        (
            "empty key",
            g.get(proto::GetRequest { key: vec![] }).await.unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
        (
            "value over --max-value-bytes",
            g.put(proto::PutRequest {
                key: b"k".to_vec(),
                value: vec![0; 2000],
            })
            .await
            .unwrap_err(),
            tonic::Code::ResourceExhausted,
        ),
        (
            "message over --max-request-bytes",
            g.put(proto::PutRequest {
                key: b"k".to_vec(),
                value: vec![0; 100_000],
            })
            .await
            .unwrap_err(),
            tonic::Code::ResourceExhausted,
        ),
        (
            "batch with an op of neither kind",
            g.batch(proto::BatchRequest {
                ops: vec![proto::BatchOp { op: None }],
            })
            .await
            .unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
        (
            "batch over --max-batch-ops",
            g.batch(proto::BatchRequest {
                ops: (0..11u8).map(|i| put_op(&[b'b', i], vec![i])).collect(),
            })
            .await
            .unwrap_err(),
            tonic::Code::ResourceExhausted,
        ),
        (
            "batch whose 2nd op is too large",
            g.batch(proto::BatchRequest {
                ops: vec![put_op(b"half/1", vec![1]), put_op(b"half/2", vec![0; 2000])],
            })
            .await
            .unwrap_err(),
            tonic::Code::ResourceExhausted,
        ),
        (
            "batch whose 2nd op writes a SQL key",
            g.batch(proto::BatchRequest {
                ops: vec![put_op(b"half/3", vec![1]), put_op(b"\xfesqlx", vec![1])],
            })
            .await
            .unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
        (
            "scan with a forged resume token",
            g.scan(proto::ScanRequest {
                resume: "garbage".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
        (
            "SQL syntax error",
            g.sql(proto::SqlRequest {
                sql: "SELEC 1".into(),
                params: vec![],
            })
            .await
            .unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
        (
            "SQL with no statement",
            g.sql(proto::SqlRequest {
                sql: " ; ".into(),
                params: vec![],
            })
            .await
            .unwrap_err(),
            tonic::Code::InvalidArgument,
        ),
    ];
    for (what, status, want) in grpc_cases {
        assert_eq!(status.code(), want, "{what}: {status:?}");
        assert!(!status.message().is_empty(), "{what}: no message");
        table.push((
            "gRPC".into(),
            what.into(),
            format!("{:?}: {}", status.code(), status.message()),
        ));
    }

    // REST.
    let long_body = format!("{{\"value\": \"{}\"}}", "A".repeat(70_000));
    let rest_cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("malformed JSON body", http.put(s.url("/v1/kv/aw")).body("{\"value\":"), 400, "INVALID_ARGUMENT"),
        ("JSON of the wrong shape", http.put(s.url("/v1/kv/aw")).body("[1, 2]"), 400, "INVALID_ARGUMENT"),
        ("unknown field", http.put(s.url("/v1/kv/aw")).json(&json!({"value": "AA==", "ttl": 3})), 400, "INVALID_ARGUMENT"),
        ("bad base64 key in the path", http.get(s.url("/v1/kv/not*base64")), 400, "INVALID_ARGUMENT"),
        ("bad base64 value", http.put(s.url("/v1/kv/aw")).json(&json!({"value": "@@"})), 400, "INVALID_ARGUMENT"),
        ("value over --max-value-bytes", http.put(s.url("/v1/kv/aw")).json(&json!({"value": b64(&[0; 2000])})), 413, "RESOURCE_EXHAUSTED"),
        ("body over --max-request-bytes", http.put(s.url("/v1/kv/aw")).body(long_body), 413, "RESOURCE_EXHAUSTED"),
        ("batch op with both put and delete", http.post(s.url("/v1/batch")).json(&json!({"ops": [{"put": {"key": "aw==", "value": "aw=="}, "delete": {"key": "aw=="}}]})), 400, "INVALID_ARGUMENT"),
        ("batch whose 2nd key is bad base64", http.post(s.url("/v1/batch")).json(&json!({"ops": [{"put": {"key": b64(b"half/4"), "value": "aw=="}}, {"delete": {"key": "%%%"}}]})), 400, "INVALID_ARGUMENT"),
        ("batch over --max-batch-ops", http.post(s.url("/v1/batch")).json(&json!({"ops": (0..11).map(|i| json!({"delete": {"key": b64(&[i])}})).collect::<Vec<_>>()})), 413, "RESOURCE_EXHAUSTED"),
        ("a SQL layer key", http.get(s.url(&format!("/v1/kv/{}", url_key(b"\xfesqlc")))), 400, "INVALID_ARGUMENT"),
        ("scan limit not a number", http.get(s.url("/v1/scan?limit=abc")), 400, "INVALID_ARGUMENT"),
        ("scan with an unknown parameter", http.get(s.url("/v1/scan?colour=red")), 400, "INVALID_ARGUMENT"),
        ("scan with a forged resume token", http.get(s.url("/v1/scan?resume=zzz")), 400, "INVALID_ARGUMENT"),
        ("SQL body without sql", http.post(s.url("/v1/sql")).json(&json!({"query": "SELECT 1"})), 400, "INVALID_ARGUMENT"),
        ("SQL parameter of no SQL type", http.post(s.url("/v1/sql")).json(&json!({"sql": "SELECT ?", "params": [[1]]})), 400, "INVALID_ARGUMENT"),
        ("SQL syntax error", http.post(s.url("/v1/sql")).json(&json!({"sql": "SELEC 1"})), 400, "INVALID_ARGUMENT"),
        ("SQL result format unknown", http.post(s.url("/v1/sql?format=xml")).json(&json!({"sql": "SELECT 1"})), 400, "INVALID_ARGUMENT"),
        ("watch from_seq not a number", http.get(s.url("/v1/watch?from_seq=-1")), 400, "INVALID_ARGUMENT"),
        ("unknown route", http.get(s.url("/v2/everything")), 404, "NOT_FOUND"),
        ("unknown method on a route", http.patch(s.url("/v1/kv/aw")), 405, "UNIMPLEMENTED"),
    ];
    for (what, req, status, code) in rest_cases {
        let r = req.send().await.unwrap();
        let got = r.status().as_u16();
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{what}: body not JSON: {e}"));
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"], code, "{what}: {body}");
        assert!(
            !body["message"].as_str().unwrap_or("").is_empty(),
            "{what}: {body}"
        );
        table.push((
            "REST".into(),
            what.into(),
            format!(
                "{got} {}: {}",
                body["error"].as_str().unwrap(),
                body["message"].as_str().unwrap()
            ),
        ));
    }

    // No batch was half applied; nothing written by a refused request is there.
    for key in [&b"half/1"[..], b"half/3", b"half/4", b"k", b"aw", b"b\x00"] {
        let got = g
            .get(proto::GetRequest { key: key.to_vec() })
            .await
            .unwrap()
            .into_inner();
        assert!(!got.found, "{key:?} was written by a refused request");
    }
    // And the server is still serving.
    let h: Value = http
        .get(s.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "serving");

    println!("| face | bad input | answer (code: message) |\n|---|---|---|");
    for (face, what, answer) in table {
        let answer: String = answer.chars().take(110).collect();
        println!("| {face} | {what} | {} |", answer.replace('|', "\\|"));
    }
}
