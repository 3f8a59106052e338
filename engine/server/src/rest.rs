//! The REST face (axum): the same operations as the gRPC service, JSON bodies with bytes in
//! base64, SQL results as one JSON document or as NDJSON lines, watches as Server-Sent Events.
//!
//! | route | does |
//! |---|---|
//! | `GET /health` | `{"status", "last_seq", "memtable"}` (503 while shutting down) |
//! | `GET /metrics` | Prometheus text |
//! | `GET /v1/stats` | the engine's and the server's statistics |
//! | `GET/PUT/DELETE /v1/kv/{key}` | one key (base64url in the path); PUT takes `{"value"}` |
//! | `POST /v1/batch` | `{"ops": [{"put": {"key", "value"}} \| {"delete": {"key"}}]}`, all or nothing |
//! | `GET /v1/scan?start=&end=&prefix=&limit=&resume=` | one page: `{"pairs": [{"key", "value"}], "next"}` |
//! | `POST /v1/sql` | `{"sql", "params"?}`; NDJSON with `Accept: application/x-ndjson` or `?format=ndjson` |
//! | `GET /v1/watch?table=&from_seq=&prefix=` | Server-Sent Events: `batch` or `row` events, a last `error` event; without `from_seq`, a reconnecting `EventSource`'s `Last-Event-ID` says where to resume |
//!
//! Every error is `{"error": CODE, "message"}` with the HTTP status of [`crate::error::Code`].

use crate::api::{Api, BatchOp, ScanArgs, SqlOutcome, WatchArgs, WatchItem};
use crate::auth::Token;
use crate::error::{ApiError, ApiResult, Code};
use crate::metrics::Face;
use crate::wire::{b64, unb64, value_from_json, value_to_json};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ferrolite_sql::QueryResult;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

#[derive(Clone, Debug)]
struct Rest {
    api: Arc<Api>,
    token: Option<Arc<Token>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.code.http(), Json(self.json())).into_response();
        if self.code == Code::Unauthenticated {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp.extensions_mut().insert(self.code);
        resp
    }
}

/// The router, with the token check, the body limit, the request spans and metrics.
pub fn router(api: Arc<Api>, token: Option<Arc<Token>>) -> Router {
    let limit = api.limits().max_request_bytes;
    let state = Rest { api, token };
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/stats", get(stats))
        .route("/v1/kv/{key}", get(kv_get).put(kv_put).delete(kv_delete))
        .route("/v1/batch", post(batch))
        .route("/v1/scan", get(scan))
        .route("/v1/sql", post(sql))
        .route("/v1/watch", get(watch))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// The operation a route names, for logs and metrics.
fn rest_op(path: Option<&str>, method: &Method) -> &'static str {
    match (path, method) {
        (Some("/v1/kv/{key}"), &Method::GET) => "get",
        (Some("/v1/kv/{key}"), &Method::PUT) => "put",
        (Some("/v1/kv/{key}"), &Method::DELETE) => "delete",
        (Some("/v1/batch"), _) => "batch",
        (Some("/v1/scan"), _) => "scan",
        (Some("/v1/sql"), _) => "sql",
        (Some("/v1/watch"), _) => "watch",
        (Some("/health"), _) => "health",
        (Some("/v1/stats"), _) => "stats",
        (Some("/metrics"), _) => "metrics",
        _ => "other",
    }
}

/// The gRPC code name of an answer: the one the handler said, or the status's nearest.
fn rest_code(resp: &Response) -> &'static str {
    if let Some(code) = resp.extensions().get::<Code>() {
        return code.name();
    }
    match resp.status() {
        s if s.is_success() => "OK",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "UNIMPLEMENTED",
        StatusCode::PAYLOAD_TOO_LARGE => "RESOURCE_EXHAUSTED",
        s if s.is_client_error() => "INVALID_ARGUMENT",
        _ => "INTERNAL",
    }
}

