//! Results as aligned text tables, as the shell prints them.

use crate::Value;

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        other => other.to_string(),
    }
}

/// An aligned table with a header and a rule; numbers right-aligned.
pub fn table(columns: &[String], rows: &[Vec<Value>]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    let cells: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(cell).collect()).collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |parts: Vec<String>| parts.join(" | ").trim_end().to_string() + "\n";
    out.push_str(&line(
        columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect(),
    ));
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for (r, raw) in cells.iter().zip(rows) {
        out.push_str(&line(
            r.iter()
                .zip(&widths)
                .zip(raw)
                .map(|((c, w), v)| match v {
                    Value::Integer(_) | Value::Real(_) => format!("{c:>w$}"),
                    _ => format!("{c:<w$}"),
                })
                .collect(),
        ));
    }
    out
}
