//! The base database each trial copies: random batches over 120 keys (and their model), written
//! so that the directory holds tables at L0 and L2, a manifest of two records and a WAL
//! segment of the last batches; with every region of every file located, and the keys every
//! check reads.

use super::regions::{log_regions, table_regions, Region, RegionKind};
use crate::engine_model::scratch_root;
use crate::rng::SplitMix as Rng;
use ferrolite::{Db, MapKind, Options, RecordFormat, WriteBatch};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// One operation of a batch.
#[derive(Clone, Debug)]
pub(super) enum Op {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
}

pub(super) type Batch = Vec<Op>;

/// Keys `k0000..k0119`.
pub(super) const KEYS: u64 = 120;

pub(super) fn key(i: u64) -> Vec<u8> {
    format!("k{i:04}").into_bytes()
}

pub(super) fn random_batch(rng: &mut Rng) -> Batch {
    let n = 1 + rng.below(4);
    (0..n)
        .map(|_| {
            let k = key(rng.below(KEYS));
            if rng.below(4) == 0 {
                return Op::Delete(k);
            }
            let len = match rng.below(20) {
                0..=1 => 0,
                2..=7 => 1 + rng.below(8),
                8..=16 => 8 + rng.below(40),
                _ => 48 + rng.below(150),
            };
            Op::Put(k, rng.bytes(len as usize))
        })
        .collect()
}

pub(super) fn apply(model: &mut Model, batch: &Batch) {
    for op in batch {
        match op {
            Op::Put(k, v) => {
                model.insert(k.clone(), v.clone());
            }
            Op::Delete(k) => {
                model.remove(k);
            }
        }
    }
}

pub(super) fn to_write_batch(batch: &Batch) -> WriteBatch {
    let mut wb = WriteBatch::new();
    for op in batch {
        match op {
            Op::Put(k, v) => wb.put(k.clone(), v.clone()),
            Op::Delete(k) => wb.delete(k.clone()),
        };
    }
    wb
}

/// A closed database to copy for each trial, with the model of everything written.
pub(super) struct Base {
    pub(super) kind: MapKind,
    pub(super) format: RecordFormat,
    pub(super) dir: tempfile::TempDir,
    pub(super) batches: Vec<Batch>,
    /// Index of the first batch whose record is in the WAL.
    pub(super) wal_first: usize,
    pub(super) wal: String,
    pub(super) wal_records: Vec<u64>,
    pub(super) wal_len: u64,
    pub(super) tables: Vec<String>,
    pub(super) regions: Vec<Region>,
    pub(super) universe: Vec<Vec<u8>>,
}

fn options(kind: MapKind, format: RecordFormat) -> Options {
    Options::default()
        .memtable(kind)
        .memtable_size(64 << 20)
        .auto_compaction(false)
        .block_size(256)
        .target_file_size(4096)
        .level1_size(4096)
        .num_levels(3)
        .wal_format(format)
        .table_format(RecordFormat::Binary)
}

pub(super) fn scratch(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("ferrolite-corrupt-{tag}-"))
        .tempdir_in(scratch_root())
        .unwrap_or_else(|e| panic!("creating a scratch directory: {e}"))
}

/// Copy a closed database directory (everything but `LOCK`).
fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("listing the base directory") {
        let entry = entry.expect("listing the base directory");
        if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

pub(super) fn names_ending(dir: &Path, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("listing a database directory")
        .map(|e| {
            e.expect("listing")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(suffix))
        .collect();
    out.sort();
    out
}

impl Base {
    pub(super) fn build(kind: MapKind, format: RecordFormat, seed: u64) -> Base {
        let dir = scratch("base");
        let opts = options(kind, format);
        let mut rng = Rng(seed);
        let mut batches = Vec::new();
        let mut write = |db: &Db, n: usize, batches: &mut Vec<Batch>| {
            for _ in 0..n {
                let b = random_batch(&mut rng);
                db.write(to_write_batch(&b))
                    .unwrap_or_else(|e| panic!("{kind}: building the base: {e}"));
                batches.push(b);
            }
        };
        {
            let db = Db::open(dir.path(), opts.clone()).expect("opening the base");
            write(&db, 40, &mut batches);
            db.compact().expect("compacting the base");
            write(&db, 25, &mut batches);
            db.flush().expect("flushing the base");
            db.close().expect("closing the base");
        }
        let wal_first;
        {
            let db = Db::open(dir.path(), opts.clone()).expect("reopening the base");
            write(&db, 20, &mut batches);
            db.flush().expect("flushing the base");
            wal_first = batches.len();
            write(&db, 8, &mut batches);
            db.close().expect("closing the base");
        }
        let wals = names_ending(dir.path(), ".wal");
        assert_eq!(wals.len(), 1, "{kind}: one WAL segment in the base");
        let wal = wals[0].clone();
        let wal_path = dir.path().join(&wal);
        let (mut regions, wal_records) = log_regions(&wal, &wal_path);
        assert_eq!(
            wal_records.len(),
            batches.len() - wal_first,
            "{kind}: one WAL record per batch"
        );
        let wal_len = std::fs::metadata(&wal_path).expect("WAL size").len();
        let manifest = std::fs::read_to_string(dir.path().join("CURRENT"))
            .expect("reading CURRENT")
            .trim_end()
            .to_string();
        let (m, m_records) = log_regions(&manifest, &dir.path().join(&manifest));
        assert_eq!(m_records.len(), 2, "{kind}: snapshot edit + one flush edit");
        regions.extend(m);
        let tables = names_ending(dir.path(), ".sst");
        assert!(tables.len() >= 3, "{kind}: tables in the base: {tables:?}");
        for t in &tables {
            let bytes = std::fs::read(dir.path().join(t)).expect("reading a table");
            regions.extend(table_regions(t, &bytes));
        }
        let current_len = std::fs::metadata(dir.path().join("CURRENT"))
            .expect("CURRENT")
            .len();
        regions.push(Region {
            kind: RegionKind::Current,
            file: "CURRENT".into(),
            range: 0..current_len,
            last: false,
        });
        let mut universe: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
        universe.extend([
            b"a".to_vec(),
            b"k0000\0".to_vec(),
            b"k9999".to_vec(),
            b"z".to_vec(),
        ]);
        Base {
            kind,
            format,
            dir,
            batches,
            wal_first,
            wal,
            wal_records,
            wal_len,
            tables,
            regions,
            universe,
        }
    }

    pub(super) fn opts(&self) -> Options {
        options(self.kind, self.format)
    }

    /// The model after the first `n` batches.
    pub(super) fn model(&self, n: usize) -> Model {
        let mut m = Model::new();
        for b in &self.batches[..n] {
            apply(&mut m, b);
        }
        m
    }

    pub(super) fn copy(&self) -> tempfile::TempDir {
        let d = scratch("trial");
        copy_dir(self.dir.path(), d.path());
        d
    }

    pub(super) fn label(&self) -> String {
        format!(
            "memtable {}, WAL format {:?}",
            self.kind.name(),
            self.format
        )
    }
}
