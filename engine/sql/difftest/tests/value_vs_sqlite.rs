//! Differential tests of `ferrolite_sql::value` against SQLite itself (rusqlite's bundled
//! SQLite): thousands of seeded random values, rich in edge cases (i64 limits, reals near
//! 2^53 and 2^63, infinities, numeric-looking text, blobs, NULL), go through both and the
//! answers must agree exactly: comparisons with and without column affinity, arithmetic,
//! `||`, unary minus, `LIKE`, truthiness, affinity conversion on store, the text of numbers,
//! and `ORDER BY` of a mixed column. A mismatch names its inputs.

use std::cmp::Ordering;

use ferrolite_sql::value::{
    arith, compare, concat, like, negate, Affinity, ArithOp, CmpOp, ColumnType, Value,
};
use ferrolite_sql_difftest::compare::identical;
use ferrolite_sql_difftest::exec::value;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];
const OP_SQL: [&str; 6] = ["=", "<>", "<", "<=", ">", ">="];

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Integer(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

fn conn() -> Connection {
    let c = Connection::open_in_memory().expect("open SQLite");
    c.execute_batch(
        "CREATE TABLE t(i INTEGER, r REAL, x TEXT, b BLOB) STRICT;
         CREATE TABLE a(i INTEGER, r REAL, n NUMERIC, x TEXT, b BLOB);
         CREATE TABLE m(v);",
    )
    .expect("schema");
    c
}

/// One row of `sql` with `params`, as our values.
fn row(c: &Connection, sql: &str, params: &[Value]) -> Vec<Value> {
    let mut stmt = c.prepare_cached(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_row(rusqlite::params_from_iter(params.iter().map(to_sql)), |r| {
        Ok((0..n)
            .map(|i| value(r.get_ref(i).expect("column")))
            .collect())
    })
    .unwrap_or_else(|e| panic!("{sql} with {params:?}: {e}"))
}

const EDGE_INTS: [i64; 16] = [
    i64::MIN,
    i64::MIN + 1,
    -9_007_199_254_740_993,
    -9_007_199_254_740_992,
    -2,
    -1,
    0,
    1,
    2,
    3,
    10,
    9_007_199_254_740_992,
    9_007_199_254_740_993,
    9_223_372_036_854_774_784,
    i64::MAX - 1,
    i64::MAX,
];

const EDGE_REALS: [f64; 24] = [
    0.0,
    -0.0,
    0.5,
    -0.5,
    1.0,
    2.0,
    -2.5,
    0.1,
    0.3,
    1e20,
    1e-5,
    1e300,
    -1e300,
    5e-324,
    f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    9_007_199_254_740_992.0,
    9_223_372_036_854_774_784.0,
    1_234_567_890_123_456.0,
    123.456,
    3.0,
];

const EDGE_TEXTS: [&str; 52] = [
    "",
    " ",
    "abc",
    "ABC",
    "é",
    " 12 ",
    "12",
    "1e3",
    "1E3",
    "0x10",
    "12abc",
    "1.5abc",
    ".5",
    "5.",
    ".",
    "-",
    "+",
    "+5",
    "-0",
    "-0.0",
    "1e",
    "1e+",
    "1e-2",
    "  -5.5e-3  ",
    "00012",
    "1.0",
    "2",
    "2.0",
    "3",
    "\t7\n",
    "NaN",
    "inf",
    "1_000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
    "12\u{0}3",
    "1e400",
    "-1e400",
    "4.9e-324",
    "123456789012345678901234",
    "0.1e-1",
    "\u{b}12\u{c}",
    "\r\n-3\r",
    "1.5e+",
    "- 1",
    "1 2",
    "0012.50",
    "1e-400",
    "+.5e1",
];

fn random_real(rng: &mut StdRng) -> f64 {
    match rng.random_range(0..6) {
        0 => EDGE_REALS[rng.random_range(0..EDGE_REALS.len())],
        1 => loop {
            let r = f64::from_bits(rng.random::<u64>());
            if !r.is_nan() {
                break r;
            }
        },
        2 => rng.random_range(-1000i64..1000) as f64 / 8.0,
        3 => rng.random_range(-100_000i64..100_000) as f64 / 1000.0,
        4 => rng.random_range(i64::MIN..i64::MAX) as f64,
        _ => {
            let e = rng.random_range(-30..30);
            rng.random_range(-99i64..99) as f64 * 10f64.powi(e)
        }
    }
}

fn random_int(rng: &mut StdRng) -> i64 {
    match rng.random_range(0..4) {
        0 => EDGE_INTS[rng.random_range(0..EDGE_INTS.len())],
        1 => rng.random_range(-20..20),
        2 => rng.random::<i64>(),
        _ => (1i64 << rng.random_range(0..63)) + rng.random_range(-3..3),
    }
}

fn random_text(rng: &mut StdRng) -> String {
    match rng.random_range(0..4) {
        0 => EDGE_TEXTS[rng.random_range(0..EDGE_TEXTS.len())].to_string(),
        1 => {
            const ALPHA: [&str; 12] = ["1", "2", "0", "9", ".", "e", "-", "+", " ", "a", "É", "x"];
            let n = rng.random_range(0..8);
            (0..n)
                .map(|_| ALPHA[rng.random_range(0..ALPHA.len())])
                .collect()
        }
        2 => random_real(rng).to_string(),
        _ => random_int(rng).to_string(),
    }
}

fn random_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..12) {
        0 => Value::Null,
        1..=3 => Value::Integer(random_int(rng)),
        4..=6 => Value::Real(random_real(rng)),
        7..=9 => Value::Text(random_text(rng)),
        10 => Value::Blob(random_text(rng).into_bytes()),
        _ => {
            let n = rng.random_range(0..5);
            Value::Blob((0..n).map(|_| rng.random_range(0..4u8) * 0x55).collect())
        }
    }
}

