//! Step 7's "Type the UPN" and "Type the TAP" as the controller runs them (the jobs behind the
//! wizard's buttons and `vm type-upn` / `vm type-tap`), against the emulator and the emulated
//! host: each types only on its own page and says what to do otherwise, a pass that is not in
//! memory sends the person to step 6, a guest on another keyboard layout is refused, and the
//! two in turn sign the lab user in.

use crate::common::{admin_graph, lab_upn};
use hello_bootstrap::emulator::{Emulator, EmulatorConfig};
use hello_bootstrap::host::{EmulatedHost, GuestPage, HyperVHost};
use hello_bootstrap::lab::session_file::{SessionFile, SessionKind};
use hello_bootstrap::lab::{Progress, Step, StepOptions, StepStatus};
use hello_bootstrap::steps::bootstrap::Bootstrap;
use hello_bootstrap::steps::lab_vm::DEFAULT_VM_NAME;
use hello_bootstrap::steps::{StepContext, controller};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Steps 1 to 6 applied on a fresh emulator and `host`; returns step 7's context with the TAP
/// and one without it.
async fn ready(
    host: impl FnOnce(Url) -> EmulatedHost,
) -> (
    StepContext,
    StepContext,
    Arc<EmulatedHost>,
    Box<dyn std::any::Any>,
) {
    let home = crate::step7_verdict::private_home();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let graph = Arc::new(admin_graph(&emu));
    let host = Arc::new(host(Url::parse(&emu.graph_url).unwrap()));
    let session = Arc::new(Mutex::new(SessionFile::default()));
    let upn = lab_upn(&emu);
    let ctx = |tap| {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        std::mem::forget(rx);
        StepContext {
            graph: Some(graph.clone()),
            host: Some(host.clone() as Arc<dyn HyperVHost>),
            session: session.clone(),
            kind: SessionKind::Demo,
            options: StepOptions {
                lab_user: Some(upn.clone()),
                tap,
                ..StepOptions::default()
            },
            cancel: CancellationToken::new(),
            progress: Some(tx),
        }
    };
    let plain = ctx(None);
    for step in [
        Step::MdmUserScope,
        Step::WhfbEnrollment,
        Step::HypervFeature,
    ] {
        controller(step).apply(&plain).await.unwrap();
    }
    host.restart_pc().await.unwrap();
    for step in [Step::HypervFeature, Step::LabVm, Step::TapPolicy] {
        let r = controller(step).apply(&plain).await.unwrap();
        assert_eq!(r.status, StepStatus::Applied, "{step}: {}", r.detail);
    }
    let r = controller(Step::TapIssued).apply(&plain).await.unwrap();
    let with_tap = ctx(r.secret);
    (with_tap, plain, host, Box::new((home, emu)))
}

async fn page(host: &EmulatedHost) -> GuestPage {
    host.guest_page(DEFAULT_VM_NAME)
        .await
        .unwrap()
        .expect("the emulated host reads its pages")
}

#[tokio::test]
async fn each_button_types_only_on_its_page_and_the_two_sign_the_lab_user_in() {
    let (ctx, without_tap, host, _keep) = ready(|url| EmulatedHost::for_tests(Some(url))).await;
    assert_eq!(page(&host).await, GuestPage::SignIn);

    let early = Bootstrap.type_tap(&ctx).await.unwrap_err().to_string();
    assert!(
        early.contains("Enter Temporary Access Pass") && early.contains("Sign in with"),
        "{early}"
    );
    assert_eq!(page(&host).await, GuestPage::SignIn, "nothing was typed");

    let gone = Bootstrap
        .type_tap(&without_tap)
        .await
        .unwrap_err()
        .to_string();
    assert!(gone.contains("Issue a fresh one on step 6"), "{gone}");

    let typed = Bootstrap.type_upn(&ctx).await.unwrap();
    assert_eq!(typed.status, StepStatus::NeedsAction);
    assert!(
        typed.detail.contains("\"Type the TAP\""),
        "{}",
        typed.detail
    );
    assert!(matches!(page(&host).await, GuestPage::Tap { .. }));

    let twice = Bootstrap.type_upn(&ctx).await.unwrap_err().to_string();
    assert!(twice.contains("not the sign-in page"), "{twice}");

    let done = Bootstrap.type_tap(&ctx).await.unwrap();
    assert_eq!(done.status, StepStatus::Applied, "{}", done.detail);
    assert!(page(&host).await.is_signed_in());
}

#[tokio::test]
async fn a_guest_on_another_keyboard_layout_is_refused_before_a_key_is_typed() {
    let (ctx, _, host, _keep) =
        ready(|url| EmulatedHost::for_tests(Some(url)).with_guest_layout("00000407")).await;
    let refused = Bootstrap.type_upn(&ctx).await.unwrap_err().to_string();
    assert!(
        refused.contains("keyboard layout is 00000407")
            && refused.contains("English (United States)"),
        "{refused}"
    );
    assert_eq!(page(&host).await, GuestPage::SignIn);
}
