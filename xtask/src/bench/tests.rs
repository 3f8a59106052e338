//! The report over fake results: a criterion directory and side data in a tempdir, one
//! fixture per group, the report written to another tempdir.
//!
//! Set `FERROLITE_REPORT_FIXTURE_OUT=<dir>` to keep the full fixture's report there (to look
//! at the figures).

use super::data::Sources;
use super::markdown::Provenance;
use super::*;
use serde_json::{json, Value};
use std::fs;
use std::path::Path;

/// Writes criterion's `new/benchmark.json` and `new/estimates.json` for one benchmark,
/// measuring `ops` operations per second with `elements` operations per iteration and a
/// ±5% confidence interval on the median time. Also writes a `base/` copy and a `report/`
/// directory, which the loader must ignore.
fn crit(criterion: &Path, group: &str, function: &str, param: &str, ops: f64, elements: u64) {
    let dir = criterion.join(group).join(function).join(param);
    let median_ns = elements as f64 / ops * 1e9;
    let est = |scale: f64| {
        json!({
            "point_estimate": median_ns * scale,
            "standard_error": 1.0,
            "confidence_interval": {
                "confidence_level": 0.95,
                "lower_bound": median_ns * scale * 0.95,
                "upper_bound": median_ns * scale * 1.05
            }
        })
    };
    let estimates = json!({
        "mean": est(1.01), "median": est(1.0), "median_abs_dev": est(0.01),
        "slope": null, "std_dev": est(0.02)
    });
    let benchmark = json!({
        "group_id": group, "function_id": function, "value_str": param,
        "throughput": {"Elements": elements},
        "full_id": format!("{group}/{function}/{param}"),
        "directory_name": format!("{group}/{function}/{param}"),
        "title": format!("{group}/{function}/{param}")
    });
    for (sub, scale) in [("new", 1.0), ("base", 3.0)] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).unwrap();
        let mut b = benchmark.clone();
        if sub == "base" {
            // An older run: different numbers, must not be read.
            b["value_str"] = json!(format!("{param}-old"));
        }
        fs::write(d.join("benchmark.json"), b.to_string()).unwrap();
        let mut e = estimates.clone();
        e["median"] = est(scale);
        fs::write(d.join("estimates.json"), e.to_string()).unwrap();
    }
    fs::create_dir_all(dir.join("report")).unwrap();
    fs::write(dir.join("report/index.html"), "<html></html>").unwrap();
}

/// The run every fixture's side data names (a 2-core machine, so 4 threads oversubscribe).
fn run_info() -> Value {
    json!({"commit": "fedcba9", "cores": 2, "scale": "default", "date": "2025-01-01 10:00 UTC"})
}

/// Writes one side-data file, naming [`run_info`] unless it names a run (or `"run": null`).
fn side(side_dir: &Path, mut v: Value) {
    if v.get("run").is_none() {
        v["run"] = run_info();
    }
    let g = v["group"].as_str().unwrap();
    let f = v["function"].as_str().unwrap();
    let p = v["parameter"].as_str().unwrap();
    let d = side_dir.join(g).join(f);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join(format!("{p}.json")), v.to_string()).unwrap();
}

/// Mops/s per thread at one thread, for the fixture's maps. With this, epoch / crossbeam is
/// 1.10 (met), hazard / crossbeam 0.50 (missed), and every lock-free map beats the mutex at
/// 2+ threads (the mutex slows down as threads are added).
fn structures_ops(map: &str, threads: u32) -> f64 {
    let t = threads as f64;
    1e6 * match map {
        "mutex" => [1.0, 0.8, 0.6][threads.trailing_zeros() as usize],
        "crossbeam" => 2.0 * t,
        "epoch" => 2.2 * t,
        "hazard" => 1.0 * t,
        "noreclaim" => 2.5 * t,
        "btree" => 0.9 * t,
        "seize" => 2.1 * t,
        _ => unreachable!(),
    }
}