#[test]
fn compare_without_affinity_matches_sqlite() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(1);
    let sql = "SELECT ?1 = ?2, ?1 <> ?2, ?1 < ?2, ?1 <= ?2, ?1 > ?2, ?1 >= ?2";
    for _ in 0..4000 {
        let (a, b) = (random_value(&mut rng), random_value(&mut rng));
        let got = row(&c, sql, &[a.clone(), b.clone()]);
        for (k, op) in OPS.iter().enumerate() {
            let ours = compare(*op, &a, Affinity::Blob, &b, Affinity::Blob);
            assert!(
                identical(&ours, &got[k]),
                "{a:?} {} {b:?}: sqlite {:?}, ours {ours:?}",
                OP_SQL[k],
                got[k]
            );
        }
        let ord = match (a.is_null() || b.is_null(), &got[0], &got[2]) {
            (true, ..) => continue,
            (_, Value::Integer(1), _) => Ordering::Equal,
            (_, _, Value::Integer(1)) => Ordering::Less,
            _ => Ordering::Greater,
        };
        assert_eq!(a.sqlite_cmp(&b), ord, "sqlite_cmp({a:?}, {b:?})");
    }
}

/// Compare every column of table `table` (one row, filled by `fill`) with `?1` on both sides
/// and with every other column, in SQLite and with [`compare`] on the values SQLite stored.
/// `skip` leaves out column pairs where the model knowingly differs.
fn check_column_compares(
    table: &str,
    cols: &[(&str, Affinity)],
    cases: usize,
    rng: &mut StdRng,
    fill: impl Fn(&mut StdRng, Affinity) -> Value,
    skip: impl Fn(Affinity, Affinity) -> bool,
) {
    let c = conn();
    let mut exprs = Vec::new();
    for (name, aff) in cols {
        for op in OP_SQL {
            exprs.push(format!("{name} {op} ?1"));
            exprs.push(format!("?1 {op} {name}"));
        }
        for (other, oaff) in cols {
            if !skip(*aff, *oaff) {
                for op in OP_SQL {
                    exprs.push(format!("{name} {op} {other}"));
                }
            }
        }
    }
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let select = format!("SELECT {} FROM {table}", exprs.join(", "));
    let read_back = format!("SELECT {} FROM {table}", names.join(", "));
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO {table}({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    );
    for _ in 0..cases {
        let fresh: Vec<Value> = cols.iter().map(|(_, aff)| fill(rng, *aff)).collect();
        let p = random_value(rng);
        c.execute(&format!("DELETE FROM {table}"), [])
            .expect("delete");
        c.execute(
            &insert,
            rusqlite::params_from_iter(fresh.iter().map(to_sql)),
        )
        .expect("insert");
        let stored = row(&c, &read_back, &[]);
        let got = row(&c, &select, std::slice::from_ref(&p));
        let mut k = 0;
        for (ci, (_, aff)) in cols.iter().enumerate() {
            let v = &stored[ci];
            for op in OPS {
                for ours in [
                    compare(op, v, *aff, &p, Affinity::Blob),
                    compare(op, &p, Affinity::Blob, v, *aff),
                ] {
                    assert!(
                        identical(&ours, &got[k]),
                        "{}: column {v:?}, ?1 = {p:?}: sqlite {:?}, ours {ours:?}",
                        exprs[k],
                        got[k]
                    );
                    k += 1;
                }
            }
            for (oi, (_, oaff)) in cols.iter().enumerate() {
                if skip(*aff, *oaff) {
                    continue;
                }
                for op in OPS {
                    let ours = compare(op, v, *aff, &stored[oi], *oaff);
                    assert!(
                        identical(&ours, &got[k]),
                        "{}: row {stored:?}: sqlite {:?}, ours {ours:?}",
                        exprs[k],
                        got[k]
                    );
                    k += 1;
                }
            }
        }
    }
}

#[test]
fn compare_with_strict_column_affinity_matches_sqlite() {
    let mut rng = StdRng::seed_from_u64(2);
    let cols = [
        ("i", Affinity::Integer),
        ("r", Affinity::Real),
        ("x", Affinity::Text),
        ("b", Affinity::Blob),
    ];
    let ty = |aff| match aff {
        Affinity::Integer => ColumnType::Integer,
        Affinity::Real => ColumnType::Real,
        Affinity::Text => ColumnType::Text,
        _ => ColumnType::Blob,
    };
    let fill = |rng: &mut StdRng, aff| loop {
        if let Ok(v) = random_value(rng).coerce_to_column(ty(aff)) {
            break v;
        }
    };
    check_column_compares("t", &cols, 1500, &mut rng, fill, |_, _| false);
}

#[test]
fn compare_with_loose_column_affinity_matches_sqlite() {
    // Columns without STRICT hold any class (text that is not a number in an INTEGER column,
    // numbers in a BLOB column). A TEXT column against a BLOB column is left out: SQLite
    // applies no affinity there, while `Affinity::Blob` also stands for "none", against which
    // TEXT affinity applies (the two agree whenever a BLOB column holds only blobs).
    let mut rng = StdRng::seed_from_u64(11);
    let cols = [
        ("i", Affinity::Integer),
        ("r", Affinity::Real),
        ("n", Affinity::Numeric),
        ("x", Affinity::Text),
        ("b", Affinity::Blob),
    ];
    let skip = |a, b| {
        matches!(
            (a, b),
            (Affinity::Text, Affinity::Blob) | (Affinity::Blob, Affinity::Text)
        )
    };
    check_column_compares("a", &cols, 1000, &mut rng, |rng, _| random_value(rng), skip);
}

#[test]
fn arithmetic_concat_and_negation_match_sqlite() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(3);
    let sql = "SELECT ?1 + ?2, ?1 - ?2, ?1 * ?2, ?1 / ?2, ?1 % ?2, ?1 || ?2, -?1";
    let ops = [
        ArithOp::Add,
        ArithOp::Sub,
        ArithOp::Mul,
        ArithOp::Div,
        ArithOp::Rem,
    ];
    for _ in 0..6000 {
        let (a, b) = (random_value(&mut rng), random_value(&mut rng));
        let got = row(&c, sql, &[a.clone(), b.clone()]);
        for (k, op) in ops.iter().enumerate() {
            let ours = arith(*op, &a, &b);
            assert!(
                identical(&ours, &got[k]),
                "{a:?} {op:?} {b:?}: sqlite {:?}, ours {ours:?}",
                got[k]
            );
        }
        let ours = concat(&a, &b);
        assert!(
            identical(&ours, &got[5]),
            "{a:?} || {b:?}: sqlite {:?}, ours {ours:?}",
            got[5]
        );
        let ours = negate(&a);
        assert!(
            identical(&ours, &got[6]),
            "-{a:?}: sqlite {:?}, ours {ours:?}",
            got[6]
        );
    }
}

