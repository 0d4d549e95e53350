//! Step 7's checklist: what the VM says (`dsregcmd /status`, its page, enhanced session mode) and
//! what Microsoft Graph says (device, managed device, WHfB method, and the MFA sign-in when
//! Conditional Access requires MFA). One row each, with what to do when it fails.

mod cloud;
mod fix;
mod guest;
mod mfa;

pub use mfa::{MFA_BY_CLAIM, MFA_EXPLANATION, is_mfa_by_claim};

use crate::StepContext;
use hb_host::HyperVHost;
use hb_lab::{StepError, Upn, ValidationRow, ValidationState};

/// What one validation pass saw.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub rows: Vec<ValidationRow>,
    pub device_id: Option<String>,
    pub device_object_id: Option<String>,
    pub managed_device_id: Option<String>,
    /// Whether an enabled Conditional Access policy requires MFA (None: could not read).
    pub mfa_required: Option<bool>,
    pub note: Option<String>,
}

impl Observed {
    /// Whether every row passed (the step is done).
    pub fn all_passed(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(|r| r.state == ValidationState::Passed)
    }

    /// A row by its stable id (`signin`, `dsreg_joined`, …).
    pub fn row(&self, id: &str) -> Option<&ValidationRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// How many rows passed, for progress.
    pub fn passed_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.state == ValidationState::Passed)
            .count()
    }
}

fn row(
    id: &str,
    label: &str,
    state: ValidationState,
    detail: impl Into<String>,
    fix: &str,
) -> ValidationRow {
    ValidationRow {
        id: id.into(),
        label: label.into(),
        state,
        detail: detail.into(),
        fix: (state != ValidationState::Passed).then(|| fix.to_string()),
    }
}

/// Runs one read-only validation pass.
pub async fn observe(
    ctx: &StepContext,
    host: &dyn HyperVHost,
    vm: &str,
    upn: &Upn,
) -> Result<Observed, StepError> {
    let mut obs = Observed::default();

    // The VM: its page (where the host sees it), enhanced session mode, dsregcmd.
    let page = host.guest_page(vm).await?;
    let dsreg = guest::dsregcmd(host, vm).await;
    obs.device_id = dsreg.summary.device_id.clone();
    let graph = ctx.graph()?;
    let whfb = cloud::whfb_methods(graph, upn).await;
    // Without dsregcmd (no guest access on a real host), the WHfB key names the device it was
    // registered on, and that name finds the Entra device.
    let mut found_in_graph = false;
    if obs.device_id.is_none()
        && let Ok(methods) = &whfb
    {
        obs.device_id = cloud::joined_device_named_by_key(graph, methods).await;
        found_in_graph = obs.device_id.is_some();
    }

    obs.rows.push(guest::signin_row(
        upn,
        page.as_ref(),
        dsreg.summary.azure_ad_joined,
        found_in_graph,
    ));
    obs.rows.push(guest::enhanced_session_row(host).await);
    let mut dsreg_note = None;
    if dsreg.unavailable {
        dsreg_note = Some(format!(
            "The dsregcmd rows (AzureAdJoined, NgcSet, AzureAdPrt) are {}: {vm} has no Hello Bootstrap reporter (create it in step 4 to get one) and no guest account for PowerShell Direct, so the verdict rests on what Microsoft Graph shows.",
            guest::UNAVAILABLE
        ));
    } else {
        obs.rows.extend(guest::dsreg_rows(&dsreg));
    }

    // Microsoft Graph.
    cloud::device_rows(graph, &mut obs).await;
    obs.rows.push(cloud::whfb_row(upn, &whfb));
    mfa::add_signin_row(ctx, upn, &mut obs).await;
    if let Some(note) = dsreg_note {
        obs.note = Some(match obs.note.take() {
            Some(other) => format!("{other} {note}"),
            None => note,
        });
    }
    Ok(obs)
}
