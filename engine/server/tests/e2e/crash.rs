//! Crash cycles through the network: clients write (puts, deletes, batches over gRPC and REST,
//! SQL inserts) while the server is killed with SIGKILL at a random moment; after each restart
//! every acknowledged write must be there, and a write in flight at the kill must be there
//! whole or not at all (a batch all or nothing; every value self-checking, so nothing torn).
//! This is the crash checker's rule (`verification/tests/crash.rs`), with the client's
//! acknowledgement — the response — as the promise.
//!
//! `FERROLITE_CRASH_CYCLES=N` runs N cycles (default 8 in `cargo test`); the policy alternates
//! between `every-write` and `group`. A negative control runs `buffered:1000`, which loses
//! acknowledged writes on a process crash by design, and requires the check to see the loss.

use crate::harness::{b64, url_key, Server};
use ferrolite_server::proto::{self, batch_op};
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Keys a writer owns.
const KEYS: u32 = 12;

/// FNV-1a, 64 bits: the value's self-check.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A value for `key`: the key, a counter, a payload of random length, the checksum of all that.
fn value_for(key: &[u8], counter: u64, rng: &mut impl Rng) -> Vec<u8> {
    let mut v = key.to_vec();
    v.push(b'|');
    v.extend_from_slice(&counter.to_le_bytes());
    let n = rng.random_range(10..3000);
    v.extend((0..n).map(|_| rng.random::<u8>()));
    let h = fnv(&v);
    v.extend_from_slice(&h.to_le_bytes());
    v
}

/// Whether `value` is whole and belongs to `key`.
fn intact(key: &[u8], value: &[u8]) -> bool {
    value.len() >= key.len() + 17
        && value.starts_with(key)
        && fnv(&value[..value.len() - 8]).to_le_bytes() == value[value.len() - 8..]
}

/// One request's operations: (key, value or `None` for a delete).
type Ops = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// One writer's knowledge: what the server acknowledged, and what was in flight when the
/// connection died (the ops of one request).
#[derive(Default)]
struct Writer {
    acked: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    in_flight: Option<Ops>,
    requests: u64,
}

enum Face {
    Grpc(proto::ferrolite_client::FerroliteClient<tonic::transport::Channel>),
    Rest(reqwest::Client, String),
}

/// Send one request of `ops` (one op: put or delete; more: a batch); `true` if acknowledged.
async fn send(face: &mut Face, ops: &[(Vec<u8>, Option<Vec<u8>>)]) -> bool {
    match face {
        Face::Grpc(g) => {
            let r = if ops.len() == 1 {
                match &ops[0] {
                    (k, Some(v)) => g
                        .put(proto::PutRequest {
                            key: k.clone(),
                            value: v.clone(),
                        })
                        .await
                        .map(drop),
                    (k, None) => g
                        .delete(proto::DeleteRequest { key: k.clone() })
                        .await
                        .map(drop),
                }
            } else {
                let ops = ops
                    .iter()
                    .map(|(k, v)| proto::BatchOp {
                        op: Some(match v {
                            Some(v) => batch_op::Op::Put(proto::PutRequest {
                                key: k.clone(),
                                value: v.clone(),
                            }),
                            None => batch_op::Op::Delete(proto::DeleteRequest { key: k.clone() }),
                        }),
                    })
                    .collect();
                g.batch(proto::BatchRequest { ops }).await.map(drop)
            };
            r.is_ok()
        }
        Face::Rest(http, base) => {
            let r = if ops.len() == 1 {
                let url = format!("{base}/v1/kv/{}", url_key(&ops[0].0));
                match &ops[0].1 {
                    Some(v) => http.put(url).json(&json!({ "value": b64(v) })).send().await,
                    None => http.delete(url).send().await,
                }
            } else {
                let ops: Vec<_> = ops
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => json!({ "put": { "key": b64(k), "value": b64(v) } }),
                        None => json!({ "delete": { "key": b64(k) } }),
                    })
                    .collect();
                http.post(format!("{base}/v1/batch"))
                    .json(&json!({ "ops": ops }))
                    .send()
                    .await
            };
            matches!(r, Ok(r) if r.status() == 200)
        }
    }
}

