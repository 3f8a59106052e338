//! `cargo xtask ladder`: the stage ladder, from one build of one commit.
//!
//! Runs `$CARGO run --release -p ferrolite-benches --bin scaling -- --ladder` (every preset
//! `Options::stage(S0..S5)` × memtable × workload, several runs, alternating), which writes
//! `stages.md` (tables, steps, the engine's counters, what S5's map costs) and `stages.json`
//! (every run's ops/s); then draws `stages.svg` from the JSON: one panel per workload, linear
//! axes, bars at the medians with min–max whiskers. Everything goes under
//! `target/bench-report/` unless `--out DIR` says otherwise (`--out reports` replaces the
//! committed snapshot).

use crate::bench::model::{sort_by_order, Stages, MAP_ORDER};
use crate::bench::plots;
use anyhow::{bail, Context, Result};
use ferrolite_bench_format::ladder::{median_and_range, Ladder};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "\
usage: cargo xtask ladder [--quick] [--runs N] [--out DIR] [-- <scaling args>]

Runs the stage ladder (`scaling --ladder`: S0..S5 × mutex, epoch, hazard × fillrandom at 1 and
2 threads, readrandom, YCSB-A; 3 runs by default, alternating) and writes stages.md,
stages.json and stages.svg into target/bench-report/ (or --out DIR, relative to the workspace
root; `--out reports` replaces the committed snapshot).

OPTIONS:
  --quick     1 run of small sizes (20000 keys, 20000-key fills, 2000 reads): a check that it works
  --runs N    runs per cell (default 3)
  --out DIR   where the files go
  -h, --help  this text

Arguments after `--` go to the scaling binary (e.g. `-- --num 200000 --memtables mutex,epoch`).";

/// The figure's data: medians and min–max of every cell; stages, memtables and workloads in
/// the order the ladder lists them (memtables in [`MAP_ORDER`]).
pub fn stages_of(ladder: &Ladder) -> Stages {
    let mut st = Stages::default();
    let push = |v: &mut Vec<String>, x: &str| {
        if !v.iter().any(|y| y == x) {
            v.push(x.to_string());
        }
    };
    for c in &ladder.cells {
        let Some((median, lo, hi)) = median_and_range(&c.ops) else {
            continue;
        };
        let key = (c.stage.clone(), c.memtable.clone(), c.workload.clone());
        st.ops.insert(key.clone(), median);
        st.spread.insert(key, (lo, hi));
        push(&mut st.stages, &c.stage);
        push(&mut st.memtables, &c.memtable);
        push(&mut st.workloads, &c.workload);
    }
    sort_by_order(&mut st.memtables, &MAP_ORDER);
    for m in &st.memtables {
        for w in &st.workloads {
            if st.ops.keys().any(|k| &k.1 == m && &k.2 == w) {
                st.series.push((m.clone(), w.clone()));
            }
        }
    }
    st
}

/// `cargo xtask ladder`.
pub fn main(args: &[String]) -> Result<()> {
    // xtask lives in `<root>/xtask`; reports go under the target directory by default.
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .into();
    let root = root.as_path();
    let default_out = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
    .join("bench-report");
    let (ours, theirs) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let mut out = default_out;
    let mut runs = "3".to_string();
    let mut quick = false;
    let mut it = ours.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--runs" => runs = it.next().context("--runs needs a number")?.clone(),
            "--out" => out = root.join(it.next().context("--out needs a directory")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let md = out.join("stages.md");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root).args([
        "run",
        "--release",
        "-p",
        "ferrolite-benches",
        "--bin",
        "scaling",
        "--",
        "--ladder",
        "--out",
    ]);
    // The report names its command: give it the path relative to the root.
    cmd.arg(md.strip_prefix(root).unwrap_or(&md));
    if quick {
        cmd.args([
            "--runs", "1", "--num", "20000", "--fill", "20000", "--reads", "2000",
        ]);
    } else {
        cmd.args(["--runs", &runs]);
    }
    cmd.args(theirs);
    eprintln!("== {cargo} run --release -p ferrolite-benches --bin scaling -- --ladder …");
    let status = cmd.status().with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("the ladder run failed ({status})");
    }
    let json = out.join("stages.json");
    let ladder = Ladder::load(&json).with_context(|| format!("reading {}", json.display()))?;
    let st = stages_of(&ladder);
    plots::stages(&out, &st)?;
    println!(
        "ladder: {} cells, commit {}; {}, {}, {}",
        ladder.cells.len(),
        ladder.commit,
        md.display(),
        json.display(),
        out.join("stages.svg").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrolite_bench_format::ladder::LadderCell;

    #[test]
    fn cells_become_medians_with_their_range_in_the_ladders_order() {
        let cell = |stage: &str, memtable: &str, workload: &str, ops: &[f64]| LadderCell {
            stage: stage.into(),
            memtable: memtable.into(),
            workload: workload.into(),
            ops: ops.to_vec(),
        };
        let l = Ladder {
            cells: vec![
                cell("S0", "mutex", "fillrandom 1 thr", &[3.0, 1.0, 2.0]),
                cell("S0", "epoch", "fillrandom 1 thr", &[5.0]),
                cell("S0", "mutex", "readrandom", &[1.0, 4.0]),
                cell("S1", "mutex", "fillrandom 1 thr", &[]),
            ],
            ..Ladder::default()
        };
        let st = stages_of(&l);
        let k = |s: &str, m: &str, w: &str| (s.to_string(), m.to_string(), w.to_string());
        assert_eq!(st.ops[&k("S0", "mutex", "fillrandom 1 thr")], 2.0);
        assert_eq!(st.spread[&k("S0", "mutex", "fillrandom 1 thr")], (1.0, 3.0));
        assert_eq!(st.ops[&k("S0", "mutex", "readrandom")], 2.5);
        assert_eq!(st.workloads, ["fillrandom 1 thr", "readrandom"]);
        assert_eq!(st.memtables, ["mutex", "epoch"]);
        assert_eq!(st.stages, ["S0"], "a cell without runs is left out");
        assert_eq!(st.series.len(), 3);
    }

    #[test]
    fn a_quick_ladder_draws_its_figure() {
        let l = Ladder {
            cells: vec![LadderCell {
                stage: "S0".into(),
                memtable: "mutex".into(),
                workload: "fillrandom 1 thr".into(),
                ops: vec![10.0, 12.0, 11.0],
            }],
            ..Ladder::default()
        };
        let dir = tempfile::tempdir().unwrap();
        plots::stages(dir.path(), &stages_of(&l)).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("stages.svg")).unwrap();
        assert!(
            svg.contains("fillrandom 1 thr"),
            "the panel is titled by its workload"
        );
    }
}
