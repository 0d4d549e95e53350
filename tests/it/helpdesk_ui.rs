//! A kittest walk of the wizard's help-desk page by accessible labels, on the real TAP service
//! against the in-process emulator: search, a refusal for an administrator, issue, the
//! countdown and the pass hiding itself; then a CSV with a bad row: preview, issue, results.

use crate::common::{admin_graph, enable_tap_policy};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::compose::helpdesk::GraphHelpdesk;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::ui::pages::helpdesk::HelpdeskPage;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn wait_for(
    harness: &mut Harness<'_, HelpdeskPage>,
    what: &str,
    done: impl Fn(&Harness<'_, HelpdeskPage>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(harness) {
        if Instant::now() > deadline {
            let labels: Vec<String> = harness
                .root()
                .query_all(egui_kittest::kittest::by())
                .filter_map(|n| n.accesskit_node().label())
                .collect();
            panic!("timed out waiting for {what}; on screen: {labels:?}");
        }
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

fn has(harness: &Harness<'_, HelpdeskPage>, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

#[test]
fn help_desk_mode_search_refuse_issue_countdown_hide_then_a_csv() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .unwrap();
    let graph = admin_graph(&emulator);
    rt.block_on(enable_tap_policy(&graph));
    let users = rt
        .block_on(graph.get_all(
            hello_bootstrap::graph::ApiVersion::V1,
            "/users?$filter=jobTitle eq 'Accountant'&$select=userPrincipalName,accountEnabled",
        ))
        .unwrap();
    let plain = users
        .iter()
        .find(|u| u["accountEnabled"] == true)
        .and_then(|u| u["userPrincipalName"].as_str())
        .expect("a regular user")
        .to_string();
    let service = Arc::new(GraphHelpdesk::new(graph, emulator.admin_upn.clone()));
    let page = HelpdeskPage::new(service, rt.handle().clone()).with_show_seconds(3.0);
    let mut harness = Harness::builder()
        .with_size([1100.0, 1000.0])
        .with_context_setup(|ctx| {
            egui_extras::install_image_loaders(ctx);
            hello_bootstrap::ui::theme::apply_style(ctx, false);
        })
        .build_ui_state(|ui, page: &mut HelpdeskPage| page.show(ui), page);
    harness.run_steps(2);
    harness.get_by_label("Help desk: Temporary Access Passes");

    // An administrator: found, then refused with the role named.
    harness
        .get_by_label("Find a user (name or sign-in name)")
        .click();
    harness.run_steps(1);
    harness
        .get_by_label("Find a user (name or sign-in name)")
        .type_text("admin@");
    harness
        .get_by_role_and_label(Role::Button, "Search")
        .click();
    wait_for(&mut harness, "the admin in the results", |h| {
        has(h, "Lab Admin — admin@contosolab.onmicrosoft.com")
    });
    harness
        .get_by_label_contains("Lab Admin — admin@contosolab.onmicrosoft.com")
        .click();
    wait_for(&mut harness, "the refusal", |h| {
        has(h, "No pass can be issued")
    });
    harness.get_by_label_contains("holds the privileged role Global Administrator");

    // The lab user: ready, issued, shown with a countdown, then hidden by itself.
    harness
        .get_by_label("Find a user (name or sign-in name)")
        .focus();
    harness.run_steps(1);
    for _ in 0.."admin@".len() {
        harness.key_press(egui::Key::Backspace);
        harness.run_steps(1);
    }
    harness
        .get_by_label("Find a user (name or sign-in name)")
        .type_text("lab.user");
    harness
        .get_by_role_and_label(Role::Button, "Search")
        .click();
    let lab = emulator.lab_user_upn.clone();
    wait_for(&mut harness, "the lab user", |h| {
        has(h, &format!("Lab User — {lab}"))
    });
    harness
        .get_by_label_contains(&format!("Lab User — {lab}"))
        .click();
    wait_for(&mut harness, "the preflight", |h| {
        has(h, "Ready: nothing stands in the way of a pass.")
    });
    harness.get_by_label("Issue the pass").click();
    wait_for(&mut harness, "the pass", |h| h.state().showing_pass());
    harness.get_by_label(&format!("Temporary Access Pass for {lab}"));
    harness.get_by_label_contains("Hidden in ");
    let labels: Vec<String> = harness
        .root()
        .query_all(egui_kittest::kittest::by())
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect();
    let mut valid = 0;
    for text in labels
        .iter()
        .filter(|t| (8..=48).contains(&t.len()) && !t.contains(' '))
    {
        let answer: Value = rt.block_on(async {
            reqwest::Client::new()
                .post(format!("{}/_emulator/verify-tap", emulator.graph_url))
                .json(&json!({"upn": lab, "temporary_access_pass": text}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        valid += usize::from(answer["valid"] == true);
    }
    assert_eq!(
        valid, 1,
        "the pass on screen is the user's valid pass: {labels:?}"
    );
    wait_for(&mut harness, "the pass to hide itself", |h| {
        !h.state().showing_pass()
    });
    harness.get_by_label("The pass was shown and is now hidden; it was kept nowhere.");

    // Many users: a CSV with a bad row.
    let csv = home.path().join("class.csv");
    std::fs::write(
        &csv,
        format!(
            "upn;lifetime_minutes\n{plain};60\nbob@;60\nlab.user@contosolab.onmicrosoft.com;\n"
        ),
    )
    .unwrap();
    harness.get_by_label("Many users (CSV)").click();
    harness.run_steps(2);
    harness.get_by_label("CSV file").focus();
    harness.run_steps(1);
    harness
        .get_by_label("CSV file")
        .type_text(&csv.display().to_string());
    harness.run_steps(2);
    harness.get_by_label("Preview").click();
    harness.run_steps(2);
    harness.get_by_label("3 rows: 2 to issue, 1 with a problem (they are skipped).");
    harness.get_by_label_contains("line 3: bob@: line 3, field upn: 'bob@' has no domain");
    harness
        .get_by_label("Replace passes users already hold")
        .click();
    harness.get_by_label("Issue for the good rows").click();
    wait_for(&mut harness, "the results", |h| has(h, "Results: "));
    let results = harness.get_by_label_contains("Results: ");
    let node = results.accesskit_node();
    let text = node.label().or_else(|| node.value()).unwrap_or_default();
    let all: Vec<String> = harness
        .root()
        .query_all(egui_kittest::kittest::by())
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect();
    assert_eq!(text, "Results: 2 of 3 issued", "{all:?}");
    harness.get_by_label_contains(&format!("line 2: {plain} — issued"));
    harness.get_by_label_contains("line 4: lab.user@contosolab.onmicrosoft.com — replaced");

    // Export without the passes (the default): the file has every row and no code.
    let out = home.path().join("results.csv");
    harness.get_by_label("Export the results to").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Export the results to")
        .type_text(&out.display().to_string());
    harness.run_steps(2);
    harness.get_by_label("Export results").click();
    harness.run_steps(2);
    harness.get_by_label(&format!("Results written to {}", out.display()));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("line,upn,status,reason,end\n"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains(",skipped,"), "{text}");
    let code_on_screen = all
        .iter()
        .find_map(|l| l.strip_prefix("line 4: lab.user@contosolab.onmicrosoft.com — replaced — "))
        .and_then(|rest| rest.split(' ').next())
        .expect("the replaced pass on screen")
        .to_string();
    assert!(
        !text.contains(&code_on_screen),
        "no pass in the file: {text}"
    );
    rt.block_on(emulator.shutdown());
}
