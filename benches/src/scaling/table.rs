//! The samples of a scaling run and their statistics: a [`Config`] (engine, memtable, insert
//! mode, threads, benchmark) → every run's [`Sample`]; medians and min–max ([`Stat`]).

use ferrolite_bench_format::ladder::median_and_range;
use std::collections::BTreeMap;

/// One configuration of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Config {
    /// `ferrolite` or `fjall`.
    pub engine: String,
    /// The memtable kind (`-` for fjall).
    pub memtable: String,
    /// Parallel memtable writes (always `true` for fjall, whose writers insert themselves).
    pub parallel: bool,
    /// Threads sharing the database.
    pub threads: usize,
    /// The benchmark's name.
    pub bench: String,
}

/// What one run of one configuration measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// Operations / wall time.
    pub ops_per_sec: f64,
    /// WAL groups / batches committed during the benchmark (Ferrolite only).
    pub groups_per_write: Option<f64>,
    /// Writer waits that ended spinning, yielding, parked (Ferrolite only).
    pub waits: Option<[u64; 3]>,
    /// Write stalls during the benchmark (Ferrolite only).
    pub stalls: Option<u64>,
    /// Time writers spent stalled, ms (Ferrolite only).
    pub stall_ms: Option<f64>,
    /// Memtable flushes and compactions during the benchmark (Ferrolite only).
    pub flushes: Option<u64>,
    /// Compactions during the benchmark (Ferrolite only).
    pub compactions: Option<u64>,
    /// The database's write amplification after the benchmark (Ferrolite only).
    pub write_amp: Option<f64>,
}

/// A median and the range of the runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    /// The median.
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Stat {
    /// The median (mean of the middle two for an even count) and range; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Stat> {
        let (median, min, max) = median_and_range(values)?;
        Some(Stat { median, min, max })
    }
}

/// Every sample of a run, by configuration.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Every run's sample, by configuration.
    pub samples: BTreeMap<Config, Vec<Sample>>,
}

impl Table {
    /// Add one run's sample of `config`.
    pub fn push(&mut self, config: Config, sample: Sample) {
        self.samples.entry(config).or_default().push(sample);
    }

    /// Every run of one configuration.
    pub(super) fn find(
        &self,
        engine: &str,
        memtable: &str,
        parallel: bool,
        threads: usize,
        bench: &str,
    ) -> Option<&Vec<Sample>> {
        self.samples.get(&Config {
            engine: engine.into(),
            memtable: memtable.into(),
            parallel,
            threads,
            bench: bench.into(),
        })
    }

    /// The ops/s statistics of one configuration.
    pub fn ops(
        &self,
        engine: &str,
        memtable: &str,
        parallel: bool,
        threads: usize,
        bench: &str,
    ) -> Option<Stat> {
        let s = self.find(engine, memtable, parallel, threads, bench)?;
        Stat::of(&s.iter().map(|x| x.ops_per_sec).collect::<Vec<_>>())
    }

    /// The median groups per write of one configuration.
    pub fn groups_per_write(
        &self,
        memtable: &str,
        parallel: bool,
        threads: usize,
        bench: &str,
    ) -> Option<Stat> {
        let s = self.find("ferrolite", memtable, parallel, threads, bench)?;
        Stat::of(
            &s.iter()
                .filter_map(|x| x.groups_per_write)
                .collect::<Vec<_>>(),
        )
    }

    /// The waits of one configuration, summed over its runs.
    pub fn waits(
        &self,
        memtable: &str,
        parallel: bool,
        threads: usize,
        bench: &str,
    ) -> Option<[u64; 3]> {
        let s = self.find("ferrolite", memtable, parallel, threads, bench)?;
        let mut sum = [0u64; 3];
        let mut any = false;
        for w in s.iter().filter_map(|x| x.waits) {
            any = true;
            for i in 0..3 {
                sum[i] += w[i];
            }
        }
        any.then_some(sum)
    }

    /// `a / b` of the medians, with the range of the per-run ratios (runs paired by index:
    /// the same round of the alternation).
    pub fn ratio(a: &[Sample], b: &[Sample]) -> Option<Stat> {
        let r: Vec<f64> = a
            .iter()
            .zip(b)
            .filter(|(_, y)| y.ops_per_sec > 0.0)
            .map(|(x, y)| x.ops_per_sec / y.ops_per_sec)
            .collect();
        let ma = Stat::of(&a.iter().map(|x| x.ops_per_sec).collect::<Vec<_>>())?;
        let mb = Stat::of(&b.iter().map(|x| x.ops_per_sec).collect::<Vec<_>>())?;
        let range = Stat::of(&r)?;
        Some(Stat {
            median: ma.median / mb.median,
            min: range.min,
            max: range.max,
        })
    }

    /// [`Table::ratio`] of two configurations.
    pub fn ratio_of(
        &self,
        a: (&str, &str, bool, usize),
        b: (&str, &str, bool, usize),
        bench: &str,
    ) -> Option<Stat> {
        let x = self.find(a.0, a.1, a.2, a.3, bench)?;
        let y = self.find(b.0, b.1, b.2, b.3, bench)?;
        Table::ratio(x, y)
    }

    /// The distinct values of one field, in order of first appearance in the sorted table.
    pub fn distinct<T: Ord + Clone>(&self, f: impl Fn(&Config) -> T) -> Vec<T> {
        let mut v: Vec<T> = self.samples.keys().map(f).collect();
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ops: f64) -> Sample {
        Sample {
            ops_per_sec: ops,
            ..Sample::default()
        }
    }

    #[test]
    fn medians_ranges_and_paired_ratios() {
        let st = Stat::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((st.median, st.min, st.max), (2.0, 1.0, 3.0));
        assert_eq!(Stat::of(&[1.0, 4.0]).unwrap().median, 2.5);
        assert!(Stat::of(&[]).is_none());
        let r = Table::ratio(
            &[s(200.0), s(300.0), s(250.0)],
            &[s(100.0), s(100.0), s(200.0)],
        )
        .unwrap();
        assert_eq!(r.median, 250.0 / 100.0);
        assert_eq!((r.min, r.max), (1.25, 3.0));
    }
}
