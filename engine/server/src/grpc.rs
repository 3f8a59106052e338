//! The gRPC face: the generated `Ferrolite` service over [`Api`], the reflection service, and
//! [`GrpcLayer`] in front of both (bearer token, one span and one metrics cell per request, and
//! gRPC's code for an oversized message).

use crate::api::{Api, BatchOp, ScanArgs, WatchArgs, WatchItem};
use crate::auth::Token;
use crate::error::{ApiError, ApiResult};
use crate::metrics::Face;
use crate::proto::ferrolite_server::Ferrolite;
use crate::proto::{self, batch_op, sql_response, watch_response};
use crate::wire::{value_from_proto, value_to_proto};
use ferrolite::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::{Request, Response, Status};
use tracing::Instrument;

/// The service implementation.
#[derive(Clone, Debug)]
pub struct Service {
    api: Arc<Api>,
}

impl Service {
    /// Serve `api`.
    pub fn new(api: Arc<Api>) -> Self {
        Service { api }
    }
}

fn write_response(visible_seq: u64) -> Response<proto::WriteResponse> {
    Response::new(proto::WriteResponse { visible_seq })
}

fn row(values: &[ferrolite_sql::Value]) -> proto::Row {
    proto::Row {
        values: values.iter().map(value_to_proto).collect(),
    }
}

/// The messages of one statement's result.
fn statement_messages(i: usize, r: ferrolite_sql::QueryResult) -> Vec<proto::SqlResponse> {
    let statement = i as u32;
    let msg = |item| proto::SqlResponse {
        statement,
        item: Some(item),
    };
    let mut out = Vec::with_capacity(r.rows.len() + 2);
    if !r.columns.is_empty() {
        out.push(msg(sql_response::Item::Columns(proto::Columns {
            names: r.columns,
        })));
    }
    let rows = r.rows.len() as u64;
    out.extend(
        r.rows
            .iter()
            .map(|values| msg(sql_response::Item::Row(row(values)))),
    );
    out.push(msg(sql_response::Item::Done(proto::Done {
        rows_affected: r.rows_affected,
        rows,
    })));
    out
}

/// A watch item as a message.
pub fn watch_message(item: WatchItem) -> proto::WatchResponse {
    let item = match item {
        WatchItem::Batch { seq, changes } => watch_response::Item::Batch(proto::KeyBatch {
            seq,
            changes: changes
                .into_iter()
                .map(|(seq, key, value)| proto::KeyChange {
                    seq,
                    key: key.to_vec(),
                    value: value.map(|v| v.to_vec()),
                })
                .collect(),
        }),
        WatchItem::Row(e) => {
            let (change, old, new) = crate::api::row_change(&e);
            let (old, new) = (old.map(row), new.map(row));
            watch_response::Item::Row(proto::RowChange {
                seq: e.seq,
                table: e.table.clone(),
                pk: e.pk.iter().map(value_to_proto).collect(),
                change: change.into(),
                old,
                new,
                index: e.index,
            })
        }
    };
    proto::WatchResponse { item: Some(item) }
}

#[tonic::async_trait]
impl Ferrolite for Service {
    async fn get(
        &self,
        req: Request<proto::GetRequest>,
    ) -> Result<Response<proto::GetResponse>, Status> {
        let value = self.api.get(&req.into_inner().key)?;
        Ok(Response::new(proto::GetResponse {
            found: value.is_some(),
            value: value.map(|v| v.to_vec()).unwrap_or_default(),
        }))
    }

    async fn put(
        &self,
        req: Request<proto::PutRequest>,
    ) -> Result<Response<proto::WriteResponse>, Status> {
        let r = req.into_inner();
        let (k, v) = (Bytes::from(r.key), Bytes::from(r.value));
        Ok(write_response(
            self.api.blocking(move |a| a.put(k, v)).await?,
        ))
    }

    async fn delete(
        &self,
        req: Request<proto::DeleteRequest>,
    ) -> Result<Response<proto::WriteResponse>, Status> {
        let k = Bytes::from(req.into_inner().key);
        Ok(write_response(
            self.api.blocking(move |a| a.delete(k)).await?,
        ))
    }

