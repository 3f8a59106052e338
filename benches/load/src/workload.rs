//! What the clients ask for: the faces, the workloads and their operation streams, the keys,
//! values and SQL text, and a small deterministic random number generator (each client has its
//! own seed, so a run's operation streams are the same every time).

use anyhow::{bail, Result};
use std::fmt;
use std::str::FromStr;

/// The server's faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Face {
    /// gRPC (tonic's generated client, one channel per client).
    Grpc,
    /// REST (JSON over HTTP/1.1, one keep-alive connection per client).
    Rest,
}

impl Face {
    /// Both, in report order.
    pub const ALL: [Face; 2] = [Face::Grpc, Face::Rest];

    /// `grpc` or `rest`.
    pub fn name(self) -> &'static str {
        match self {
            Face::Grpc => "grpc",
            Face::Rest => "rest",
        }
    }
}

impl fmt::Display for Face {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Face {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Face> {
        match s {
            "grpc" => Ok(Face::Grpc),
            "rest" => Ok(Face::Rest),
            _ => bail!("`{s}` is not a face (grpc, rest)"),
        }
    }
}

/// A workload: what each request of a cell is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Gets of preloaded keys (every one must be found).
    Get,
    /// Puts of new values under keys of the key space.
    Put,
    /// `SELECT v FROM t WHERE id = ?` of preloaded rows (every one must return one row).
    Sql,
    /// Gets, puts and SQL point queries in the [`Mix`]'s shares.
    Mixed,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 4] = [Workload::Get, Workload::Put, Workload::Sql, Workload::Mixed];

    /// `get`, `put`, `sql` or `mixed`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Get => "get",
            Workload::Put => "put",
            Workload::Sql => "sql",
            Workload::Mixed => "mixed",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Workload> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| anyhow::anyhow!("`{s}` is not a workload (get, put, sql, mixed)"))
    }
}

/// The `mixed` workload's shares in percent (they add up to 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Gets.
    pub get: u32,
    /// Puts.
    pub put: u32,
    /// SQL point queries.
    pub sql: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            get: 60,
            put: 20,
            sql: 20,
        }
    }
}

impl Mix {
    /// `G,P,S` percentages adding up to 100.
    pub fn parse(s: &str) -> Result<Mix> {
        let parts: Vec<u32> = s
            .split(',')
            .map(|p| p.trim().parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| anyhow::anyhow!("--mix `{s}`: three whole percentages GET,PUT,SQL"))?;
        let [get, put, sql] = parts[..] else {
            bail!("--mix `{s}`: three percentages GET,PUT,SQL");
        };
        if get + put + sql != 100 {
            bail!(
                "--mix `{s}`: the shares add up to {}, not 100",
                get + put + sql
            );
        }
        Ok(Mix { get, put, sql })
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}% get, {}% put, {}% sql", self.get, self.put, self.sql)
    }
}

/// One request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Get key number `n`.
    Get(u64),
    /// Put a new value under key number `n`.
    Put(u64),
    /// Select row `id`.
    Sql(u64),
}

/// The data every cell works on: key space, value size, SQL table, mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Keys in the key space (`k0000000000` … ), all preloaded.
    pub keys: u64,
    /// Rows of table `t` (ids 1 ..= rows), all preloaded.
    pub rows: u64,
    /// Bytes of every value (and of every row's `v`).
    pub value_bytes: usize,
    /// The mixed workload's shares.
    pub mix: Mix,
}

impl Shape {
    /// The next request of `workload`, uniformly over keys and rows.
    pub fn next_op(&self, workload: Workload, rng: &mut Rng) -> Op {
        let kind = match workload {
            Workload::Get => 0,
            Workload::Put => 1,
            Workload::Sql => 2,
            Workload::Mixed => {
                let r = rng.below(100) as u32;
                if r < self.mix.get {
                    0
                } else if r < self.mix.get + self.mix.put {
                    1
                } else {
                    2
                }
            }
        };
        match kind {
            0 => Op::Get(rng.below(self.keys)),
            1 => Op::Put(rng.below(self.keys)),
            _ => Op::Sql(1 + rng.below(self.rows)),
        }
    }
}

