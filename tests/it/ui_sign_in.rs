//! Step 7's sign-in as a learner and a presenter see it, in the real demo (in-process emulator,
//! emulated host at the demo's pace) driven by accessible labels: "Type the UPN" and "Type the
//! TAP" each wait for their own page and sign in through UI -> command -> session -> job ->
//! host; then "Replay the sign-in" lets Apply drive it, and every screen of it (the sign-in
//! page, the typed name, the pass page, "Set up a PIN", the desktop) is seen by the UI for long
//! enough to follow.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use hello_bootstrap::lab::session::VmPage;
use hello_bootstrap::lab::{Step, StepStatus};
use hello_bootstrap::ui::pages::typing::{TYPE_TAP, TYPE_UPN};
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use std::time::{Duration, Instant};

fn wait_for(harness: &mut Harness<'_, HelloApp>, what: &str, done: impl Fn(&HelloApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(harness.state()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: step 7 {:?}, VM page {:?}",
            harness.state().lab().step(Step::Bootstrap),
            page_shown(harness.state())
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
}

fn settled(app: &HelloApp) -> bool {
    let lab = app.lab();
    !lab.connection.is_connecting() && !lab.busy()
}

fn page_shown(app: &HelloApp) -> Option<VmPage> {
    app.lab().vm_screen.as_ref().and_then(|s| s.page)
}

fn disabled(harness: &Harness<'_, HelloApp>, label: &str) -> bool {
    harness
        .get_by_role_and_label(Role::Button, label)
        .accesskit_node()
        .is_disabled()
}

/// Presses PageDown (presenter mode) until step 7 shows, every earlier step applied.
fn walk_to_step_seven(harness: &mut Harness<'_, HelloApp>) {
    let mut presses = 0;
    while harness.state().page() != Page::Step(Step::Bootstrap) {
        assert!(presses < 30, "PageDown never reached step 7");
        harness.key_press(egui::Key::PageDown);
        presses += 1;
        harness.run_steps(2);
        wait_for(harness, "the page's work", settled);
    }
    wait_for(harness, "step 7's screen", |app| page_shown(app).is_some());
}

/// The controls a text tells the person to use: `press "X"`, `click "X"`, `"X" button`, and
/// the quoted names in a PowerShell comment line (`# "Type the UPN" and "Type the TAP": ...`).
fn named_controls(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let comment = line.trim_start().starts_with('#');
        let parts: Vec<&str> = line.split('"').collect();
        // Odd indexes are the quoted phrases.
        for i in (1..parts.len()).step_by(2) {
            if i + 1 >= parts.len() {
                break;
            }
            let before = parts[i - 1].to_lowercase();
            let after = parts[i + 1].to_lowercase();
            let pressed = ["press ", "click ", "pressed "]
                .iter()
                .any(|w| before.ends_with(w))
                || after.starts_with(" button");
            if pressed || comment {
                names.push(parts[i].to_string());
            }
        }
    }
    names
}

/// Fails when any text on the page names a control the page does not have. Options the VM's
/// own pages show ("Set up for work or school") are not ours and are not quoted after "press".
fn every_named_control_exists(harness: &Harness<'_, HelloApp>) {
    use egui_kittest::kittest::by;
    let nodes: Vec<_> = harness.query_all(by()).collect();
    let texts: Vec<String> = nodes
        .iter()
        .flat_map(|n| {
            let node = n.accesskit_node();
            [node.label(), node.value()]
        })
        .flatten()
        .collect();
    let controls: Vec<String> = nodes
        .iter()
        .filter(|n| {
            matches!(
                n.accesskit_node().role(),
                Role::Button | Role::Link | Role::CheckBox | Role::RadioButton
            )
        })
        .filter_map(|n| n.accesskit_node().label())
        .collect();
    let mut checked = 0;
    for text in &texts {
        for name in named_controls(text) {
            checked += 1;
            assert!(
                controls.iter().any(|c| c == &name),
                "the text names \"{name}\", which is no control on this page: {text}\ncontrols: {controls:?}"
            );
        }
    }
    assert!(checked > 0, "the page names no control at all: {texts:?}");
}

#[test]
fn named_controls_are_found_in_instructions_and_powershell_comments() {
    assert_eq!(
        named_controls("When it asks, press \"Type the TAP\". Then set up a PIN."),
        ["Type the TAP"]
    );
    assert_eq!(
        named_controls("# \"Type it for me\": Hyper-V's virtual keyboard"),
        ["Type it for me"]
    );
    assert_eq!(
        named_controls("Press \"Check again\" once done"),
        ["Check again"]
    );
    assert!(named_controls("The VM shows \"Set up a PIN\".").is_empty());
}

/// One observed frame: when, which page, and a fingerprint of its pixels.
struct Seen {
    at: Instant,
    page: VmPage,
    pixels: u64,
}

fn fingerprint(px: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    px.hash(&mut h);
    h.finish()
}