    async fn batch(
        &self,
        req: Request<proto::BatchRequest>,
    ) -> Result<Response<proto::WriteResponse>, Status> {
        let ops = req
            .into_inner()
            .ops
            .into_iter()
            .enumerate()
            .map(|(i, op)| match op.op {
                Some(batch_op::Op::Put(p)) => Ok(BatchOp::Put(p.key.into(), p.value.into())),
                Some(batch_op::Op::Delete(d)) => Ok(BatchOp::Delete(d.key.into())),
                None => Err(ApiError::invalid(format!(
                    "ops[{i}]: neither put nor delete"
                ))),
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(write_response(
            self.api.blocking(move |a| a.batch(ops)).await?,
        ))
    }

    async fn scan(
        &self,
        req: Request<proto::ScanRequest>,
    ) -> Result<Response<proto::ScanResponse>, Status> {
        let r = req.into_inner();
        let args = ScanArgs {
            start: r.start.into(),
            end: r.end.into(),
            prefix: r.prefix.into(),
            limit: r.limit as usize,
            resume: r.resume,
        };
        let page = self.api.blocking(move |a| a.scan(args)).await?;
        Ok(Response::new(proto::ScanResponse {
            pairs: page
                .pairs
                .into_iter()
                .map(|(k, v)| proto::KeyValue {
                    key: k.to_vec(),
                    value: v.to_vec(),
                })
                .collect(),
            next: page.next,
        }))
    }

    type SqlStream = BoxStream<'static, Result<proto::SqlResponse, Status>>;

    async fn sql(
        &self,
        req: Request<proto::SqlRequest>,
    ) -> Result<Response<Self::SqlStream>, Status> {
        let permit = self.api.stream_slot()?;
        let r = req.into_inner();
        let params: Vec<_> = r.params.iter().map(value_from_proto).collect();
        let outcome = self.api.run_sql(r.sql, params).await?;
        // An error before any result is the call's status; a later one ends the stream of the
        // results before it.
        if outcome.results.is_empty() {
            if let Some((_, e)) = outcome.error {
                return Err(e.into());
            }
        }
        let tail = outcome.error.map(|(i, e)| {
            Err(Status::new(
                e.code.grpc(),
                format!("statement {i}: {}", e.message),
            ))
        });
        let messages = outcome
            .results
            .into_iter()
            .enumerate()
            .flat_map(|(i, r)| statement_messages(i, r))
            .map(Ok);
        let s = stream::iter(messages.chain(tail)).map(move |m| {
            let _hold = &permit;
            m
        });
        Ok(Response::new(s.boxed()))
    }

    type WatchStream = BoxStream<'static, Result<proto::WatchResponse, Status>>;

    async fn watch(
        &self,
        req: Request<proto::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let r = req.into_inner();
        let args = WatchArgs {
            table: r.table,
            from_seq: r.from_seq,
            prefix: r.prefix.into(),
        };
        let watch = self.api.watch(args)?;
        let s = crate::api::watch_stream(self.api.clone(), watch)
            .map(|item| item.map(watch_message).map_err(Status::from));
        Ok(Response::new(s.boxed()))
    }

    async fn health(
        &self,
        _req: Request<proto::HealthRequest>,
    ) -> Result<Response<proto::HealthResponse>, Status> {
        let (status, last_seq, memtable) = self.api.health();
        Ok(Response::new(proto::HealthResponse {
            status: status.into(),
            last_seq,
            memtable: memtable.into(),
        }))
    }

    async fn stats(
        &self,
        _req: Request<proto::StatsRequest>,
    ) -> Result<Response<proto::StatsResponse>, Status> {
        Ok(Response::new(proto::StatsResponse {
            json: self.api.stats_json().to_string(),
        }))
    }
}

/// The operation a gRPC path names, for logs and metrics.
fn grpc_op(path: &str) -> &'static str {
    if path.starts_with("/grpc.reflection.") {
        return "reflection";
    }
    let method = path.rsplit('/').next().unwrap_or("");
    crate::metrics::OPS
        .iter()
        .copied()
        .find(|op| op.eq_ignore_ascii_case(method))
        .unwrap_or("other")
}

/// The code name of a gRPC status number.
fn code_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        3 => "INVALID_ARGUMENT",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

/// The layer in front of the gRPC services.
#[derive(Clone, Debug)]
pub struct GrpcLayer {
    api: Arc<Api>,
    token: Option<Arc<Token>>,
}

impl GrpcLayer {
    /// Check `token` (if any), log and count every request to `api`'s metrics.
    pub fn new(api: Arc<Api>, token: Option<Arc<Token>>) -> Self {
        GrpcLayer { api, token }
    }
}

impl<S> tower::Layer<S> for GrpcLayer {
    type Service = GrpcGate<S>;
    fn layer(&self, inner: S) -> GrpcGate<S> {
        GrpcGate {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`GrpcLayer`] wraps around the router.
#[derive(Clone, Debug)]
pub struct GrpcGate<S> {
    inner: S,
    layer: GrpcLayer,
}

type HttpResponse = http::Response<tonic::body::Body>;

impl<S, B> tower::Service<http::Request<B>> for GrpcGate<S>
where
    S: tower::Service<http::Request<B>, Response = HttpResponse> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = futures_util::future::BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // The clone is the one made ready by `poll_ready`'s caller's contract: take the ready
        // one and leave the clone behind (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let path = req.uri().path().to_string();
        let op = grpc_op(&path);
        let path_for_errors = path.clone();
        let span = tracing::info_span!("request", face = "grpc", op, path = %path);
        let started = Instant::now();
        Box::pin(
            async move {
                let authorized = match &layer.token {
                    None => true,
                    Some(t) => t.check_header(req.headers().get(http::header::AUTHORIZATION)),
                };
                let mut resp = if authorized {
                    inner.call(req).await?
                } else {
                    Status::unauthenticated(
                        "missing or wrong bearer token (send `authorization: Bearer <token>`)",
                    )
                    .into_http()
                };
                fix_codes(&mut resp, &path_for_errors);
                let code = resp
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .map(code_name)
                    .unwrap_or("OK");
                let elapsed = started.elapsed();
                layer.api.metrics.record(Face::Grpc, op, code, elapsed);
                tracing::info!(code, latency_us = elapsed.as_micros() as u64, "finished");
                Ok(resp)
            }
            .instrument(span),
        )
    }
}

/// Three of tonic's answers to a request it cannot serve, rewritten to the codes and messages
/// this server promises (all are trailers-only responses, the status in the headers):
///
/// - a message over the decoding limit is `OUT_OF_RANGE` in tonic; gRPC's table of codes
///   (and grpc-go, grpc-java, grpc-core) say `RESOURCE_EXHAUSTED` for a message larger than
///   the server accepts;
/// - bytes that are not the request's protobuf are `INTERNAL` in tonic-prost (gRPC's table
///   files a request that fails to parse under `INTERNAL`); here the client's bytes are at
///   fault, so it is `INVALID_ARGUMENT`, as for malformed JSON on the REST side, and
///   `INTERNAL` stays reserved for the engine's own failures;
/// - an unknown method is `UNIMPLEMENTED` without a message; it gets one naming the path.
fn fix_codes(resp: &mut HttpResponse, path: &str) {
    let h = resp.headers();
    let status = h.get("grpc-status").and_then(|v| v.to_str().ok());
    let message = h
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .replace("%20", " ");
    if status == Some("12") && message.is_empty() {
        let text = format!("no method {path} on this server (`grpcurl list` shows the services)");
        if let Ok(v) = http::HeaderValue::from_str(&text) {
            resp.headers_mut().insert("grpc-message", v);
        }
        return;
    }
    let new = match status {
        Some("11") if message.contains("message length too large") => "8",
        Some("13") if message.starts_with("failed to decode Protobuf message") => "3",
        _ => return,
    };
    resp.headers_mut()
        .insert("grpc-status", http::HeaderValue::from_static(new));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_codes_name_their_cells() {
        assert_eq!(grpc_op("/ferrolite.v1.Ferrolite/Get"), "get");
        assert_eq!(grpc_op("/ferrolite.v1.Ferrolite/Sql"), "sql");
        assert_eq!(grpc_op("/ferrolite.v1.Ferrolite/Nope"), "other");
        assert_eq!(
            grpc_op("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            "reflection"
        );
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(8), "RESOURCE_EXHAUSTED");
        assert_eq!(code_name(12), "UNIMPLEMENTED");
        assert_eq!(code_name(2), "UNKNOWN");
    }

    #[test]
    fn unreadable_requests_get_the_promised_codes() {
        let mut resp: HttpResponse = Status::out_of_range(
            "Error, decoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes",
        )
        .into_http();
        fix_codes(&mut resp, "/p");
        assert_eq!(resp.headers()["grpc-status"], "8");
        let mut other: HttpResponse = Status::out_of_range("history gone").into_http();
        fix_codes(&mut other, "/p");
        assert_eq!(other.headers()["grpc-status"], "11");
        let mut garbage: HttpResponse =
            Status::internal("failed to decode Protobuf message: invalid wire type").into_http();
        fix_codes(&mut garbage, "/p");
        assert_eq!(garbage.headers()["grpc-status"], "3");
        let mut engine: HttpResponse = Status::internal("I/O error on x").into_http();
        fix_codes(&mut engine, "/p");
        assert_eq!(engine.headers()["grpc-status"], "13");
    }
}