/// Key number `n`: `k` and ten digits (11 bytes), so keys sort in number order.
pub fn key(n: u64) -> Vec<u8> {
    format!("k{n:010}").into_bytes()
}

/// A value of `len` lowercase letters (valid SQL text and UTF-8 as well as bytes).
pub fn value(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        let mut x = rng.next_u64();
        for _ in 0..8 {
            if v.len() == len {
                break;
            }
            v.push(b'a' + (x % 26) as u8);
            x /= 26;
        }
    }
    v
}

/// The table the SQL workload reads.
pub const CREATE_TABLE: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)";

/// The point query, with its one parameter.
pub const SELECT: &str = "SELECT v FROM t WHERE id = ?";

/// One multi-row `INSERT` of rows `from ..= to` with fresh values.
pub fn insert_rows(from: u64, to: u64, rng: &mut Rng, value_bytes: usize) -> String {
    let mut sql = String::with_capacity(((to + 1 - from) as usize) * (value_bytes + 16) + 32);
    sql.push_str("INSERT INTO t (id, v) VALUES ");
    for id in from..=to {
        if id > from {
            sql.push_str(", ");
        }
        let v = value(rng, value_bytes);
        // Lowercase letters only: nothing to escape.
        sql.push_str(&format!("({id}, '{}')", String::from_utf8_lossy(&v)));
    }
    sql
}

/// SplitMix64: a fast, seedable generator, good enough to pick keys.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for client `client` of a cell with seed `seed`.
    pub fn new(seed: u64, client: u64) -> Rng {
        let mut r = Rng(seed ^ client.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for w in Workload::ALL {
            assert_eq!(w.name().parse::<Workload>().unwrap(), w);
        }
        for f in Face::ALL {
            assert_eq!(f.name().parse::<Face>().unwrap(), f);
        }
        assert!("scan".parse::<Workload>().is_err());
        assert!("http".parse::<Face>().is_err());
    }

    #[test]
    fn mixes_add_up_to_one_hundred() {
        assert_eq!(Mix::parse("60,20,20").unwrap(), Mix::default());
        assert_eq!(Mix::default().to_string(), "60% get, 20% put, 20% sql");
        for bad in ["60,20", "60,20,30", "a,b,c", "", "100,0,0,0"] {
            assert!(Mix::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_mixed_stream_follows_its_shares_and_stays_in_range() {
        let shape = Shape {
            keys: 50,
            rows: 7,
            value_bytes: 10,
            mix: Mix::default(),
        };
        let mut rng = Rng::new(1, 2);
        let (mut g, mut p, mut s) = (0, 0, 0);
        for _ in 0..10_000 {
            match shape.next_op(Workload::Mixed, &mut rng) {
                Op::Get(k) => {
                    assert!(k < 50);
                    g += 1
                }
                Op::Put(k) => {
                    assert!(k < 50);
                    p += 1
                }
                Op::Sql(id) => {
                    assert!((1..=7).contains(&id));
                    s += 1
                }
            }
        }
        assert!((5_500..6_500).contains(&g), "{g} gets");
        assert!((1_500..2_500).contains(&p) && (1_500..2_500).contains(&s));
        let (mut a, mut b) = (Rng::new(9, 3), Rng::new(9, 3));
        for _ in 0..100 {
            assert_eq!(
                shape.next_op(Workload::Mixed, &mut a),
                shape.next_op(Workload::Mixed, &mut b),
                "a seed gives one stream"
            );
        }
    }

    #[test]
    fn keys_values_and_inserts() {
        assert_eq!(key(42), b"k0000000042");
        let mut rng = Rng::new(7, 0);
        let v = value(&mut rng, 100);
        assert_eq!(v.len(), 100);
        assert!(v.iter().all(u8::is_ascii_lowercase));
        let sql = insert_rows(3, 4, &mut rng, 5);
        assert!(
            sql.starts_with("INSERT INTO t (id, v) VALUES (3, '"),
            "{sql}"
        );
        assert!(sql.contains("), (4, '"), "{sql}");
    }
}
