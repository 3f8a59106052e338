//! Health, stats, metrics, reflection (what `grpcurl list` asks) and the JSON logs.

use crate::harness::Server;
use ferrolite_server::proto;
use futures_util::StreamExt;
use serde_json::Value;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_stats_metrics_reflection_and_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("db"),
        &["--log-format", "json", "--memtable", "mutex"],
    );
    let mut g = s.grpc_client().await;
    let http = s.http_client();
    g.put(proto::PutRequest {
        key: b"a".to_vec(),
        value: b"1".to_vec(),
    })
    .await
    .unwrap();

    let h = g
        .health(proto::HealthRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (h.status.as_str(), h.memtable.as_str()),
        ("serving", "mutex")
    );
    assert!(h.last_seq >= 1);
    let h: Value = http
        .get(s.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "serving");

    let stats: Value = serde_json::from_str(
        &g.stats(proto::StatsRequest {})
            .await
            .unwrap()
            .into_inner()
            .json,
    )
    .unwrap();
    assert_eq!(stats["engine"]["counters"]["writes"], 1);
    assert_eq!(stats["engine"]["memtable"], "mutex");
    let rest_stats: Value = http
        .get(s.url("/v1/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest_stats["engine"]["counters"]["writes"], 1);
    assert!(rest_stats["server"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["op"] == "put" && r["face"] == "grpc"));

    let r = http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    for needle in [
        "ferrolite_engine_writes_total 1",
        "ferrolite_server_requests_total{face=\"grpc\",op=\"put\",code=\"OK\"} 1",
        "ferrolite_server_request_seconds_count{face=\"grpc\",op=\"put\"} 1",
        "ferrolite_engine_memtable_info{memtable=\"mutex\"} 1",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }

    // Reflection: the services a `grpcurl list` shows, and the file behind ours.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", s.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut refl = ServerReflectionClient::new(channel);
    let reqs = futures_util::stream::iter([
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "ferrolite.v1.Ferrolite".into(),
            )),
        },
    ]);
    let mut answers = refl
        .server_reflection_info(reqs)
        .await
        .unwrap()
        .into_inner();
    match answers
        .next()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap()
    {
        MessageResponse::ListServicesResponse(l) => {
            let names: Vec<_> = l.service.iter().map(|s| s.name.as_str()).collect();
            assert!(names.contains(&"ferrolite.v1.Ferrolite"), "{names:?}");
            assert!(
                names.contains(&"grpc.reflection.v1.ServerReflection"),
                "{names:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    match answers
        .next()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap()
    {
        MessageResponse::FileDescriptorResponse(f) => assert!(!f.file_descriptor_proto.is_empty()),
        other => panic!("{other:?}"),
    }

    // JSON logs: one line per request, inside its span, with its latency.
    let log = s.log_text();
    let line = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["span"]["op"] == "put")
        .unwrap_or_else(|| panic!("no JSON line for the put:\n{log}"));
    assert_eq!(line["span"]["face"], "grpc");
    assert_eq!(line["fields"]["code"], "OK");
    assert!(line["fields"]["latency_us"].as_u64().is_some(), "{line}");
}
