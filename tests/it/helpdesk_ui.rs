//! A kittest walk of the wizard's help-desk page by accessible labels, on the real TAP service
//! against the in-process emulator: search as you type, a refusal for an administrator, issue,
//! the countdown, a printable handout saved only when asked, the pass hiding itself; then a CSV
//! with a bad row: preview, issue, results masked with per-row show and copy, dismissed; then
//! the audit trail. And search as you type runs once typing pauses and cancels what it replaces.

use crate::common::{admin_graph, enable_tap_policy};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::compose::helpdesk::GraphHelpdesk;
use hello_bootstrap::emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use hello_bootstrap::ui::pages::helpdesk::{
    AuditRow, BulkProgress, BulkRow, FoundUser, HelpdeskPage, HelpdeskService, IssuedPass, MASK,
    PassChoice, Pending, PreviewRow, Verdict,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
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
    // As under Xvfb with no desktop: no session bus for the file chooser portal, no zenity.
    let empty_path = home.path().join("no programs");
    std::fs::create_dir(&empty_path).unwrap();
    // SAFETY: as above.
    unsafe {
        std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
        std::env::remove_var("XDG_RUNTIME_DIR");
        std::env::set_var("PATH", &empty_path);
    }
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
    let page = HelpdeskPage::new(service, rt.handle().clone()).with_show_seconds(10.0);
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
    // No click: the search runs by itself once typing pauses.
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
    let mut code = String::new();
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
        if answer["valid"] == true {
            valid += 1;
            code = text.clone();
        }
    }
    assert_eq!(
        valid, 1,
        "the pass on screen is the user's valid pass: {labels:?}"
    );
    // Nothing of ours holds the pass before the person asks for a handout.
    assert!(
        files_holding(home.path(), &code).is_empty(),
        "the pass is in no file"
    );
    // No file dialog can open in this process (no session bus, no zenity): "Choose where…"
    // says so, on the runtime, and the path field stays the way.
    harness.get_by_label("Choose where…").click();
    wait_for(&mut harness, "the note that no dialog can open", |h| {
        has(h, "No file dialog can open here")
    });
    harness.get_by_label_contains("Type the path in the field instead.");
    let handout = home.path().join("handout for lab user.html");
    harness.get_by_label("Save a printable handout as").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Save a printable handout as")
        .type_text(&handout.display().to_string());
    harness.run_steps(1);
    // The write runs on the runtime: its outcome comes back by waking the UI from another
    // thread, and reaches the screen only in the frame after that (a write on the UI thread
    // would wake nothing).
    let woken = repaint_requests_from_other_threads(&harness);
    harness.get_by_label("Save handout").click();
    harness.step();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(handout.exists() && woken.load(std::sync::atomic::Ordering::SeqCst) > 0) {
        assert!(
            Instant::now() < deadline,
            "the written file and a wake from another thread (the runtime)"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !has(&harness, "Handout saved to"),
        "no frame ran: the outcome is not yet on screen"
    );
    harness.step();
    harness.get_by_label_contains(&format!("Handout saved to {}", handout.display()));
    let page_text = std::fs::read_to_string(&handout).unwrap();
    assert!(page_text.contains(&code), "the handout holds the pass");
    assert!(page_text.contains("Lab User") && page_text.contains(&lab));
    assert!(page_text.contains("Valid from"));
    assert!(page_text.contains(hello_bootstrap::ui::pages::helpdesk::handout::SIGN_IN_URL));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&handout).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read the handout");
    }
    assert_eq!(
        files_holding(home.path(), &code),
        vec![handout.clone()],
        "the handout is the one file holding the pass"
    );
    // Saved again to the same name: refused, naming the file, and the first one kept.
    harness.get_by_label("Save handout").click();
    wait_for(&mut harness, "the refusal to overwrite", |h| {
        has(h, "already exists")
    });
    harness.get_by_label(&format!(
        "{} already exists: choose a new file name",
        handout.display()
    ));
    assert_eq!(files_holding(home.path(), &code), vec![handout.clone()]);
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
    harness.get_by_label("Browse…").click();
    wait_for(&mut harness, "the note that no dialog can open", |h| {
        has(h, "No file dialog can open here")
    });
    harness.get_by_label("CSV file").focus();
    harness.run_steps(1);
    harness
        .get_by_label("CSV file")
        .type_text(&csv.display().to_string());
    harness.run_steps(2);
    harness.get_by_label("Preview").click();
    // The file is read on the runtime, off the UI thread: the preview comes a few frames later.
    wait_for(&mut harness, "the preview", |h| has(h, "3 rows: "));
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
    // Every pass masked until shown, one row at a time.
    let masked = format!("line 4: lab.user@contosolab.onmicrosoft.com — replaced — {MASK} until ");
    harness.get_by_label_contains(&masked);
    assert!(
        !all.iter().any(|l| l.contains(&code)),
        "no pass in clear on the results: {all:?}"
    );
    harness
        .get_by_label("Show the pass for lab.user@contosolab.onmicrosoft.com")
        .click();
    harness.run_steps(2);
    let all: Vec<String> = harness
        .root()
        .query_all(egui_kittest::kittest::by())
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect();
    assert!(
        all.iter()
            .any(|l| l.contains(&format!("line 2: {plain} — issued — {MASK}"))),
        "the other row stays masked: {all:?}"
    );
    harness.get_by_label("Hide the pass for lab.user@contosolab.onmicrosoft.com");
    harness
        .get_by_label("Copy the pass for lab.user@contosolab.onmicrosoft.com")
        .click();
    harness.step();
    let copied = copied_text(&harness).expect("the pass went to the clipboard");
    let copied_at = harness.ctx.input(|i| i.time);
    assert!(copied.len() >= 8 && !copied.contains(' '), "{copied}");

    // Export without the passes (the default): the file has every row and no code.
    let out = home.path().join("results.csv");
    harness.get_by_label("Export the results to").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Export the results to")
        .type_text(&out.display().to_string());
    harness.run_steps(2);
    assert_eq!(
        harness
            .get_by_label("Export the results to")
            .value()
            .as_deref(),
        Some(out.display().to_string().as_str())
    );
    harness.get_by_label("Export results").click();
    wait_for(&mut harness, "the export", |h| has(h, "Results written to"));
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
    assert_eq!(code_on_screen, copied, "the copied pass is the one shown");
    assert!(
        rt.block_on(verify(&emulator, &lab, &copied)),
        "the replaced pass shown is the user's valid pass"
    );
    assert!(
        !text.contains(&code_on_screen),
        "no pass in the file: {text}"
    );
    // The clipboard is cleared after its minute of app time since the copy.
    let since_copy = |h: &Harness<'_, HelpdeskPage>| h.ctx.input(|i| i.time) - copied_at;
    while copied_text(&harness).as_deref() != Some("") {
        assert!(
            since_copy(&harness) < 62.0,
            "the clipboard was never cleared"
        );
        harness.step();
    }
    let after = since_copy(&harness);
    assert!(
        after >= 58.0,
        "cleared after its minute, not at once ({after} s)"
    );

    // A folder that does not exist: the failure names the file and the OS error.
    let nowhere = home.path().join("no such folder").join("results.csv");
    harness.get_by_label("Export the results to").focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness
        .get_by_label("Export the results to")
        .type_text(&nowhere.display().to_string());
    harness.run_steps(2);
    harness.get_by_label("Export results").click();
    wait_for(&mut harness, "the failed export", |h| {
        has(h, "cannot write ")
    });
    harness.get_by_label_contains(&format!(
        "cannot write {}: No such file or directory (os error 2)",
        nowhere.display()
    ));
    // Dismissed, the results and every pass in them are gone from the screen.
    harness.get_by_label("Dismiss the results").click();
    harness.run_steps(2);
    assert!(!has(&harness, "Results: "));
    assert!(!has(&harness, &code_on_screen));

    // The audit trail: what was issued and replaced, by whom, never a code.
    harness.get_by_label("Audit trail").click();
    wait_for(&mut harness, "the audit trail", |h| has(h, " entries"));
    harness.get_by_label("3 entries");
    harness.get_by_label_contains(&format!("{} issued {lab}", emulator.admin_upn));
    harness.get_by_label_contains(&format!("{} replaced {lab}", emulator.admin_upn));
    harness.get_by_label_contains(&format!("{} issued {plain}", emulator.admin_upn));
    let all: Vec<String> = harness
        .root()
        .query_all(egui_kittest::kittest::by())
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect();
    assert!(
        !all.iter()
            .any(|l| l.contains(&code_on_screen) || l.contains(&code)),
        "no pass on the audit tab: {all:?}"
    );
    rt.block_on(emulator.shutdown());
}