/// Token check, span and metrics for every request.
async fn gate(State(st): State<Rest>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let op = rest_op(path.as_deref(), req.method());
    let span = tracing::info_span!(
        "request",
        face = "rest",
        op,
        method = %req.method(),
        path = %req.uri().path()
    );
    async move {
        let authorized = match &st.token {
            None => true,
            Some(t) => t.check_header(req.headers().get(header::AUTHORIZATION)),
        };
        let resp = if authorized {
            next.run(req).await
        } else {
            ApiError::new(
                Code::Unauthenticated,
                "missing or wrong bearer token (send `Authorization: Bearer <token>`)",
            )
            .into_response()
        };
        let code = rest_code(&resp);
        let elapsed = started.elapsed();
        st.api.metrics.record(Face::Rest, op, code, elapsed);
        tracing::info!(
            status = resp.status().as_u16(),
            code,
            latency_us = elapsed.as_micros() as u64,
            "finished"
        );
        resp
    }
    .instrument(span)
    .await
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        Code::NotFound,
        format!("no route {} {}", req.method(), req.uri().path()),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({
            "error": "UNIMPLEMENTED",
            "message": format!("{} is not a method of {}", req.method(), req.uri().path()),
        })),
    )
        .into_response()
}

/// A JSON body of type `T`, or the error a client should see: 413 over the limit, 400 when
/// it is not the expected JSON.
fn json_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> ApiResult<T> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("{} (--max-request-bytes)", r.body_text()))
        } else {
            ApiError::invalid(r.body_text())
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    q.map(|Query(t)| t)
        .map_err(|r| ApiError::invalid(r.body_text()))
}

fn path_key(p: Result<Path<String>, PathRejection>) -> ApiResult<ferrolite::Bytes> {
    let Path(k) = p.map_err(|r| ApiError::invalid(r.body_text()))?;
    unb64("key", &k)
}

fn bytes_param(what: &str, v: &Option<String>) -> ApiResult<ferrolite::Bytes> {
    match v {
        None => Ok(ferrolite::Bytes::new()),
        Some(s) => unb64(what, s),
    }
}

async fn health(State(st): State<Rest>) -> Response {
    let (status, last_seq, memtable) = st.api.health();
    let code = if status == "serving" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({ "status": status, "last_seq": last_seq, "memtable": memtable })),
    )
        .into_response()
}

async fn metrics(State(st): State<Rest>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.api.metrics_text(),
    )
        .into_response()
}

async fn stats(State(st): State<Rest>) -> Json<serde_json::Value> {
    Json(st.api.stats_json())
}

