//! The bearer token on every request of both faces, and the refusal to serve the network
//! without one.

use crate::harness::{binary, Server};
use ferrolite_server::proto;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_required_on_every_request_of_both_faces() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with_token(&dir.path().join("db"), "correct-horse-battery", &[]);
    let mut g = s.grpc_client().await;

    // gRPC: none, wrong, a prefix, another scheme: refused; the token: accepted.
    for header in [
        None,
        Some("Bearer wrong"),
        Some("Bearer correct-horse"),
        Some("Basic correct-horse-battery"),
    ] {
        let mut r = tonic::Request::new(proto::HealthRequest {});
        if let Some(h) = header {
            r.metadata_mut().insert("authorization", h.parse().unwrap());
        }
        let e = g.health(r).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::Unauthenticated, "{header:?}");
    }
    let h = g
        .health(s.req(proto::HealthRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.status, "serving");
    // Streams and reflection too.
    let e = g
        .watch(tonic::Request::new(proto::WatchRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated);
    assert!(g.watch(s.req(proto::WatchRequest::default())).await.is_ok());

    // REST: every route, including health and metrics, without and with the token.
    let anonymous = reqwest::Client::new();
    let with_token = s.http_client();
    for path in [
        "/health",
        "/metrics",
        "/v1/stats",
        "/v1/scan",
        "/v1/kv/aw",
        "/nowhere",
    ] {
        let r = anonymous.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let r = anonymous
            .get(s.url(path))
            .bearer_auth("correct-horse-batterY")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} with a wrong token");
        let r = with_token.get(s.url(path)).send().await.unwrap();
        assert_ne!(r.status(), 401, "{path} with the token");
    }
    let r = anonymous
        .post(s.url("/v1/sql"))
        .json(&serde_json::json!({ "sql": "CREATE TABLE t (a INTEGER)" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The refused requests are counted as such.
    let metrics = with_token
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ferrolite_server_requests_total{face=\"grpc\",op=\"health\",code=\"UNAUTHENTICATED\"} 4"),
        "{metrics}"
    );
}

#[test]
fn a_network_address_without_a_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(binary())
        .arg("--data")
        .arg(dir.path().join("db"))
        .args(["--http", "0.0.0.0:0", "--grpc", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "refusing to listen on 0.0.0.0:0 (not a loopback address) without --token-file"
        ),
        "{err}"
    );
    assert!(!dir.path().join("db").exists(), "nothing was created");
    // An empty token file is refused too.
    let token = dir.path().join("token");
    std::fs::write(&token, "\n").unwrap();
    let out = Command::new(binary())
        .arg("--data")
        .arg(dir.path().join("db"))
        .arg("--token-file")
        .arg(&token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file is empty"));
}