#[test]
fn truthiness_matches_sqlite() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(4);
    let sql = "SELECT CASE WHEN ?1 THEN 1 WHEN NOT ?1 THEN 0 END";
    for _ in 0..3000 {
        let v = random_value(&mut rng);
        let got = row(&c, sql, std::slice::from_ref(&v));
        let ours = match v.truthy() {
            None => Value::Null,
            Some(b) => Value::Integer(i64::from(b)),
        };
        assert!(
            identical(&ours, &got[0]),
            "truthy({v:?}): sqlite {:?}, ours {ours:?}",
            got[0]
        );
    }
}

#[test]
fn affinity_on_store_matches_sqlite() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(5);
    let affs = [
        Affinity::Integer,
        Affinity::Real,
        Affinity::Numeric,
        Affinity::Text,
        Affinity::Blob,
    ];
    for _ in 0..3000 {
        let v = random_value(&mut rng);
        c.execute("DELETE FROM a", []).expect("delete");
        let p = to_sql(&v);
        c.execute("INSERT INTO a VALUES (?1, ?1, ?1, ?1, ?1)", [p])
            .expect("insert");
        let got = row(&c, "SELECT i, r, n, x, b FROM a", &[]);
        for (k, aff) in affs.iter().enumerate() {
            let ours = v.clone().apply_affinity(*aff);
            assert!(
                identical(&ours, &got[k]),
                "{v:?} stored with {aff:?} affinity: sqlite {:?}, ours {ours:?}",
                got[k]
            );
        }
    }
}

