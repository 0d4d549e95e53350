//! What a parsed `$filter` is and how it matches a Graph object: `eq`/`ne` on strings, booleans,
//! `null` and dates, `ge`/`le`/`gt`/`lt` on dates, `startswith(...)`, `any(...)` on string
//! collections, combined with `and`, `or` and parentheses. The grammar is in `filter_parse.rs`.

use super::filter_parse::parse_expr;
use super::lookup;
use crate::error::GraphErr;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A comparison in `$filter`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
    StartsWith,
    /// `field/any(x: x eq 'v')` on a collection of strings.
    AnyEq,
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Bool(bool),
    Null,
    Time(DateTime<Utc>),
}

/// One comparison of a property with a literal.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Clause {
    pub field: String,
    pub op: Op,
    pub value: Literal,
}

/// A `$filter` expression: clauses combined with `and`, `or` and parentheses.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    Any(Vec<Expr>),
    All(Vec<Expr>),
    Clause(Clause),
}

impl Expr {
    fn matches(&self, item: &Value) -> bool {
        match self {
            Expr::Any(xs) => xs.iter().any(|x| x.matches(item)),
            Expr::All(xs) => xs.iter().all(|x| x.matches(item)),
            Expr::Clause(c) => clause_matches(c, item),
        }
    }

    fn clauses(&self) -> Vec<&Clause> {
        match self {
            Expr::Any(xs) | Expr::All(xs) => xs.iter().flat_map(Expr::clauses).collect(),
            Expr::Clause(c) => vec![c],
        }
    }
}

/// A parsed `$filter`; the default passes everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    expr: Option<Expr>,
}

impl Filter {
    /// Parses `$filter`; `allowed` lists the properties this collection filters on (as Graph
    /// answers 400 for others), `resource` names the entity in error messages.
    pub fn parse(text: &str, allowed: &[&str], resource: &str) -> Result<Filter, GraphErr> {
        Ok(Filter {
            expr: Some(parse_expr(text, allowed, resource, 0)?),
        })
    }

    /// Whether an object passes the filter.
    pub fn matches(&self, item: &Value) -> bool {
        self.expr.as_ref().is_none_or(|e| e.matches(item))
    }

    /// The string compared with `eq` on a property, if the filter has one.
    pub fn eq_value(&self, field: &str) -> Option<&str> {
        let clauses = self.expr.as_ref().map(Expr::clauses).unwrap_or_default();
        clauses.into_iter().find_map(|c| match (&c.op, &c.value) {
            (Op::Eq, Literal::Str(s)) if c.field.eq_ignore_ascii_case(field) => Some(s.as_str()),
            _ => None,
        })
    }
}

