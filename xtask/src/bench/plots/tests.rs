//! The figures' data before it is drawn: what a not-measured series, the whiskers, the
//! cores mark and the stalled reader's thread counts turn into (the drawn SVGs are checked
//! by `bench/tests.rs` over a whole fake report).

use super::panels::LineData;
use super::reclamation::{stalled_lines, unreclaimed_lines};
use super::throughput::{oversubscribed_note, structure_axis, structure_lines};
use crate::bench::data::{Cell, Dataset, Run, Series, Side, Spread, StructWorkload, Unreclaimed};
use crate::bench::model::{self, StructFigure};
use std::collections::BTreeMap;

/// A `structures` cell of `map` at `threads` threads, 50 % updates, with `unreclaimed`.
fn structures_cell(map: &str, threads: u32, unreclaimed: Option<Unreclaimed>) -> Cell {
    let parameter = format!("t{threads}-u50-r1024-uniform");
    let mut side = Side::new("structures", map, &parameter)
        .param("threads", threads)
        .param("update_percent", 50)
        .param("range", 1024)
        .param("dist", "uniform");
    side.ops_per_sec = Spread::of(&[1e6, 2e6, 3e6]);
    side.unreclaimed = unreclaimed;
    side.run = Some(Run {
        cores: Some(2),
        ..Run::default()
    });
    Cell {
        group: "structures".into(),
        function: map.into(),
        parameter,
        criterion: None,
        side: Some(side),
    }
}

fn dataset(cells: Vec<Cell>) -> Dataset {
    let mut ds = Dataset::default();
    for c in cells {
        ds.cells.insert(
            (c.group.clone(), c.function.clone(), c.parameter.clone()),
            c,
        );
    }
    ds
}

fn names(lines: &[LineData]) -> Vec<&str> {
    lines.iter().map(|l| l.name.as_str()).collect()
}

#[test]
fn a_map_whose_unreclaimed_nodes_were_not_measured_gets_no_line() {
    let peak = |p: f64| {
        Some(Unreclaimed {
            peak: Some(p),
            avg: Some(p / 2.0),
        })
    };
    let mut cells = Vec::new();
    for t in [1, 2, 4] {
        cells.push(structures_cell("epoch", t, peak(100.0 * t as f64)));
        // Measured zero: the mutex skip list frees at once.
        cells.push(structures_cell("mutex", t, peak(0.0)));
        // New side data: no record at all.
        cells.push(structures_cell("crossbeam", t, None));
    }
    let u = model::unreclaimed(&dataset(cells.clone()));
    assert_eq!(u.schemes, ["mutex", "epoch"]);
    assert_eq!(u.not_measured, ["crossbeam"]);
    assert_eq!(u.cores, Some(2));
    let lines = unreclaimed_lines(&u, 50);
    assert_eq!(names(&lines), ["mutex", "epoch"]);
    assert_eq!(lines[0].points, [(1.0, 0.0), (2.0, 0.0), (4.0, 0.0)]);

    // Older side data wrote crossbeam's default zeros: the registry says they are no
    // measurement, so they are still not drawn.
    for c in cells.iter_mut().filter(|c| c.function == "crossbeam") {
        c.side.as_mut().unwrap().unreclaimed = peak(0.0);
    }
    let u = model::unreclaimed(&dataset(cells));
    assert_eq!(u.not_measured, ["crossbeam"]);
    assert!(unreclaimed_lines(&u, 50)
        .iter()
        .all(|l| l.name != "crossbeam"));
}

fn figure() -> StructFigure {
    let mut f = StructFigure {
        workload: StructWorkload {
            update: 50,
            range: 1024,
            dist: "uniform".into(),
        },
        threads: vec![1, 2, 4],
        maps: vec!["mutex".into(), "epoch".into()],
        ops: BTreeMap::new(),
        spread: BTreeMap::new(),
        parameter: BTreeMap::new(),
        cores: Some(2),
    };
    for (m, base) in [("mutex", 1e6), ("epoch", 200e6)] {
        for t in [1u32, 2, 4] {
            let v = base * t as f64;
            f.ops.insert((m.into(), t), v);
            // A wide spread: the fastest run 40 % above the median.
            f.spread.insert((m.into(), t), (v * 0.7, v * 1.4));
        }
    }
    f
}

#[test]
fn the_throughput_axis_is_linear_from_zero_and_holds_the_whiskers() {
    let f = figure();
    let lines = structure_lines(&f);
    let axis = structure_axis(&lines);
    // 1 to 800 Mops/s: two decades and more, still linear — the ratios are the point.
    assert!(!axis.log);
    assert_eq!(axis.lo, 0.0);
    let top = lines
        .iter()
        .flat_map(|l| l.whiskers.iter().map(|w| w.2))
        .fold(0.0, f64::max);
    assert!((top - 1120.0).abs() < 1e-6, "{top}");
    assert!(axis.hi >= top, "{} < {top}", axis.hi);
    // Whiskers in the same unit as the points, at the same x.
    let epoch = &lines[1];
    assert_eq!(epoch.points[2], (4.0, 800.0));
    let w = epoch.whiskers[2];
    assert_eq!(w.0, 4.0);
    assert!((w.1 - 560.0).abs() < 1e-6 && (w.2 - 1120.0).abs() < 1e-6);
}

#[test]
fn thread_counts_above_the_cores_are_called_oversubscribed() {
    let note = oversubscribed_note(Some(2), 4).unwrap();
    assert!(note.contains("2 cores") && note.contains("oversubscribed"));
    assert!(!oversubscribed_note(Some(8), 4)
        .unwrap()
        .contains("oversubscribed"));
    assert!(oversubscribed_note(None, 4).is_none());
}

#[test]
fn stalled_reader_lines_differ_by_updater_count() {
    let cell = |map: &str, t: u32| {
        let mut side = Side::new("stalled_reader", map, &format!("t{t}")).param("threads", t);
        side.series = Some(Series {
            points: vec![(0.0, 1.0), (1.0, 2.0)],
            ..Series::default()
        });
        Cell {
            group: "stalled_reader".into(),
            function: map.into(),
            parameter: format!("t{t}"),
            criterion: None,
            side: Some(side),
        }
    };
    let cells = [
        cell("epoch", 1),
        cell("epoch", 2),
        cell("hazard", 1),
        cell("hazard", 4),
    ];
    let with: Vec<(&Cell, &Series)> = cells
        .iter()
        .map(|c| (c, c.side.as_ref().unwrap().series.as_ref().unwrap()))
        .collect();
    let lines = stalled_lines(&with, Some(2));
    assert_eq!(
        names(&lines),
        [
            "epoch, 1 updater",
            "epoch, 2 updaters",
            "hazard, 1 updater",
            "hazard, 4 updaters (over)"
        ]
    );
    // One colour per scheme, one dash pattern per updater count: no two lines alike.
    assert_eq!(lines[0].style.color, lines[1].style.color);
    assert_ne!(lines[0].style.dash, lines[1].style.dash);
    assert_ne!(lines[0].style.color, lines[2].style.color);
    assert_eq!(lines[0].style.dash, lines[2].style.dash);
    assert_ne!(lines[1].style.dash, lines[3].style.dash);
    for (i, a) in lines.iter().enumerate() {
        for b in &lines[i + 1..] {
            assert!(
                a.style.color != b.style.color || a.style.dash != b.style.dash,
                "{} and {} look alike",
                a.name,
                b.name
            );
        }
    }
}
