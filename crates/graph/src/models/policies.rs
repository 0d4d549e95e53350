//! The tenant policies the lab reads and changes (steps 1, 2, 5) and Conditional Access.

use serde::{Deserialize, Serialize};

/// Well-known id of the "Microsoft Intune" MDM policy (beta only).
pub const MDM_POLICY_ID: &str = "0000000a-0000-0000-c000-000000000000";
/// `@odata.type` of the TAP method configuration (required on PATCH).
pub const TAP_CONFIG_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";
/// `@odata.type` of the WHfB enrollment configuration.
pub const WHFB_CONFIG_TYPE: &str =
    "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";
/// Suffix of the tenant-wide WHfB configuration's id (`{tenantId}_DefaultWindowsHelloForBusiness`).
pub const WHFB_DEFAULT_SUFFIX: &str = "_DefaultWindowsHelloForBusiness";
/// The include target Graph uses for "all users".
pub const ALL_USERS: &str = "all_users";

/// The MDM policy (`appliesTo`: none | all | selected).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MdmPolicy {
    pub id: String,
    /// `none`, `all` or `selected`; missing on a broken policy.
    #[serde(default)]
    pub applies_to: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_valid: Option<bool>,
    /// The groups of scope "Some" (`selected`), when read with `$expand=includedGroups`.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub included_groups: Vec<super::DirectoryObject>,
}

/// One item of `deviceEnrollmentConfigurations` (every kind; only WHfB ones have a state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentConfiguration {
    pub id: String,
    #[serde(default, rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub priority: Option<i32>,
}

impl EnrollmentConfiguration {
    /// Whether this is the tenant-wide ("All users and all devices") WHfB configuration: a
    /// Windows Hello for Business enrollment configuration with priority 0 (the default
    /// configurations' priority; assigned ones start at 1), whatever its id. The
    /// `{tenantId}_DefaultWindowsHelloForBusiness` id, seen in exports but not in Microsoft's
    /// reference, is accepted when a response carries no type or priority.
    pub fn is_whfb_default(&self) -> bool {
        let whfb = self
            .odata_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(WHFB_CONFIG_TYPE));
        match (whfb, self.priority) {
            (true, Some(p)) => p == 0,
            (false, _) if self.odata_type.is_some() => false,
            _ => self.id.ends_with(WHFB_DEFAULT_SUFFIX),
        }
    }
}

/// The tenant-wide WHfB enrollment configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhfbConfig {
    pub id: String,
    /// `notConfigured`, `enabled` or `disabled`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub pin_minimum_length: Option<i32>,
    #[serde(default)]
    pub pin_maximum_length: Option<i32>,
}

/// An include target of an authentication method policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethodTarget {
    /// A group's object id, a user's, or [`ALL_USERS`].
    pub id: String,
    /// `user` or `group`.
    #[serde(default)]
    pub target_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_registration_required: Option<bool>,
}

/// An exclude target of an authentication method policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludeTarget {
    pub id: String,
    #[serde(default)]
    pub target_type: String,
}

/// The TAP authentication method configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapMethodConfig {
    /// `enabled` or `disabled`.
    pub state: String,
    #[serde(default)]
    pub default_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub minimum_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub maximum_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub default_length: Option<u32>,
    /// When true every pass in the tenant is one-time.
    #[serde(default)]
    pub is_usable_once: Option<bool>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub include_targets: Vec<AuthMethodTarget>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub exclude_targets: Vec<ExcludeTarget>,
}

impl TapMethodConfig {
    /// Whether passes can be issued at all.
    pub fn is_enabled(&self) -> bool {
        self.state.eq_ignore_ascii_case("enabled")
    }

    /// Whether the policy includes every user.
    pub fn targets_all_users(&self) -> bool {
        self.include_targets
            .iter()
            .any(|t| t.id.eq_ignore_ascii_case(ALL_USERS))
    }
}

/// The parts of the TAP policy the lab changes. The `@odata.type` Graph requires is added by
/// the request; `includeTargets`, when sent, replaces the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapPolicyPatch {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_targets: Option<Vec<AuthMethodTarget>>,
}

/// A Conditional Access policy, as far as step 7 reads one: its state, whom and which apps it
/// targets, and what it grants with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `enabled`, `disabled` or `enabledForReportingButNotEnforced`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub conditions: Option<ConditionalAccessConditions>,
    #[serde(default)]
    pub grant_controls: Option<GrantControls>,
}

/// Who a policy is about (`conditionalAccessConditionSet`, the parts step 7 evaluates).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessConditions {
    #[serde(default)]
    pub users: Option<ConditionalAccessUsers>,
    #[serde(default)]
    pub applications: Option<ConditionalAccessApplications>,
}

/// `conditionalAccessUsers`: users, groups and directory roles (template ids) in and out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessUsers {
    /// User ids, or `All`, `None`, `GuestsOrExternalUsers`.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub include_users: Vec<String>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub exclude_users: Vec<String>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub include_groups: Vec<String>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub exclude_groups: Vec<String>,
    /// Role template ids.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub include_roles: Vec<String>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub exclude_roles: Vec<String>,
}

/// `conditionalAccessApplications`: app ids, or `All`, `None`, `Office365`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessApplications {
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub include_applications: Vec<String>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub exclude_applications: Vec<String>,
}

/// The directory facts a policy's user conditions are evaluated against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaSubject<'a> {
    /// The user's object id.
    pub user_id: &'a str,
    /// Object ids of the groups the user is a (transitive) member of.
    pub group_ids: &'a [String],
    /// Template ids of the user's active directory roles.
    pub role_template_ids: &'a [String],
    /// Whether the user is a guest.
    pub is_guest: bool,
}

