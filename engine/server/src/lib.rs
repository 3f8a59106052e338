//! `ferrolite-server`: one process serving a Ferrolite database — the engine's key-value API
//! and the SQL layer — over gRPC (tonic) and REST (axum), with a bearer token, limits on what
//! a request may ask, Prometheus metrics, structured logs and an orderly shutdown.
//!
//! - [`api`]: the operations, written once over the engine and the SQL layer;
//! - [`grpc`] and [`rest`]: the two faces, translating requests and answers;
//! - [`error`]: one error type mapped to gRPC codes and HTTP statuses;
//! - [`server`]: start, serve, shut down; [`config`]: flags and checks;
//! - [`auth`], [`metrics`], [`wire`]: the token, the counters, shared encodings;
//! - [`proto`]: the code generated from `proto/ferrolite.proto` (server and client).

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod grpc;
pub mod metrics;
pub mod rest;
pub mod server;
pub mod wire;

/// The messages and the service of `proto/ferrolite.proto`, generated at build time (with a
/// client, `proto::ferrolite_client::FerroliteClient`, for tests, benchmarks and users).
#[allow(missing_docs, clippy::all)]
pub mod proto {
    tonic::include_proto!("ferrolite.v1");
}

pub use api::Api;
pub use config::{Config, Limits};
pub use error::{ApiError, Code};
pub use server::{serve, ServerError};
