//! The journal as a property: for any sequence of applies, reverts and kills (the journal saved
//! and read back through the session file, and a change cut off between journaling and doing
//! it), a final revert restores every setting to what it was before the lab touched it, and no
//! change is journaled twice.

use hello_bootstrap::lab::Step;
use hello_bootstrap::lab::session_file::SessionFile;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const STEPS: [Step; 4] = [
    Step::MdmUserScope,
    Step::WhfbEnrollment,
    Step::TapPolicy,
    Step::TapIssued,
];
const KEYS: [&str; 3] = ["state", "appliesTo", "targets"];

#[derive(Clone, Debug)]
enum Op {
    /// A step sets a key to a value; with `killed`, the process dies after journaling the
    /// original and before the change lands.
    Apply {
        step: usize,
        key: usize,
        value: u8,
        killed: bool,
    },
    /// A step's revert: restores its originals and forgets them.
    Revert { step: usize },
    /// The process dies and a new one loads the session file.
    Kill,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..STEPS.len(), 0..KEYS.len(), any::<u8>(), any::<bool>())
            .prop_map(|(step, key, value, killed)| Op::Apply { step, key, value, killed }),
        1 => (0..STEPS.len()).prop_map(|step| Op::Revert { step }),
        1 => Just(Op::Kill),
    ]
}

/// The tenant: one setting per (step, key), as the controllers would read and write it.
type Tenant = BTreeMap<(usize, usize), Value>;

fn original() -> Tenant {
    let mut t = Tenant::new();
    for s in 0..STEPS.len() {
        for k in 0..KEYS.len() {
            t.insert((s, k), json!(format!("original {s}/{k}")));
        }
    }
    t
}

fn revert(step: usize, tenant: &mut Tenant, file: &mut SessionFile) {
    let entries: Vec<(String, Value)> = file
        .journal
        .for_step(STEPS[step])
        .map(|e| (e.key.clone(), e.original.clone()))
        .collect();
    for (key, value) in entries {
        let k = KEYS.iter().position(|n| *n == key).expect("a known key");
        tenant.insert((step, k), value);
        file.journal.forget(STEPS[step], &key);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_then_a_revert_restores_the_original(ops in prop::collection::vec(op(), 0..40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        let mut tenant = original();
        let mut file = SessionFile::default();
        for op in ops {
            match op {
                Op::Apply { step, key, value, killed } => {
                    // What the controllers do: journal the value before our first change, save,
                    // then change.
                    let before = tenant[&(step, key)].clone();
                    file.journal.record(STEPS[step], KEYS[key], before);
                    file.save_to(&path).unwrap();
                    if killed {
                        file = SessionFile::load_from(&path).unwrap();
                        continue;
                    }
                    tenant.insert((step, key), json!(value));
                }
                Op::Revert { step } => {
                    revert(step, &mut tenant, &mut file);
                    file.save_to(&path).unwrap();
                }
                Op::Kill => file = SessionFile::load_from(&path).unwrap(),
            }
            let mut keys: Vec<_> = file.journal.entries.iter().map(|e| (e.step, e.key.clone())).collect();
            let all = keys.len();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), all, "a change journaled twice");
        }
        for step in 0..STEPS.len() {
            revert(step, &mut tenant, &mut file);
        }
        prop_assert_eq!(tenant, original());
        prop_assert!(file.journal.is_empty());
    }
}