impl ConditionalAccessPolicy {
    /// Whether the policy is enforced (`enabled`; report-only policies never block or require).
    pub fn is_enforced(&self) -> bool {
        self.state.as_deref() == Some("enabled")
    }

    /// Whether the grant asks for MFA: the `mfa` built-in control or an authentication strength.
    pub fn grants_with_mfa(&self) -> bool {
        self.grant_controls.as_ref().is_some_and(|g| {
            g.built_in_controls.iter().any(|c| c == "mfa") || g.authentication_strength.is_some()
        })
    }

    /// Whether the policy is on and grants access only with MFA (whoever it targets).
    pub fn requires_mfa(&self) -> bool {
        self.is_enforced() && self.grants_with_mfa()
    }

    /// Whether the policy's user and application conditions cover `subject` signing in to
    /// `app_id`: included (All, the user, a group, a role; guests when asked) and not excluded.
    pub fn covers(&self, subject: &CaSubject<'_>, app_id: &str) -> bool {
        let users = self
            .conditions
            .as_ref()
            .and_then(|c| c.users.clone())
            .unwrap_or_default();
        let any = |list: &[String], wanted: &[String]| {
            list.iter()
                .any(|x| wanted.iter().any(|w| w.eq_ignore_ascii_case(x)))
        };
        let user_listed = |list: &[String]| {
            list.iter().any(|u| {
                u.eq_ignore_ascii_case(subject.user_id)
                    || (subject.is_guest && u.eq_ignore_ascii_case("GuestsOrExternalUsers"))
            })
        };
        let included = users
            .include_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case("All"))
            || user_listed(&users.include_users)
            || any(&users.include_groups, subject.group_ids)
            || any(&users.include_roles, subject.role_template_ids);
        let excluded = user_listed(&users.exclude_users)
            || any(&users.exclude_groups, subject.group_ids)
            || any(&users.exclude_roles, subject.role_template_ids);
        let apps = self
            .conditions
            .as_ref()
            .and_then(|c| c.applications.clone())
            .unwrap_or_default();
        let app_in = apps
            .include_applications
            .iter()
            .any(|a| a.eq_ignore_ascii_case("All") || a.eq_ignore_ascii_case(app_id));
        let app_out = apps
            .exclude_applications
            .iter()
            .any(|a| a.eq_ignore_ascii_case(app_id));
        included && !excluded && app_in && !app_out
    }
}

/// What a Conditional Access policy asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantControls {
    /// `mfa`, `compliantDevice`, `block`, …
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub built_in_controls: Vec<String>,
    /// `AND` or `OR`.
    #[serde(default)]
    pub operator: Option<String>,
    /// The authentication strength the policy requires (a relationship; any strength is MFA).
    #[serde(default)]
    pub authentication_strength: Option<AuthenticationStrength>,
}

/// `authenticationStrengthPolicy`, as far as a refusal names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationStrength {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(
        id: &str,
        odata_type: Option<&str>,
        priority: Option<i32>,
    ) -> EnrollmentConfiguration {
        EnrollmentConfiguration {
            id: id.into(),
            odata_type: odata_type.map(str::to_string),
            display_name: None,
            priority,
        }
    }

    #[test]
    fn the_default_whfb_configuration_is_the_whfb_one_with_priority_zero() {
        assert!(config("anything", Some(WHFB_CONFIG_TYPE), Some(0)).is_whfb_default());
        assert!(
            !config(
                "t_DefaultWindowsHelloForBusiness",
                Some(WHFB_CONFIG_TYPE),
                Some(2)
            )
            .is_whfb_default()
        );
        assert!(
            !config(
                "t_DefaultPlatformRestrictions",
                Some("#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"),
                Some(0)
            )
            .is_whfb_default()
        );
        assert!(config("t_DefaultWindowsHelloForBusiness", None, None).is_whfb_default());
    }

    #[test]
    fn conditional_access_covers_included_users_groups_roles_minus_exclusions() {
        let policy: ConditionalAccessPolicy = serde_json::from_value(serde_json::json!({
            "id": "p", "state": "enabled",
            "conditions": {
                "users": {"includeUsers": [], "includeGroups": ["g1"], "includeRoles": ["r1"],
                          "excludeUsers": ["u-out"], "excludeGroups": ["g-out"]},
                "applications": {"includeApplications": ["All"], "excludeApplications": ["app-out"]}
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}
        }))
        .unwrap();
        let subject =
            |user: &'static str, groups: &'static [String], roles: &'static [String]| CaSubject {
                user_id: user,
                group_ids: groups,
                role_template_ids: roles,
                is_guest: false,
            };
        let g1: &'static [String] = Box::leak(Box::new(["g1".to_string()]));
        let r1: &'static [String] = Box::leak(Box::new(["r1".to_string()]));
        let g1_out: &'static [String] =
            Box::leak(Box::new(["g1".to_string(), "g-out".to_string()]));
        assert!(policy.covers(&subject("u", g1, &[]), "app"));
        assert!(policy.covers(&subject("u", &[], r1), "app"));
        assert!(
            !policy.covers(&subject("u", &[], &[]), "app"),
            "not included"
        );
        assert!(
            !policy.covers(&subject("u-out", g1, &[]), "app"),
            "excluded user"
        );
        assert!(
            !policy.covers(&subject("u", g1_out, &[]), "app"),
            "excluded group"
        );
        assert!(
            !policy.covers(&subject("u", g1, &[]), "app-out"),
            "excluded app"
        );
        assert!(policy.requires_mfa());
        let mut report_only = policy.clone();
        report_only.state = Some("enabledForReportingButNotEnforced".into());
        assert!(!report_only.requires_mfa());
    }
}
