//! The value semantics' unit tests (the differential ones against SQLite are in
//! `engine/sql/difftest/tests/value_vs_sqlite.rs`).

use super::like;
use super::types::*;
use super::*;
use std::collections::HashSet;

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn reals_print_like_sqlite() {
    let cases = [
        (1.0, "1.0"),
        (0.1, "0.1"),
        (1e20, "1.0e+20"),
        (-2.5, "-2.5"),
        (100.0, "100.0"),
        (-0.0, "0.0"),
        (1e-5, "1.0e-05"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e16, "10000000000000000.0"),
        (1e17, "1.0e+17"),
        (f64::INFINITY, "Inf"),
        (f64::NEG_INFINITY, "-Inf"),
        (123.456, "123.456"),
        (5e-324, "4.9406564584124654e-324"),
    ];
    for (r, want) in cases {
        assert_eq!(Value::Real(r).to_string(), want, "{r:?}");
    }
    assert_eq!(Value::Integer(-42).to_string(), "-42");
    assert_eq!(Value::Null.to_string(), "NULL");
    assert_eq!(t("a b").to_string(), "a b");
    assert_eq!(Value::Blob(vec![0, 0xAB]).to_string(), "X'00AB'");
}

#[test]
fn sort_order_and_equality_are_sqlites() {
    let big = 9_007_199_254_740_992i64;
    assert!(Value::Integer(big + 1) > Value::Real(big as f64));
    assert_eq!(Value::Integer(2), Value::Real(2.0));
    assert_eq!(Value::Real(-0.0), Value::Real(0.0));
    assert!(Value::Integer(i64::MAX) < Value::Real(9_223_372_036_854_775_808.0));
    assert!(Value::Integer(i64::MIN) == Value::Real(-9_223_372_036_854_775_808.0));
    assert!(Value::Real(f64::INFINITY) < t(""));
    assert!(t("b") < Value::Blob(vec![]));
    assert!(Value::Null < Value::Real(f64::NEG_INFINITY));
    assert!(Value::Real(f64::NAN).is_null());
    let set: HashSet<Value> = [
        Value::Integer(2),
        Value::Real(2.0),
        Value::Real(-0.0),
        Value::Integer(0),
    ]
    .into();
    assert_eq!(set.len(), 2);
}

#[test]
fn truthiness_reads_numeric_prefixes() {
    assert_eq!(t("12abc").truthy(), Some(true));
    assert_eq!(t("abc").truthy(), Some(false));
    assert_eq!(t("0.5").truthy(), Some(true));
    assert_eq!(Value::Blob(b"1".to_vec()).truthy(), Some(true));
    assert_eq!(Value::Real(0.0).truthy(), Some(false));
    assert_eq!(Value::Null.truthy(), None);
}

#[test]
fn declared_types_follow_affinity_rules() {
    let cases = [
        ("INT", Some(ColumnType::Integer)),
        ("bigint", Some(ColumnType::Integer)),
        ("FLOATING POINT", Some(ColumnType::Integer)),
        ("VARCHAR(10)", Some(ColumnType::Text)),
        ("clob", Some(ColumnType::Text)),
        ("BLOB", Some(ColumnType::Blob)),
        ("DOUBLE PRECISION", Some(ColumnType::Real)),
        ("float", Some(ColumnType::Real)),
        ("NUMERIC", None),
        ("", None),
    ];
    for (name, want) in cases {
        assert_eq!(ColumnType::from_sql_type(name), want, "{name}");
    }
    assert_eq!(ColumnType::Real.name(), "REAL");
    assert_eq!(ColumnType::Text.affinity(), Affinity::Text);
}

#[test]
fn strict_store_rule() {
    use ColumnType as C;
    assert!(matches!(
        Value::Real(3.0).coerce_to_column(C::Integer),
        Ok(Value::Integer(3))
    ));
    assert_eq!(
        Value::Real(3.5).coerce_to_column(C::Integer).err(),
        Some("REAL")
    );
    assert_eq!(
        Value::Real(1e19).coerce_to_column(C::Integer).err(),
        Some("REAL")
    );
    assert!(matches!(Value::Integer(3).coerce_to_column(C::Real), Ok(Value::Real(r)) if r == 3.0));
    assert_eq!(t("3").coerce_to_column(C::Integer).err(), Some("TEXT"));
    assert_eq!(
        Value::Integer(3).coerce_to_column(C::Text).err(),
        Some("INTEGER")
    );
    assert_eq!(t("x").coerce_to_column(C::Blob).err(), Some("TEXT"));
    assert!(matches!(
        Value::Null.coerce_to_column(C::Blob),
        Ok(Value::Null)
    ));
}

#[test]
fn affinities_convert_like_sqlite() {
    let num = |s: &str| t(s).apply_affinity(Affinity::Numeric);
    assert!(matches!(num(" 12 "), Value::Integer(12)));
    assert!(matches!(num("1e3"), Value::Integer(1000)));
    assert!(matches!(num("2.5"), Value::Real(r) if r == 2.5));
    assert!(matches!(num("0x10"), Value::Text(_)));
    assert!(matches!(num("12abc"), Value::Text(_)));
    assert!(matches!(t("5").apply_affinity(Affinity::Real), Value::Real(r) if r == 5.0));
    assert!(
        matches!(Value::Real(1.0).apply_affinity(Affinity::Text), Value::Text(s) if s == "1.0")
    );
    assert!(matches!(
        t("5").apply_affinity(Affinity::Blob),
        Value::Text(_)
    ));
}

