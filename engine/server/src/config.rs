//! The server's configuration: command-line flags, their defaults, and the checks made before
//! anything is opened (a non-loopback address needs a token).

use ferrolite::{MapKind, SyncPolicy};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// A bad command line or configuration, said before the server starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A flag the server does not know, or a flag without its value.
    #[error("{0}")]
    Usage(String),
    /// A flag's value does not parse.
    #[error("--{flag}: {message}")]
    Value {
        /// The flag.
        flag: &'static str,
        /// Why.
        message: String,
    },
    /// Listening beyond loopback without a token.
    #[error("refusing to listen on {addr} (not a loopback address) without --token-file: anyone who can reach it could read and write the database; give a token, or listen on 127.0.0.1 / [::1]")]
    OpenToTheNetwork {
        /// The address.
        addr: SocketAddr,
    },
    /// The token file cannot be read or is empty.
    #[error("--token-file {path}: {message}")]
    Token {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The limits on what a client may ask.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request: a gRPC message, a REST body (bytes as received).
    pub max_request_bytes: usize,
    /// Largest value a put or batch may write.
    pub max_value_bytes: usize,
    /// Most operations in one batch.
    pub max_batch_ops: usize,
    /// Scan page when the request gives no limit.
    pub default_scan_page: usize,
    /// Largest scan page (a larger limit is lowered to it). A page also ends before its keys
    /// and values pass `max_request_bytes`.
    pub max_scan_page: usize,
    /// Most SQL and watch streams open at once (both APIs together).
    pub max_streams: usize,
    /// Most rows a SQL request may return (all statements together).
    pub max_sql_rows: usize,
    /// Live events a watch may queue before it counts as fallen behind.
    pub watch_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_bytes: 4 << 20,
            max_value_bytes: 1 << 20,
            max_batch_ops: 10_000,
            default_scan_page: 100,
            max_scan_page: 1000,
            max_streams: 64,
            max_sql_rows: 100_000,
            watch_buffer: 1024,
        }
    }
}

/// Everything the server is started with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The database directory (created when missing).
    pub data: PathBuf,
    /// The gRPC listener (port 0: any free port).
    pub grpc: SocketAddr,
    /// The REST listener.
    pub http: SocketAddr,
    /// The memtable structure.
    pub memtable: MapKind,
    /// The WAL's sync policy.
    pub sync: SyncPolicy,
    /// `Options::memtable_size` (none: the engine's default).
    pub memtable_bytes: Option<usize>,
    /// `Options::block_cache_bytes` (none: the engine's default).
    pub cache_bytes: Option<u64>,
    /// The bearer token clients must present (none: no authentication, loopback only).
    pub token: Option<Vec<u8>>,
    /// Limits.
    pub limits: Limits,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_timeout: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Most verbose level logged.
    pub log_level: tracing::Level,
    /// A file to write `grpc=ADDR http=ADDR` to once both listeners are bound (for tests and
    /// scripts that start the server on port 0).
    pub ready_file: Option<PathBuf>,
}

impl Config {
    /// The defaults for a database in `data`: loopback on the usual ports, the epoch memtable,
    /// `SyncPolicy::EveryWrite` (an acknowledged write survives a crash of the machine).
    pub fn new(data: impl Into<PathBuf>) -> Config {
        Config {
            data: data.into(),
            grpc: SocketAddr::from(([127, 0, 0, 1], 50051)),
            http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            memtable: MapKind::Epoch,
            sync: SyncPolicy::EveryWrite,
            memtable_bytes: None,
            cache_bytes: None,
            token: None,
            limits: Limits::default(),
            shutdown_timeout: Duration::from_secs(10),
            log_format: LogFormat::Text,
            log_level: tracing::Level::INFO,
            ready_file: None,
        }
    }

    /// Refuse a configuration that would serve the database to the network without a token.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.token.is_none() {
            for addr in [self.grpc, self.http] {
                if !addr.ip().is_loopback() {
                    return Err(ConfigError::OpenToTheNetwork { addr });
                }
            }
        }
        Ok(())
    }
}

