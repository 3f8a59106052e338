//! Expressions: literals (numbers, text, blobs, parameters), names, operators, IN, BETWEEN,
//! LIKE, IS NULL, function calls; anything else `Unsupported` naming it. Depth is counted
//! (at most `MAX_DEPTH`) and the stack grows on demand.

use super::common::{ident, object_name, unsupported, Params, MAX_DEPTH};
use crate::sql::ast::{Call, Expr};
use crate::value::{ArithOp, CmpOp};
use crate::{Error, Result, Value};
use sqlparser::ast as sp;

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn number(text: &str) -> Result<Value> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(|u| Value::Integer(u as i64))
            .map_err(|_| Error::Unsupported(format!("hex literal {text}")));
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    match text.parse::<f64>() {
        Ok(f) => Ok(Value::Real(f)),
        Err(_) => Err(Error::Syntax {
            message: format!("bad number {text}"),
            line: 0,
            column: 0,
        }),
    }
}

fn blob(hex: &str) -> Result<Value> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Syntax {
            message: format!("malformed blob literal X'{hex}'"),
            line: 0,
            column: 0,
        });
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
        .collect();
    Ok(Value::Blob(bytes))
}

pub(super) fn expr(e: sp::Expr, p: &mut Params) -> Result<Expr> {
    if p.depth >= MAX_DEPTH {
        return unsupported(format!(
            "expression tree is too large (maximum depth {MAX_DEPTH})"
        ));
    }
    p.depth += 1;
    // Debug builds spend kilobytes of stack per level here: grow it rather than overflow.
    let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || expr_at(e, p));
    p.depth -= 1;
    r
}

/// Whether `e` is the number literal 2^63 (in parentheses or not).
fn is_two_to_the_63(e: &sp::Expr) -> bool {
    match e {
        sp::Expr::Nested(inner) => is_two_to_the_63(inner),
        sp::Expr::Value(v) => {
            matches!(&v.value, sp::Value::Number(n, _) if n == "9223372036854775808")
        }
        _ => false,
    }
}