/// Write until the first failed request (the server died).
async fn write_until_dead(mut face: Face, id: u32, state: Arc<Mutex<Writer>>, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut counter = state.lock().unwrap().requests * 16;
    loop {
        // Three requests in four touch one key (a put, or a delete one time in five); the
        // rest are batches of 2 to 4 keys.
        let n = if rng.random_range(0..100) < 75 {
            1
        } else {
            rng.random_range(2..=4)
        };
        let mut ops = Vec::new();
        let mut used = Vec::new();
        while ops.len() < n {
            let k = rng.random_range(0..KEYS);
            if used.contains(&k) {
                continue;
            }
            used.push(k);
            let key = format!("c/{id}/{k:02}").into_bytes();
            counter += 1;
            let delete = n == 1 && rng.random_range(0..100) < 20;
            let value = (!delete).then(|| value_for(&key, counter, &mut rng));
            ops.push((key, value));
        }
        state.lock().unwrap().in_flight = Some(ops.clone());
        if !send(&mut face, &ops).await {
            return;
        }
        let mut st = state.lock().unwrap();
        st.in_flight = None;
        st.requests += 1;
        for (k, v) in ops {
            st.acked.insert(k, v);
        }
    }
}

/// SQL inserts of numbered rows; the set of acknowledged ids and the one in flight.
#[derive(Default)]
struct SqlWriter {
    acked: Vec<i64>,
    in_flight: Option<i64>,
}

async fn insert_until_dead(http: reqwest::Client, base: String, state: Arc<Mutex<SqlWriter>>) {
    loop {
        let id = {
            let mut st = state.lock().unwrap();
            let id = st
                .acked
                .last()
                .map_or(1, |l| l + 1)
                .max(st.in_flight.map_or(0, |i| i + 1));
            st.in_flight = Some(id);
            id
        };
        let body = json!({ "sql": "INSERT INTO rows (id, payload) VALUES (?, ?)", "params": [id, format!("row {id}").repeat(20)] });
        match http.post(format!("{base}/v1/sql")).json(&body).send().await {
            Ok(r) if r.status() == 200 => {
                let mut st = state.lock().unwrap();
                st.acked.push(id);
                st.in_flight = None;
            }
            _ => return,
        }
    }
}

