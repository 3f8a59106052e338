//! One client's connection to the server and its requests: gRPC through tonic's generated
//! client (one channel, so one HTTP/2 connection, per client) or REST through reqwest (one
//! HTTP/1.1 keep-alive connection per client: an own `reqwest::Client` with one idle
//! connection). Every answer is checked — a get must find its key with a value of the
//! expected size, a point query must return one row — and anything else is an error.
//!
//! Also the preload: the key space through the batch endpoint, the SQL table through scripts
//! of multi-row `INSERT`s, both over gRPC.

use crate::workload::{self, Face, Op, Rng, Shape};
use anyhow::{bail, ensure, Context, Result};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ferrolite_server::proto::ferrolite_client::FerroliteClient;
use ferrolite_server::proto::{self, batch_op, sql_response, value};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// A request that takes longer than this fails the run instead of hanging it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the server listens.
#[derive(Clone, Copy, Debug)]
pub struct Addrs {
    /// gRPC.
    pub grpc: SocketAddr,
    /// REST.
    pub http: SocketAddr,
}

/// One client's connection.
#[derive(Debug)]
pub enum Client {
    /// A gRPC channel.
    Grpc(FerroliteClient<Channel>),
    /// An HTTP/1.1 client holding one keep-alive connection.
    Rest {
        /// The client.
        http: reqwest::Client,
        /// `http://ADDR`.
        base: String,
    },
}

/// A gRPC client over a new channel to `addr`.
pub async fn grpc_client(addr: SocketAddr) -> Result<FerroliteClient<Channel>> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .context("the gRPC address")?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
        .timeout(REQUEST_TIMEOUT)
        .connect()
        .await
        .with_context(|| format!("connecting to the gRPC listener {addr}"))?;
    Ok(FerroliteClient::new(channel).max_decoding_message_size(64 << 20))
}

/// A REST client: HTTP/1.1 only, one idle connection kept, no proxy (loopback only).
pub fn rest_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")
}

#[derive(Deserialize)]
struct GetBody {
    value: String,
}

#[derive(Deserialize)]
struct SqlBody {
    results: Vec<SqlResult>,
}

#[derive(Deserialize)]
struct SqlResult {
    rows: Vec<Vec<serde_json::Value>>,
}

/// An HTTP answer that is not 200, as an error with its body.
async fn expect_ok(what: &str, resp: reqwest::Response) -> Result<reqwest::Response> {
    let status = resp.status();
    if status != reqwest::StatusCode::OK {
        let body = resp.text().await.unwrap_or_default();
        bail!("{what}: HTTP {status}: {body}");
    }
    Ok(resp)
}

impl Client {
    /// Connect a new client of `face`.
    pub async fn connect(face: Face, addrs: Addrs) -> Result<Client> {
        Ok(match face {
            Face::Grpc => Client::Grpc(grpc_client(addrs.grpc).await?),
            Face::Rest => Client::Rest {
                http: rest_client()?,
                base: format!("http://{}", addrs.http),
            },
        })
    }

