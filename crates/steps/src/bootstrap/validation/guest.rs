//! The rows about the VM itself: the OOBE sign-in, enhanced session mode, and what
//! `dsregcmd /status` says of the join, the Windows Hello PIN and the Primary Refresh Token, as
//! the VM's reporter publishes it over KVP.

use super::{fix, row};
use hb_host::dsregcmd::{self, DsregSummary};
use hb_host::kvp::UserReportState;
use hb_host::{GuestCommand, GuestPage, HyperVHost};
use hb_lab::{Upn, ValidationRow, ValidationState};

/// The detail of the device rows on a VM that cannot report them.
pub const UNAVAILABLE: &str = "not available for this VM: cloud evidence only";

/// `dsregcmd /status` as the guest reported it, or why it could not be read.
pub(super) struct Dsreg {
    pub summary: DsregSummary,
    pub error: Option<String>,
    /// The VM has no way to report it (no reporter, no guest account): the rows are left out
    /// and the verdict rests on the cloud rows, instead of waiting for what cannot come.
    pub unavailable: bool,
}

/// Reads the device state the way the VM can give it: from the reporter's KVP items (its
/// `dsregcmd /status`, run in the signed-in user's session), else from a command channel into
/// the guest where the host has one.
pub(super) async fn dsregcmd(host: &dyn HyperVHost, vm: &str) -> Dsreg {
    let found = |summary, error| Dsreg {
        summary,
        error,
        unavailable: false,
    };
    if let Ok(report) = hb_host::guest_report(host, vm).await
        && report.has_reporter()
    {
        return match &report.user {
            UserReportState::Ready(r) => found(r.summary(), None),
            UserReportState::Stale(r) => found(
                r.summary(),
                Some(format!(
                    "the VM's last report is from {} and the reporter has not updated it since: is the VM running?",
                    r.at.map(|a| a.to_rfc3339()).unwrap_or_default()
                )),
            ),
            UserReportState::None => found(DsregSummary::default(), None),
            UserReportState::Incomplete { have, want } => found(
                DsregSummary::default(),
                Some(format!(
                    "the VM is publishing its report ({have} of {want} parts so far)"
                )),
            ),
            UserReportState::Unreadable(e) => found(
                DsregSummary::default(),
                Some(format!("cannot read the VM's report: {e}")),
            ),
        };
    }
    match host.run_in_vm(vm, GuestCommand::DsregcmdStatus).await {
        Ok(text) => match dsregcmd::parse(&text) {
            Ok(status) => found(status.summary, None),
            Err(e) => found(
                DsregSummary::default(),
                Some(format!("cannot read dsregcmd output: {e}")),
            ),
        },
        Err(_) => Dsreg {
            summary: DsregSummary::default(),
            error: Some(UNAVAILABLE.into()),
            unavailable: true,
        },
    }
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
