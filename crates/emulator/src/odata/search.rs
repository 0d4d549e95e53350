//! `$search` on directory objects: `"property:term"` clauses joined by `OR` (or `AND`).

use super::lookup;
use crate::error::GraphErr;
use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_needs_property_terms() {
        let u = json!({"displayName": "Adele Vance", "mail": "adele@c.com"});
        assert!(search_matches("\"displayName:vance\"", &u).unwrap());
        assert!(search_matches("\"displayName:nobody\" OR \"mail:adele\"", &u).unwrap());
        assert!(!search_matches("\"displayName:nobody\"", &u).unwrap());
        assert!(search_matches("vance", &u).is_err());
    }
}
