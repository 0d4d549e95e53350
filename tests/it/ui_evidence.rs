//! Evidence a learner can reuse: step 4's PowerShell, pasted by hand, parses as PowerShell and
//! carries a hostile VM name and ISO path only inside single-quoted strings; the wizard shows
//! Graph requests against graph.microsoft.com, never the demo's loopback address.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{
    Evidence, EvidenceIds, GraphRequest, Step, StepOptions, pasteable_powershell,
};
use hello_bootstrap::steps::{StepContext, controller};
use hello_bootstrap::ui::theme;
use hello_bootstrap::ui::widgets::EvidenceView;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tree_sitter::{Node, Parser};

const NAME: &str = "Lab'; Remove-VM * -Force; \"$(Stop-Computer)\" José’s";
const ISO: &str = "C:\\ISO's\\$(iex x);`whoami`.iso";

fn lab_vm_powershell() -> String {
    let ctx = StepContext {
        graph: None,
        host: None,
        session: Arc::new(Mutex::new(SessionFile::default())),
        kind: SessionKind::Demo,
        options: StepOptions {
            vm_name: Some(NAME.into()),
            iso_path: Some(PathBuf::from(ISO)),
            ..StepOptions::default()
        },
        cancel: CancellationToken::new(),
        progress: None,
    };
    controller(Step::LabVm)
        .evidence(&ctx)
        .powershell
        .expect("step 4 shows its PowerShell")
}

fn walk<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    out.push(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, out);
    }
}

/// PowerShell's value of a single-quoted string literal.
fn unquote(literal: &str) -> String {
    let inner = &literal[1..literal.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        let quote = matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
        if quote && chars.peek().is_some_and(|n| *n == c) {
            chars.next();
        }
        out.push(c);
    }
    out
}

#[test]
fn step_4s_powershell_pastes_with_its_values_inline_as_quoted_data() {
    let pasted = pasteable_powershell(&lab_vm_powershell());
    assert!(!pasted.contains("OpenStandardInput"), "{pasted}");
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    let tree = parser.parse(&pasted, None).expect("a tree");
    let mut nodes = Vec::new();
    walk(tree.root_node(), &mut nodes);
    let errors: Vec<_> = nodes
        .iter()
        .filter(|n| n.is_error() || n.is_missing())
        .map(|n| {
            format!(
                "{}: {:?}",
                n.start_position().row + 1,
                &pasted[n.byte_range()]
            )
        })
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{pasted}");
    let strings: Vec<String> = nodes
        .iter()
        .filter(|n| n.kind() == "verbatim_string_characters")
        .map(|n| unquote(&pasted[n.byte_range()]))
        .collect();
    assert!(strings.iter().any(|s| s == NAME), "{strings:?}\n{pasted}");
    assert!(strings.iter().any(|s| s == ISO), "{strings:?}\n{pasted}");
    // Nothing of the hostile values runs: no command named after them.
    assert!(
        !nodes
            .iter()
            .filter(|n| n.kind() == "command_name")
            .any(|n| {
                let name = &pasted[n.byte_range()];
                name.contains("Remove-VM") || name.contains("Stop-Computer") || name == "iex"
            }),
        "{pasted}"
    );
}

#[test]
fn requests_show_graphs_public_address_with_the_runs_ids_wrapped_at_path_boundaries() {
    let evidence = Evidence {
        requests: vec![GraphRequest::new(
            "GET",
            "http://127.0.0.1:35297/beta/auditLogs/signIns?$filter=userId eq '{userId}'",
            None,
        )],
        ..Evidence::default()
    };
    let user = "11111111-2222-3333-4444-555555555555";
    let ids = EvidenceIds {
        user_id: Some(user.into()),
        ..EvidenceIds::default()
    };
    let mut harness = Harness::builder()
        .with_size([520.0, 900.0])
        .with_context_setup(|ctx| {
            egui_extras::install_image_loaders(ctx);
            theme::apply_style(ctx, false);
        })
        .build_ui(move |ui| {
            EvidenceView {
                evidence: &evidence,
                secrets: vec![],
                ids: &ids,
                changed_by_us: false,
                link_failed: None,
            }
            .show(ui, &mut Vec::new());
        });
    harness.run();
    harness.get_by_label("Show the Graph request").click();
    harness.run();
    let shown = harness.get_by_label_contains("GET https://graph.microsoft.com/beta");
    let text = shown
        .accesskit_node()
        .label()
        .or_else(|| shown.value())
        .unwrap_or_default();
    assert!(!text.contains("127.0.0.1"), "{text}");
    assert!(
        text.contains(user),
        "the run's user id fills the placeholder: {text}"
    );
    assert!(text.contains('\n'), "a long URL is wrapped: {text}");
    for line in text.lines() {
        assert!(
            !line.ends_with('-'),
            "a line breaks inside the id: {line:?} in {text}"
        );
    }
    assert!(harness.query_by_label_contains("127.0.0.1").is_none());
}