async fn kv_get(
    State(st): State<Rest>,
    key: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let key = path_key(key)?;
    match st.api.get(&key)? {
        Some(v) => Ok(Json(json!({ "key": b64(&key), "value": b64(&v) }))),
        None => Err(ApiError::new(Code::NotFound, "the key has no value")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    value: String,
}

async fn kv_put(
    State(st): State<Rest>,
    key: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let key = path_key(key)?;
    let PutBody { value } = json_body(body)?;
    let value = unb64("value", &value)?;
    let seq = st.api.blocking(move |a| a.put(key, value)).await?;
    Ok(Json(json!({ "visible_seq": seq })))
}

async fn kv_delete(
    State(st): State<Rest>,
    key: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let key = path_key(key)?;
    let seq = st.api.blocking(move |a| a.delete(key)).await?;
    Ok(Json(json!({ "visible_seq": seq })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyValueJson {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyJson {
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchOpJson {
    put: Option<KeyValueJson>,
    delete: Option<KeyJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    ops: Vec<BatchOpJson>,
}

async fn batch(
    State(st): State<Rest>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let BatchBody { ops } = json_body(body)?;
    let ops = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| match (op.put, op.delete) {
            (Some(p), None) => Ok(BatchOp::Put(
                unb64(&format!("ops[{i}].put.key"), &p.key)?,
                unb64(&format!("ops[{i}].put.value"), &p.value)?,
            )),
            (None, Some(d)) => Ok(BatchOp::Delete(unb64(
                &format!("ops[{i}].delete.key"),
                &d.key,
            )?)),
            _ => Err(ApiError::invalid(format!(
                "ops[{i}]: exactly one of put and delete"
            ))),
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let seq = st.api.blocking(move |a| a.batch(ops)).await?;
    Ok(Json(json!({ "visible_seq": seq })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanQuery {
    start: Option<String>,
    end: Option<String>,
    prefix: Option<String>,
    limit: Option<usize>,
    resume: Option<String>,
}

async fn scan(
    State(st): State<Rest>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = query(q)?;
    let args = ScanArgs {
        start: bytes_param("start", &q.start)?,
        end: bytes_param("end", &q.end)?,
        prefix: bytes_param("prefix", &q.prefix)?,
        limit: q.limit.unwrap_or(0),
        resume: q.resume.unwrap_or_default(),
    };
    let page = st.api.blocking(move |a| a.scan(args)).await?;
    let pairs: Vec<_> = page
        .pairs
        .iter()
        .map(|(k, v)| json!({ "key": b64(k), "value": b64(v) }))
        .collect();
    Ok(Json(json!({ "pairs": pairs, "next": page.next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlBody {
    sql: String,
    #[serde(default)]
    params: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlQuery {
    format: Option<String>,
}

fn result_json(r: &QueryResult) -> serde_json::Value {
    let rows: Vec<Vec<serde_json::Value>> = r
        .rows
        .iter()
        .map(|row| row.iter().map(value_to_json).collect())
        .collect();
    json!({ "columns": r.columns, "rows": rows, "rows_affected": r.rows_affected })
}

/// The NDJSON lines of a statement's result: columns, each row, done.
fn result_lines(i: usize, r: QueryResult) -> impl Iterator<Item = serde_json::Value> {
    let columns = (!r.columns.is_empty()).then(|| json!({ "statement": i, "columns": r.columns }));
    let done = json!({ "statement": i, "done": { "rows_affected": r.rows_affected, "rows": r.rows.len() } });
    columns
        .into_iter()
        .chain(
            r.rows
                .into_iter()
                .map(move |row| json!({ "statement": i, "row": row.iter().map(value_to_json).collect::<Vec<_>>() })),
        )
        .chain(std::iter::once(done))
}

async fn sql(
    State(st): State<Rest>,
    headers: HeaderMap,
    q: Result<Query<SqlQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let q = query(q)?;
    let ndjson = match q.format.as_deref() {
        Some("ndjson") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "format: `{other}` is neither json nor ndjson"
            )))
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/x-ndjson")),
    };
    let SqlBody { sql, params } = json_body(body)?;
    let params = params
        .iter()
        .map(value_from_json)
        .collect::<ApiResult<Vec<_>>>()?;
    let permit = st.api.stream_slot()?;
    let SqlOutcome { results, error } = st.api.run_sql(sql, params).await?;
    if results.is_empty() {
        if let Some((_, e)) = error {
            return Err(e);
        }
    }
    let status = error
        .as_ref()
        .map_or(StatusCode::OK, |(_, e)| e.code.http());
    let code = error.as_ref().map(|(_, e)| e.code);
    if !ndjson {
        let results: Vec<_> = results.iter().map(result_json).collect();
        let body = match &error {
            None => json!({ "results": results }),
            Some((i, e)) => json!({
                "error": e.code.name(),
                "message": format!("statement {i}: {}", e.message),
                "statement": i,
                "results": results,
            }),
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(c) = code {
            resp.extensions_mut().insert(c);
        }
        return Ok(resp);
    }
    let tail = error.map(|(i, e)| {
        json!({ "statement": i, "error": e.code.name(), "message": format!("statement {i}: {}", e.message) })
    });
    let lines = results
        .into_iter()
        .enumerate()
        .flat_map(|(i, r)| result_lines(i, r))
        .chain(tail)
        .map(move |line| {
            let _hold = &permit;
            let mut text = line.to_string();
            text.push('\n');
            Ok::<_, Infallible>(Bytes::from(text))
        });
    let mut resp = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stream::iter(lines)))
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
    if let Some(c) = code {
        resp.extensions_mut().insert(c);
    }
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchQuery {
    table: Option<String>,
    from_seq: Option<u64>,
    prefix: Option<String>,
}

/// A watch item as an SSE event: `batch` (id: the batch's first sequence number) or `row` (id:
/// `SEQ.INDEX`, the commit's sequence number and the event's place in it).
fn sse_event(item: WatchItem) -> Event {
    let (name, id, data) = match item {
        WatchItem::Batch { seq, changes } => {
            let changes: Vec<_> = changes
                .iter()
                .map(|(seq, k, v)| match v {
                    Some(v) => json!({ "seq": seq, "key": b64(k), "value": b64(v) }),
                    None => json!({ "seq": seq, "key": b64(k), "deleted": true }),
                })
                .collect();
            (
                "batch",
                seq.to_string(),
                json!({ "seq": seq, "changes": changes }),
            )
        }
        WatchItem::Row(e) => {
            let row = |v: &[ferrolite_sql::Value]| v.iter().map(value_to_json).collect::<Vec<_>>();
            let (change, old, new) = crate::api::row_change(&e);
            let (old, new) = (old.map(row), new.map(row));
            (
                "row",
                format!("{}.{}", e.seq, e.index),
                json!({ "seq": e.seq, "index": e.index, "table": e.table, "pk": row(&e.pk), "change": change, "old": old, "new": new }),
            )
        }
    };
    Event::default().event(name).id(id).data(data.to_string())
}

/// Where a reconnecting `EventSource` resumes: after the `Last-Event-ID` it sends. A batch id
/// `S` resumes at `S + 1`; a row id `S.I` at commit `S`, skipping its events up to index `I`.
fn resume_after(headers: &HeaderMap) -> ApiResult<Option<(u64, Option<u32>)>> {
    let Some(v) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("Last-Event-ID: not an id this server sent");
    let text = v.to_str().map_err(|_| bad())?;
    match text.split_once('.') {
        None => Ok(Some((text.parse::<u64>().map_err(|_| bad())? + 1, None))),
        Some((seq, index)) => Ok(Some((
            seq.parse().map_err(|_| bad())?,
            Some(index.parse().map_err(|_| bad())?),
        ))),
    }
}

async fn watch(
    State(st): State<Rest>,
    headers: HeaderMap,
    q: Result<Query<WatchQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let q = query(q)?;
    let resume = match q.from_seq {
        Some(_) => None,
        None => resume_after(&headers)?,
    };
    let args = WatchArgs {
        table: q.table.unwrap_or_default(),
        from_seq: resume.map_or(q.from_seq.unwrap_or(0), |(seq, _)| seq),
        prefix: bytes_param("prefix", &q.prefix)?,
    };
    let skip = resume.and_then(|(seq, index)| index.map(|i| (seq, i)));
    let w = st.api.watch(args)?;
    let events = crate::api::watch_stream(st.api.clone(), w)
        .filter(move |item| {
            let seen = matches!((item, skip), (Ok(WatchItem::Row(e)), Some((s, i))) if e.seq == s && e.index <= i);
            std::future::ready(!seen)
        })
        .map(|item| {
        Ok::<_, Infallible>(match item {
            Ok(item) => sse_event(item),
            Err(e) => Event::default().event("error").data(e.json().to_string()),
        })
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_operations() {
        assert_eq!(rest_op(Some("/v1/kv/{key}"), &Method::PUT), "put");
        assert_eq!(rest_op(Some("/v1/kv/{key}"), &Method::GET), "get");
        assert_eq!(rest_op(Some("/v1/sql"), &Method::POST), "sql");
        assert_eq!(rest_op(None, &Method::GET), "other");
    }

    #[test]
    fn ndjson_lines_of_a_result() {
        let r = QueryResult {
            columns: vec!["a".into()],
            rows: vec![vec![ferrolite_sql::Value::Integer(1)]],
            rows_affected: 0,
        };
        let lines: Vec<_> = result_lines(2, r).map(|l| l.to_string()).collect();
        assert_eq!(
            lines,
            [
                r#"{"columns":["a"],"statement":2}"#,
                r#"{"row":[1],"statement":2}"#,
                r#"{"done":{"rows":1,"rows_affected":0},"statement":2}"#,
            ]
        );
    }
}
