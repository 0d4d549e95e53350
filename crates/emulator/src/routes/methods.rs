//! A user's authentication methods: Temporary Access Passes (list, get, create, delete) and
//! Windows Hello for Business keys (list, get, delete). The TAP code appears only in the 201 of
//! the POST; state keeps a salted hash.

use super::common::{entity, json_object, remove_by_id, with_context};
use crate::api::ApiVersion;
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::roles::DirectoryRole;
use crate::scopes::*;
use crate::state::{SharedState, TapRecord, UserRecord};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Authentication method routes (the same on v1.0 and beta).
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/users/{id}/authentication/temporaryAccessPassMethods",
            get(list_taps).post(create_tap),
        )
        .route(
            "/users/{id}/authentication/temporaryAccessPassMethods/{method}",
            get(get_tap).delete(delete_tap),
        )
        .route(
            "/users/{id}/authentication/windowsHelloForBusinessMethods",
            get(list_whfb),
        )
        .route(
            "/users/{id}/authentication/windowsHelloForBusinessMethods/{method}",
            get(get_whfb).delete(delete_whfb),
        )
}

const METHODS_READ: &[&str] = &[USER_AUTH_METHOD_READ, USER_AUTH_METHOD_RW];
/// Who may read other users' authentication methods.
const METHOD_READERS: &[DirectoryRole] = &[
    DirectoryRole::GlobalReader,
    DirectoryRole::AuthenticationAdministrator,
    DirectoryRole::PrivilegedAuthenticationAdministrator,
];

/// The message Entra gives when a TAP is added to a user who authenticates elsewhere (Microsoft's
/// TAP how-to, "Guest access": internal guests may have one, external guests may not).
pub const EXTERNAL_USER_REFUSES_TAP: &str =
    "Temporary Access Pass cannot be added to an external guest user.";

/// The message Graph gives when the TAP policy is off or does not target the user.
pub const POLICY_REFUSES_TAP: &str = "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].";

fn find_user(state: &SharedState, id: &str) -> Result<UserRecord, GraphErr> {
    state
        .read(|t| t.user(id).cloned())
        .ok_or_else(|| GraphErr::directory_not_found(id))
}

/// Authentication Administrator manages non-admins; admin targets need Privileged
/// Authentication Administrator (Global Administrator passes both).
fn require_method_admin(caller: &Caller, target: &UserRecord) -> Result<(), GraphErr> {
    if target.is_admin() {
        caller.require_role(&[DirectoryRole::PrivilegedAuthenticationAdministrator])
    } else {
        caller.require_role(&[
            DirectoryRole::AuthenticationAdministrator,
            DirectoryRole::PrivilegedAuthenticationAdministrator,
        ])
    }
}

/// The user whose methods the caller reads: a read scope, then oneself or a reader role.
fn readable_target(state: &SharedState, caller: &Caller, id: &str) -> Result<UserRecord, GraphErr> {
    caller.require_scope(METHODS_READ)?;
    let user = find_user(state, id)?;
    caller.require_self_or_role(&user.id, METHOD_READERS)?;
    Ok(user)
}

/// The user whose methods the caller changes: the write scope, then the admin role the target needs.
fn writable_target(state: &SharedState, caller: &Caller, id: &str) -> Result<UserRecord, GraphErr> {
    caller.require_scope(&[USER_AUTH_METHOD_RW])?;
    let user = find_user(state, id)?;
    require_method_admin(caller, &user)?;
    Ok(user)
}

/// A user's methods of one kind, like `temporaryAccessPassMethods`, as a collection answer.
fn methods_list(
    state: &SharedState,
    version: ApiVersion,
    user: &UserRecord,
    kind: &str,
    value: Vec<Value>,
) -> Json<Value> {
    Json(json!({
        "@odata.context": super::common::context(state, version, &format!("users('{}')/authentication/{kind}", user.id)),
        "value": value,
    }))
}