fn structures_fixture(src: &Sources) {
    for map in MAP_ORDER {
        for threads in [1, 2, 4] {
            for update in [10, 50] {
                let range = 65536;
                let param = format!("t{threads}-u{update}-r{range}-uniform");
                let ops = structures_ops(map, threads);
                // btree has side data only: its throughput comes from the repetitions.
                if map != "btree" {
                    crit(&src.criterion, "structures", map, &param, ops, 1000);
                }
                let peak = match map {
                    "epoch" => 1000.0 * threads as f64 * update as f64,
                    "hazard" => 64.0 * threads as f64,
                    "noreclaim" => 50_000.0 * threads as f64 * update as f64,
                    "crossbeam" => 800.0 * threads as f64 * update as f64,
                    _ => 0.0,
                };
                let mut v = json!({
                    "group": "structures", "function": map, "parameter": param,
                    "params": {"map": map, "threads": threads, "update_percent": update,
                               "range": range, "dist": "uniform"},
                    "ops_per_sec": {"median": ops, "min": ops * 0.9, "max": ops * 1.1, "reps": 5}
                });
                // crossbeam's counters are no measurement: the bench writes none.
                if map != "crossbeam" {
                    v["unreclaimed"] = json!({"peak": peak, "avg": peak / 2.0});
                }
                side(&src.side, v);
            }
        }
    }
}

/// The options `sidecar::engine_options` writes for `Options::default()` with `memtable`.
fn engine_options(memtable: &str) -> Value {
    json!({
        "preset": "default", "memtable": memtable, "memtable_bytes": 4 << 20,
        "sync": "None", "wal_format": "Binary", "table_format": "Binary",
        "group_commit": true, "compaction": "Leveled", "bloom_bits_per_key": 10,
        "block_cache_bytes": 64 << 20, "recent_writes_bytes": 0, "background_threads": 2
    })
}

use super::model::{MAP_ORDER, WORKLOAD_ORDER as ENGINE_WORKLOADS};

fn engine_fixture(src: &Sources) {
    for (ki, kind) in ["mutex", "epoch"].iter().enumerate() {
        for (wi, wl) in ENGINE_WORKLOADS.iter().enumerate() {
            let ops = 150_000.0 * (1.0 + wi as f64 * 0.7) * (1.0 + ki as f64);
            crit(&src.criterion, "engine", kind, wl, ops, 1000);
            let p50 = 400.0 * (1.0 + wi as f64) / (1.0 + ki as f64);
            side(
                &src.side,
                json!({
                    "group": "engine", "function": kind, "parameter": wl,
                    "params": {"memtable": kind, "workload": wl},
                    "options": engine_options(kind),
                    "latency_ns": {"op": {"p50": p50, "p99": p50 * 12.0, "p999": p50 * 90.0}},
                    "extra": {"write_amp": 2.5 + ki as f64, "mb_per_sec": 40.0 + wi as f64}
                }),
            );
        }
    }
}

fn stalled_fixture(src: &Sources) {
    for scheme in ["epoch", "hazard", "noreclaim"] {
        let points: Vec<(f64, f64)> = (0..=100)
            .map(|i| {
                let t = i as f64 * 10.0;
                let y = match scheme {
                    "epoch" => 50.0 * t,
                    "hazard" => 40.0 + (i % 7) as f64 * 10.0,
                    _ => 100.0 * t,
                };
                (t, y)
            })
            .collect();
        let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
        side(
            &src.side,
            json!({
                "group": "stalled_reader", "function": scheme, "parameter": "t2-stall1000ms",
                "params": {"threads": 2},
                "unreclaimed": {"peak": peak, "avg": peak / 2.0},
                "series": {"name": "unreclaimed nodes", "x_label": "time (ms)",
                           "points": points}
            }),
        );
        // One updater: half the garbage.
        let half: Vec<(f64, f64)> = points.iter().map(|&(t, y)| (t, y / 2.0)).collect();
        side(
            &src.side,
            json!({
                "group": "stalled_reader", "function": scheme, "parameter": "t1",
                "params": {"threads": 1},
                "series": {"name": "unreclaimed nodes", "x_label": "time (ms)",
                           "points": half}
            }),
        );
    }
}

fn yardstick_fixture(src: &Sources) {
    for (e, f) in [("ferrolite", 1.0), ("fjall", 0.8)] {
        let options = if e == "fjall" {
            json!({"engine": "fjall 2.x (uncompressed blocks)", "memtable_bytes": 4 << 20,
                   "block_cache_bytes": 64 << 20, "bloom_bits_per_key": 10,
                   "sync": "none (journal written to the OS)"})
        } else {
            engine_options("epoch")
        };
        for wl in ["fillrandom", "readrandom"] {
            side(
                &src.side,
                json!({"group": "yardstick", "function": e, "parameter": wl,
                       "ops_per_sec": {"median": 500_000.0 * f},
                       "options": options}),
            );
        }
    }
}

