//! Starting and stopping: open the database, bind both listeners, serve until a signal, then
//! stop in order.
//!
//! **Shutdown.** The first `SIGTERM` or Ctrl-C (`SIGINT`) marks the server as stopping
//! (health answers `shutting_down`, new watches are refused and open ones end with
//! `UNAVAILABLE`), stops both listeners accepting, and lets in-flight requests finish for up to
//! `--shutdown-timeout`. Whatever is still running then is cancelled: its connection is
//! dropped, and a write already handed to the engine completes or fails as a whole (a write
//! batch is atomic). Then the database is closed — background work stopped and the WAL
//! synced — and the process exits 0. A second signal at any point exits at once with
//! status 130, without closing (the WAL's recovery rule then applies, as after a crash).

use crate::api::Api;
use crate::auth::Token;
use crate::config::{Config, LogFormat};
use crate::grpc::{GrpcLayer, Service};
use crate::proto::ferrolite_server::FerroliteServer;
use axum::serve::ListenerExt;
use ferrolite::{Db, Options};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The compiled descriptor of `proto/ferrolite.proto`, for the reflection service.
pub const DESCRIPTOR: &[u8] = tonic::include_file_descriptor_set!("ferrolite_descriptor");

/// Why the server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The database did not open.
    #[error("cannot open the database in {path}: {source}")]
    Open {
        /// The directory.
        path: PathBuf,
        /// The engine's error.
        source: ferrolite::Error,
    },
    /// The SQL layer's catalog did not load.
    #[error("cannot load the SQL catalog: {0}")]
    Catalog(crate::error::ApiError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The ready file could not be written.
    #[error("cannot write the ready file {path}: {source}")]
    ReadyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A listener failed while serving.
    #[error("the {face} server failed: {message}")]
    Serve {
        /// gRPC or REST.
        face: &'static str,
        /// Why.
        message: String,
    },
    /// Closing the database failed (the WAL may not be synced).
    #[error("closing the database failed: {0}")]
    Close(ferrolite::Error),
}

/// Install the log subscriber for `config` (once per process; later calls do nothing).
pub fn init_logging(config: &Config) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(config.log_level)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
}

/// Wait for SIGTERM or SIGINT.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                tracing::error!("cannot install signal handlers; stop the server with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Run the server until a signal (or `stop` becoming true), then shut down as the module
/// documentation says.
pub async fn serve(config: Config, stop: Option<watch::Receiver<bool>>) -> Result<(), ServerError> {
    config.check()?;
    let mut opts = Options::default()
        .memtable(config.memtable)
        .sync(config.sync);
    if let Some(n) = config.memtable_bytes {
        opts.memtable_size = n;
    }
    if let Some(n) = config.cache_bytes {
        opts.block_cache_bytes = n;
    }
    let data = config.data.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&data, opts))
        .await
        .map_err(|e| ServerError::Serve {
            face: "startup",
            message: e.to_string(),
        })?
        .map_err(|source| ServerError::Open {
            path: config.data.clone(),
            source,
        })?;
    let db = Arc::new(db);
    let api = Arc::new(Api::new(db.clone(), config.limits.clone()).map_err(ServerError::Catalog)?);
    let token = config.token.clone().map(|t| Arc::new(Token::new(t)));

    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })
    };
    let grpc_listener = bind(config.grpc).await?;
    let http_listener = bind(config.http).await?;
    let grpc_addr = grpc_listener
        .local_addr()
        .map_err(|source| ServerError::Bind {
            addr: config.grpc,
            source,
        })?;
    let http_addr = http_listener
        .local_addr()
        .map_err(|source| ServerError::Bind {
            addr: config.http,
            source,
        })?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    // Reflection in both versions: v1 for current tools, v1alpha for the many that still ask
    // for it first or only (older grpcurl, grpcio-reflection's descriptor database, Postman).
    let reflection_error = |e: tonic_reflection::server::Error| ServerError::Serve {
        face: "gRPC",
        message: format!("reflection: {e}"),
    };
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(DESCRIPTOR)
        .build_v1()
        .map_err(reflection_error)?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(DESCRIPTOR)
        .build_v1alpha()
        .map_err(reflection_error)?;
    let service = FerroliteServer::new(Service::new(api.clone()))
        .max_decoding_message_size(config.limits.max_request_bytes);
    let grpc = tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .layer(GrpcLayer::new(api.clone(), token.clone()))
        .add_service(service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        // The listener is bound here (to know its port before serving), so the builder's
        // `tcp_nodelay` does not reach its sockets: `TcpIncoming` sets it on each. Without
        // it, Nagle's algorithm holds small responses for up to 40 ms (seen in the load run).
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(grpc_listener).with_nodelay(Some(true)),
            stopped(stop_rx.clone()),
        );
    let router = crate::rest::router(api.clone(), token);
    let http_listener = http_listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let http = axum::serve(http_listener, router).with_graceful_shutdown(stopped(stop_rx.clone()));

    let mut grpc_task = tokio::spawn(grpc);
    let mut http_task = tokio::spawn(async move { http.await });

    if let Some(path) = &config.ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("grpc={grpc_addr}\nhttp={http_addr}\n"))
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|source| ServerError::ReadyFile {
                path: path.clone(),
                source,
            })?;
    }
    tracing::info!(
        grpc = %grpc_addr,
        http = %http_addr,
        data = %config.data.display(),
        memtable = config.memtable.name(),
        sync = ?config.sync,
        auth = config.token.is_some(),
        "serving"
    );

    // The first signal (or the embedder's stop) starts the shutdown; a second one exits.
    let external = async move {
        match stop {
            Some(rx) => stopped(rx).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = signal() => tracing::info!("signal: shutting down (a second signal exits at once)"),
        _ = external => tracing::info!("stop requested: shutting down"),
    }
    tokio::spawn(async {
        signal().await;
        tracing::warn!("second signal: exiting now without closing the database");
        std::process::exit(130);
    });
    api.stop();
    let _ = stop_tx.send(true);

    let deadline = config.shutdown_timeout;
    let both = async {
        let g = (&mut grpc_task).await;
        let h = (&mut http_task).await;
        (g, h)
    };
    match tokio::time::timeout(deadline, both).await {
        Ok((g, h)) => {
            if let Ok(Err(e)) = g {
                tracing::error!(error = %e, "the gRPC server ended with an error");
            }
            if let Ok(Err(e)) = h {
                tracing::error!(error = %e, "the REST server ended with an error");
            }
            tracing::info!("every request finished");
        }
        Err(_) => {
            tracing::warn!(
                deadline_s = deadline.as_secs_f64(),
                "requests still running at the deadline are cancelled"
            );
            grpc_task.abort();
            http_task.abort();
        }
    }
    let closing = db.clone();
    let closed = tokio::task::spawn_blocking(move || closing.close())
        .await
        .map_err(|e| ServerError::Serve {
            face: "shutdown",
            message: e.to_string(),
        })?;
    closed.map_err(ServerError::Close)?;
    tracing::info!("database closed, WAL synced");
    Ok(())
}
