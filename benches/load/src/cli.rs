//! The `loadgen` command line: the plan (faces, workloads, client counts, bounds), the data's
//! shape, the server's options, the soak, and `--quick`'s small preset (given first, any
//! other flag still overrides it).

use crate::workload::{Face, Mix, Workload};
use anyhow::{bail, Context, Result};
use std::net::IpAddr;
use std::path::PathBuf;

/// The usage text.
pub const USAGE: &str = "\
usage: loadgen [options]

Starts ferrolite-server on loopback port 0, preloads it, drives N concurrent clients of gets,
puts, SQL point queries and a mix over gRPC and REST, runs the same workloads against the
engine in process, then a soak over both faces with the server's RSS sampled every second;
writes load.json and load.md and prints a summary. Any failed request fails the run.

  --server-bin PATH      the server binary [ferrolite-server next to loadgen]
  --out DIR              where load.json and load.md go [.]
  --bind IP              loopback address the server listens on [127.0.0.1]
  --faces LIST           grpc,rest [grpc,rest]
  --workloads LIST       get,put,sql,mixed [get,put,sql,mixed]
  --clients LIST         concurrent clients per cell [1,4,16]
  --seconds S            a cell's time bound, after its warm-up [5]
  --requests N           a cell's request bound [2000000]
  --warmup S             unrecorded seconds before each cell [0.5]
  --in-process-seconds S the in-process cells' time bound [--seconds]
  --no-in-process        skip the in-process reference
  --keys N               keys preloaded (gets and puts pick among them) [100000]
  --rows N               rows of the SQL table [10000]
  --value-bytes N        bytes per value [100]
  --mix G,P,S            the mixed workload's percentages [60,20,20]
  --memtable KIND        server and in-process memtable [epoch]
  --sync POLICY          server and in-process WAL sync policy [none]
  --soak-seconds S       the soak's length, 0 for none [60]
  --soak-clients N       soak clients per face [4]
  --soak-memtable-bytes N  the soak server's memtable size, so that it freezes, flushes and
                         compacts within the soak (0: the engine's 64 MiB) [8388608]
  --soak-cache-bytes N   the soak server's block cache, so that it fills within the soak
                         (0: the engine's 64 MiB) [16777216]
  --client-threads N     worker threads of the load generator [cores]
  --seed N               seed of the clients' operation streams [1]
  --command TEXT         the rerun command the report prints [this command line]
  --quick                small and short: clients 1,4; 1 s cells, 0.1 s warm-up, 0.5 s in
                         process; 5000 keys, 1000 rows; a 3 s soak
  -h, --help             this text";

/// Everything `loadgen` runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    /// `--server-bin` (`None`: next to the executable).
    pub server_bin: Option<PathBuf>,
    /// `--out`.
    pub out: PathBuf,
    /// `--bind`.
    pub bind: IpAddr,
    /// `--faces`.
    pub faces: Vec<Face>,
    /// `--workloads`.
    pub workloads: Vec<Workload>,
    /// `--clients`.
    pub clients: Vec<u32>,
    /// `--seconds`.
    pub seconds: f64,
    /// `--requests`.
    pub requests: u64,
    /// `--warmup`.
    pub warmup: f64,
    /// `--in-process-seconds` (`None`: `seconds`).
    pub in_process_seconds: Option<f64>,
    /// Whether the in-process reference runs.
    pub in_process: bool,
    /// `--keys`.
    pub keys: u64,
    /// `--rows`.
    pub rows: u64,
    /// `--value-bytes`.
    pub value_bytes: usize,
    /// `--mix`.
    pub mix: Mix,
    /// `--memtable`.
    pub memtable: String,
    /// `--sync`.
    pub sync: String,
    /// `--soak-seconds`.
    pub soak_seconds: f64,
    /// `--soak-clients`.
    pub soak_clients: u32,
    /// `--soak-memtable-bytes`: the soak server's memtable size (0: the engine's default).
    pub soak_memtable_bytes: usize,
    /// `--soak-cache-bytes`: the soak server's block cache (0: the engine's default).
    pub soak_cache_bytes: usize,
    /// `--client-threads`.
    pub client_threads: usize,
    /// `--seed`.
    pub seed: u64,
    /// `--command`.
    pub command: Option<String>,
    /// `--quick` was given.
    pub quick: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            server_bin: None,
            out: PathBuf::from("."),
            bind: IpAddr::from([127, 0, 0, 1]),
            faces: Face::ALL.to_vec(),
            workloads: Workload::ALL.to_vec(),
            clients: vec![1, 4, 16],
            seconds: 5.0,
            requests: 2_000_000,
            warmup: 0.5,
            in_process_seconds: None,
            in_process: true,
            keys: 100_000,
            rows: 10_000,
            value_bytes: 100,
            mix: Mix::default(),
            memtable: "epoch".into(),
            sync: "none".into(),
            soak_seconds: 60.0,
            soak_clients: 4,
            soak_memtable_bytes: 8 << 20,
            soak_cache_bytes: 16 << 20,
            client_threads: std::thread::available_parallelism().map_or(2, usize::from),
            seed: 1,
            command: None,
            quick: false,
        }
    }
}

impl Args {
    /// `--quick`'s preset.
    fn quick(&mut self) {
        self.quick = true;
        self.clients = vec![1, 4];
        self.seconds = 1.0;
        self.warmup = 0.1;
        self.in_process_seconds = Some(0.5);
        self.keys = 5_000;
        self.rows = 1_000;
        self.soak_seconds = 3.0;
    }