fn prov() -> Provenance {
    Provenance {
        cpu: "Test CPU, 2 logical cores".into(),
        memory: "4.0 GiB".into(),
        date: "2025-01-02 03:04 UTC".into(),
        commit: "abc1234-dirty".into(),
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    src: Sources,
    out: std::path::PathBuf,
}

fn fixture(groups: &[fn(&Sources)]) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let src = Sources::under(&tmp.path().join("target"));
    for g in groups {
        g(&src);
    }
    let out = tmp.path().join("reports");
    Fixture {
        _tmp: tmp,
        src,
        out,
    }
}

fn run(f: &Fixture) -> (Written, String) {
    let w = generate(&f.src, &f.out, &prov()).unwrap();
    let md = fs::read_to_string(f.out.join("bench.md")).unwrap();
    (w, md)
}

fn svg(f: &Fixture, name: &str) -> String {
    let s = fs::read_to_string(f.out.join(name))
        .unwrap_or_else(|e| panic!("{name} was not written: {e}"));
    assert!(s.contains("<svg"), "{name} is not an SVG");
    s
}

fn has(md: &str, needle: &str) {
    assert!(md.contains(needle), "bench.md lacks {needle:?}:\n{md}");
}

#[test]
fn full_report() {
    let f = fixture(&[
        structures_fixture,
        engine_fixture,
        stalled_fixture,
        yardstick_fixture,
    ]);
    let (w, md) = run(&f);
    // Before the assertions, so that a failing report can be looked at.
    if let Some(dir) = std::env::var_os("FERROLITE_REPORT_FIXTURE_OUT") {
        generate(&f.src, Path::new(&dir), &prov()).unwrap();
    }
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    for name in [
        "structures-u10-r65536-uniform.svg",
        "structures-u50-r65536-uniform.svg",
        "engine-throughput.svg",
        "engine-latency.svg",
        "unreclaimed.svg",
        "stalled-reader.svg",
        "bench.md",
    ] {
        assert!(
            w.files.contains(&name.to_string()),
            "{name} not in {:?}",
            w.files
        );
        assert!(f.out.join(name).exists(), "{name} missing");
    }
    let s = svg(&f, "structures-u10-r65536-uniform.svg");
    for label in [
        "threads",
        "throughput (Mops/s)",
        "epoch",
        "crossbeam",
        "mutex",
    ] {
        assert!(s.contains(label), "structures plot lacks {label:?}");
    }
    // Linear throughput axes: no log scale left where ratios matter.
    for name in ["engine-throughput.svg", "engine-latency.svg"] {
        assert!(!svg(&f, name).contains("log scale"), "{name}");
    }
    assert!(svg(&f, "engine-latency.svg").contains("p99.9"));
    assert!(svg(&f, "stalled-reader.svg").contains("time (ms)"));

    // Provenance.
    has(&md, "Test CPU, 2 logical cores");
    has(&md, "2025-01-02 03:04 UTC");
    has(&md, "abc1234-dirty");
    // Targets.
    has(
        &md,
        "- epoch / crossbeam at 1 thread, 10% updates: **MET** — 1.10× (target ≥ 1.0×, over 1 workload)",
    );
    has(
        &md,
        "- epoch / crossbeam at 2 threads, 50% updates: **MET** — 1.10×",
    );
    has(
        &md,
        "- hazard / crossbeam at 2 threads, 10% updates: **MISSED** — 0.50× (target ≥ 0.6×",
    );
    // epoch / mutex is lowest at 2 threads: 4.4 / 0.8.
    has(
        &md,
        "- epoch beats the mutex skip list at 2+ threads with updates: **MET** — lowest ratio 5.50× (t2-u10-r65536-uniform), over 4 cells",
    );
    has(
        &md,
        "- hazard beats the mutex skip list at 2+ threads with updates: **MET** — lowest ratio 2.50×",
    );
    has(
        &md,
        "beats the mutex skip list at 2+ threads with updates: **MET**\n",
    );
    // Reclamation against noreclaim: epoch 2.2 / 2.5.
    has(&md, "| epoch | 0.88 | 0.88 |");
    has(&md, "| hazard | 0.40 |");
    // Structures table: criterion's median with the side data's min–max.
    has(&md, "| 1 | 1.00 (0.900–1.10) | 2.20 (1.98–2.42) |");
    // btree from side data alone.
    has(&md, "| btree |");
    has(&md, "0.900 (0.810–0.990) |");
    has(
        &md,
        "![10% updates, range 65536, uniform keys](structures-u10-r65536-uniform.svg)",
    );
    // Unreclaimed: noreclaim at 2 threads and 50% updates peaks at 5M nodes.
    has(
        &md,
        "| noreclaim | u50 r65536 uniform | 2.5M / 1.25M | 5M / 2.5M |",
    );
    // Stalled reader: noreclaim reaches 100k nodes after 1000 ms.
    has(
        &md,
        "| noreclaim | t2-stall1000ms | 101 | 1k | 100k | 100k | 100k | 50k |",
    );
    // The stage ladder is another report's: a pointer, no section, no figure.
    has(
        &md,
        "The stage ladder is in [stages.md](stages.md) (`cargo xtask ladder --out reports`).",
    );
    assert!(!md.contains("## Stage ladder"), "{md}");
    assert!(!f.out.join("stages.svg").exists());
    // Engine: throughput, extras, latency.
    has(&md, "| fillseq | 150k (143k–158k) | 300k (286k–316k) |");
    has(
        &md,
        "| readwhilewriting | 780k (743k–821k) | 1.56M (1.49M–1.64M) |",
    );
    has(&md, "| fillseq | epoch | 3.50 | – | – | – | – | – | 40.0 |");
    // The engine's section defines its ratios itself.
    has(&md, "**Write amplification** = (bytes appended to the WAL");
    has(&md, "**Block-cache hit rate** = hits / (hits + misses)");
    has(&md, "| `preset` | default | default |");
    has(&md, "| ycsbf | mutex | 5.6k | 67.2k | 504k |");
    // Yardstick: the ratio, and which options each side ran with.
    has(&md, "| fillrandom | 500k | 400k | 1.25 |");
    has(&md, "| `memtable` | epoch | – |");
    has(&md, "| `engine` | – | fjall 2.x (uncompressed blocks) |");
    // The run behind the numbers, apart from the report's checkout.
    has(&md, "| `fedcba9` | default | 2 | ");
    // Oversubscribed thread counts are marked; crossbeam's unreclaimed nodes never read 0.
    has(&md, "| 4 (> 2 cores) | 0.600 (0.540–0.660) |");
    has(&md, "| 4 threads (> 2 cores) |");
    has(&md, "**Not measured: crossbeam**");
    assert!(!md.contains("| crossbeam | u10"), "{md}");
    let s = svg(&f, "structures-u50-r65536-uniform.svg");
    assert!(s.contains("cores = 2") && s.contains("oversubscribed"));
    let s = svg(&f, "unreclaimed.svg");
    assert!(s.contains("crossbeam: not measured"));
    let s = svg(&f, "stalled-reader.svg");
    assert!(s.contains("epoch, 1 updater") && s.contains("epoch, 2 updaters"));
    assert!(!md.contains("No data"), "{md}");
}

