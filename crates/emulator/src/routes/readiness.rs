//! Tenant readiness resources: `subscribedSkus`, the device registration policy, security
//! defaults and MAM policies (beta), read from [`crate::readiness::Readiness`]; and the test hook
//! `POST /_emulator/readiness` that makes parts of the tenant not ready. Permissions and roles
//! are checked by [`crate::permissions`]; handlers here only need a valid token.

use super::common::{Collection, entity};
use crate::api::{ApiVersion, INTUNE_APP_ID};
use crate::caller::Caller;
use crate::error::GraphErr;
use crate::odata::GraphQuery;
use crate::readiness::ReadinessChange;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

/// Readiness routes of one version (MAM policies only on beta, as Graph has them).
pub fn routes(version: ApiVersion) -> Router<SharedState> {
    let mut router = Router::new()
        .route("/subscribedSkus", get(subscribed_skus))
        .route(
            "/policies/deviceRegistrationPolicy",
            get(device_registration_policy),
        )
        .route(
            "/policies/identitySecurityDefaultsEnforcementPolicy",
            get(security_defaults),
        );
    if version == ApiVersion::Beta {
        router = router
            .route("/policies/mobileAppManagementPolicies", get(mam_policies))
            .route(
                "/policies/mobileAppManagementPolicies/{id}",
                get(mam_policy),
            );
    }
    router
}

/// `/_emulator/readiness`.
pub fn control_routes() -> Router<SharedState> {
    Router::new().route("/_emulator/readiness", post(change))
}

const SKUS: Collection = Collection::directory("/subscribedSkus", "subscribedSkus");
const MAM: Collection = Collection::directory(
    "/policies/mobileAppManagementPolicies",
    "policies/mobileAppManagementPolicies",
);

async fn subscribed_skus(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let items = state.read(|t| {
        let members = t.users.iter().filter(|u| u.user_type == "Member").count();
        t.readiness.subscribed_skus(t.tenant.id.as_str(), members)
    });
    SKUS.page(&state, version, &GraphQuery::parse(raw.as_deref()), items)
}

async fn device_registration_policy(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
) -> Json<Value> {
    let policy = state.read(|t| t.readiness.device_registration_policy());
    entity(
        &state,
        version,
        "policies/deviceRegistrationPolicy/$entity",
        policy,
    )
}

async fn security_defaults(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
) -> Json<Value> {
    let policy = state.read(|t| t.readiness.security_defaults_policy());
    entity(
        &state,
        version,
        "policies/identitySecurityDefaultsEnforcementPolicy/$entity",
        policy,
    )
}

async fn mam_policies(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphErr> {
    let items = state.read(|t| t.readiness.mam_policies(INTUNE_APP_ID));
    MAM.page(&state, version, &GraphQuery::parse(raw.as_deref()), items)
}

async fn mam_policy(
    State(state): State<SharedState>,
    Extension(version): Extension<ApiVersion>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphErr> {
    let policy = state
        .read(|t| t.readiness.mam_policies(INTUNE_APP_ID))
        .into_iter()
        .find(|p| super::id_is(p, &id))
        .ok_or_else(|| GraphErr::item_not_found("mobilityManagementPolicy", &id))?;
    Ok(entity(
        &state,
        version,
        "policies/mobileAppManagementPolicies/$entity",
        policy,
    ))
}

/// Applies a [`ReadinessChange`]; answers the device registration policy and plans after it.
async fn change(State(state): State<SharedState>, body: Bytes) -> Result<Json<Value>, GraphErr> {
    let change: ReadinessChange = serde_json::from_slice(&body).map_err(|e| {
        GraphErr::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("a readiness change is JSON like {{\"intunePlan\": false}}: {e}"),
        )
    })?;
    state.write(|t| {
        let r = &mut t.readiness;
        if let Some(v) = change.intune_plan {
            r.intune_plan = v;
        }
        if let Some(v) = change.entra_p1_plan {
            r.entra_p1_plan = v;
        }
        if let Some(v) = change.security_defaults {
            r.security_defaults = v;
        }
        if let Some(v) = change.user_device_quota {
            r.user_device_quota = v;
        }
        if let Some(v) = change.mfa_to_join {
            r.mfa_to_join = if v { "required" } else { "notRequired" }.into();
        }
        if let Some(v) = &change.mam_applies_to {
            r.mam_applies_to = v.clone();
        }
        if let Some(v) = &change.allowed_to_join {
            r.join_membership = match v.as_str() {
                "none" => "#microsoft.graph.noDeviceRegistrationMembership",
                "selected" => "#microsoft.graph.enumeratedDeviceRegistrationMembership",
                _ => "#microsoft.graph.allDeviceRegistrationMembership",
            }
            .into();
        }
        let ids = |names: &[String], t: &crate::state::TenantState| -> Vec<String> {
            names
                .iter()
                .map(|n| {
                    t.user(n)
                        .map(|u| u.id.as_str().to_string())
                        .unwrap_or(n.clone())
                })
                .collect()
        };
        if let Some(users) = &change.join_users {
            let resolved = ids(users, t);
            t.readiness.join_users = resolved;
        }
        if let Some(users) = &change.unlicense {
            let resolved = ids(users, t);
            t.readiness.unlicensed_users.extend(resolved);
        }
        for (flag, key) in [
            (
                change.block_personal_windows,
                "personalDeviceEnrollmentBlocked",
            ),
            (change.block_windows, "platformBlocked"),
        ] {
            let Some(flag) = flag else { continue };
            for config in &mut t.enrollment_configurations {
                if config["@odata.type"]
                    == "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"
                    && config["priority"] == 0
                {
                    config["windowsRestriction"][key] = json!(flag);
                }
            }
        }
    });
    Ok(Json(state.read(|t| {
        json!({"deviceRegistrationPolicy": t.readiness.device_registration_policy(),
               "readiness": t.readiness})
    })))
}
