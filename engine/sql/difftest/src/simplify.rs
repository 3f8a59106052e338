//! Simpler variants of one statement, for the shrinker's last pass: a query without its
//! DISTINCT, LIMIT, ORDER BY (only when no LIMIT is left: a LIMIT without a total order
//! picks rows arbitrarily), HAVING, one result column or one AND-ed WHERE condition; an
//! UPDATE or DELETE without one of its WHERE conditions.
//!
//! The statements are the generator's, so their clauses are found by their keywords at
//! the top level of the text (outside parentheses and quotes). A variant that does not
//! parse fails on both sides and is simply not taken.

use crate::script::{Kind, Stmt};

/// Positions of `needle` in `s` outside quotes and parentheses.
fn top_level(s: &str, needle: &str) -> Vec<usize> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut quoted) = (0i32, false);
    for i in 0..bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && bytes[i..].starts_with(needle.as_bytes()) => out.push(i),
            _ => {}
        }
    }
    out
}

/// Split `s` at top-level `sep`.
fn split_top<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for i in top_level(s, sep) {
        if i >= start {
            parts.push(&s[start..i]);
            start = i + sep.len();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The clause starting at keyword `kw` (with its leading space): its range in `sql`, up to
/// the next of `ends` or the end.
fn clause(sql: &str, kw: &str, ends: &[&str]) -> Option<(usize, usize)> {
    let start = *top_level(sql, kw).first()?;
    let end = ends
        .iter()
        .filter_map(|e| top_level(sql, e).into_iter().find(|&p| p > start))
        .min()
        .unwrap_or(sql.len());
    Some((start, end))
}

fn with(kind: Kind, sql: String) -> Stmt {
    Stmt {
        kind,
        head: sql,
        rows: Vec::new(),
    }
}

const AFTER_WHERE: &[&str] = &[" GROUP BY ", " HAVING ", " ORDER BY ", " LIMIT "];

/// The variants of `sql` with one top-level AND-ed condition of its WHERE left out.
fn fewer_conditions(sql: &str, kind: &Kind) -> Vec<Stmt> {
    let Some((start, end)) = clause(sql, " WHERE ", AFTER_WHERE) else {
        return Vec::new();
    };
    let body = &sql[start + " WHERE ".len()..end];
    let parts = split_top(body, " AND ");
    if parts.len() < 2 {
        return vec![with(
            kind.clone(),
            format!("{}{}", &sql[..start], &sql[end..]),
        )];
    }
    (0..parts.len())
        .map(|skip| {
            let kept: Vec<&str> = parts
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != skip)
                .map(|(_, p)| *p)
                .collect();
            with(
                kind.clone(),
                format!(
                    "{} WHERE {}{}",
                    &sql[..start],
                    kept.join(" AND "),
                    &sql[end..]
                ),
            )
        })
        .collect()
}

/// Simpler variants of `stmt` (none for statements other than queries, UPDATE and DELETE).
pub fn simpler(stmt: &Stmt) -> Vec<Stmt> {
    let sql = stmt.sql();
    let mut out = Vec::new();
    match stmt.kind {
        Kind::Update | Kind::Delete => out.extend(fewer_conditions(&sql, &stmt.kind)),
        Kind::Query { ordered } => {
            let has_limit = !top_level(&sql, " LIMIT ").is_empty();
            if let Some(rest) = sql.strip_prefix("SELECT DISTINCT ") {
                out.push(with(stmt.kind.clone(), format!("SELECT {rest}")));
            }
            if let Some(&i) = top_level(&sql, " LIMIT ").first() {
                out.push(with(stmt.kind.clone(), sql[..i].to_string()));
            } else if let Some(&i) = top_level(&sql, " ORDER BY ").first() {
                out.push(with(Kind::Query { ordered: false }, sql[..i].to_string()));
            }
            if let Some((s, e)) = clause(&sql, " HAVING ", &[" ORDER BY ", " LIMIT "]) {
                out.push(with(
                    stmt.kind.clone(),
                    format!("{}{}", &sql[..s], &sql[e..]),
                ));
            }
            out.extend(fewer_conditions(&sql, &stmt.kind));
            // One result column less, once no ORDER BY is left (its ordinals name every
            // result column, so with one less they are out of range and both sides fail).
            if !has_limit && !ordered {
                let head = if sql.starts_with("SELECT DISTINCT ") {
                    "SELECT DISTINCT "
                } else {
                    "SELECT "
                };
                if let Some(&from) = top_level(&sql, " FROM ").first() {
                    let items = split_top(&sql[head.len()..from], ", ");
                    for skip in 0..items.len() {
                        if items.len() < 2 {
                            break;
                        }
                        let kept: Vec<&str> = items
                            .iter()
                            .enumerate()
                            .filter(|&(i, _)| i != skip)
                            .map(|(_, p)| *p)
                            .collect();
                        out.push(with(
                            stmt.kind.clone(),
                            format!("{head}{}{}", kept.join(", "), &sql[from..]),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_found_at_the_top_level() {
        let q = Stmt::from_sql(
            "SELECT DISTINCT a, max(b, c) FROM t WHERE a BETWEEN 1 AND 2 AND (b = 1 AND c = 'x AND y') ORDER BY 1 LIMIT 2",
        );
        let all: Vec<String> = simpler(&q).iter().map(Stmt::sql).collect();
        assert!(all.contains(&"SELECT a, max(b, c) FROM t WHERE a BETWEEN 1 AND 2 AND (b = 1 AND c = 'x AND y') ORDER BY 1 LIMIT 2".to_string()));
        assert!(all.contains(&"SELECT DISTINCT a, max(b, c) FROM t WHERE a BETWEEN 1 AND 2 AND (b = 1 AND c = 'x AND y') ORDER BY 1".to_string()));
        assert!(all.contains(&"SELECT DISTINCT a, max(b, c) FROM t WHERE a BETWEEN 1 AND (b = 1 AND c = 'x AND y') ORDER BY 1 LIMIT 2".to_string()));
        assert!(!all
            .iter()
            .any(|s| s.contains("LIMIT") && !s.contains("ORDER BY")));
        let d = Stmt::from_sql("DELETE FROM t WHERE a = 1");
        assert_eq!(simpler(&d)[0].sql(), "DELETE FROM t");
    }
}
