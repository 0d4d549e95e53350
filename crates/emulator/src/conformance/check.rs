//! Checks one JSON body against a Graph type of one API version: every property name exists on
//! the type or a base type (v1.0 CSDL; for beta the beta own-property lists along the chain),
//! every enum value is a member, `@odata.type` names a real type derived from the declared one,
//! and primitive values have their JSON kind. Nested values are checked by the v1.0 property
//! type where one is published; beta-only properties have no published type here, so only their
//! names are checked.

use super::schema::{PropType, Schema, schema};
use crate::api::ApiVersion;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// One way a body differs from Microsoft's schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where in the body, like `value[0].grantControls.builtInControls[1]`.
    pub at: String,
    /// The type the value was checked against, like `microsoft.graph.conditionalAccessPolicy`.
    pub type_name: String,
    pub problem: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (type {}, at {})",
            self.problem, self.type_name, self.at
        )
    }
}

/// What a check found: the violations, and the property paths it saw (the body's shape).
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub violations: Vec<Violation>,
    pub shape: BTreeSet<String>,
}

/// Full name of a type given as `microsoft.graph.x`, `#microsoft.graph.x` or `x`.
pub fn full_type(name: &str) -> String {
    let name = name.trim_start_matches('#');
    if name.contains('.') {
        name.to_string()
    } else {
        format!("microsoft.graph.{name}")
    }
}

/// Checks an entity or complex value of `type_name`.
pub fn check_entity(version: ApiVersion, type_name: &str, value: &Value) -> Report {
    let mut checker = Checker {
        schema: schema(),
        version,
        report: Report::default(),
    };
    let declared = full_type(type_name);
    checker.value(
        &PropType {
            name: declared,
            collection: false,
        },
        value,
        "",
    );
    checker.report
}

/// Checks a collection answer: `value` holds items of `type_name`; the rest are annotations.
pub fn check_collection(version: ApiVersion, type_name: &str, body: &Value) -> Report {
    let mut checker = Checker {
        schema: schema(),
        version,
        report: Report::default(),
    };
    let declared = full_type(type_name);
    let Some(map) = body.as_object() else {
        checker.violation("", &declared, "a collection answer must be a JSON object");
        return checker.report;
    };
    for key in map.keys().filter(|k| *k != "value" && !k.starts_with('@')) {
        checker.violation(
            key,
            &declared,
            format!("'{key}' is not part of a collection answer"),
        );
    }
    match map.get("value") {
        Some(items) => checker.value(
            &PropType {
                name: declared,
                collection: true,
            },
            items,
            "value",
        ),
        None => checker.violation("", &declared, "a collection answer needs 'value'"),
    }
    checker.report
}

struct Checker {
    schema: &'static Schema,
    version: ApiVersion,
    report: Report,
}

impl Checker {
    fn violation(&mut self, at: &str, type_name: &str, problem: impl Into<String>) {
        self.report.violations.push(Violation {
            at: at.to_string(),
            type_name: type_name.to_string(),
            problem: problem.into(),
        });
    }

    fn type_exists(&self, name: &str) -> bool {
        match self.version {
            ApiVersion::V1 => self.schema.v1_types.contains_key(name),
            ApiVersion::Beta => self.schema.beta_types.contains_key(name),
        }
    }

    fn enum_members(&self, name: &str) -> Option<&'static std::collections::HashSet<String>> {
        let schema = self.schema;
        match self.version {
            ApiVersion::V1 => schema.v1_enums.get(name),
            ApiVersion::Beta => schema
                .beta_enums
                .get(name)
                .or_else(|| schema.v1_enums.get(name)),
        }
    }

    fn value(&mut self, ptype: &PropType, value: &Value, at: &str) {
        if value.is_null() {
            return;
        }
        if ptype.collection {
            let Some(items) = value.as_array() else {
                self.violation(
                    at,
                    &ptype.name,
                    "a collection property must be a JSON array",
                );
                return;
            };
            let item_type = PropType {
                name: ptype.name.clone(),
                collection: false,
            };
            for (i, item) in items.iter().enumerate() {
                self.value(&item_type, item, &format!("{at}[{i}]"));
            }
            return;
        }
        let name = ptype.name.as_str();
        let kind_ok = match name {
            "Edm.String" | "Edm.Guid" | "Edm.DateTimeOffset" | "Edm.Date" | "Edm.Duration"
            | "Edm.TimeOfDay" | "Edm.Binary" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => value.is_i64(),
            "Edm.Int64" | "Edm.Double" | "Edm.Single" | "Edm.Decimal" => {
                value.is_number() || value.is_string()
            }
            _ if name.starts_with("Edm.") || name.ends_with(".Json") => true,
            _ => {
                if let Some(members) = self.enum_members(name) {
                    self.enum_value(name, members, value, at);
                } else if let Some(map) = value.as_object() {
                    self.object(name, map, at);
                } else if self.schema.v1_types.contains_key(name)
                    || self.schema.beta_types.contains_key(name)
                {
                    self.violation(at, name, format!("a {name} value must be a JSON object"));
                }
                true
            }
        };
        if !kind_ok {
            self.violation(at, name, format!("{value} is not a valid {name}"));
        }
    }

    fn enum_value(
        &mut self,
        name: &str,
        members: &std::collections::HashSet<String>,
        value: &Value,
        at: &str,
    ) {
        let Some(text) = value.as_str() else {
            self.violation(at, name, format!("{value} is not a string of enum {name}"));
            return;
        };
        // Flags enums are written as a comma-separated list of members.
        for part in text.split(',').map(str::trim) {
            if !members.contains(part) {
                self.violation(at, name, format!("'{part}' is not a member of enum {name}"));
            }
        }
    }

    fn object(&mut self, declared: &str, map: &Map<String, Value>, at: &str) {
        let mut actual = declared.to_string();
        if let Some(odata_type) = map.get("@odata.type") {
            match odata_type.as_str() {
                Some(t) if t.starts_with('#') => {
                    let named = full_type(t);
                    if !self.type_exists(&named) {
                        self.violation(
                            at,
                            declared,
                            format!(
                                "@odata.type '{t}' is not a type of Graph {}",
                                self.version.segment()
                            ),
                        );
                        return;
                    }
                    if !self.schema.derives_from(&named, declared) {
                        self.violation(
                            at,
                            declared,
                            format!("@odata.type '{t}' does not derive from {declared}"),
                        );
                        return;
                    }
                    actual = named;
                }
                _ => {
                    self.violation(
                        at,
                        declared,
                        format!(
                            "@odata.type {odata_type} must be a string like '#microsoft.graph.user'"
                        ),
                    );
                    return;
                }
            }
        }
        if !self.type_exists(&actual) {
            self.violation(
                at,
                &actual,
                format!("{actual} is not a type of Graph {}", self.version.segment()),
            );
            return;
        }
        for (key, value) in map {
            if key.contains('@') {
                continue;
            }
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            let known = match self.version {
                ApiVersion::V1 => self.schema.v1_property(&actual, key).is_some(),
                ApiVersion::Beta => self.schema.beta_has(&actual, key),
            };
            if !known {
                self.violation(
                    &path,
                    &actual,
                    format!(
                        "property '{key}' does not exist on {actual} or its base types (Graph {})",
                        self.version.segment()
                    ),
                );
                continue;
            }
            self.report.shape.insert(strip_indices(&path));
            if let Some(ptype) = self.schema.property_type(&actual, key) {
                self.value(&ptype, value, &path);
            }
        }
    }
}

fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_published_body_passes_and_an_invented_property_is_named() {
        let good = json!({"id": "1", "userPrincipalName": "a@b", "accountEnabled": true,
            "identities": [{"signInType": "userPrincipalName", "issuer": "b"}]});
        assert!(
            check_entity(ApiVersion::V1, "user", &good)
                .violations
                .is_empty()
        );
        let bad = json!({"id": "1", "userPrincipleName": "a@b"});
        let report = check_entity(ApiVersion::V1, "user", &bad);
        assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
        let v = &report.violations[0];
        assert_eq!(
            (v.type_name.as_str(), v.at.as_str()),
            ("microsoft.graph.user", "userPrincipleName")
        );
    }

    #[test]
    fn enum_values_must_be_members() {
        let policy = json!({"id": "p", "state": "enabledForReportingButNotEnforced",
            "grantControls": {"operator": "OR", "builtInControls": ["mfa", "multiFactor"]}});
        let report = check_entity(ApiVersion::V1, "conditionalAccessPolicy", &policy);
        assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
        assert!(report.violations[0].problem.contains("'multiFactor'"));
        assert!(
            report.violations[0]
                .type_name
                .ends_with("conditionalAccessGrantControl")
        );
    }

    #[test]
    fn odata_type_must_be_real_and_derived() {
        let derived = json!({"@odata.type": "#microsoft.graph.directoryRole", "id": "r",
            "roleTemplateId": "t"});
        assert!(
            check_entity(ApiVersion::V1, "directoryObject", &derived)
                .violations
                .is_empty()
        );
        let unrelated = json!({"@odata.type": "#microsoft.graph.device", "id": "r"});
        assert_eq!(
            check_entity(ApiVersion::V1, "authenticationMethod", &unrelated)
                .violations
                .len(),
            1
        );
        let invented = json!({"@odata.type": "#microsoft.graph.labRole", "id": "r"});
        assert_eq!(
            check_entity(ApiVersion::V1, "directoryObject", &invented)
                .violations
                .len(),
            1
        );
    }

    #[test]
    fn beta_types_use_the_beta_lists_and_their_bases() {
        let mdm = json!({"id": "x", "appliesTo": "selected", "displayName": "Microsoft Intune",
            "isMdmEnrollmentDuringRegistrationDisabled": false});
        assert!(
            check_entity(ApiVersion::Beta, "mobileDeviceManagementPolicy", &mdm)
                .violations
                .is_empty()
        );
        assert!(
            !check_entity(ApiVersion::V1, "mobileDeviceManagementPolicy", &mdm)
                .violations
                .is_empty()
        );
        let bad = json!({"id": "x", "appliesTo": "everyone"});
        let report = check_entity(ApiVersion::Beta, "mobileDeviceManagementPolicy", &bad);
        assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
        assert!(report.violations[0].problem.contains("'everyone'"));
    }

    #[test]
    fn collections_check_every_item_and_primitive_kinds() {
        let page = json!({"@odata.context": "x", "value": [{"id": "d", "accountEnabled": "yes"}],
            "nextPage": "y"});
        let report = check_collection(ApiVersion::V1, "device", &page);
        assert_eq!(report.violations.len(), 2, "{:?}", report.violations);
        assert!(report.shape.contains("value.accountEnabled"));
    }
}