#[test]
fn typing_buttons_wait_for_their_page_and_apply_paces_every_screen_of_the_sign_in() {
    let home = tempfile::tempdir().expect("temp dir");
    // SAFETY: nextest runs each test in a process of its own; nothing else reads the environment yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut harness: Harness<'static, HelloApp> = Harness::builder()
        .with_size([1366.0, 900.0])
        .build_eframe(|cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    presenter: true,
                    connector: hello_bootstrap::compose::default_connector(),
                    ..AppOptions::default()
                },
            )
            .expect("app builds")
        });
    harness.run();
    walk_to_step_seven(&mut harness);
    harness
        .get_by_label("Show the PowerShell")
        .click_accesskit();
    harness.run_steps(2);
    every_named_control_exists(&harness);

    // The learner's pace: on the sign-in page only "Type the UPN" can be pressed.
    assert_eq!(page_shown(harness.state()), Some(VmPage::SignIn));
    assert!(!disabled(&harness, TYPE_UPN), "the sign-in page shows");
    assert!(
        disabled(&harness, TYPE_TAP),
        "the pass page does not show yet"
    );
    harness.get_by_label_contains(&format!("{TYPE_TAP}: The VM shows \"Sign in with"));
    harness
        .get_by_role_and_label(Role::Button, TYPE_UPN)
        .click_accesskit();
    harness.run_steps(2);
    wait_for(&mut harness, "the pass page", |app| {
        page_shown(app) == Some(VmPage::Tap) && settled(app)
    });
    assert_eq!(
        harness.state().lab().step(Step::Bootstrap).last_action,
        Some(hello_bootstrap::lab::session::JobAction::TypeUpn)
    );
    assert!(disabled(&harness, TYPE_UPN), "the account was typed");
    assert!(!disabled(&harness, TYPE_TAP), "the pass page shows");
    harness
        .get_by_role_and_label(Role::Button, TYPE_TAP)
        .click_accesskit();
    harness.run_steps(2);
    wait_for(&mut harness, "the sign-in's checks", |app| {
        settled(app) && app.lab().status(Step::Bootstrap) == StepStatus::Applied
    });
    assert_eq!(page_shown(harness.state()), Some(VmPage::Desktop));
    every_named_control_exists(&harness);

    // The presenter's pace: Apply drives the replayed sign-in, and each screen stays up.
    harness
        .get_by_role_and_label(Role::Button, "Replay the sign-in")
        .click_accesskit();
    harness.run_steps(2);
    let mut seen: Vec<Seen> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut started = false;
    loop {
        assert!(Instant::now() < deadline, "the replay never ended");
        harness.step();
        let app = harness.state();
        let running = app.lab().step(Step::Bootstrap).running.clone();
        if running
            .as_ref()
            .is_some_and(|r| r.action == hello_bootstrap::lab::session::JobAction::Apply)
        {
            started = true;
        }
        if let Some(screen) = &app.lab().vm_screen
            && started
        {
            let page = screen.page.expect("the emulated host reads its pages");
            let pixels = fingerprint(&screen.rgba);
            // The previous run's desktop may still show as Apply starts: it is not this run's.
            let before_this_run = seen.is_empty() && page == VmPage::Desktop;
            if !before_this_run && seen.last().is_none_or(|s| s.pixels != pixels) {
                seen.push(Seen {
                    at: Instant::now(),
                    page,
                    pixels,
                });
            }
        }
        // The job may end a moment before the desktop's frame arrives: wait for it too.
        if started && running.is_none() && seen.last().is_some_and(|s| s.page == VmPage::Desktop) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        harness.state().lab().status(Step::Bootstrap),
        StepStatus::Applied
    );
    let pages: Vec<VmPage> = seen.iter().map(|s| s.page).collect();
    // How long each observed frame stayed before the next one replaced it (the last one stays).
    let held = |i: usize| seen.get(i + 1).map_or(Duration::MAX, |n| n.at - seen[i].at);
    let frames_of = |page: VmPage| -> Vec<usize> {
        (0..seen.len()).filter(|&i| seen[i].page == page).collect()
    };
    let sign_in = frames_of(VmPage::SignIn);
    assert!(
        sign_in.len() >= 2,
        "the empty sign-in page and the typed name are two screens: {pages:?}"
    );
    let typed_name = *sign_in.last().unwrap();
    for (what, frame) in [
        ("the typed name", Some(typed_name)),
        ("the pass page", frames_of(VmPage::Tap).first().copied()),
        (
            "\"Set up a PIN\"",
            frames_of(VmPage::PinSetup).first().copied(),
        ),
        ("the desktop", frames_of(VmPage::Desktop).first().copied()),
    ] {
        let frame = frame.unwrap_or_else(|| panic!("{what} was never seen: {pages:?}"));
        // The page's time on screen: from its first frame to the next page's first frame.
        let page = seen[frame].page;
        let next_page = (frame..seen.len()).find(|&i| seen[i].page != page);
        let shown = match (what, next_page) {
            ("the typed name", _) => held(frame),
            (_, Some(next)) => seen[next].at - seen[frame].at,
            (_, None) => Duration::MAX,
        };
        assert!(
            shown >= Duration::from_millis(1500),
            "{what} was on screen for only {shown:?}: {pages:?}"
        );
    }
    let order: Vec<VmPage> = pages
        .iter()
        .copied()
        .fold(Vec::new(), |mut v, p| {
            if v.last() != Some(&p) {
                v.push(p);
            }
            v
        })
        .into_iter()
        .filter(|p| {
            matches!(
                p,
                VmPage::SignIn | VmPage::Tap | VmPage::PinSetup | VmPage::Desktop
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            VmPage::SignIn,
            VmPage::Tap,
            VmPage::PinSetup,
            VmPage::Desktop
        ],
        "in order: {pages:?}"
    );
}
