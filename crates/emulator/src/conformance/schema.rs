//! Microsoft's published Graph schema, read once per process: the v1.0 CSDL (types, base types,
//! property types, enum members) and the beta own-property and enum-member lists, as copied
//! unchanged from `microsoftgraph/msgraph-metadata` into `crates/emulator/schema/` (see its
//! README). Only this module reads those files; every check asks it by full type name
//! (`microsoft.graph.user`).

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const V1_CSDL: &str = include_str!("../../schema/v1.0.csdl");
const BETA_ENTITIES: &str = include_str!("../../schema/beta-entity-types.json");
const BETA_COMPLEX: &str = include_str!("../../schema/beta-complex-types.json");
const BETA_ENUMS: &str = include_str!("../../schema/beta-enum-types.json");

/// Base types of beta-only types, which the beta lists do not carry. Each is the base the type's
/// beta "resource type" page states ("Inherits from ...").
const BETA_ONLY_BASES: &[(&str, &str)] = &[
    // "mobileDeviceManagementPolicy resource type" (beta): inherits from mobilityManagementPolicy.
    (
        "microsoft.graph.mobileDeviceManagementPolicy",
        "microsoft.graph.mobilityManagementPolicy",
    ),
    // "mobileAppManagementPolicy resource type" (beta): inherits from mobilityManagementPolicy.
    (
        "microsoft.graph.mobileAppManagementPolicy",
        "microsoft.graph.mobilityManagementPolicy",
    ),
    // "mobilityManagementPolicy resource type" (beta): inherits from entity.
    (
        "microsoft.graph.mobilityManagementPolicy",
        "microsoft.graph.entity",
    ),
];

/// Types of the beta-only properties the lab reads or writes, which the beta lists do not carry:
/// each as the property table of the type's beta "resource type" page states it.
const BETA_ONLY_PROPERTY_TYPES: &[(&str, &str, &str)] = &[
    // "mobilityManagementPolicy resource type" (beta): appliesTo is a policyScope.
    (
        "microsoft.graph.mobilityManagementPolicy",
        "appliesTo",
        "microsoft.graph.policyScope",
    ),
    (
        "microsoft.graph.mobilityManagementPolicy",
        "includedGroups",
        "Collection(microsoft.graph.group)",
    ),
];

/// A property's declared type: `microsoft.graph.x` or `Edm.String`, and whether it is a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropType {
    pub name: String,
    pub collection: bool,
}

/// A v1.0 entity or complex type.
#[derive(Clone, Debug, Default)]
pub struct TypeDef {
    pub base: Option<String>,
    pub properties: HashMap<String, PropType>,
    pub navigation: HashMap<String, PropType>,
}

/// A beta type's own names.
#[derive(Clone, Debug, Default)]
pub struct BetaType {
    pub names: HashSet<String>,
}

/// The whole schema of both versions.
#[derive(Debug, Default)]
pub struct Schema {
    pub v1_types: HashMap<String, TypeDef>,
    pub v1_enums: HashMap<String, HashSet<String>>,
    pub beta_types: HashMap<String, BetaType>,
    pub beta_enums: HashMap<String, HashSet<String>>,
}

/// The schema, parsed on first use.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = Schema::default();
        parse_csdl(V1_CSDL, &mut schema)
            .unwrap_or_else(|e| panic!("the vendored v1.0 CSDL does not parse: {e}"));
        for text in [BETA_ENTITIES, BETA_COMPLEX] {
            parse_beta_types(text, &mut schema.beta_types);
        }
        parse_beta_enums(BETA_ENUMS, &mut schema.beta_enums);
        schema
    })
}

/// Full name of a type reference: aliases (`graph.user`, `self.alert`) become their namespace.
fn full_name(reference: &str, aliases: &HashMap<String, String>) -> String {
    match reference.split_once('.') {
        Some((head, rest)) if aliases.contains_key(head) => format!("{}.{rest}", aliases[head]),
        _ => reference.to_string(),
    }
}

fn prop_type(raw: &str, aliases: &HashMap<String, String>) -> PropType {
    match raw
        .strip_prefix("Collection(")
        .and_then(|s| s.strip_suffix(')'))
    {
        Some(inner) => PropType {
            name: full_name(inner, aliases),
            collection: true,
        },
        None => PropType {
            name: full_name(raw, aliases),
            collection: false,
        },
    }
}

