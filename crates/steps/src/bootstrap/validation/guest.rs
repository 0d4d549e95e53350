//! The rows about the VM itself: the OOBE sign-in, enhanced session mode, and what
//! `dsregcmd /status` says of the join, the Windows Hello PIN and the Primary Refresh Token.

use super::{fix, row};
use hb_host::dsregcmd::{self, DsregSummary};
use hb_host::{GuestCommand, GuestPage, HyperVHost};
use hb_lab::{Upn, ValidationRow, ValidationState};

/// `dsregcmd /status` as read from the guest, or why it could not be read.
pub(super) struct Dsreg {
    pub summary: DsregSummary,
    pub error: Option<String>,
}

pub(super) async fn dsregcmd(host: &dyn HyperVHost, vm: &str) -> Dsreg {
    let (summary, error) = match host.run_in_vm(vm, GuestCommand::DsregcmdStatus).await {
        Ok(text) => match dsregcmd::parse(&text) {
            Ok(status) => (status.summary, None),
            Err(e) => (
                DsregSummary::default(),
                Some(format!("cannot read dsregcmd output: {e}")),
            ),
        },
        Err(e) => (DsregSummary::default(), Some(e.to_string())),
    };
    Dsreg { summary, error }
}

/// Whether the lab user signed in at OOBE: from the VM's page when the host sees it, else from
/// dsregcmd, else from the device Graph found by the Windows Hello key.
pub(super) fn signin_row(
    upn: &Upn,
    page: Option<&GuestPage>,
    joined: Option<bool>,
    found_in_graph: bool,
) -> ValidationRow {
    let label = format!("{upn} signed in at OOBE with the Temporary Access Pass");
    let signin = |state, detail: String| row("signin", &label, state, detail, fix::SIGNIN);
    match (page, joined) {
        (Some(GuestPage::SignInError { message, .. }), _) => signin(
            ValidationState::Failed,
            format!("The sign-in was refused: {message}"),
        ),
        (Some(p), _) if p.is_signed_in() => signin(
            ValidationState::Passed,
            "Signed in; the device joined Microsoft Entra ID.".into(),
        ),
        (None, Some(true)) => signin(
            ValidationState::Passed,
            "Signed in; the device joined Microsoft Entra ID.".into(),
        ),
        (None, _) if found_in_graph => signin(
            ValidationState::Passed,
            "Signed in: Microsoft Entra ID has the device the lab user joined.".into(),
        ),
        (Some(p), _) => signin(
            ValidationState::Waiting,
            format!("The VM shows '{}'.", p.title()),
        ),
        (None, _) => signin(
            ValidationState::Waiting,
            format!("Waiting for {upn} to sign in at the VM's OOBE page."),
        ),
    }
}

pub(super) async fn enhanced_session_row(host: &dyn HyperVHost) -> ValidationRow {
    let label = "Enhanced session mode is off";
    let session = |state, detail: String| {
        row(
            "enhanced_session",
            label,
            state,
            detail,
            fix::ENHANCED_SESSION,
        )
    };
    match host.enhanced_session_mode().await {
        Ok(false) => session(
            ValidationState::Passed,
            "The VM shows the basic console.".into(),
        ),
        Ok(true) => session(
            ValidationState::Failed,
            "Enhanced session mode is on.".into(),
        ),
        Err(e) => session(ValidationState::Waiting, e.to_string()),
    }
}

fn flag_row(id: &str, label: &str, value: Option<bool>, key: &str, fix: &str) -> ValidationRow {
    match value {
        Some(true) => row(
            id,
            label,
            ValidationState::Passed,
            format!("{key} : YES"),
            fix,
        ),
        Some(false) => row(
            id,
            label,
            ValidationState::Waiting,
            format!("{key} : NO (yet)"),
            fix,
        ),
        None => row(
            id,
            label,
            ValidationState::Waiting,
            format!("{key} not reported yet"),
            fix,
        ),
    }
}

pub(super) fn dsreg_rows(dsreg: &Dsreg) -> Vec<ValidationRow> {
    let summary = &dsreg.summary;
    let mut rows = vec![
        flag_row(
            "dsreg_joined",
            "dsregcmd: AzureAdJoined YES",
            summary.azure_ad_joined,
            "AzureAdJoined",
            fix::JOINED,
        ),
        flag_row(
            "dsreg_ngc",
            "dsregcmd: NgcSet YES (Windows Hello PIN set)",
            summary.ngc_set,
            "NgcSet",
            fix::NGC,
        ),
        flag_row(
            "dsreg_prt",
            "dsregcmd: AzureAdPrt YES (Primary Refresh Token)",
            summary.azure_ad_prt,
            "AzureAdPrt",
            fix::PRT,
        ),
    ];
    if let Some(err) = &dsreg.error {
        for r in &mut rows {
            r.detail = err.clone();
        }
    }
    rows
}