/// The usage text.
pub const USAGE: &str = "\
usage: ferrolite-server --data DIR [options]

  --data DIR              database directory (created when missing)
  --grpc ADDR             gRPC listener            [127.0.0.1:50051]
  --http ADDR             REST listener            [127.0.0.1:8080]
  --memtable KIND         memtable structure       [epoch] (mutex, epoch, hazard, noreclaim, seize, crossbeam, btree)
  --sync POLICY           WAL sync policy          [every-write]
                          none | every-write | group[:MICROS] | buffered[:MILLIS]
  --memtable-bytes N      size at which a memtable is frozen and flushed [engine default, 64 MiB]
  --cache-bytes N         block cache capacity                [engine default, 64 MiB]
  --token-file FILE       bearer token clients must send (required off loopback)
  --max-request-bytes N   largest gRPC message / REST body   [4194304]
  --max-value-bytes N     largest value written               [1048576]
  --max-batch-ops N       most operations in a batch          [10000]
  --max-scan-page N       largest scan page                   [1000]
  --max-streams N         most SQL/watch streams open at once [64]
  --max-sql-rows N        most rows one SQL request returns   [100000]
  --watch-buffer N        live events a watch may queue       [1024]
  --shutdown-timeout SECS time in-flight requests get at shutdown [10]
  --log-format text|json  log lines                 [text]
  --log-level LEVEL       error | warn | info | debug | trace [info]
  --ready-file FILE       write the bound addresses there once listening
";

/// Parse the command line (without the program name).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Config, ConfigError> {
    let mut args = args.into_iter();
    let mut data = None;
    let mut cfg = Config::new("");
    let mut token_file = None;
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(ConfigError::Usage(USAGE.to_string()));
        }
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| ConfigError::Usage(format!("unexpected argument `{flag}`\n{USAGE}")))?;
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (name.to_string(), None),
        };
        let mut value = || -> Result<String, ConfigError> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => args
                    .next()
                    .ok_or_else(|| ConfigError::Usage(format!("--{name} needs a value"))),
            }
        };
        match name.as_str() {
            "data" => data = Some(PathBuf::from(value()?)),
            "grpc" => cfg.grpc = addr("grpc", &value()?)?,
            "http" => cfg.http = addr("http", &value()?)?,
            "memtable" => {
                cfg.memtable = value()?.parse().map_err(|e| ConfigError::Value {
                    flag: "memtable",
                    message: format!("{e}"),
                })?
            }
            "sync" => cfg.sync = sync_policy(&value()?)?,
            "token-file" => token_file = Some(PathBuf::from(value()?)),
            "memtable-bytes" => cfg.memtable_bytes = Some(number("memtable-bytes", &value()?)?),
            "cache-bytes" => cfg.cache_bytes = Some(number("cache-bytes", &value()?)? as u64),
            "max-request-bytes" => {
                cfg.limits.max_request_bytes = number("max-request-bytes", &value()?)?
            }
            "max-value-bytes" => cfg.limits.max_value_bytes = number("max-value-bytes", &value()?)?,
            "max-batch-ops" => cfg.limits.max_batch_ops = number("max-batch-ops", &value()?)?,
            "max-scan-page" => cfg.limits.max_scan_page = number("max-scan-page", &value()?)?,
            "max-streams" => cfg.limits.max_streams = number("max-streams", &value()?)?,
            "max-sql-rows" => cfg.limits.max_sql_rows = number("max-sql-rows", &value()?)?,
            "watch-buffer" => cfg.limits.watch_buffer = number("watch-buffer", &value()?)?,
            "shutdown-timeout" => {
                cfg.shutdown_timeout =
                    Duration::from_secs_f64(seconds("shutdown-timeout", &value()?)?)
            }
            "log-format" => {
                cfg.log_format = match value()?.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    other => {
                        return Err(ConfigError::Value {
                            flag: "log-format",
                            message: format!("`{other}` is neither text nor json"),
                        })
                    }
                }
            }
            "log-level" => {
                let v = value()?;
                cfg.log_level = v.parse().map_err(|_| ConfigError::Value {
                    flag: "log-level",
                    message: format!("`{v}` is not one of error, warn, info, debug, trace"),
                })?
            }
            "ready-file" => cfg.ready_file = Some(PathBuf::from(value()?)),
            _ => {
                return Err(ConfigError::Usage(format!(
                    "unknown flag `--{name}`\n{USAGE}"
                )))
            }
        }
    }
    cfg.data = data.ok_or_else(|| ConfigError::Usage(format!("--data is required\n{USAGE}")))?;
    for (flag, v) in [
        ("max-request-bytes", cfg.limits.max_request_bytes),
        ("max-value-bytes", cfg.limits.max_value_bytes),
        ("max-batch-ops", cfg.limits.max_batch_ops),
        ("max-scan-page", cfg.limits.max_scan_page),
        ("max-streams", cfg.limits.max_streams),
        ("max-sql-rows", cfg.limits.max_sql_rows),
        ("watch-buffer", cfg.limits.watch_buffer),
    ] {
        if v == 0 {
            return Err(ConfigError::Value {
                flag,
                message: "must be at least 1".into(),
            });
        }
    }
    cfg.limits.default_scan_page = cfg.limits.default_scan_page.min(cfg.limits.max_scan_page);
    if let Some(path) = token_file {
        cfg.token = Some(read_token(&path)?);
    }
    cfg.check()?;
    Ok(cfg)
}

