//! The last line of defence before a report reaches disk: every string a report holds goes through
//! here, so a TAP or a token that slipped into evidence by accident is replaced, not written.

use hb_lab::Secret;
use serde_json::Value;

/// What a removed value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The spelled-out name, as in "Temporary Access Pass: …" printed for people.
const SPELLED_OUT: &str = "temporary access pass";

/// Keys whose values are secrets wherever they appear: as JSON object keys, or as `key: value`,
/// `key=value` or `"key": "value"` inside free text. Compared without case, `_` or `-`.
const SECRET_KEYS: &[&str] = &[
    "temporaryaccesspass",
    "tap",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "clientsecret",
    "password",
    "authorization",
    "codeverifier",
    "devicecode",
];

/// Removes secrets from text and JSON: values of secret-named keys, bearer tokens, JWTs, and
/// exact occurrences of secrets the caller knows about (the TAP a step just issued).
#[derive(Default)]
pub struct Redactor<'a> {
    known: Vec<&'a Secret>,
}

impl<'a> Redactor<'a> {
    /// A redactor that knows no particular secret and removes what looks like one.
    pub fn new() -> Self {
        Redactor { known: Vec::new() }
    }

    /// Also removes every exact occurrence of this secret (ignored when shorter than 4 characters,
    /// which would scrub ordinary words).
    pub fn with_known(mut self, secret: &'a Secret) -> Self {
        if secret.expose().chars().count() >= 4 {
            self.known.push(secret);
        }
        self
    }

    /// The text with every secret-looking value replaced by [`REDACTED`].
    pub fn text(&self, input: &str) -> String {
        let mut out = input.to_string();
        for secret in &self.known {
            out = out.replace(secret.expose(), REDACTED);
        }
        let out = redact_bearer(&out);
        let out = redact_jwts(&out);
        redact_key_values(&out)
    }

