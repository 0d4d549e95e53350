//! `$search` on directory objects, with the syntax "Use the $search query parameter to match a
//! search criterion" (Graph docs, "Using $search on directory object collections") lays down:
//! each clause `"property:text"` inside double quotes (`\"` and `\\` escaped), joined by `AND` or
//! `OR` in upper case outside the quotes. Graph refuses anything else, so the emulator does too.

use super::lookup;
use crate::error::GraphErr;
use serde_json::Value;

/// `$search` on users: `"property:term"` clauses joined by `OR` (or `AND`); a term matches when
/// the property contains it (case-insensitive).
pub fn search_matches(search: &str, item: &Value) -> Result<bool, GraphErr> {
    let (clauses, any) = parse(search)?;
    let mut results = Vec::new();
    for clause in clauses {
        let Some((field, term)) = clause.split_once(':').filter(|(f, _)| !f.trim().is_empty())
        else {
            return Err(syntax(format!(
                "the $search clause \"{clause}\" must look like \"displayName:term\"."
            )));
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

/// The quoted clauses of `search`, and whether they are joined by `OR` (true) or `AND` (false,
/// once any `AND` appears).
fn parse(search: &str) -> Result<(Vec<String>, bool), GraphErr> {
    let mut clauses = Vec::new();
    let mut any = true;
    let mut rest = search.trim();
    loop {
        if rest.starts_with('(') {
            return Err(syntax(
                "parentheses in $search are not supported by the emulator.".into(),
            ));
        }
        let Some(quoted) = rest.strip_prefix('"') else {
            return Err(syntax(format!(
                "the $search clause '{rest}' must be inside double quotes, like \"displayName:term\"."
            )));
        };
        let (clause, after) = take_quoted(quoted).ok_or_else(|| {
            syntax(format!(
                "the $search clause '\"{quoted}' has no closing double quote."
            ))
        })?;
        clauses.push(clause);
        rest = after.trim_start();
        if rest.is_empty() {
            return Ok((clauses, any));
        }
        let (joiner, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match joiner {
            "OR" => {}
            "AND" => any = false,
            other => {
                return Err(syntax(format!(
                    "'{other}' cannot join $search clauses: use AND or OR, in upper case, outside the quotes."
                )));
            }
        }
        rest = after.trim_start();
    }
}

/// The text up to the closing quote (unescaping `\"` and `\\`) and what follows it.
fn take_quoted(text: &str) -> Option<(String, &str)> {
    let mut clause = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((clause, &text[i + 1..])),
            '\\' => clause.push(chars.next()?.1),
            c => clause.push(c),
        }
    }
    None
}

fn syntax(message: String) -> GraphErr {
    GraphErr::new(
        axum::http::StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!("Syntax error: {message}"),
    )
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

    #[test]
    fn clauses_need_double_quotes_and_upper_case_joiners() {
        let u = json!({"displayName": "Adele Vance", "mail": "adele@c.com"});
        for bad in [
            "displayName:vance",
            "'displayName:vance'",
            "\"displayName:vance\" or \"mail:adele\"",
            "\"displayName:vance\" \"mail:adele\"",
            "\"displayName:vance",
            "\":vance\"",
        ] {
            let e = search_matches(bad, &u).expect_err(bad);
            assert_eq!(e.code, "Request_UnsupportedQuery", "{bad}");
            assert!(
                e.message.starts_with("Syntax error:"),
                "{bad}: {}",
                e.message
            );
        }
        assert!(
            search_matches("\"displayName:adele\" AND \"mail:adele\"", &u).unwrap(),
            "AND of two matching clauses"
        );
        assert!(!search_matches("\"displayName:adele\" AND \"mail:nobody\"", &u).unwrap());
        let quoted = json!({"displayName": "The \"Lab\" Room"});
        assert!(search_matches(r#""displayName:\"lab\"""#, &quoted).unwrap());
    }
}