#[test]
fn empty_report_says_no_data() {
    let f = fixture(&[]);
    let (w, md) = run(&f);
    assert_eq!(w.files, vec!["bench.md".to_string()]);
    assert_eq!(w.cells, 0);
    has(&md, "## Targets\n\nNo data");
    for section in [
        "## Structures: throughput against threads\n\nNo data.",
        "## Unreclaimed nodes\n\nNo data.",
        "## Stalled reader\n\nNo data.",
        "## Engine\n\nNo data.",
    ] {
        has(&md, section);
    }
    assert!(!md.contains("## Yardstick"));
}

#[test]
fn structures_alone() {
    let f = fixture(&[structures_fixture]);
    let (w, md) = run(&f);
    assert_eq!(
        w.files,
        [
            "structures-u10-r65536-uniform.svg",
            "structures-u50-r65536-uniform.svg",
            "unreclaimed.svg",
            "bench.md"
        ]
        .map(String::from)
    );
    svg(&f, "unreclaimed.svg");
    has(&md, "**MET**");
    has(&md, "**MISSED**");
    has(&md, "## Engine\n\nNo data.");
}

#[test]
fn engine_alone() {
    let f = fixture(&[engine_fixture]);
    let (w, md) = run(&f);
    assert_eq!(
        w.files,
        ["engine-latency.svg", "engine-throughput.svg", "bench.md"].map(String::from)
    );
    // Workloads in db_bench order, not alphabetical.
    let fillseq = md.find("| fillseq | 150k").unwrap();
    let deleterandom = md.find("| deleterandom | ").unwrap();
    assert!(fillseq < deleterandom);
    has(&md, "| readrandom | mutex | 1.6k | 19.2k | 144k |");
}

