//! The server under load: the real `ferrolite-server` binary started as a child process on
//! loopback port 0 with a fresh data directory, found through its `--ready-file`, and stopped
//! with `SIGTERM` (its orderly shutdown must exit 0). Nothing here talks to an address that is
//! not loopback.

use crate::measure::Proc;
use anyhow::{bail, Context, Result};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How the server is started.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The binary.
    pub bin: PathBuf,
    /// The loopback address both listeners bind (port 0).
    pub bind: IpAddr,
    /// `--memtable`.
    pub memtable: String,
    /// `--sync`.
    pub sync: String,
    /// `--memtable-bytes` (none: the server's default).
    pub memtable_bytes: Option<usize>,
    /// `--cache-bytes` (none: the server's default).
    pub cache_bytes: Option<usize>,
}

/// Refuse anything but a loopback address: the load generator never loads a server beyond
/// this machine.
pub fn require_loopback(ip: IpAddr, what: &str) -> Result<()> {
    if !ip.is_loopback() {
        bail!("{what}: {ip} is not a loopback address; the load generator only runs against a server on this machine (127.0.0.1 or ::1)");
    }
    Ok(())
}

/// The binary next to the running executable (`target/<profile>/ferrolite-server`).
pub fn default_server_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the loadgen executable")?;
    Ok(exe.with_file_name(format!("ferrolite-server{}", std::env::consts::EXE_SUFFIX)))
}

/// A running server (killed if dropped before [`ServerProcess::stop`]).
#[derive(Debug)]
pub struct ServerProcess {
    child: Option<Child>,
    /// The gRPC listener.
    pub grpc: SocketAddr,
    /// The REST listener.
    pub http: SocketAddr,
    log: PathBuf,
    // Holds the data directory (removed when dropped, after the process is gone).
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Start the server on a new temporary data directory and wait (at most 60 s) until both
    /// listeners are bound.
    pub fn start(cfg: &ServerConfig) -> Result<ServerProcess> {
        require_loopback(cfg.bind, "--bind")?;
        if !cfg.bin.is_file() {
            bail!(
                "no server binary at {} (build it with `cargo build --release -p ferrolite-server`, or give --server-bin)",
                cfg.bin.display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("ferrolite-load-")
            .tempdir()
            .context("creating the server's data directory")?;
        let data = dir.path().join("data");
        let ready = dir.path().join("ready");
        let log = dir.path().join("server.log");
        let listen = SocketAddr::new(cfg.bind, 0).to_string();
        let child = Command::new(&cfg.bin)
            .arg("--data")
            .arg(&data)
            .args(["--grpc", &listen, "--http", &listen])
            .arg("--ready-file")
            .arg(&ready)
            .args(["--memtable", &cfg.memtable, "--sync", &cfg.sync])
            .args(
                cfg.memtable_bytes
                    .map(|n| vec!["--memtable-bytes".to_string(), n.to_string()])
                    .unwrap_or_default(),
            )
            .args(
                cfg.cache_bytes
                    .map(|n| vec!["--cache-bytes".to_string(), n.to_string()])
                    .unwrap_or_default(),
            )
            .args(["--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).context("creating the server's log")?)
            .spawn()
            .with_context(|| format!("starting {}", cfg.bin.display()))?;
        let mut server = ServerProcess {
            child: Some(child),
            grpc: SocketAddr::new(cfg.bind, 0),
            http: SocketAddr::new(cfg.bind, 0),
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                let (grpc, http) = parse_ready(&text)?;
                require_loopback(grpc.ip(), "the server's gRPC address")?;
                require_loopback(http.ip(), "the server's REST address")?;
                server.grpc = grpc;
                server.http = http;
                return Ok(server);
            }
            if let Some(status) = server.try_wait()? {
                bail!(
                    "the server exited at start ({status}); its log:\n{}",
                    server.log_tail()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not start within 60 s; its log:\n{}",
                    server.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The process, for `/proc` readings.
    pub fn proc(&self) -> Proc {
        Proc::Pid(self.pid())
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(c) => Ok(c.try_wait().context("waiting for the server")?),
            None => bail!("the server was already stopped"),
        }
    }

    /// The last lines of the server's log (it logs warnings and errors only).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Fail if the server has exited (a crash under load).
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.try_wait()? {
            bail!(
                "the server exited under load ({status}); its log:\n{}",
                self.log_tail()
            );
        }
        Ok(())
    }

    /// Stop with `SIGTERM` and wait (at most `timeout`) for the orderly shutdown; an exit
    /// status other than 0, or no exit in time (then `SIGKILL`), is an error. Returns what the
    /// server logged.
    pub fn stop(mut self, timeout: Duration) -> Result<String> {
        self.check_alive()?;
        let pid = libc::pid_t::try_from(self.pid()).context("the server's pid")?;
        // SAFETY: kill(2) on the pid of a child this handle started and has not yet waited
        // for, so the pid cannot have been reused.
        if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
            bail!(
                "cannot send SIGTERM to the server: {}",
                std::io::Error::last_os_error()
            );
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                self.child = None;
                if !status.success() {
                    bail!(
                        "the server's shutdown after SIGTERM ended with {status}, not 0; its log:\n{}",
                        self.log_tail()
                    );
                }
                return Ok(self.log_tail());
            }
            if Instant::now() > deadline {
                self.kill();
                bail!(
                    "the server did not exit within {} s of SIGTERM (killed); its log:\n{}",
                    timeout.as_secs(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `grpc=ADDR` and `http=ADDR` lines of a ready file.
pub fn parse_ready(text: &str) -> Result<(SocketAddr, SocketAddr)> {
    let find = |name: &str| -> Result<SocketAddr> {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .with_context(|| format!("the ready file has no `{name}=` line: {text:?}"))?;
        line.trim()
            .parse()
            .with_context(|| format!("the ready file's {name} address `{line}`"))
    };
    Ok((find("grpc")?, find("http")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_files_parse() {
        let (g, h) = parse_ready("grpc=127.0.0.1:5\nhttp=[::1]:6\n").unwrap();
        assert_eq!(g.port(), 5);
        assert_eq!(h.port(), 6);
        assert!(parse_ready("grpc=127.0.0.1:5\n").is_err());
        assert!(parse_ready("grpc=nowhere\nhttp=127.0.0.1:1\n").is_err());
    }

    #[test]
    fn only_loopback_is_accepted() {
        assert!(require_loopback("127.0.0.1".parse().unwrap(), "x").is_ok());
        assert!(require_loopback("::1".parse().unwrap(), "x").is_ok());
        let e = require_loopback("10.0.0.1".parse().unwrap(), "--bind").unwrap_err();
        assert!(e.to_string().contains("not a loopback address"), "{e}");
        assert!(require_loopback("0.0.0.0".parse().unwrap(), "x").is_err());
    }

    #[test]
    fn a_missing_binary_is_named() {
        let cfg = ServerConfig {
            bin: PathBuf::from("no/such/ferrolite-server"),
            bind: "127.0.0.1".parse().unwrap(),
            memtable: "epoch".into(),
            memtable_bytes: None,
            cache_bytes: None,
            sync: "none".into(),
        };
        let e = ServerProcess::start(&cfg).unwrap_err();
        assert!(e.to_string().contains("no server binary"), "{e}");
    }
}