    /// Send `op` and check its answer. `rng` makes the values of puts.
    pub async fn run(&mut self, op: Op, shape: &Shape, rng: &mut Rng) -> Result<()> {
        match (self, op) {
            (Client::Grpc(c), Op::Get(n)) => {
                let r = c
                    .get(proto::GetRequest {
                        key: workload::key(n),
                    })
                    .await
                    .with_context(|| format!("gRPC get of key {n}"))?
                    .into_inner();
                ensure!(r.found, "gRPC get of key {n}: not found (it was preloaded)");
                check_len("gRPC get", n, r.value.len(), shape.value_bytes)
            }
            (Client::Grpc(c), Op::Put(n)) => {
                let req = proto::PutRequest {
                    key: workload::key(n),
                    value: workload::value(rng, shape.value_bytes),
                };
                c.put(req)
                    .await
                    .with_context(|| format!("gRPC put of key {n}"))?;
                Ok(())
            }
            (Client::Grpc(c), Op::Sql(id)) => {
                let req = proto::SqlRequest {
                    sql: workload::SELECT.into(),
                    params: vec![proto::Value {
                        kind: Some(value::Kind::Integer(id as i64)),
                    }],
                };
                let mut stream = c
                    .sql(req)
                    .await
                    .with_context(|| format!("gRPC SQL select of row {id}"))?
                    .into_inner();
                let mut rows = 0;
                while let Some(m) = stream
                    .message()
                    .await
                    .with_context(|| format!("gRPC SQL select of row {id}: the stream"))?
                {
                    if let Some(sql_response::Item::Row(r)) = m.item {
                        rows += 1;
                        ensure!(
                            matches!(r.values.first().and_then(|v| v.kind.as_ref()),
                                Some(value::Kind::Text(t)) if t.len() == shape.value_bytes),
                            "gRPC SQL select of row {id}: not one text value of {} bytes: {r:?}",
                            shape.value_bytes
                        );
                    }
                }
                ensure!(rows == 1, "gRPC SQL select of row {id}: {rows} rows, not 1");
                Ok(())
            }
            (Client::Rest { http, base }, Op::Get(n)) => {
                let url = format!("{base}/v1/kv/{}", URL_SAFE_NO_PAD.encode(workload::key(n)));
                let resp = http
                    .get(url)
                    .send()
                    .await
                    .with_context(|| format!("REST get of key {n}"))?;
                let body: GetBody = expect_ok(&format!("REST get of key {n}"), resp)
                    .await?
                    .json()
                    .await
                    .with_context(|| format!("REST get of key {n}: the body"))?;
                let v = STANDARD
                    .decode(&body.value)
                    .with_context(|| format!("REST get of key {n}: the value's base64"))?;
                check_len("REST get", n, v.len(), shape.value_bytes)
            }
            (Client::Rest { http, base }, Op::Put(n)) => {
                let url = format!("{base}/v1/kv/{}", URL_SAFE_NO_PAD.encode(workload::key(n)));
                let v = STANDARD.encode(workload::value(rng, shape.value_bytes));
                let resp = http
                    .put(url)
                    .json(&serde_json::json!({ "value": v }))
                    .send()
                    .await
                    .with_context(|| format!("REST put of key {n}"))?;
                // Read the body, so the connection is free for the next request.
                expect_ok(&format!("REST put of key {n}"), resp)
                    .await?
                    .bytes()
                    .await
                    .with_context(|| format!("REST put of key {n}: the body"))?;
                Ok(())
            }
            (Client::Rest { http, base }, Op::Sql(id)) => {
                let resp = http
                    .post(format!("{base}/v1/sql"))
                    .json(&serde_json::json!({ "sql": workload::SELECT, "params": [id] }))
                    .send()
                    .await
                    .with_context(|| format!("REST SQL select of row {id}"))?;
                let body: SqlBody = expect_ok(&format!("REST SQL select of row {id}"), resp)
                    .await?
                    .json()
                    .await
                    .with_context(|| format!("REST SQL select of row {id}: the body"))?;
                let rows: Vec<&Vec<serde_json::Value>> =
                    body.results.iter().flat_map(|r| &r.rows).collect();
                ensure!(
                    rows.len() == 1,
                    "REST SQL select of row {id}: {} rows, not 1",
                    rows.len()
                );
                ensure!(
                    matches!(rows[0].first(), Some(serde_json::Value::String(s)) if s.len() == shape.value_bytes),
                    "REST SQL select of row {id}: not one text value of {} bytes: {:?}",
                    shape.value_bytes,
                    rows[0]
                );
                Ok(())
            }
        }
    }
}

fn check_len(what: &str, n: u64, got: usize, want: usize) -> Result<()> {
    ensure!(
        got == want,
        "{what} of key {n}: a value of {got} bytes, not {want}"
    );
    Ok(())
}

/// Keys per preload batch.
pub const PRELOAD_BATCH: u64 = 1_000;

/// Rows per preload `INSERT`, and `INSERT`s per script.
pub const PRELOAD_ROWS: u64 = 500;
const PRELOAD_STATEMENTS: u64 = 4;

/// Load the key space (batches of [`PRELOAD_BATCH`] puts) and table `t` (scripts of
/// multi-row `INSERT`s) into the server over gRPC.
pub async fn preload(addr: SocketAddr, shape: &Shape, seed: u64) -> Result<()> {
    let mut c = grpc_client(addr).await?;
    let mut rng = Rng::new(seed, u64::MAX);
    let mut from = 0;
    while from < shape.keys {
        let to = (from + PRELOAD_BATCH).min(shape.keys);
        let ops = (from..to)
            .map(|n| proto::BatchOp {
                op: Some(batch_op::Op::Put(proto::PutRequest {
                    key: workload::key(n),
                    value: workload::value(&mut rng, shape.value_bytes),
                })),
            })
            .collect();
        c.batch(proto::BatchRequest { ops })
            .await
            .with_context(|| format!("preloading keys {from}..{to}"))?;
        from = to;
    }
    let mut sql = vec![workload::CREATE_TABLE.to_string()];
    let mut id = 1;
    while id <= shape.rows {
        let last = (id + PRELOAD_ROWS - 1).min(shape.rows);
        sql.push(workload::insert_rows(id, last, &mut rng, shape.value_bytes));
        id = last + 1;
    }
    for script in sql.chunks(PRELOAD_STATEMENTS as usize) {
        let mut stream = c
            .sql(proto::SqlRequest {
                sql: script.join(";\n"),
                params: vec![],
            })
            .await
            .context("preloading table t")?
            .into_inner();
        while stream
            .message()
            .await
            .context("preloading table t: the answer")?
            .is_some()
        {}
    }
    Ok(())
}