/// Check the restarted server against the writers' knowledge; fold applied in-flight requests
/// into it. Returns the problems found.
async fn check(
    s: &Server,
    writers: &[Arc<Mutex<Writer>>],
    sql: &Arc<Mutex<SqlWriter>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut g = s.grpc_client().await;
    // Everything under c/, by scan: no key that was never written, every value intact.
    let mut found: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut resume = String::new();
    loop {
        let page = g
            .scan(proto::ScanRequest {
                prefix: b"c/".to_vec(),
                limit: 1000,
                resume: resume.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for kv in page.pairs {
            found.insert(kv.key, kv.value);
        }
        if page.next.is_empty() {
            break;
        }
        resume = page.next;
    }
    for (k, v) in &found {
        if !intact(k, v) {
            problems.push(format!(
                "{}: a torn or foreign value of {} bytes",
                String::from_utf8_lossy(k),
                v.len()
            ));
        }
    }
    for (id, w) in writers.iter().enumerate() {
        let mut w = w.lock().unwrap();
        let in_flight = w.in_flight.take().unwrap_or_default();
        // The in-flight request is all there or not at all.
        let is_new = |(k, v): &(Vec<u8>, Option<Vec<u8>>)| found.get(k) == v.as_ref();
        let is_old = |(k, _): &(Vec<u8>, Option<Vec<u8>>)| {
            found.get(k) == w.acked.get(k).and_then(|v| v.as_ref())
        };
        let all_new = !in_flight.is_empty() && in_flight.iter().all(is_new);
        if !all_new && !in_flight.iter().all(is_old) {
            problems.push(format!(
                "writer {id}: a request of {} ops in flight was applied in part",
                in_flight.len()
            ));
        }
        if all_new {
            for (k, v) in &in_flight {
                w.acked.insert(k.clone(), v.clone());
            }
        }
        let in_flight_keys: Vec<&Vec<u8>> = in_flight.iter().map(|(k, _)| k).collect();
        for (k, v) in &w.acked {
            if in_flight_keys.contains(&k) {
                continue;
            }
            if found.get(k) != v.as_ref() {
                problems.push(format!(
                    "writer {id}: acknowledged {} {} but found {}",
                    if v.is_some() { "put of" } else { "delete of" },
                    String::from_utf8_lossy(k),
                    found
                        .get(k)
                        .map_or("nothing".to_string(), |v| format!("{} bytes", v.len()))
                ));
            }
        }
        for k in found
            .keys()
            .filter(|k| k.starts_with(format!("c/{id}/").as_bytes()))
        {
            if !w.acked.contains_key(k) && !in_flight_keys.contains(&k) {
                problems.push(format!(
                    "writer {id}: {} was never written",
                    String::from_utf8_lossy(k)
                ));
            }
        }
    }
    // SQL rows: every acknowledged id, the in-flight one or not, nothing else.
    let r: serde_json::Value = s
        .http_client()
        .post(s.url("/v1/sql"))
        .json(&json!({ "sql": "SELECT id, payload FROM rows ORDER BY id" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = r["results"][0]["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<i64> = rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    for r in &rows {
        let id = r[0].as_i64().unwrap();
        if r[1].as_str() != Some(format!("row {id}").repeat(20).as_str()) {
            problems.push(format!("SQL row {id} is torn"));
        }
    }
    let mut st = sql.lock().unwrap();
    if let Some(i) = st.in_flight.take() {
        if ids.contains(&i) {
            st.acked.push(i);
        }
    }
    if ids != st.acked {
        let missing: Vec<_> = st.acked.iter().filter(|i| !ids.contains(i)).collect();
        let extra: Vec<_> = ids.iter().filter(|i| !st.acked.contains(i)).collect();
        problems.push(format!(
            "SQL rows: acknowledged ids missing {missing:?}, unknown ids present {extra:?}"
        ));
    }
    problems
}

/// Run `cycles` crash cycles with the given sync policies (in turn); the problems found, and
/// the number of acknowledged requests.
async fn cycles(cycles: usize, policies: &[&str], seed: u64) -> (Vec<String>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("db");
    let writers: Vec<Arc<Mutex<Writer>>> = (0..3).map(|_| Arc::default()).collect();
    let sql: Arc<Mutex<SqlWriter>> = Arc::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut problems = Vec::new();
    for cycle in 0..cycles {
        let policy = policies[cycle % policies.len()];
        let mut s = Server::start(&data, &["--sync", policy, "--log-level", "warn"]);
        if cycle > 0 {
            for p in check(&s, &writers, &sql).await {
                problems.push(format!("cycle {cycle} ({policy}): {p}"));
            }
        } else {
            s.http_client()
                .post(s.url("/v1/sql"))
                .json(&json!({ "sql": "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT)" }))
                .send()
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for (id, w) in writers.iter().enumerate() {
            let face = if id < 2 {
                Face::Grpc(s.grpc_client().await)
            } else {
                Face::Rest(s.http_client(), s.url(""))
            };
            tasks.push(tokio::spawn(write_until_dead(
                face,
                id as u32,
                w.clone(),
                rng.random(),
            )));
        }
        tasks.push(tokio::spawn(insert_until_dead(
            s.http_client(),
            s.url(""),
            sql.clone(),
        )));
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..400))).await;
        s.kill();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .unwrap()
                .unwrap();
        }
    }
    // A last restart, and a last check.
    let s = Server::start(&data, &["--log-level", "warn"]);
    for p in check(&s, &writers, &sql).await {
        problems.push(format!("after the last cycle: {p}"));
    }
    let acked = writers
        .iter()
        .map(|w| w.lock().unwrap().requests)
        .sum::<u64>()
        + sql.lock().unwrap().acked.len() as u64;
    (problems, acked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_cycles_lose_no_acknowledged_write() {
    let n: usize = std::env::var("FERROLITE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let seed = rand::random();
    let started = std::time::Instant::now();
    let (problems, acked) = cycles(n, &["every-write", "group:300"], seed).await;
    println!(
        "{n} SIGKILL cycles (seed {seed}): {acked} acknowledged requests, {} problems, {:.1?}",
        problems.len(),
        started.elapsed()
    );
    assert!(problems.is_empty(), "seed {seed}:\n{}", problems.join("\n"));
    assert!(
        acked > n as u64,
        "the clients got almost nothing done: {acked}"
    );
}

/// The negative control: `buffered:1000` acknowledges writes that are still in the server's
/// buffer, so a SIGKILL loses them; the check must say so (else it could not fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_sees_the_writes_a_buffered_policy_loses() {
    let mut seen = false;
    for attempt in 0..5u64 {
        let (problems, _) = cycles(3, &["buffered:1000"], 1000 + attempt).await;
        if problems.iter().any(|p| p.contains("acknowledged")) {
            seen = true;
            break;
        }
    }
    assert!(
        seen,
        "the crash check saw no lost write under buffered:1000 in 5 tries"
    );
}