async fn list_taps(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    let user = readable_target(&state, &caller, &id)?;
    let enabled = state.read(|t| t.tap_policy_enabled());
    let now = Utc::now();
    let value: Vec<Value> = user.tap.iter().map(|t| t.to_graph(now, enabled)).collect();
    Ok(methods_list(
        &state,
        version,
        &user,
        "temporaryAccessPassMethods",
        value,
    ))
}

async fn get_tap(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path((id, method)): Path<(String, String)>,
) -> Result<Json<Value>, GraphErr> {
    let user = readable_target(&state, &caller, &id)?;
    let tap = user
        .tap
        .filter(|t| t.id.eq_ignore_ascii_case(&method))
        .ok_or_else(|| {
            GraphErr::item_not_found("temporaryAccessPassAuthenticationMethod", &method)
        })?;
    let enabled = state.read(|t| t.tap_policy_enabled());
    Ok(entity(
        &state,
        version,
        "users/authentication/temporaryAccessPassMethods/$entity",
        tap.to_graph(Utc::now(), enabled),
    ))
}

async fn create_tap(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, GraphErr> {
    let user = writable_target(&state, &caller, &id)?;
    let body = json_object(&body)?;
    super::common::only_known(
        &body,
        &[
            "startDateTime",
            "lifetimeInMinutes",
            "isUsableOnce",
            "@odata.type",
        ],
        "microsoft.graph.temporaryAccessPassAuthenticationMethod",
    )?;
    if !user.account_enabled {
        return Err(GraphErr::bad_request(format!(
            "The user account '{}' is disabled; a Temporary Access Pass cannot be created for a disabled user. Enable the account first.",
            user.user_principal_name
        )));
    }
    if user.external_issuer.is_some() {
        return Err(GraphErr::bad_request(EXTERNAL_USER_REFUSES_TAP));
    }
    let (enabled, targeted, policy) = state.read(|t| {
        (
            t.tap_policy_enabled(),
            t.tap_policy_targets(&user),
            t.tap_policy.clone(),
        )
    });
    if !enabled || !targeted {
        return Err(GraphErr::new(
            StatusCode::BAD_REQUEST,
            "badRequest",
            POLICY_REFUSES_TAP,
        ));
    }
    let policy_int = |k: &str, default: i64| policy[k].as_i64().unwrap_or(default);
    let (min, max) = (
        policy_int("minimumLifetimeInMinutes", 60),
        policy_int("maximumLifetimeInMinutes", 480),
    );
    let lifetime = match body.get("lifetimeInMinutes") {
        None | Some(Value::Null) => policy_int("defaultLifetimeInMinutes", 60),
        Some(v) => match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => n,
            _ => {
                return Err(GraphErr::bad_request(format!(
                    "lifetimeInMinutes {v} is outside the policy's range of {min} to {max} minutes."
                )));
            }
        },
    };
    let policy_once = policy["isUsableOnce"].as_bool().unwrap_or(false);
    let once = match body.get("isUsableOnce") {
        None | Some(Value::Null) => policy_once,
        Some(Value::Bool(false)) if policy_once => {
            return Err(GraphErr::bad_request(
                "The Temporary Access Pass policy requires one-time passes; isUsableOnce cannot be false.",
            ));
        }
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(GraphErr::bad_request(format!(
                "Invalid value {other} for property 'isUsableOnce': must be true or false."
            )));
        }
    };
    let now = Utc::now();
    let start = match body.get("startDateTime") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                GraphErr::bad_request(format!(
                    "startDateTime '{s}' is not an ISO 8601 UTC time like 2025-06-05T00:00:00Z."
                ))
            })?,
        Some(other) => {
            return Err(GraphErr::bad_request(format!(
                "Invalid startDateTime {other}."
            )));
        }
    };
    let length = policy_int("defaultLength", 8).clamp(8, 48) as usize;
    let code = generate_tap(length);
    let record = TapRecord::new_hashed(
        uuid::Uuid::new_v4().to_string(),
        &code,
        now,
        start,
        lifetime as u32,
        once,
    );
    let mut answer = record.to_graph(now, enabled);
    answer["temporaryAccessPass"] = Value::String(code);
    let method_id = record.id.clone();
    let user_id = user.id.clone();
    state.write(|t| {
        if let Some(u) = t.user_mut(user_id.as_str()) {
            u.tap = Some(record);
        }
    });
    let answer = with_context(
        answer,
        &state,
        version,
        &format!("users('{user_id}')/authentication/temporaryAccessPassMethods/$entity"),
    );
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    let location = format!(
        "{}/{}/users/{user_id}/authentication/temporaryAccessPassMethods/{method_id}",
        state.root_url(),
        version.segment()
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert("Location", v);
    }
    Ok(response)
}

