//! Starting the real `ferrolite-server` binary on ephemeral loopback ports, and the clients
//! the tests use: tonic's generated client and reqwest.

use ferrolite_server::proto::ferrolite_client::FerroliteClient;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// A running server process (killed when dropped).
pub struct Server {
    child: Option<Child>,
    /// The gRPC address.
    pub grpc: SocketAddr,
    /// The REST address.
    pub http: SocketAddr,
    /// Where its standard error goes.
    pub log: PathBuf,
    /// The token clients send, when the server has one.
    pub token: Option<String>,
}

/// The binary cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_ferrolite-server")
}

impl Server {
    /// Start a server on `data` with extra flags; waits until both listeners are bound.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        let ready = data.with_extension(format!("ready-{}", rand::random::<u64>()));
        let log = data.with_extension(format!("log-{}", rand::random::<u64>()));
        let _ = std::fs::remove_file(&ready);
        let child = Command::new(binary())
            .arg("--data")
            .arg(data)
            .args(["--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .arg("--ready-file")
            .arg(&ready)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start ferrolite-server");
        let mut server = Server {
            child: Some(child),
            grpc: SocketAddr::from(([127, 0, 0, 1], 0)),
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
            token: None,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                for line in text.lines() {
                    if let Some(a) = line.strip_prefix("grpc=") {
                        server.grpc = a.parse().expect("grpc address");
                    }
                    if let Some(a) = line.strip_prefix("http=") {
                        server.http = a.parse().expect("http address");
                    }
                }
                let _ = std::fs::remove_file(&ready);
                return server;
            }
            if let Some(status) = server.try_wait() {
                panic!(
                    "the server exited at start ({status}):\n{}",
                    server.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start in 60 s:\n{}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The same, with a bearer token the clients of this handle send.
    pub fn start_with_token(data: &Path, token: &str, extra: &[&str]) -> Server {
        let file = data.with_extension("token");
        std::fs::write(&file, format!("{token}\n")).expect("token file");
        let mut args = vec!["--token-file", file.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        let mut s = Server::start(data, &args);
        s.token = Some(token.to_string());
        s
    }

    /// What the server logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Send a signal.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is this handle's child,
        // not yet reaped, so it names no other process.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid());
    }

    /// The exit status if the process has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Wait for the process to end, at most `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_wait() {
                self.child = None;
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {timeout:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A REST URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// An HTTP client that sends the token (if any).
    pub fn http_client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(t) = &self.token {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {t}").parse().expect("header"),
            );
        }
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("http client")
    }

    /// POST `body` to `/v1/sql` with the handle's token; the JSON answer, whatever its status.
    pub async fn sql_json(&self, body: serde_json::Value) -> serde_json::Value {
        self.http_client()
            .post(self.url("/v1/sql"))
            .json(&body)
            .send()
            .await
            .expect("POST /v1/sql")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// A gRPC client without a token.
    pub async fn grpc_client(&self) -> FerroliteClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.grpc))
            .expect("uri")
            .connect()
            .await
            .expect("connect to gRPC");
        FerroliteClient::new(channel)
    }

    /// A request carrying the handle's token (if any).
    pub fn req<T>(&self, msg: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        if let Some(t) = &self.token {
            r.metadata_mut().insert(
                "authorization",
                format!("Bearer {t}").parse().expect("metadata"),
            );
        }
        r
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// SIGTERM.
pub const SIGTERM: i32 = libc::SIGTERM;
/// SIGINT.
pub const SIGINT: i32 = libc::SIGINT;

/// base64url of `key` without padding (a key in a REST path).
pub fn url_key(key: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// Standard base64 (JSON bodies).
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decode standard base64.
pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}