fn parse_csdl(text: &str, schema: &mut Schema) -> Result<(), String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let schemas: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Schema"))
        .collect();
    let mut aliases = HashMap::new();
    for s in &schemas {
        if let (Some(ns), Some(alias)) = (s.attribute("Namespace"), s.attribute("Alias")) {
            aliases.insert(alias.to_string(), ns.to_string());
        }
    }
    for s in &schemas {
        let ns = s.attribute("Namespace").unwrap_or("microsoft.graph");
        for node in s.children().filter(|n| n.is_element()) {
            let Some(name) = node.attribute("Name") else {
                continue;
            };
            let full = format!("{ns}.{name}");
            match node.tag_name().name() {
                "EnumType" => {
                    let members = node
                        .children()
                        .filter(|m| m.has_tag_name("Member"))
                        .filter_map(|m| m.attribute("Name").map(str::to_string))
                        .collect();
                    schema.v1_enums.insert(full, members);
                }
                "EntityType" | "ComplexType" => {
                    let mut def = TypeDef {
                        base: node.attribute("BaseType").map(|b| full_name(b, &aliases)),
                        ..TypeDef::default()
                    };
                    for p in node.children().filter(|p| p.is_element()) {
                        let (Some(pname), Some(ptype)) = (p.attribute("Name"), p.attribute("Type"))
                        else {
                            continue;
                        };
                        let target = match p.tag_name().name() {
                            "Property" => &mut def.properties,
                            "NavigationProperty" => &mut def.navigation,
                            _ => continue,
                        };
                        target.insert(pname.to_string(), prop_type(ptype, &aliases));
                    }
                    schema.v1_types.insert(full, def);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn parse_beta_types(text: &str, into: &mut HashMap<String, BetaType>) {
    let Ok(Value::Object(namespaces)) = serde_json::from_str::<Value>(text) else {
        panic!("a vendored beta type list is not a JSON object");
    };
    for (ns, types) in namespaces {
        let Value::Object(types) = types else {
            continue;
        };
        for (name, lists) in types {
            let mut names = HashSet::new();
            for key in ["properties", "navigationProperties"] {
                if let Some(list) = lists.get(key).and_then(Value::as_array) {
                    names.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            into.insert(format!("{ns}.{name}"), BetaType { names });
        }
    }
}

fn parse_beta_enums(text: &str, into: &mut HashMap<String, HashSet<String>>) {
    let Ok(Value::Object(namespaces)) = serde_json::from_str::<Value>(text) else {
        panic!("the vendored beta enum list is not a JSON object");
    };
    for (ns, enums) in namespaces {
        let Value::Object(enums) = enums else {
            continue;
        };
        for (name, members) in enums {
            let members = members
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            into.insert(format!("{ns}.{name}"), members);
        }
    }
}

impl Schema {
    /// The base of `type_name`: from v1.0, else from the beta-only table.
    pub fn base_of(&self, type_name: &str) -> Option<&str> {
        match self.v1_types.get(type_name) {
            Some(def) => def.base.as_deref(),
            None => BETA_ONLY_BASES
                .iter()
                .find(|(t, _)| *t == type_name)
                .map(|(_, b)| *b),
        }
    }

    /// `type_name` and its bases, most derived first.
    pub fn chain(&self, type_name: &str) -> Vec<String> {
        let mut chain = vec![type_name.to_string()];
        while let Some(base) = chain.last().and_then(|t| self.base_of(t)) {
            if chain.iter().any(|t| t == base) {
                break;
            }
            chain.push(base.to_string());
        }
        chain
    }

    /// Whether `derived` is `base` or inherits from it.
    pub fn derives_from(&self, derived: &str, base: &str) -> bool {
        self.chain(derived).iter().any(|t| t == base)
    }

    /// The v1.0 declared type of `property` on `type_name` or a base.
    pub fn v1_property(&self, type_name: &str, property: &str) -> Option<&PropType> {
        self.chain(type_name).iter().find_map(|t| {
            let def = self.v1_types.get(t)?;
            def.properties
                .get(property)
                .or_else(|| def.navigation.get(property))
        })
    }

    /// The declared type of `property` on `type_name` or a base: v1.0's, else the beta-only table's.
    pub fn property_type(&self, type_name: &str, property: &str) -> Option<PropType> {
        if let Some(p) = self.v1_property(type_name, property) {
            return Some(p.clone());
        }
        let chain = self.chain(type_name);
        BETA_ONLY_PROPERTY_TYPES
            .iter()
            .find(|(t, p, _)| *p == property && chain.iter().any(|c| c == t))
            .map(|(_, _, raw)| prop_type(raw, &HashMap::new()))
    }

    /// Whether `type_name` on beta (own lists along the chain) has `property`.
    pub fn beta_has(&self, type_name: &str, property: &str) -> bool {
        self.chain(type_name).iter().any(|t| {
            self.beta_types
                .get(t)
                .is_some_and(|b| b.names.contains(property))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inheritance_and_aliases_resolve_as_the_readme_says() {
        let s = schema();
        assert_eq!(
            s.chain("microsoft.graph.temporaryAccessPassAuthenticationMethod"),
            [
                "microsoft.graph.temporaryAccessPassAuthenticationMethod",
                "microsoft.graph.authenticationMethod",
                "microsoft.graph.entity"
            ]
        );
        assert_eq!(
            s.v1_property("microsoft.graph.user", "identities"),
            Some(&PropType {
                name: "microsoft.graph.objectIdentity".into(),
                collection: true
            })
        );
        assert!(s.beta_has("microsoft.graph.mobileDeviceManagementPolicy", "appliesTo"));
        assert!(!s.beta_has("microsoft.graph.mobileDeviceManagementPolicy", "appliesToo"));
        assert!(s.v1_enums["microsoft.graph.policyPlatformType"].contains("windows10AndLater"));
    }
}
