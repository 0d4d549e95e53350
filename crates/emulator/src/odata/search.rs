//! `$search` on directory objects, with the syntax "Use the $search query parameter to match a
//! search criterion" (Graph docs, "Using $search on directory object collections") lays down:
//! each clause `"property:text"` inside double quotes (`\"` and `\\` escaped), joined by `AND` or
//! `OR` in upper case outside the quotes. Graph refuses anything else, so the emulator does too.

use super::lookup;
use crate::error::GraphErr;
use serde_json::Value;

/// `$search` on users: `"property:term"` clauses joined by `OR` (or `AND`). On `displayName` and
/// `description` the search is tokenized: every word of the term must start a word of the value
/// (so "wa" finds "Nicole Wagner" but "ade" does not find "Pradeep"); on any other property it
/// is `startswith` on the whole value. Both case-insensitive, as "Using $search on directory
/// object collections" (Graph docs, search-query-parameter) describes.
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
        let field = field.trim();
        results.push(
            if field.eq_ignore_ascii_case("displayName")
                || field.eq_ignore_ascii_case("description")
            {
                let words = words(value);
                words_of_term(term)
                    .iter()
                    .all(|t| words.iter().any(|w| w.starts_with(t.as_str())))
            } else {
                value
                    .to_lowercase()
                    .starts_with(&term.trim().to_lowercase())
            },
        );
    }
    Ok(if any {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    })
}

/// The words Graph's tokenized search sees in `text`, lower-cased: spaces and symbols end a
/// word, and so do a change from lower to upper case and one between letters and digits; the
/// letters of a run joined only by symbols ("hello-world") also count as one word.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let mut word = String::new();
        let mut prev: Option<char> = None;
        for c in chunk.chars() {
            if !c.is_alphanumeric() {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                prev = None;
                continue;
            }
            if let Some(p) = prev
                && ((p.is_lowercase() && c.is_uppercase()) || p.is_numeric() != c.is_numeric())
                && !word.is_empty()
            {
                out.push(std::mem::take(&mut word));
            }
            word.extend(c.to_lowercase());
            prev = Some(c);
        }
        if !word.is_empty() {
            out.push(word);
        }
        let joined: String = chunk
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if !joined.is_empty() && !out.contains(&joined) {
            out.push(joined);
        }
    }
    out
}

/// The words of a search term, split as the value is (case breaks aside: a person types "wa").
fn words_of_term(term: &str) -> Vec<String> {
    term.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
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
    fn display_names_match_by_the_start_of_a_word_other_properties_by_the_start() {
        let u = json!({"displayName": "Nicole Wagner", "mail": "nicolewa@contoso.com"});
        assert!(search_matches("\"displayName:wa\"", &u).unwrap());
        assert!(search_matches("\"displayName:nic wag\"", &u).unwrap());
        assert!(!search_matches("\"displayName:agner\"", &u).unwrap());
        assert!(search_matches("\"mail:nicolewa\"", &u).unwrap());
        assert!(!search_matches("\"mail:wa\"", &u).unwrap());
        let p = json!({"displayName": "Pradeep Gupta"});
        assert!(!search_matches("\"displayName:ade\"", &p).unwrap());
        let camel = json!({"displayName": "HelloWorld hello-world 2Go"});
        assert_eq!(words("HelloWorld"), ["hello", "world", "helloworld"]);
        assert!(search_matches("\"displayName:world\"", &camel).unwrap());
        assert!(search_matches("\"displayName:helloworld\"", &camel).unwrap());
        assert!(search_matches("\"displayName:go\"", &camel).unwrap());
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
