//! The `$filter` grammar the emulator reads: `or` over `and` over clauses, parentheses, quoted
//! strings with `''` for a quote, and the properties each collection allows.

use super::filter::{Clause, Expr, Literal, Op};
use crate::error::GraphErr;
use chrono::{DateTime, Utc};

/// Parses one (sub)expression; `depth` bounds the nesting.
pub(super) fn parse_expr(
    text: &str,
    allowed: &[&str],
    resource: &str,
    depth: usize,
) -> Result<Expr, GraphErr> {
    let text = strip_parens(text);
    let invalid = || {
        GraphErr::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Invalid filter clause: '{text}'."),
        )
    };
    if depth > 16 || text.is_empty() {
        return Err(invalid());
    }
    for (sep, combine) in [
        (" or ", Expr::Any as fn(Vec<Expr>) -> Expr),
        (" and ", Expr::All),
    ] {
        let parts = split_top(text, sep);
        if parts.len() > 1 {
            let exprs = parts
                .into_iter()
                .map(|p| parse_expr(p, allowed, resource, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(combine(exprs));
        }
    }
    let clause = parse_clause(text).ok_or_else(invalid)?;
    if !allowed
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&clause.field))
    {
        return Err(GraphErr::unsupported_query(format!(
            "Unsupported or invalid query filter clause specified for property '{}' of resource '{resource}'.",
            clause.field
        )));
    }
    Ok(Expr::Clause(clause))
}

/// Removes parentheses wrapping the whole text, like `(a eq 'x')`.
fn strip_parens(text: &str) -> &str {
    let mut t = text.trim();
    while t.starts_with('(') && closing_paren(t) == Some(t.len() - 1) {
        t = t[1..t.len() - 1].trim();
    }
    t
}

/// Index of the parenthesis closing the one at index 0, outside quotes.
fn closing_paren(text: &str) -> Option<usize> {
    let (mut depth, mut quoted) = (0i32, false);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits on `sep` (` and `, ` or `) outside quotes and parentheses.
fn split_top<'a>(text: &'a str, sep: &str) -> Vec<&'a str> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut depth, mut quoted, mut i) = (0, 0i32, false, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && bytes[i..].starts_with(sep.as_bytes()) => {
                parts.push(&text[start..i]);
                i += sep.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

fn parse_clause(text: &str) -> Option<Clause> {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("startswith(") && text.ends_with(')') {
        let inner = &text["startswith(".len()..text.len() - 1];
        let (field, value) = inner.split_once(',')?;
        return Some(Clause {
            field: field.trim().to_string(),
            op: Op::StartsWith,
            value: parse_literal(value.trim())?,
        });
    }
    if let Some(idx) = lower.find("/any(") {
        // field/any(t: t eq 'value')
        let field = text[..idx].trim().to_string();
        let body = text[idx + 5..].strip_suffix(')')?;
        let (var, cond) = body.split_once(':')?;
        let mut words = cond.trim().splitn(3, ' ');
        if words.next()? != var.trim() || !words.next()?.eq_ignore_ascii_case("eq") {
            return None;
        }
        return Some(Clause {
            field,
            op: Op::AnyEq,
            value: parse_literal(words.next()?.trim())?,
        });
    }
    let mut words = text.splitn(3, ' ');
    let field = words.next()?.trim().to_string();
    let op = match words.next()?.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "ge" => Op::Ge,
        "le" => Op::Le,
        "gt" => Op::Gt,
        "lt" => Op::Lt,
        _ => return None,
    };
    Some(Clause {
        field,
        op,
        value: parse_literal(words.next()?.trim())?,
    })
}

fn parse_literal(text: &str) -> Option<Literal> {
    if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
        let inner = &text[1..text.len() - 1];
        if inner.replace("''", "").contains('\'') {
            return None;
        }
        return Some(Literal::Str(inner.replace("''", "'")));
    }
    match text.to_ascii_lowercase().as_str() {
        "true" => return Some(Literal::Bool(true)),
        "false" => return Some(Literal::Bool(false)),
        "null" => return Some(Literal::Null),
        _ => {}
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| Literal::Time(t.with_timezone(&Utc)))
}