/// The token in `path`: its content without surrounding white space, not empty.
pub fn read_token(path: &std::path::Path) -> Result<Vec<u8>, ConfigError> {
    let raw = std::fs::read(path).map_err(|e| ConfigError::Token {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let token = raw.trim_ascii().to_vec();
    if token.is_empty() {
        return Err(ConfigError::Token {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
        });
    }
    if token.iter().any(|b| !(0x21..0x7f).contains(b)) {
        return Err(ConfigError::Token {
            path: path.to_path_buf(),
            message: "a token is printable ASCII without spaces (it travels in a header)".into(),
        });
    }
    Ok(token)
}

fn addr(flag: &'static str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| ConfigError::Value {
            flag,
            message: format!("`{v}` is not an address (HOST:PORT)"),
        })
}

fn number(flag: &'static str, v: &str) -> Result<usize, ConfigError> {
    v.replace('_', "").parse().map_err(|_| ConfigError::Value {
        flag,
        message: format!("`{v}` is not a whole number"),
    })
}

fn seconds(flag: &'static str, v: &str) -> Result<f64, ConfigError> {
    match v.parse::<f64>() {
        Ok(s) if (0.0..86_400.0).contains(&s) => Ok(s),
        _ => Err(ConfigError::Value {
            flag,
            message: format!("`{v}` is not a number of seconds below a day"),
        }),
    }
}

/// `none`, `every-write`, `group[:MICROS]`, `buffered[:MILLIS]`.
pub fn sync_policy(v: &str) -> Result<SyncPolicy, ConfigError> {
    let bad = |message: String| ConfigError::Value {
        flag: "sync",
        message,
    };
    let (name, arg) = match v.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (v, None),
    };
    let arg = |default: u64| -> Result<u64, ConfigError> {
        match arg {
            None => Ok(default),
            Some(a) => a
                .parse()
                .map_err(|_| bad(format!("`{a}` is not a whole number"))),
        }
    };
    match name {
        "none" if matches!(v, "none") => Ok(SyncPolicy::None),
        "every-write" if matches!(v, "every-write") => Ok(SyncPolicy::EveryWrite),
        "group" => Ok(SyncPolicy::GroupCommit {
            max_delay: Duration::from_micros(arg(200)?),
        }),
        "buffered" => Ok(SyncPolicy::Buffered {
            max_delay: Duration::from_millis(arg(10)?),
        }),
        _ => Err(bad(format!(
            "`{v}` is not one of none, every-write, group[:MICROS], buffered[:MILLIS]"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let c = parse_args(args(
            "--data /tmp/x --memtable mutex --sync group:500 --max-streams 3 --memtable-bytes 1_048_576",
        ))
        .unwrap();
        assert_eq!(c.data, PathBuf::from("/tmp/x"));
        assert_eq!(c.memtable, MapKind::Mutex);
        assert_eq!(
            c.sync,
            SyncPolicy::GroupCommit {
                max_delay: Duration::from_micros(500)
            }
        );
        assert_eq!(c.limits.max_streams, 3);
        assert_eq!(c.memtable_bytes, Some(1 << 20));
        assert!(c.grpc.ip().is_loopback() && c.http.ip().is_loopback());
        let c = parse_args(args("--data=d --http=127.0.0.1:0 --sync=buffered")).unwrap();
        assert_eq!(c.http.port(), 0);
        assert!(matches!(c.sync, SyncPolicy::Buffered { .. }));
    }

    #[test]
    fn bad_flags_are_errors() {
        for bad in [
            "",
            "--data",
            "--data d --sync sometimes",
            "--data d --sync none:3",
            "--data d --memtable nope",
            "--data d --grpc nowhere",
            "--data d --max-streams 0",
            "--data d --frobnicate 1",
            "--data d --log-format xml",
            "--data d --shutdown-timeout -1",
            "stray",
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_network_needs_a_token() {
        let e = parse_args(args("--data d --http 0.0.0.0:0")).unwrap_err();
        assert!(e.to_string().contains("without --token-file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "  s3cret\n").unwrap();
        let c = parse_args(vec![
            "--data".into(),
            "d".into(),
            "--http".into(),
            "0.0.0.0:0".into(),
            "--token-file".into(),
            f.display().to_string(),
        ])
        .unwrap();
        assert_eq!(c.token.as_deref(), Some(&b"s3cret"[..]));
        std::fs::write(&f, "\n").unwrap();
        assert!(read_token(&f).is_err());
    }
}
