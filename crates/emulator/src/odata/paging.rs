//! One page of a collection: `$top` within the collection's bounds, `$skiptoken` behind
//! `@odata.nextLink`, `$select`, `$count=true` and `@odata.context`.

use super::query::GraphQuery;
use crate::error::GraphErr;
use base64::Engine;
use serde_json::{Map, Value, json};

/// `$select`: keeps only the named properties, and an item's `@odata.type`, which is an
/// annotation rather than a property: in a collection of a base type (`directoryObject`
/// memberships, group members) Graph names each item's derived type whatever `$select` says.
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
                .filter(|(k, _)| {
                    k == "@odata.type" || wanted.iter().any(|w| w.eq_ignore_ascii_case(k))
                })
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
}
