//! Small helpers shared by the route modules: JSON bodies read like Graph reads them,
//! `@odata.context` URLs, and version-specific shaping.

use crate::emulator::error::GraphErr;
use crate::emulator::state::SharedState;
use crate::graph::ApiVersion;
use axum::body::Bytes;
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