#[test]
fn comparisons_apply_affinity() {
    let yes = Value::Integer(1);
    let no = Value::Integer(0);
    let eq = |l: &Value, la, r: &Value, ra| compare(CmpOp::Eq, l, la, r, ra);
    assert_eq!(
        eq(
            &Value::Integer(12),
            Affinity::Integer,
            &t(" 12"),
            Affinity::Blob
        ),
        yes
    );
    assert_eq!(
        eq(
            &Value::Integer(12),
            Affinity::Blob,
            &t("12"),
            Affinity::Blob
        ),
        no
    );
    assert_eq!(
        eq(&t("1.0"), Affinity::Text, &Value::Real(1.0), Affinity::Blob),
        yes
    );
    assert_eq!(
        compare(
            CmpOp::Lt,
            &Value::Integer(12),
            Affinity::Blob,
            &t("1"),
            Affinity::Blob
        ),
        yes
    );
    assert!(eq(&Value::Null, Affinity::Blob, &Value::Null, Affinity::Blob).is_null());
}

#[test]
fn arithmetic_is_sqlites() {
    let (i, r) = (Value::Integer, Value::Real);
    let is = |v: Value, want: Value| {
        assert!(
            v.sqlite_cmp(&want).is_eq() && v.type_name() == want.type_name(),
            "{v:?} != {want:?}"
        )
    };
    is(arith(ArithOp::Rem, &r(5.5), &i(2)), r(1.0));
    is(
        arith(ArithOp::Div, &i(i64::MIN), &i(-1)),
        r(9_223_372_036_854_775_808.0),
    );
    is(arith(ArithOp::Rem, &i(i64::MIN), &i(-1)), i(0));
    is(
        arith(ArithOp::Add, &i(i64::MAX), &i(1)),
        r(9_223_372_036_854_775_808.0),
    );
    is(arith(ArithOp::Div, &i(-7), &i(2)), i(-3));
    is(arith(ArithOp::Div, &i(1), &i(0)), Value::Null);
    is(arith(ArithOp::Div, &r(1.0), &r(0.0)), Value::Null);
    is(arith(ArithOp::Add, &t("12abc"), &i(1)), i(13));
    is(arith(ArithOp::Add, &t("abc"), &i(1)), i(1));
    is(arith(ArithOp::Add, &t("1e3"), &i(0)), r(1000.0));
    is(
        arith(ArithOp::Sub, &r(f64::INFINITY), &r(f64::INFINITY)),
        Value::Null,
    );
    is(arith(ArithOp::Mul, &Value::Null, &i(1)), Value::Null);
    is(negate(&i(i64::MIN)), r(9_223_372_036_854_775_808.0));
    is(negate(&t("-3")), i(3));
    is(concat(&i(1), &r(2.0)), t("12.0"));
    is(concat(&i(1), &Value::Null), Value::Null);
}

#[test]
fn like_semantics() {
    let m = |p: &str, s: &str, e: Option<char>| like(&t(p), &t(s), e).ok().and_then(|v| v.truthy());
    assert_eq!(m("a%", "ABC", None), Some(true));
    assert_eq!(m("_b_", "abc", None), Some(true));
    assert_eq!(m("_", "é", None), Some(true));
    assert_eq!(m("é", "É", None), Some(false));
    assert_eq!(m("a\\%", "a%", Some('\\')), Some(true));
    assert_eq!(m("a\\%", "ab", Some('\\')), Some(false));
    assert_eq!(m("a\\", "a", Some('\\')), Some(false));
    assert_eq!(m("a%%", "a%", Some('%')), Some(true));
    assert_eq!(m("a%%", "ab", Some('%')), Some(false));
    assert_eq!(
        like(&Value::Null, &t("a"), None).ok().map(|v| v.is_null()),
        Some(true)
    );
    assert_eq!(m("1_", "", None), Some(false));
    assert!(matches!(
        like(&Value::Integer(12), &Value::Real(12.0), None),
        Ok(Value::Integer(0))
    ));
    assert!(like(&t("a"), &t("a"), Some('\0')).is_err());
    assert!(like(&t(&"a".repeat(50_001)), &t("a"), None).is_err());
}

#[test]
fn like_is_not_exponential() {
    let start = std::time::Instant::now();
    let text = "a".repeat(20_000);
    assert_eq!(
        like(&t("%a%a%a%a%a%a%a%a%a%b"), &t(&text), None)
            .ok()
            .and_then(|v| v.truthy()),
        Some(false)
    );
    assert_eq!(
        like(&t("%a%a%a%a%a%a%a%a%a%"), &t(&text), None)
            .ok()
            .and_then(|v| v.truthy()),
        Some(true)
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}