fn clause_matches(clause: &Clause, item: &Value) -> bool {
    let actual = lookup(item, &clause.field).unwrap_or(&Value::Null);
    match (&clause.op, &clause.value) {
        (Op::Eq | Op::Ne, expected) => {
            let equal = match (expected, actual) {
                (Literal::Str(s), Value::String(a)) => a.eq_ignore_ascii_case(s),
                (Literal::Bool(b), Value::Bool(a)) => a == b,
                (Literal::Null, Value::Null) => true,
                (Literal::Time(t), Value::String(a)) => parse_time(a) == Some(*t),
                _ => false,
            };
            equal == (clause.op == Op::Eq)
        }
        (Op::StartsWith, Literal::Str(s)) => actual
            .as_str()
            .is_some_and(|a| a.to_lowercase().starts_with(&s.to_lowercase())),
        (Op::AnyEq, Literal::Str(s)) => actual.as_array().is_some_and(|xs| {
            xs.iter()
                .any(|x| x.as_str().is_some_and(|a| a.eq_ignore_ascii_case(s)))
        }),
        (Op::Ge | Op::Le | Op::Gt | Op::Lt, Literal::Time(t)) => {
            let Some(a) = actual.as_str().and_then(parse_time) else {
                return false;
            };
            match clause.op {
                Op::Ge => a >= *t,
                Op::Le => a <= *t,
                Op::Gt => a > *t,
                _ => a < *t,
            }
        }
        _ => false,
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER_FIELDS: &[&str] = &["userPrincipalName", "displayName", "mail", "accountEnabled"];

    #[test]
    fn filters_eq_startswith_and_booleans() {
        let adele = json!({"displayName": "Adele Vance", "userPrincipalName": "adele@c.com", "accountEnabled": true});
        let f = Filter::parse(
            "startswith(displayName,'ad') and accountEnabled eq true",
            USER_FIELDS,
            "User",
        )
        .unwrap();
        assert!(f.matches(&adele));
        let f = Filter::parse("userPrincipalName eq 'ADELE@c.com'", USER_FIELDS, "User").unwrap();
        assert!(f.matches(&adele));
        assert_eq!(f.eq_value("userprincipalname"), Some("ADELE@c.com"));
        let f = Filter::parse("accountEnabled eq false", USER_FIELDS, "User").unwrap();
        assert!(!f.matches(&adele));
        let f = Filter::parse("displayName eq 'O''Brien and Co'", USER_FIELDS, "User").unwrap();
        assert!(f.matches(&json!({"displayName": "O'Brien and Co"})));
    }

    #[test]
    fn or_parentheses_and_non_ascii_text_work() {
        let f = Filter::parse(
            "(startswith(displayName,'Zoë') or startswith(mail,'lee')) and accountEnabled eq true",
            USER_FIELDS,
            "User",
        );
        let f = f.unwrap();
        assert!(f.matches(
            &json!({"displayName": "Lee Gu", "mail": "lee@c.com", "accountEnabled": true})
        ));
        assert!(!f.matches(
            &json!({"displayName": "Lee Gu", "mail": "lee@c.com", "accountEnabled": false})
        ));
        let f = Filter::parse(
            "startswith(displayName,'Zoë') or startswith(mail,'lee')",
            USER_FIELDS,
            "User",
        )
        .unwrap();
        assert!(f.matches(&json!({"displayName": "Zoë Müller", "mail": "z@c.com"})));
        assert!(f.matches(&json!({"displayName": "Lee Gu", "mail": "lee@c.com"})));
        assert!(!f.matches(&json!({"displayName": "Adele", "mail": "adele@c.com"})));
        let f = Filter::parse("(displayName eq 'Lee Gu')", USER_FIELDS, "User").unwrap();
        assert!(f.matches(&json!({"displayName": "Lee Gu"})));
        assert!(
            Filter::parse(
                "startswith(displayName,'a') or displayName eq 'it's'",
                USER_FIELDS,
                "User"
            )
            .is_err()
        );
    }

    #[test]
    fn filters_dates_and_collections() {
        let entry = json!({"userId": "u1", "createdDateTime": "2025-01-02T10:00:00Z", "signInEventTypes": ["interactiveUser"]});
        let fields = &["userId", "createdDateTime", "signInEventTypes"];
        let f = Filter::parse(
            "userId eq 'u1' and createdDateTime ge 2025-01-02T09:59:59Z",
            fields,
            "SignIn",
        )
        .unwrap();
        assert!(f.matches(&entry));
        let f = Filter::parse("createdDateTime ge 2025-01-02T10:00:01Z", fields, "SignIn").unwrap();
        assert!(!f.matches(&entry));
        let f = Filter::parse(
            "signInEventTypes/any(t: t eq 'interactiveUser')",
            fields,
            "SignIn",
        )
        .unwrap();
        assert!(f.matches(&entry));
    }

    #[test]
    fn unknown_properties_and_garbage_are_rejected_like_graph() {
        let e = Filter::parse("jobTitle eq 'x'", USER_FIELDS, "User").unwrap_err();
        assert_eq!(e.code, "Request_UnsupportedQuery");
        assert!(e.message.contains("'jobTitle'"));
        assert!(Filter::parse("displayName resembles 'x'", USER_FIELDS, "User").is_err());
    }
}
