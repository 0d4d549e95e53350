//! The demo tenant's policies at their out-of-the-box values: the ones the lab changes, and a
//! Conditional Access policy that requires MFA.

use super::*;

pub(super) fn mdm_policies() -> Vec<Value> {
    vec![
        json!({
            "id": MDM_POLICY_ID,
            "appliesTo": "none",
            "complianceUrl": "https://portal.manage.microsoft.com/?portalAction=Compliance",
            "discoveryUrl": "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
            "termsOfUseUrl": "https://portal.manage.microsoft.com/TermsofUse.aspx",
            "description": "Device Management Policy for Microsoft Intune",
            "displayName": "Microsoft Intune",
            "isValid": true,
            "isMdmEnrollmentDuringRegistrationDisabled": false,
        }),
        json!({
            "id": "d4ebce55-015a-49b5-a083-c84d1797ae8c",
            "appliesTo": "none",
            "complianceUrl": null,
            "discoveryUrl": "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc",
            "termsOfUseUrl": null,
            "description": "Device Management Policy for Microsoft Intune Enrollment",
            "displayName": "Microsoft Intune Enrollment",
            "isValid": true,
            "isMdmEnrollmentDuringRegistrationDisabled": false,
        }),
    ]
}

pub(super) fn enrollment_configurations(tenant_id: &str, base: DateTime<Utc>) -> Vec<Value> {
    let when = crate::state::graph_time(base - Duration::days(400));
    vec![
        json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "id": format!("{tenant_id}_DefaultLimit"),
            "displayName": "All users and all devices",
            "description": "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
            "priority": 0, "version": 0, "createdDateTime": when, "lastModifiedDateTime": when,
            "deviceEnrollmentConfigurationType": "limit", "roleScopeTagIds": [], "limit": 15,
        }),
        json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            "id": format!("{tenant_id}_DefaultPlatformRestrictions"),
            "displayName": "All users and all devices",
            "description": "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
            "priority": 0, "version": 0, "createdDateTime": when, "lastModifiedDateTime": when,
            "deviceEnrollmentConfigurationType": "platformRestrictions", "roleScopeTagIds": [],
            "windowsRestriction": platform_allowed(), "iosRestriction": platform_allowed(),
            "androidRestriction": platform_allowed(), "macOSRestriction": platform_allowed(),
            "windowsMobileRestriction": platform_allowed(),
        }),
        json!({
            "@odata.type": WHFB_CONFIG_TYPE,
            "id": format!("{tenant_id}_DefaultWindowsHelloForBusiness"),
            "displayName": "All users and all devices",
            "description": "This is the default Windows Hello for Business configuration applied with the lowest priority to all users regardless of group membership.",
            "priority": 0, "version": 0, "createdDateTime": when, "lastModifiedDateTime": when,
            "deviceEnrollmentConfigurationType": "windowsHelloForBusiness", "roleScopeTagIds": [],
            "state": "notConfigured",
            "pinMinimumLength": 6, "pinMaximumLength": 127,
            "pinUppercaseCharactersUsage": "disallowed", "pinLowercaseCharactersUsage": "disallowed",
            "pinSpecialCharactersUsage": "disallowed",
            "securityDeviceRequired": false, "unlockWithBiometricsEnabled": true,
            "remotePassportEnabled": true, "pinPreviousBlockCount": 0, "pinExpirationInDays": 0,
            "enhancedBiometricsState": "notConfigured", "securityKeyForSignIn": "notConfigured",
            "enhancedSignInSecurity": 0,
        }),
    ]
}

pub(super) fn tap_policy() -> Value {
    json!({
        "@odata.type": TAP_CONFIG_TYPE,
        "id": "TemporaryAccessPass",
        "state": "disabled",
        "defaultLifetimeInMinutes": 60,
        "defaultLength": 8,
        "minimumLifetimeInMinutes": 60,
        "maximumLifetimeInMinutes": 480,
        "isUsableOnce": false,
        "includeTargets": [ { "targetType": "group", "id": "all_users", "isRegistrationRequired": false } ],
        "excludeTargets": [],
    })
}

pub(super) fn require_mfa_policy(base: DateTime<Utc>) -> Value {
    json!({
        "id": "8a6c2f4e-1b3d-4e5f-9a7b-0c2d4e6f8a1b",
        "displayName": "Require MFA for all users",
        "createdDateTime": crate::state::graph_time(base - Duration::days(200)),
        "modifiedDateTime": null,
        "state": "enabled",
        "conditions": {
            "users": { "includeUsers": ["All"], "excludeUsers": [], "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": [] },
            "applications": { "includeApplications": ["All"], "excludeApplications": [] },
            "clientAppTypes": ["all"],
            "platforms": null, "locations": null,
        },
        "grantControls": { "operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": [] },
        "sessionControls": null,
    })
}

/// A platform of the default platform restriction as a new tenant has it: enrollment allowed,
/// personally owned devices too ("deviceEnrollmentPlatformRestriction resource type").
fn platform_allowed() -> Value {
    json!({
        "platformBlocked": false, "personalDeviceEnrollmentBlocked": false,
        "osMinimumVersion": null, "osMaximumVersion": null,
    })
}
