//! Small helpers shared by the route modules: JSON bodies read like Graph reads them,
//! `@odata.context` URLs, collection and entity answers, delete by id, and version-specific
//! shaping.

use crate::api::ApiVersion;
use crate::error::GraphErr;
use crate::odata::{Filter, GraphQuery, PageBase, page};
use crate::state::{SharedState, TenantState};
use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// A request body as a JSON object, or Graph's 400 for anything else.
pub fn json_object(body: &Bytes) -> Result<Map<String, Value>, GraphErr> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GraphErr::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )),
    }
}

/// `{root}/{version}/$metadata#{fragment}`.
pub fn context(state: &SharedState, version: ApiVersion, fragment: &str) -> String {
    format!(
        "{}/{}/$metadata#{fragment}",
        state.root_url(),
        version.segment()
    )
}

/// Adds `@odata.context` to an entity.
pub fn with_context(
    mut entity: Value,
    state: &SharedState,
    version: ApiVersion,
    fragment: &str,
) -> Value {
    if let Value::Object(map) = &mut entity {
        map.insert(
            "@odata.context".into(),
            Value::String(context(state, version, fragment)),
        );
    }
    entity
}

/// A property of a PATCH body that must be a string from `allowed`.
pub fn enum_field<'a>(
    body: &'a Map<String, Value>,
    key: &str,
    allowed: &[&str],
    type_name: &str,
) -> Result<Option<&'a str>, GraphErr> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(other) => Err(GraphErr::bad_request(format!(
            "Invalid value {other} for property '{key}' of type '{type_name}'; expected one of: {}.",
            allowed.join(", ")
        ))),
    }
}

/// A property of a PATCH body that must be an integer in `range`.
pub fn int_field(
    body: &Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, GraphErr> {
    match body.get(key) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(GraphErr::bad_request(format!(
                "Invalid value {v} for property '{key}': must be a whole number from {} to {}.",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// A property of a PATCH body that must be a boolean.
pub fn bool_field(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, GraphErr> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(GraphErr::bad_request(format!(
            "Invalid value {other} for property '{key}': must be true or false."
        ))),
    }
}

/// Rejects properties the type does not have, as Graph does.
pub fn only_known(
    body: &Map<String, Value>,
    known: &[&str],
    type_name: &str,
) -> Result<(), GraphErr> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(GraphErr::bad_request(format!(
            "Property '{k}' does not exist as a declared property or extension property on type '{type_name}'."
        ))),
        None => Ok(()),
    }
}

/// The `$filter` of a collection GET, limited to `fields` of `resource`; without one, all match.
pub fn filter_of(query: &GraphQuery, fields: &[&str], resource: &str) -> Result<Filter, GraphErr> {
    match query.get("filter") {
        Some(f) => Filter::parse(f, fields, resource),
        None => Ok(Filter::default()),
    }
}

/// Where a collection lives and how large its pages are, so each list route states it once.
pub struct Collection {
    /// The collection path, like `/users`.
    pub path: &'static str,
    /// The `$metadata#...` fragment, like `users`.
    pub context: &'static str,
    /// Page size without `$top`.
    pub default_top: usize,
    /// The largest `$top` Graph accepts here.
    pub max_top: usize,
}

impl Collection {
    /// A collection paged as Graph pages directory objects: 100 unless `$top` asks for up to 999.
    pub const fn directory(path: &'static str, context: &'static str) -> Collection {
        Collection {
            path,
            context,
            default_top: 100,
            max_top: 999,
        }
    }

    /// A collection paged 1000 at a time, `$top` at most 1000 (Intune devices, sign-in logs).
    pub const fn pages_of_1000(path: &'static str, context: &'static str) -> Collection {
        Collection {
            path,
            context,
            default_top: 1000,
            max_top: 1000,
        }
    }

    /// One page of `items` as the JSON answer, honouring `$top`, `$skiptoken`, `$select`, `$count`.
    pub fn page(
        &self,
        state: &SharedState,
        version: ApiVersion,
        query: &GraphQuery,
        items: Vec<Value>,
    ) -> Result<Json<Value>, GraphErr> {
        let base = PageBase {
            root: state.root_url(),
            version: version.segment(),
            path: self.path,
            context: self.context,
        };
        Ok(Json(page(
            items,
            query,
            &base,
            self.default_top,
            self.max_top,
        )?))
    }

    /// The whole GET of a plain collection: `$filter` on `fields` of `resource` over what `all`
    /// reads from the tenant, then one page of what matched.
    pub fn filtered_page(
        &self,
        state: &SharedState,
        version: ApiVersion,
        raw_query: Option<&str>,
        fields: &[&str],
        resource: &str,
        all: impl FnOnce(&TenantState) -> Vec<Value>,
    ) -> Result<Json<Value>, GraphErr> {
        let query = GraphQuery::parse(raw_query);
        let filter = filter_of(&query, fields, resource)?;
        let items = state
            .read(all)
            .into_iter()
            .filter(|item| filter.matches(item))
            .collect();
        self.page(state, version, &query, items)
    }
}

/// One entity as the JSON answer, with its `@odata.context`.
pub fn entity(
    state: &SharedState,
    version: ApiVersion,
    fragment: &str,
    value: Value,
) -> Json<Value> {
    Json(with_context(value, state, version, fragment))
}

/// Removes the item whose id is `id` (case-insensitive): 204, or `not_found` when none has it.
pub fn remove_by_id<T>(
    items: &mut Vec<T>,
    id: &str,
    id_of: impl Fn(&T) -> &str,
    not_found: impl FnOnce() -> GraphErr,
) -> Result<StatusCode, GraphErr> {
    let before = items.len();
    items.retain(|item| !id_of(item).eq_ignore_ascii_case(id));
    if items.len() == before {
        Err(not_found())
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}

/// Takes the `@odata.type` a PATCH body must carry out of it; `wrong` and `missing` word the 400.
pub fn take_odata_type(
    body: &mut Map<String, Value>,
    expected: &str,
    wrong: impl FnOnce(&Value) -> String,
    missing: impl FnOnce() -> String,
) -> Result<(), GraphErr> {
    match body.remove("@odata.type") {
        Some(Value::String(t)) if t == expected => Ok(()),
        Some(other) => Err(GraphErr::bad_request(wrong(&other))),
        None => Err(GraphErr::bad_request(missing())),
    }
}

/// Drops the properties only the beta resource has when answering on v1.0.
pub fn without_beta_only(mut entity: Value, version: ApiVersion, beta_only: &[&str]) -> Value {
    if version == ApiVersion::V1
        && let Value::Object(map) = &mut entity
    {
        for key in beta_only {
            map.remove(*key);
        }
    }
    entity
}