#[test]
fn number_text_matches_cast_as_text() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(6);
    let check = |v: Value| {
        let got = row(&c, "SELECT CAST(?1 AS TEXT)", std::slice::from_ref(&v));
        let ours = Value::Text(v.to_string());
        assert!(
            identical(&ours, &got[0]),
            "CAST({v:?} AS TEXT): sqlite {:?}, ours {ours:?}",
            got[0]
        );
    };
    for r in EDGE_REALS {
        check(Value::Real(r));
    }
    for i in EDGE_INTS {
        check(Value::Integer(i));
        check(Value::Real(i as f64));
    }
    for e in -330..310 {
        for m in [
            1.0,
            1.5,
            9.999999999999999,
            4.940_656_458_412_465,
            2.2250738585072014,
        ] {
            check(Value::Real(m * 10f64.powi(e)));
        }
    }
    for _ in 0..20_000 {
        check(Value::Real(random_real(&mut rng)));
    }
    for _ in 0..2000 {
        check(Value::Integer(random_int(&mut rng)));
    }
}

#[test]
fn text_to_number_matches_sqlite() {
    // Random numeric-looking text of many digits, read by `+ 0` and `CAST AS REAL`.
    let c = conn();
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..6000 {
        let mut s = String::new();
        if rng.random_bool(0.3) {
            s.push('-');
        }
        for _ in 0..rng.random_range(1..25) {
            s.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        if rng.random_bool(0.6) {
            s.insert(rng.random_range(s.len().min(1)..=s.len()), '.');
        }
        if rng.random_bool(0.5) {
            s.push_str(&format!("e{}", rng.random_range(-340..320)));
        }
        let v = Value::Text(s.clone());
        let got = row(&c, "SELECT ?1 + 0, ?1 * 1.0", std::slice::from_ref(&v));
        let ours = [
            arith(ArithOp::Add, &v, &Value::Integer(0)),
            arith(ArithOp::Mul, &v, &Value::Real(1.0)),
        ];
        for k in 0..2 {
            assert!(
                identical(&ours[k], &got[k]),
                "{s:?} as a number ({k}): sqlite {:?}, ours {:?}",
                got[k],
                ours[k]
            );
        }
    }
}

fn random_like_text(rng: &mut StdRng, alpha: &[&str], max: usize) -> String {
    let n = rng.random_range(0..=max);
    (0..n)
        .map(|_| alpha[rng.random_range(0..alpha.len())])
        .collect()
}

#[test]
fn like_matches_sqlite() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(8);
    let pat_alpha = ["a", "A", "b", "B", "%", "_", "é", "É", "\\", "x", "%", "_"];
    let text_alpha = ["a", "A", "b", "B", "é", "É", "%", "_", "\\", "x"];
    for i in 0..6000 {
        let (p, t) = if i % 10 == 0 {
            (random_value(&mut rng), random_value(&mut rng))
        } else {
            (
                Value::Text(random_like_text(&mut rng, &pat_alpha, 7)),
                Value::Text(random_like_text(&mut rng, &text_alpha, 8)),
            )
        };
        let got = row(&c, "SELECT ?2 LIKE ?1", &[p.clone(), t.clone()]);
        let ours = like(&p, &t, None).expect("like");
        assert!(
            identical(&ours, &got[0]),
            "{t:?} LIKE {p:?}: sqlite {:?}, ours {ours:?}",
            got[0]
        );
        let esc = ['\\', '%', '_', 'a', 'é'][rng.random_range(0..5)];
        let got = row(
            &c,
            "SELECT ?2 LIKE ?1 ESCAPE ?3",
            &[p.clone(), t.clone(), Value::Text(esc.to_string())],
        );
        let ours = like(&p, &t, Some(esc)).expect("like");
        assert!(
            identical(&ours, &got[0]),
            "{t:?} LIKE {p:?} ESCAPE {esc:?}: sqlite {:?}, ours {ours:?}",
            got[0]
        );
    }
}