/// Counts the requests to repaint at once that come from threads other than this one (the
/// runtime's jobs waking the UI), from now on.
fn repaint_requests_from_other_threads(
    harness: &Harness<'_, HelpdeskPage>,
) -> Arc<std::sync::atomic::AtomicUsize> {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    let ui_thread = std::thread::current().id();
    harness.ctx.set_repaint_observer(move |info| {
        if info.delay.is_zero() && std::thread::current().id() != ui_thread {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    count
}

async fn verify(emulator: &EmulatorHandle, upn: &str, tap: &str) -> bool {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/_emulator/verify-tap", emulator.graph_url))
        .json(&json!({"upn": upn, "temporary_access_pass": tap}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["valid"] == true
}

/// The last text the page put on the clipboard this frame, if any.
fn copied_text(harness: &Harness<'_, HelpdeskPage>) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .rev()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}

/// The real service, watched: which searches started, and which finished or were dropped
/// unfinished (cancelled) when the next keystroke superseded them.
struct Watched {
    inner: GraphHelpdesk,
    log: Arc<Mutex<Vec<(String, &'static str)>>>,
}

struct Finish {
    log: Arc<Mutex<Vec<(String, &'static str)>>>,
    text: String,
    done: bool,
}

impl Drop for Finish {
    fn drop(&mut self) {
        let what = if self.done { "finished" } else { "cancelled" };
        self.log.lock().unwrap().push((self.text.clone(), what));
    }
}

impl HelpdeskService for Watched {
    fn account(&self) -> String {
        self.inner.account()
    }
    fn search(&self, text: String) -> Pending<Result<Vec<FoundUser>, String>> {
        self.log.lock().unwrap().push((text.clone(), "started"));
        let work = self.inner.search(text.clone());
        // Made here, not in the future, so a search aborted before its first poll logs too.
        let finish = Finish {
            log: self.log.clone(),
            text,
            done: false,
        };
        Box::pin(async move {
            // The whole guard moves in (a field assignment alone would capture just the field).
            let mut finish = finish;
            let found = work.await;
            finish.done = true;
            found
        })
    }
    fn preflight(&self, upn: String, choice: PassChoice) -> Pending<Result<Verdict, String>> {
        self.inner.preflight(upn, choice)
    }
    fn issue(&self, upn: String, choice: PassChoice) -> Pending<Result<IssuedPass, String>> {
        self.inner.issue(upn, choice)
    }
    fn preview_csv(&self, bytes: &[u8]) -> Result<Vec<PreviewRow>, String> {
        self.inner.preview_csv(bytes)
    }
    fn audit(&self) -> Pending<Result<Vec<AuditRow>, String>> {
        self.inner.audit()
    }
    fn issue_csv(
        &self,
        bytes: Vec<u8>,
        choice: PassChoice,
        progress: BulkProgress,
    ) -> Pending<Result<Vec<BulkRow>, String>> {
        self.inner.issue_csv(bytes, choice, progress)
    }
}

#[test]
fn search_as_you_type_waits_for_a_pause_and_cancels_the_search_it_replaces() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Each Graph answer takes a second, so a search is still out when the next keystroke comes.
    let emulator = rt
        .block_on(Emulator::start(EmulatorConfig {
            latency_ms: 1000,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let graph = admin_graph(&emulator);
    let log = Arc::new(Mutex::new(Vec::new()));
    let service = Arc::new(Watched {
        inner: GraphHelpdesk::new(graph, emulator.admin_upn.clone()),
        log: log.clone(),
    });
    let page = HelpdeskPage::new(service, rt.handle().clone());
    let mut harness = Harness::builder()
        .with_size([1100.0, 900.0])
        .with_context_setup(|ctx| hello_bootstrap::ui::theme::apply_style(ctx, false))
        .build_ui_state(|ui, page: &mut HelpdeskPage| page.show(ui), page);
    harness.run_steps(2);
    let field = "Find a user (name or sign-in name)";
    harness.get_by_label(field).focus();
    harness.run_steps(1);
    // One keystroke a frame (a quarter second apart): faster than the pause that starts a search.
    for c in ["l", "a", "b", "."] {
        harness.get_by_label(field).type_text(c);
        harness.step();
    }
    assert!(
        log.lock().unwrap().is_empty(),
        "no search while typing: {log:?}"
    );
    harness.run_steps(2);
    assert_eq!(
        *log.lock().unwrap(),
        vec![("lab.".to_string(), "started")],
        "one search once typing paused"
    );
    for c in ["u", "s", "e"] {
        harness.get_by_label(field).type_text(c);
        harness.step();
    }
    harness.run_steps(2);
    let lab = emulator.lab_user_upn.clone();
    wait_for(&mut harness, "the lab user", |h| {
        has(h, &format!("Lab User — {lab}"))
    });
    // The dropped future logs from the runtime's thread; give it a moment.
    std::thread::sleep(Duration::from_millis(200));
    // The abort lands on the runtime's thread, so its entry may come after the next start.
    let mut seen = log.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("lab.".to_string(), "cancelled"),
            ("lab.".to_string(), "started"),
            ("lab.use".to_string(), "finished"),
            ("lab.use".to_string(), "started"),
        ],
        "the superseded search was cancelled, not left to run"
    );
    rt.block_on(emulator.shutdown());
}