    /// The in-process cells' time bound.
    pub fn in_process_seconds(&self) -> f64 {
        self.in_process_seconds.unwrap_or(self.seconds)
    }
}

fn list<T>(flag: &str, v: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    let items = v
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| parse(s.trim()))
        .collect::<Result<Vec<T>>>()
        .with_context(|| format!("--{flag} {v}"))?;
    if items.is_empty() {
        bail!("--{flag}: an empty list");
    }
    Ok(items)
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T> {
    v.replace('_', "")
        .parse()
        .map_err(|_| anyhow::anyhow!("--{flag}: `{v}` is not a number"))
}

fn secs(flag: &str, v: &str) -> Result<f64> {
    let s: f64 = num(flag, v)?;
    if !(0.0..=86_400.0).contains(&s) {
        bail!("--{flag}: `{v}` is not a number of seconds up to a day");
    }
    Ok(s)
}

/// Parse the command line (without the program name). `Ok(None)`: `--help` was asked for.
pub fn parse(argv: &[String]) -> Result<Option<Args>> {
    let mut a = Args::default();
    if argv.iter().any(|x| x == "--quick") {
        a.quick();
    }
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let name = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--quick" => continue,
            "--no-in-process" => {
                a.in_process = false;
                continue;
            }
            f => f
                .strip_prefix("--")
                .with_context(|| format!("unexpected argument `{f}`\n\n{USAGE}"))?,
        };
        let (name, v) = match name.split_once('=') {
            Some((n, v)) => (n, v.to_string()),
            None => (
                name,
                it.next()
                    .with_context(|| format!("--{name} needs a value"))?
                    .clone(),
            ),
        };
        match name {
            "server-bin" => a.server_bin = Some(PathBuf::from(v)),
            "out" => a.out = PathBuf::from(v),
            "bind" => {
                a.bind = v
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--bind: `{v}` is not an IP address"))?;
                crate::server::require_loopback(a.bind, "--bind")?;
            }
            "faces" => a.faces = list(name, &v, |s| s.parse())?,
            "workloads" => a.workloads = list(name, &v, |s| s.parse())?,
            "clients" => {
                a.clients = list(name, &v, |s| num(name, s))?;
                if a.clients.iter().any(|&c| c == 0 || c > 1024) {
                    bail!("--clients: between 1 and 1024");
                }
            }
            "seconds" => a.seconds = secs(name, &v)?,
            "requests" => a.requests = num(name, &v)?,
            "warmup" => a.warmup = secs(name, &v)?,
            "in-process-seconds" => a.in_process_seconds = Some(secs(name, &v)?),
            "keys" => a.keys = num(name, &v)?,
            "rows" => a.rows = num(name, &v)?,
            "value-bytes" => a.value_bytes = num(name, &v)?,
            "mix" => a.mix = Mix::parse(&v)?,
            "memtable" => a.memtable = v,
            "sync" => a.sync = v,
            "soak-seconds" => a.soak_seconds = secs(name, &v)?,
            "soak-clients" => a.soak_clients = num(name, &v)?,
            "soak-memtable-bytes" => a.soak_memtable_bytes = num(name, &v)?,
            "soak-cache-bytes" => a.soak_cache_bytes = num(name, &v)?,
            "client-threads" => a.client_threads = num(name, &v)?,
            "seed" => a.seed = num(name, &v)?,
            "command" => a.command = Some(v),
            other => bail!("unknown option `--{other}`\n\n{USAGE}"),
        }
    }
    for (flag, zero) in [
        ("keys", a.keys == 0),
        ("rows", a.rows == 0),
        ("value-bytes", a.value_bytes == 0),
        ("requests", a.requests == 0),
        ("soak-clients", a.soak_clients == 0),
        ("client-threads", a.client_threads == 0),
        ("seconds", a.seconds <= 0.0),
    ] {
        if zero {
            bail!("--{flag} must be more than 0");
        }
    }
    Ok(Some(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Option<Args>> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_and_overrides() {
        let a = args("").unwrap().unwrap();
        assert_eq!(a.clients, [1, 4, 16]);
        assert_eq!(a.faces, Face::ALL);
        assert_eq!(a.in_process_seconds(), 5.0);
        let a =
            args("--clients 2,8 --faces rest --workloads=get,sql --mix 50,25,25 --sync group:100")
                .unwrap()
                .unwrap();
        assert_eq!(a.clients, [2, 8]);
        assert_eq!(a.faces, [Face::Rest]);
        assert_eq!(a.workloads, [Workload::Get, Workload::Sql]);
        assert_eq!(a.mix.get, 50);
        assert_eq!(a.sync, "group:100");
        assert!(args("--help").unwrap().is_none());
    }

    #[test]
    fn quick_is_a_preset_that_flags_override() {
        let a = args("--seconds 3 --quick").unwrap().unwrap();
        assert!(a.quick);
        assert_eq!(a.clients, [1, 4]);
        assert_eq!(
            a.seconds, 3.0,
            "a flag overrides the preset wherever it stands"
        );
        assert_eq!(a.soak_seconds, 3.0);
        assert_eq!(a.in_process_seconds(), 0.5);
    }

    #[test]
    fn bad_command_lines_are_errors() {
        for bad in [
            "--clients 0",
            "--clients",
            "--faces http",
            "--workloads scan",
            "--seconds -1",
            "--seconds 0",
            "--keys 0",
            "--mix 1,2,3",
            "--bind 192.168.1.1",
            "--bind nowhere",
            "--frobnicate 1",
            "stray",
        ] {
            assert!(args(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