/// A TAP in the style Entra issues: letters, digits and a few symbols.
fn generate_tap(length: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+@";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

async fn delete_tap(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, method)): Path<(String, String)>,
) -> Result<StatusCode, GraphErr> {
    let user = writable_target(&state, &caller, &id)?;
    state.write(|t| {
        let u = t
            .user_mut(user.id.as_str())
            .ok_or_else(|| GraphErr::directory_not_found(&id))?;
        match &u.tap {
            Some(tap) if tap.id.eq_ignore_ascii_case(&method) => {
                u.tap = None;
                Ok(StatusCode::NO_CONTENT)
            }
            _ => Err(GraphErr::item_not_found(
                "temporaryAccessPassAuthenticationMethod",
                &method,
            )),
        }
    })
}

async fn list_whfb(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    let user = readable_target(&state, &caller, &id)?;
    let (now, delay) = (chrono::Utc::now(), state.config().propagation.whfb);
    let value: Vec<Value> = user
        .whfb_methods
        .iter()
        .filter(|m| crate::config::Propagation::shows(m.created, delay, now))
        .map(|m| m.to_graph())
        .collect();
    Ok(methods_list(
        &state,
        version,
        &user,
        "windowsHelloForBusinessMethods",
        value,
    ))
}

async fn get_whfb(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    caller: Caller,
    Path((id, method)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let user = readable_target(&state, &caller, &id)?;
    let key = user
        .whfb_methods
        .iter()
        .find(|m| m.id.eq_ignore_ascii_case(&method))
        .cloned()
        .ok_or_else(|| {
            GraphErr::item_not_found("windowsHelloForBusinessAuthenticationMethod", &method)
        })?;
    let mut answer = key.to_graph();
    let query = crate::odata::GraphQuery::parse(raw.as_deref());
    if query
        .get("expand")
        .is_some_and(|e| e.eq_ignore_ascii_case("device"))
    {
        answer["device"] = state
            .read(|t| {
                t.devices
                    .iter()
                    .find(|d| Some(&d.id) == key.device_object_id.as_ref())
                    .map(|d| d.to_graph())
            })
            .unwrap_or(Value::Null);
    }
    Ok(entity(
        &state,
        version,
        "users/authentication/windowsHelloForBusinessMethods/$entity",
        answer,
    ))
}

async fn delete_whfb(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, method)): Path<(String, String)>,
) -> Result<StatusCode, GraphErr> {
    let user = writable_target(&state, &caller, &id)?;
    state.write(|t| {
        let u = t
            .user_mut(user.id.as_str())
            .ok_or_else(|| GraphErr::directory_not_found(&id))?;
        remove_by_id(
            &mut u.whfb_methods,
            &method,
            |m| &m.id,
            || GraphErr::item_not_found("windowsHelloForBusinessAuthenticationMethod", &method),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_taps_have_the_policy_length_and_vary() {
        let a = generate_tap(8);
        let b = generate_tap(8);
        assert_eq!(a.chars().count(), 8);
        assert_eq!(generate_tap(12).chars().count(), 12);
        assert_ne!(a, b);
    }
}
