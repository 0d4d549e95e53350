//! The query string of a Graph call, decoded once, with the `$`-optional lookup Graph allows.

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
    pub(super) fn without_skiptoken(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if !k.trim_start_matches('$').eq_ignore_ascii_case("skiptoken") {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}