#[test]
fn stalled_reader_alone() {
    let f = fixture(&[stalled_fixture]);
    let (w, md) = run(&f);
    assert_eq!(
        w.files,
        ["stalled-reader.svg", "bench.md"].map(String::from)
    );
    has(
        &md,
        "| epoch | t2-stall1000ms | 101 | 1k | 50k | 50k | 50k | 25k |",
    );
    has(&md, "| hazard | t2-stall1000ms | 101 |");
}

#[test]
fn missed_when_a_lock_free_map_loses_to_the_mutex() {
    let f = fixture(&[structures_fixture]);
    // hazard collapses at 4 threads, 50% updates: below the mutex's 0.6 Mops/s.
    side(
        &f.src.side,
        json!({"group": "structures", "function": "hazard",
               "parameter": "t4-u50-r65536-uniform",
               "ops_per_sec": {"median": 300_000.0}}),
    );
    fs::remove_dir_all(
        f.src
            .criterion
            .join("structures/hazard/t4-u50-r65536-uniform"),
    )
    .unwrap();
    let (_, md) = run(&f);
    has(
        &md,
        "- hazard beats the mutex skip list at 2+ threads with updates: **MISSED** — lowest ratio 0.50× (t4-u50-r65536-uniform)",
    );
    has(
        &md,
        "- every lock-free map (epoch, hazard, noreclaim, seize, crossbeam) beats the mutex skip list at 2+ threads with updates: **MISSED**",
    );
}

#[test]
fn stale_figures_are_removed_and_bad_files_warned() {
    let f = fixture(&[engine_fixture]);
    fs::create_dir_all(&f.out).unwrap();
    fs::write(f.out.join("structures-u0-r1-uniform.svg"), "<svg/>").unwrap();
    fs::write(f.out.join("notes.svg"), "<svg/>").unwrap();
    fs::write(f.out.join("stages.svg"), "<svg/>").unwrap();
    fs::create_dir_all(f.src.side.join("engine/mutex")).unwrap();
    fs::write(f.src.side.join("engine/mutex/broken.json"), "{not json").unwrap();
    let (w, md) = run(&f);
    assert!(!f.out.join("structures-u0-r1-uniform.svg").exists());
    assert!(f.out.join("notes.svg").exists(), "not ours: kept");
    assert!(
        f.out.join("stages.svg").exists(),
        "`cargo xtask ladder`'s: kept"
    );
    assert_eq!(w.warnings.len(), 1);
    has(&md, "## Warnings");
    has(&md, "broken.json");
}

#[test]
fn criterion_without_throughput_counts_one_op_per_iteration() {
    let f = fixture(&[]);
    crit(
        &f.src.criterion,
        "yardstick",
        "ferrolite",
        "fillrandom",
        1000.0,
        1,
    );
    let p = f
        .src
        .criterion
        .join("yardstick/ferrolite/fillrandom/new/benchmark.json");
    let mut b: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
    b["throughput"] = Value::Null;
    fs::write(&p, b.to_string()).unwrap();
    let ds = data::load(&f.src).unwrap();
    let c = ds.get("yardstick", "ferrolite", "fillrandom").unwrap();
    let ops = c.ops().unwrap();
    assert!((ops - 1000.0).abs() < 1e-6, "{ops}");
    // The old `base/` run is not read.
    assert!(ds.get("yardstick", "ferrolite", "fillrandom-old").is_none());
}

#[test]
fn utc_dates() {
    assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
    assert_eq!(format_utc(1_709_251_199), "2024-02-29 23:59 UTC");
    assert_eq!(format_utc(1_735_787_045), "2025-01-02 03:04 UTC");
    assert_eq!(format_utc(4_107_542_400), "2100-03-01 00:00 UTC");
}