#[test]
fn like_on_raw_bytes_matches_sqlite() {
    // Blobs are matched as SQLite reads their bytes as UTF-8: stray continuation bytes, cut
    // sequences, NUL (the end of the text to LIKE).
    let c = conn();
    let mut rng = StdRng::seed_from_u64(10);
    let bytes: [&[u8]; 12] = [
        b"a",
        b"A",
        b"%",
        b"_",
        b"\\",
        b"\0",
        b"\x80",
        b"\xc3",
        b"\xa9",
        b"\xc3\xa9",
        b"\xff",
        b"\xe2\x82",
    ];
    let random_bytes = |rng: &mut StdRng, max: usize| -> Vec<u8> {
        let n = rng.random_range(0..=max);
        (0..n)
            .flat_map(|_| bytes[rng.random_range(0..bytes.len())].to_vec())
            .collect()
    };
    for _ in 0..4000 {
        let p = Value::Blob(random_bytes(&mut rng, 6));
        let t = Value::Blob(random_bytes(&mut rng, 7));
        let got = row(
            &c,
            "SELECT ?2 LIKE ?1, ?2 LIKE ?1 ESCAPE '\\'",
            &[p.clone(), t.clone()],
        );
        let ours = [
            like(&p, &t, None).expect("like"),
            like(&p, &t, Some('\\')).expect("like"),
        ];
        for k in 0..2 {
            assert!(
                identical(&ours[k], &got[k]),
                "{t:?} LIKE {p:?} ({k}): sqlite {:?}, ours {:?}",
                got[k],
                ours[k]
            );
        }
    }
}

#[test]
fn order_by_matches_sqlite_cmp() {
    let c = conn();
    let mut rng = StdRng::seed_from_u64(9);
    for _ in 0..20 {
        c.execute("DELETE FROM m", []).expect("delete");
        let mut ours: Vec<Value> = (0..200).map(|_| random_value(&mut rng)).collect();
        for v in &ours {
            c.execute("INSERT INTO m VALUES (?1)", [to_sql(v)])
                .expect("insert");
        }
        ours.sort_by(Value::sqlite_cmp);
        let mut stmt = c
            .prepare_cached("SELECT v FROM m ORDER BY v")
            .expect("prepare");
        let theirs: Vec<Value> = stmt
            .query_map([], |r| Ok(value(r.get_ref(0).expect("column"))))
            .expect("query")
            .map(|v| v.expect("row"))
            .collect();
        assert_eq!(theirs.len(), ours.len());
        for (k, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                a.sqlite_cmp(b),
                Ordering::Equal,
                "position {k}: ours {a:?}, sqlite {b:?}"
            );
        }
        for w in theirs.windows(2) {
            assert_ne!(
                w[0].sqlite_cmp(&w[1]),
                Ordering::Greater,
                "sqlite order {:?} then {:?}",
                w[0],
                w[1]
            );
        }
    }
}
