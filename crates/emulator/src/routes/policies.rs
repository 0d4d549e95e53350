//! Policy routes: the MDM user scope (beta only), Intune enrollment configurations (the tenant-wide
//! WHfB one), the TAP authentication method configuration, and conditional access policies.

use super::{conditional_access, enrollment, mdm, tap_policy};
use crate::api::ApiVersion;
use crate::state::SharedState;
use axum::Router;
use axum::routing::get;

/// Policy routes of one version (the MDM policy only on beta).
pub fn routes(version: ApiVersion) -> Router<SharedState> {
    let mut router = Router::new()
        .route(
            "/deviceManagement/deviceEnrollmentConfigurations",
            get(enrollment::list_enrollment_configs),
        )
        .route(
            "/deviceManagement/deviceEnrollmentConfigurations/{id}",
            get(enrollment::get_enrollment_config).patch(enrollment::patch_enrollment_config),
        )
        .route(
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
            get(tap_policy::get_method_config).patch(tap_policy::patch_method_config),
        )
        .route(
            "/identity/conditionalAccess/policies",
            get(conditional_access::list_ca_policies),
        )
        .route(
            "/identity/conditionalAccess/policies/{id}",
            get(conditional_access::get_ca_policy),
        );
    if version == ApiVersion::Beta {
        router = router
            .route(
                "/policies/mobileDeviceManagementPolicies",
                get(mdm::list_mdm_policies),
            )
            .route(
                "/policies/mobileDeviceManagementPolicies/{id}",
                get(mdm::get_mdm_policy).patch(mdm::patch_mdm_policy),
            )
            .route(
                "/policies/mobileDeviceManagementPolicies/{id}/includedGroups",
                get(mdm::list_included_groups),
            )
            .route(
                "/policies/mobileDeviceManagementPolicies/{id}/includedGroups/$ref",
                axum::routing::post(mdm::add_included_group),
            )
            .route(
                "/policies/mobileDeviceManagementPolicies/{id}/includedGroups/{group}/$ref",
                axum::routing::delete(mdm::remove_included_group),
            );
    }
    router
}
