//! The report's small pieces of Markdown: numbers (three significant digits, a missing one
//! as `–`, a ratio as a percentage or `–` when there was nothing to count), tables, figure
//! links, sections, and the options a cell ran with in words.

use crate::bench::data::Cell;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Three significant digits: 1.23, 12.3, 123, 1234.
pub fn sig(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.1 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

/// `f(v)`, or `–` when there is no value.
pub fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

/// `part / whole` as a whole percentage; `–` when the thing counted is absent (`present`
/// false) or nothing was counted (`whole` 0 or unknown): a 0 % there would claim a
/// measurement that was not made.
pub fn rate(present: bool, part: Option<f64>, whole: Option<f64>) -> String {
    match (present, part, whole) {
        (true, Some(p), Some(w)) if w > 0.0 => format!("{:.0} %", 100.0 * p / w),
        _ => "–".into(),
    }
}

/// A Markdown table: the first column left-aligned, the others right.
pub fn table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        header
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// The figure `name` inline and as a link, if it was written.
pub fn figure_link(out: &mut String, figures: &BTreeSet<String>, name: &str, alt: &str) {
    if figures.contains(name) {
        let _ = writeln!(out, "![{alt}]({name})\n\n[{name}]({name})\n");
    }
}

/// Open a section under `heading`; without data, say so and return `false` (the section
/// ends there).
pub fn section(out: &mut String, heading: &str, has_data: bool) -> bool {
    let _ = writeln!(out, "{heading}\n");
    if !has_data {
        out.push_str("No data.\n\n");
    }
    has_data
}

/// "1 thread", "4 threads".
pub fn threads_word(t: u32) -> String {
    if t == 1 {
        "1 thread".into()
    } else {
        format!("{t} threads")
    }
}

/// A median with its spread: `12.3 (11.0–13.1)`, or the median alone.
pub fn with_spread(
    v: Option<f64>,
    spread: Option<(f64, f64)>,
    f: impl Fn(f64) -> String,
) -> String {
    match (v, spread) {
        (Some(v), Some((lo, hi))) => format!("{} ({}–{})", f(v), f(lo), f(hi)),
        (Some(v), None) => f(v),
        _ => "–".into(),
    }
}

/// A byte count as the options are written: `0 (none)`, `4 MiB`, `64 KiB`, `100 B`.
pub fn bytes(v: f64) -> String {
    let b = v as u64;
    if b == 0 {
        "0 (none)".into()
    } else if b.is_multiple_of(1 << 20) {
        format!("{} MiB", b >> 20)
    } else if b.is_multiple_of(1 << 10) {
        format!("{} KiB", b >> 10)
    } else {
        format!("{b} B")
    }
}

/// One option of a cell in words (byte sizes in KiB/MiB), or `–` if the cell does not name
/// it.
pub fn option_text(c: &Cell, key: &str) -> String {
    if key.ends_with("_bytes") {
        if let Some(v) = c.option_num(key) {
            return bytes(v);
        }
    }
    c.option(key).unwrap_or_else(|| "–".into())
}

/// The option names of `cells`, in the order the benches write the engine's (the
/// `sidecar::engine_options` order), then any others by name.
pub fn option_keys<'a>(cells: impl IntoIterator<Item = &'a Cell>) -> Vec<String> {
    const ORDER: [&str; 13] = [
        "engine",
        "preset",
        "memtable",
        "memtable_bytes",
        "sync",
        "wal_format",
        "table_format",
        "group_commit",
        "compaction",
        "bloom_bits_per_key",
        "block_cache_bytes",
        "recent_writes_bytes",
        "background_threads",
    ];
    let mut keys: Vec<String> = cells
        .into_iter()
        .filter_map(|c| c.side.as_ref())
        .flat_map(|s| s.options.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    keys.sort_by_key(|k| {
        (
            ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()),
            k.clone(),
        )
    });
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_absent_rather_than_zero_when_nothing_was_counted() {
        assert_eq!(rate(true, Some(1.0), Some(4.0)), "25 %");
        assert_eq!(rate(true, Some(0.0), Some(4.0)), "0 %");
        assert_eq!(rate(false, Some(0.0), Some(4.0)), "–");
        assert_eq!(rate(true, Some(0.0), Some(0.0)), "–");
        assert_eq!(rate(true, None, Some(3.0)), "–");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes(0.0), "0 (none)");
        assert_eq!(bytes(4.0 * 1048576.0), "4 MiB");
        assert_eq!(bytes(65536.0), "64 KiB");
        assert_eq!(bytes(100.0), "100 B");
    }
}