fn expr_at(e: sp::Expr, p: &mut Params) -> Result<Expr> {
    use sp::Expr as E;
    Ok(match e {
        E::Identifier(i) => Expr::Column(None, ident(&i)),
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, c] => Expr::Column(Some(ident(t)), ident(c)),
            _ => return unsupported(format!("name {}", E::CompoundIdentifier(parts.clone()))),
        },
        E::Value(v) => match v.value {
            sp::Value::Number(n, _) => Expr::Literal(number(&n)?),
            sp::Value::SingleQuotedString(s) => Expr::Literal(Value::Text(s)),
            sp::Value::DoubleQuotedString(s) => Expr::Column(None, s),
            sp::Value::HexStringLiteral(h) => Expr::Literal(blob(&h)?),
            sp::Value::Boolean(b) => Expr::Literal(Value::Integer(i64::from(b))),
            sp::Value::Null => Expr::Literal(Value::Null),
            sp::Value::Placeholder(t) => Expr::Param(p.take(&t)?),
            other => return unsupported(format!("literal {other}")),
        },
        E::Nested(inner) => expr(*inner, p)?,
        // `-9223372036854775808` is i64::MIN, as in SQLite (the literal alone is REAL).
        E::UnaryOp {
            op: sp::UnaryOperator::Minus,
            expr: inner,
        } if is_two_to_the_63(&inner) => Expr::Literal(Value::Integer(i64::MIN)),
        E::UnaryOp { op, expr: inner } => {
            let inner = expr(*inner, p)?;
            match op {
                sp::UnaryOperator::Minus => match inner {
                    Expr::Literal(Value::Integer(i)) if i != i64::MIN => {
                        Expr::Literal(Value::Integer(-i))
                    }
                    Expr::Literal(Value::Real(r)) => Expr::Literal(Value::Real(-r)),
                    other => Expr::Neg(bx(other)),
                },
                sp::UnaryOperator::Plus => inner,
                sp::UnaryOperator::Not => Expr::Not(bx(inner)),
                other => return unsupported(format!("operator {other}")),
            }
        }
        E::BinaryOp { left, op, right } => {
            let (l, r) = (bx(expr(*left, p)?), bx(expr(*right, p)?));
            use sp::BinaryOperator as B;
            match op {
                B::Plus => Expr::Arith(ArithOp::Add, l, r),
                B::Minus => Expr::Arith(ArithOp::Sub, l, r),
                B::Multiply => Expr::Arith(ArithOp::Mul, l, r),
                B::Divide => Expr::Arith(ArithOp::Div, l, r),
                B::Modulo => Expr::Arith(ArithOp::Rem, l, r),
                B::StringConcat => Expr::Concat(l, r),
                B::Eq => Expr::Cmp(CmpOp::Eq, l, r),
                B::NotEq => Expr::Cmp(CmpOp::Ne, l, r),
                B::Lt => Expr::Cmp(CmpOp::Lt, l, r),
                B::LtEq => Expr::Cmp(CmpOp::Le, l, r),
                B::Gt => Expr::Cmp(CmpOp::Gt, l, r),
                B::GtEq => Expr::Cmp(CmpOp::Ge, l, r),
                B::And => Expr::And(l, r),
                B::Or => Expr::Or(l, r),
                other => return unsupported(format!("operator {other}")),
            }
        }
        E::IsNull(inner) => Expr::IsNull(bx(expr(*inner, p)?), false),
        E::IsNotNull(inner) => Expr::IsNull(bx(expr(*inner, p)?), true),
        E::In {
            expr: inner,
            target,
            negated,
            ..
        } => match target {
            sp::InTarget::List(list) => {
                let list = list
                    .into_iter()
                    .map(|e| expr(e, p))
                    .collect::<Result<Vec<_>>>()?;
                Expr::InList(bx(expr(*inner, p)?), list, negated)
            }
            sp::InTarget::Subquery(_) => return unsupported("IN (subquery)"),
            _ => return unsupported("IN of this form"),
        },
        E::Between {
            expr: inner,
            negated,
            low,
            high,
        } => Expr::Between(
            bx(expr(*inner, p)?),
            bx(expr(*low, p)?),
            bx(expr(*high, p)?),
            negated,
        ),
        E::Like {
            negated,
            any: false,
            expr: inner,
            pattern,
            escape_char,
        } => {
            let escape = escape_char.map(|e| expr(*e, p)).transpose()?.map(bx);
            Expr::Like(
                bx(expr(*inner, p)?),
                bx(expr(*pattern, p)?),
                escape,
                negated,
            )
        }
        E::Function(f) => call(f, p)?,
        E::Subquery(_) | E::Exists { .. } => return unsupported("a subquery"),
        E::Case { .. } => return unsupported("CASE"),
        E::Cast { .. } => return unsupported("CAST"),
        E::Collate { .. } => return unsupported("COLLATE"),
        other => {
            let text = other.to_string();
            let short: String = text.chars().take(40).collect();
            return unsupported(format!("expression {short}"));
        }
    })
}

fn call(f: sp::Function, p: &mut Params) -> Result<Expr> {
    if f.over.is_some()
        || f.filter.is_some()
        || !f.within_group.is_empty()
        || f.null_treatment.is_some()
    {
        return unsupported("a window, FILTER or WITHIN GROUP");
    }
    if !matches!(f.parameters, sp::FunctionArguments::None) {
        return unsupported("function parameters");
    }
    let name = object_name(&f.name)?.to_lowercase();
    let mut c = Call {
        name,
        args: Vec::new(),
        distinct: false,
        star: false,
    };
    match f.args {
        sp::FunctionArguments::None => {}
        sp::FunctionArguments::Subquery(_) => return unsupported("a subquery argument"),
        sp::FunctionArguments::List(list) => {
            if !list.clauses.is_empty() {
                return unsupported("function argument clauses");
            }
            c.distinct = matches!(
                list.duplicate_treatment,
                Some(sp::DuplicateTreatment::Distinct)
            );
            for a in list.args {
                match a {
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => {
                        c.args.push(expr(e, p)?)
                    }
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) => c.star = true,
                    _ => return unsupported("a named or qualified-wildcard argument"),
                }
            }
        }
    }
    Ok(Expr::Call(c))
}