    /// The JSON with secret-named keys' values replaced and every string (keys included) redacted.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if is_secret_key(k) && !v.is_null() {
                            Value::String(REDACTED.into())
                        } else {
                            self.json(v)
                        };
                        (self.text(k), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn normalise_key(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn is_secret_key(key: &str) -> bool {
    let k = normalise_key(key);
    SECRET_KEYS.contains(&k.as_str())
}

/// Byte offsets where a secret key name (in any casing, with `_`/`-` separators) ends in `text`,
/// paired with where it starts.
fn secret_key_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() || (i > 0 && is_word_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let phrase_end = i + SPELLED_OUT.len();
        if text
            .get(i..phrase_end)
            .is_some_and(|p| p.eq_ignore_ascii_case(SPELLED_OUT))
        {
            spans.push((i, phrase_end));
            i = phrase_end;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && (is_word_byte(bytes[end]) || bytes[end] == b'-') {
            end += 1;
        }
        if is_secret_key(&text[i..end]) {
            spans.push((i, end));
        }
        i = end.max(i + 1);
    }
    spans
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `key: value`, `key=value`, `"key": "value"`, `key='value'` → the value replaced.
fn redact_key_values(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (_, key_end) in secret_key_spans(text) {
        if key_end < copied {
            continue;
        }
        let mut j = key_end;
        if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
            j += 1;
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b':' | b'=') {
            continue;
        }
        j += 1;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        let (value_start, value_end) = match bytes.get(j) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = j + 1;
                let mut k = start;
                while k < bytes.len() && bytes[k] != q {
                    if bytes[k] == b'\\' {
                        k += 1;
                    }
                    k += 1;
                }
                (start, k.min(bytes.len()))
            }
            Some(_) => {
                let mut k = j;
                while k < bytes.len()
                    && !bytes[k].is_ascii_whitespace()
                    && !matches!(
                        bytes[k],
                        b',' | b'}' | b']' | b'&' | b';' | b')' | b'<' | b'"' | b'\''
                    )
                {
                    k += 1;
                }
                (j, k)
            }
            None => continue,
        };
        let value = &text[value_start..value_end];
        if value.is_empty() || value == "null" || value == REDACTED {
            continue;
        }
        out.push_str(&text[copied..value_start]);
        out.push_str(REDACTED);
        copied = value_end;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// `Bearer <token>` in any casing → `Bearer [redacted]`.
fn redact_bearer(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("bearer") {
        let start = search + found;
        let mut j = start + "bearer".len();
        search = j;
        if start > 0 && is_word_byte(bytes[start - 1]) {
            continue;
        }
        let spaces = j;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        if j == spaces {
            continue;
        }
        let token_start = j;
        while j < bytes.len() && is_token_byte(bytes[j]) {
            j += 1;
        }
        let token = &text[token_start..j];
        if token.len() < 8 || token == REDACTED {
            continue;
        }
        out.push_str(&text[copied..token_start]);
        out.push_str(REDACTED);
        copied = j;
        search = j;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_b64url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

/// A JWT (`eyJ…header.payload.signature`) anywhere in the text → [`REDACTED`].
fn redact_jwts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("eyJ") {
        let start = search + found;
        search = start + 3;
        if start > 0 && is_b64url_byte(bytes[start - 1]) {
            continue;
        }
        let mut j = start;
        let mut dots = 0;
        while j < bytes.len() && (is_b64url_byte(bytes[j]) || bytes[j] == b'.') {
            if bytes[j] == b'.' {
                dots += 1;
            }
            j += 1;
        }
        while bytes[j - 1] == b'.' {
            j -= 1;
            dots -= 1;
        }
        if dots < 2 || j - start < 20 {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = j;
        search = j;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJl";

    #[test]
    fn key_values_in_text_lose_their_values() {
        let r = Redactor::new();
        let cases = [
            (
                r#"{"temporaryAccessPass": "+drkzqAD", "id": "1"}"#,
                "+drkzqAD",
            ),
            ("temporary_access_pass=Xy7!kq9P&next=1", "Xy7!kq9P"),
            ("access_token: abc.def-ghi", "abc.def-ghi"),
            ("refreshToken='0.AXoA-secret'", "0.AXoA-secret"),
            (r#"TemporaryAccessPass : "with \" quote""#, "with"),
            ("Temporary Access Pass: Qz8!mN2p", "Qz8!mN2p"),
            ("your TAP = Wq7pL0xz, shown once", "Wq7pL0xz"),
        ];
        for (input, secret) in cases {
            let out = r.text(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(REDACTED), "{input} -> {out}");
        }
        assert_eq!(
            r.text(r#"{"id":"1","temporaryAccessPass":"abcdEFGH"}"#),
            r#"{"id":"1","temporaryAccessPass":"[redacted]"}"#
        );
    }

    #[test]
    fn harmless_text_is_left_alone() {
        let r = Redactor::new();
        for text in [
            "The TAP policy is enabled for all users.",
            r#"{"temporaryAccessPass": null}"#,
            "Set the password later; authorization happens in the browser.",
            "lifetimeInMinutes=60",
            "The TAP policy is on; a Temporary Access Pass lasts an hour.",
        ] {
            assert_eq!(r.text(text), text);
        }
    }

    #[test]
    fn bearer_tokens_and_jwts_are_removed() {
        let r = Redactor::new();
        let out = r.text("curl -H 'Authorization: Bearer opaque-token-1234567890' x");
        assert!(!out.contains("opaque-token-1234567890"), "{out}");
        let out = r.text("bearer   abcdefghijklmnop and more");
        assert_eq!(out, "bearer   [redacted] and more");
        let out = r.text(&format!("token was {JWT}."));
        assert_eq!(out, "token was [redacted].");
    }

    #[test]
    fn known_secrets_are_removed_anywhere() {
        let tap = Secret::new("Q7w!pL2x");
        let r = Redactor::new().with_known(&tap);
        assert_eq!(
            r.text("your code: Q7w!pL2x (once)"),
            "your code: [redacted] (once)"
        );
        let short = Secret::new("ab");
        let r = Redactor::new().with_known(&short);
        assert_eq!(r.text("tabs"), "tabs");
    }

    #[test]
    fn json_values_under_secret_keys_are_replaced_at_any_depth() {
        let r = Redactor::new();
        let v = json!({
            "value": [{"id": "m1", "temporaryAccessPass": "K9+zz!aa", "isUsable": true}],
            "headers": {"Authorization": "Bearer abcdefghijk123"},
            "note": format!("token {JWT}"),
            "temporaryAccessPass_null": null,
            "count": 3
        });
        let out = r.json(&v);
        let text = out.to_string();
        assert!(!text.contains("K9+zz!aa"), "{text}");
        assert!(!text.contains("abcdefghijk123"), "{text}");
        assert!(!text.contains(JWT), "{text}");
        assert_eq!(out["value"][0]["id"], "m1");
        assert_eq!(out["value"][0]["isUsable"], true);
        assert_eq!(out["count"], 3);
    }
}
