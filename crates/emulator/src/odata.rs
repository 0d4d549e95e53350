//! OData query options the emulator understands: `$filter` (`eq`/`ne`, `ge`/`le`/`gt`/`lt` on
//! dates, `startswith(...)`, `any(...)` on string collections, joined by `and`), `$search`,
//! `$select`, `$top`, `$count` and paging with `$skiptoken` behind `@odata.nextLink`.

use super::error::GraphErr;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// The query string of a Graph call, decoded once.
#[derive(Clone, Debug, Default)]
pub struct GraphQuery {
    pairs: Vec<(String, String)>,
}

impl GraphQuery {
    /// Decodes a raw query string (`None` when the URL has none).
    pub fn parse(raw: Option<&str>) -> GraphQuery {
        GraphQuery {
            pairs: url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// A query option, with or without its `$` (Graph accepts both).
    pub fn get(&self, name: &str) -> Option<&str> {
        let bare = name.trim_start_matches('$');
        self.pairs
            .iter()
            .find(|(k, _)| k.trim_start_matches('$').eq_ignore_ascii_case(bare))
            .map(|(_, v)| v.as_str())
    }

    /// The query without `$skiptoken`, re-encoded for a next link.
    fn without_skiptoken(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if !k.trim_start_matches('$').eq_ignore_ascii_case("skiptoken") {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}

/// A comparison in `$filter`.
#[derive(Clone, Debug, PartialEq)]
enum Op {
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

#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Null,
    Time(DateTime<Utc>),
}

#[derive(Clone, Debug, PartialEq)]
struct Clause {
    field: String,
    op: Op,
    value: Literal,
}

/// A `$filter` expression: clauses combined with `and`, `or` and parentheses.
#[derive(Clone, Debug, PartialEq)]
enum Expr {
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

fn parse_expr(
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

fn lookup<'a>(item: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('/').try_fold(item, |v, key| {
        v.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
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

/// `$search` on users: `"property:term"` clauses joined by `OR` (or `AND`); a term matches when
/// the property contains it (case-insensitive).
pub fn search_matches(search: &str, item: &Value) -> Result<bool, GraphErr> {
    let text = search.trim();
    let any = !text.contains(" AND ");
    let clauses: Vec<&str> = text
        .split(" OR ")
        .flat_map(|s| s.split(" AND "))
        .map(str::trim)
        .collect();
    let mut results = Vec::new();
    for clause in clauses {
        let inner = clause.trim_matches('"');
        let Some((field, term)) = inner.split_once(':') else {
            return Err(GraphErr::new(
                axum::http::StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                format!(
                    "Syntax error: the $search clause '{clause}' must look like \"displayName:term\"."
                ),
            ));
        };
        let value = lookup(item, field.trim())
            .and_then(Value::as_str)
            .unwrap_or("");
        results.push(value.to_lowercase().contains(&term.trim().to_lowercase()));
    }
    Ok(if any {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    })
}

/// `$select`: keeps only the named properties.
pub fn select(item: Value, query: &GraphQuery) -> Value {
    let Some(fields) = query.get("select") else {
        return item;
    };
    let wanted: Vec<&str> = fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    match item {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// Where a collection lives, to build `@odata.context` and `@odata.nextLink`.
pub struct PageBase<'a> {
    /// Root URL of the server, like `http://127.0.0.1:1234`.
    pub root: &'a str,
    /// `v1.0` or `beta`.
    pub version: &'a str,
    /// The collection path, like `/users`.
    pub path: &'a str,
    /// The `$metadata#...` fragment, like `users`.
    pub context: &'a str,
}

/// One page of a collection, honouring `$top` (1..=`max_top`, default `default_top`),
/// `$skiptoken`, `$select` and `$count=true`.
pub fn page(
    items: Vec<Value>,
    query: &GraphQuery,
    base: &PageBase<'_>,
    default_top: usize,
    max_top: usize,
) -> Result<Value, GraphErr> {
    let top = match query.get("top") {
        None => default_top,
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if (1..=max_top).contains(&n) => n,
            _ => {
                return Err(GraphErr::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    format!(
                        "Invalid page size specified: '{t}'. Must be between 1 and {max_top} inclusive."
                    ),
                ));
            }
        },
    };
    let skip = match query.get("skiptoken") {
        None => 0,
        Some(token) => decode_skiptoken(token).ok_or_else(|| {
            GraphErr::new(
                axum::http::StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "Invalid skip token; follow @odata.nextLink verbatim.",
            )
        })?,
    };
    let total = items.len();
    let value: Vec<Value> = items
        .into_iter()
        .skip(skip)
        .take(top)
        .map(|i| select(i, query))
        .collect();
    let mut body = json!({
        "@odata.context": format!("{}/{}/$metadata#{}", base.root, base.version, base.context),
    });
    if skip == 0
        && query
            .get("count")
            .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        body["@odata.count"] = json!(total);
    }
    if skip + top < total {
        let rest = query.without_skiptoken();
        let token = encode_skiptoken(skip + top);
        let sep = if rest.is_empty() { "" } else { "&" };
        body["@odata.nextLink"] = json!(format!(
            "{}/{}{}?{rest}{sep}$skiptoken={token}",
            base.root, base.version, base.path
        ));
    }
    body["value"] = Value::Array(value);
    Ok(body)
}

fn encode_skiptoken(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("RFNwdAIAAQAAAB{offset}"))
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("RFNwdAIAAQAAAB")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn pages_carry_next_links_until_the_end() {
        let items: Vec<Value> = (0..25)
            .map(|i| json!({"id": i, "displayName": format!("u{i}")}))
            .collect();
        let base = PageBase {
            root: "http://h",
            version: "v1.0",
            path: "/users",
            context: "users",
        };
        let q = GraphQuery::parse(Some("$top=10&$select=id"));
        let first = page(items.clone(), &q, &base, 100, 999).unwrap();
        assert_eq!(first["value"].as_array().unwrap().len(), 10);
        assert_eq!(first["value"][0], json!({"id": 0}));
        let next = first["@odata.nextLink"].as_str().unwrap();
        let q2 = GraphQuery::parse(next.split_once('?').map(|(_, q)| q));
        let second = page(items.clone(), &q2, &base, 100, 999).unwrap();
        assert_eq!(second["value"][0], json!({"id": 10}));
        let q3 = GraphQuery::parse(
            second["@odata.nextLink"]
                .as_str()
                .unwrap()
                .split_once('?')
                .map(|(_, q)| q),
        );
        let third = page(items, &q3, &base, 100, 999).unwrap();
        assert_eq!(third["value"].as_array().unwrap().len(), 5);
        assert!(third.get("@odata.nextLink").is_none());
        assert!(page(vec![], &GraphQuery::parse(Some("$top=0")), &base, 100, 999).is_err());
    }

    #[test]
    fn search_needs_property_terms() {
        let u = json!({"displayName": "Adele Vance", "mail": "adele@c.com"});
        assert!(search_matches("\"displayName:vance\"", &u).unwrap());
        assert!(search_matches("\"displayName:nobody\" OR \"mail:adele\"", &u).unwrap());
        assert!(!search_matches("\"displayName:nobody\"", &u).unwrap());
        assert!(search_matches("vance", &u).is_err());
    }
}
