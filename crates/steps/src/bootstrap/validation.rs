//! Step 7's checklist: what the VM says (`dsregcmd /status`, its page, enhanced session mode) and
//! what Microsoft Graph says (device, managed device, WHfB method, and the MFA sign-in when
//! Conditional Access requires MFA of the lab user). One row each, with what to do when it fails.
//! Every cloud row is bound to this run and this VM ([`binding`]); the independent Graph reads
//! of a pass run at the same time.

pub mod binding;
mod cloud;
mod fix;
mod guest;
mod mfa;

pub use mfa::{MFA_BY_CLAIM, MFA_EXPLANATION, is_mfa_by_claim};

use crate::StepContext;
use hb_graph::api::{auth_methods, conditional_access, users};
use hb_host::HyperVHost;
use hb_lab::{StepError, Upn, ValidationRow, ValidationState};
use serde_json::Value;

/// What one validation pass saw.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub rows: Vec<ValidationRow>,
    pub device_id: Option<String>,
    pub device_object_id: Option<String>,
    pub managed_device_id: Option<String>,
    /// The Windows Hello key linked to this VM's device, created in this run.
    pub whfb_method_id: Option<String>,
    /// The lab user's object id (the WHfB key's owner, for revert).
    pub user_id: Option<String>,
    /// Whether an enforced Conditional Access policy requires MFA of the lab user in My Apps
    /// (None: could not read).
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

    /// The first row Graph refused to answer, if any (the step cannot be "applied" then).
    pub fn could_not_check(&self) -> Option<&ValidationRow> {
        self.rows
            .iter()
            .find(|r| r.state == ValidationState::CouldNotCheck)
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
    let enhanced = guest::enhanced_session_row(host).await;
    let graph = ctx.graph()?;
    let binding = binding::Binding::load(ctx, super::STEP).await;

    // Every read that needs no other Graph answer, at once: the user, their Windows Hello
    // keys, Conditional Access with the user's memberships (by UPN), the device by the id the
    // VM reports or the journal holds, and Intune's managed device of the reported id.
    let reported = dsreg.summary.device_id.as_deref();
    let (user, keys, policies, memberships, direct, managed_early) = tokio::join!(
        users::get(graph, upn),
        auth_methods::list_whfb(graph, upn),
        conditional_access::policies(graph),
        mfa::memberships(graph, upn),
        cloud::find_device_direct(graph, reported, &binding),
        cloud::read_managed(graph, reported),
    );
    let device = match direct {
        Some(found) => found,
        None => {
            cloud::find_device_by_keys(graph, &binding, keys.as_ref().ok().map(Vec::as_slice)).await
        }
    };
    obs.device_id = dsreg.summary.device_id.clone().or_else(|| {
        device
            .device
            .as_ref()
            .and_then(|d| d.device_id.as_ref())
            .map(|id| id.0.clone())
    });
    obs.device_object_id = device.device.as_ref().map(|d| d.id.0.clone());
    // Journaled the moment a read first sees it, before the reads that follow: a run killed
    // from here on leaves a device that revert knows to delete.
    if let Some(id) = &obs.device_object_id {
        ctx.journal_original(
            super::STEP,
            &format!("{}{id}", binding::KEY_DEVICE),
            Value::Null,
        )
        .await?;
    }
    let since = binding.since(device.registered());

    obs.rows.push(guest::signin_row(
        upn,
        page.as_ref(),
        dsreg.summary.azure_ad_joined,
        device.found_in_graph,
    ));
    obs.rows.push(enhanced);
    let mut dsreg_note = None;
    if dsreg.unavailable {
        dsreg_note = Some(format!(
            "The dsregcmd rows (AzureAdJoined, NgcSet, AzureAdPrt) are {}: {vm} has no Hello Bootstrap reporter (create it in step 4 to get one) and no guest account for PowerShell Direct, so the verdict rests on what Microsoft Graph shows.",
            guest::UNAVAILABLE
        ));
    } else {
        obs.rows.extend(guest::dsreg_rows(&dsreg));
    }

    // What depends on those answers, at once again: the managed device when only Graph knew
    // the device id, each fresh key's linked device, and the sign-in logs when Conditional
    // Access requires MFA (the policies are judged before the memberships, as always).
    let device_id = obs.device_id.as_deref();
    let user_ref = user.as_ref().ok();
    let ca = user_ref.map(|u| {
        mfa::evaluate(
            policies,
            memberships,
            &u.id,
            u.user_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("Guest")),
        )
    });
    let managed_read = async {
        match (reported, managed_early) {
            (Some(_), read) => read,
            (None, _) => cloud::read_managed(graph, device_id).await,
        }
    };
    let mfa_row = async {
        match (&ca, user_ref) {
            (Some(mfa::CaVerdict::Requires(policies)), Some(u)) => {
                Some(mfa::mfa_signin_row(graph, &u.id, device_id, since, policies).await)
            }
            _ => None,
        }
    };
    let (managed_read, (whfb_row, key), mfa_row) = tokio::join!(
        managed_read,
        cloud::whfb_row(graph, upn, &keys, device.device.as_ref(), since),
        mfa_row,
    );
    let (managed_row, managed) = cloud::managed_row(managed_read, since);
    obs.managed_device_id = managed.map(|m| m.id.0);
    obs.whfb_method_id = key.map(|k| k.id.0);
    obs.user_id = user_ref.map(|u| u.id.as_str().to_string());
    super::poll::journal_devices(ctx, &obs).await?;
    obs.rows.push(device.row);
    obs.rows.push(managed_row);
    obs.rows.push(whfb_row);
    match (ca, &user) {
        (Some(mfa::CaVerdict::Requires(_)), Ok(_)) => {
            obs.mfa_required = Some(true);
            obs.rows.extend(mfa_row);
        }
        (Some(mfa::CaVerdict::NotRequired), _) => {
            obs.mfa_required = Some(false);
            obs.note = Some(format!(
                "No enforced Conditional Access policy requires MFA of {upn} in My Apps, so no sign-in has to show MFA satisfied by a claim in the token."
            ));
        }
        (Some(mfa::CaVerdict::CouldNotCheck(row)), _) => obs.rows.push(row),
        (_, Err(e)) => obs.rows.push(row(
            "graph_mfa_signin",
            "Sign-in log: MFA satisfied by a claim in the token",
            if cloud::is_refused(e) {
                ValidationState::CouldNotCheck
            } else {
                ValidationState::Waiting
            },
            format!("Could not read {upn}: {e}"),
            fix::MFA,
        )),
        (None, Ok(_)) => {}
    }
    if let Some(note) = dsreg_note {
        obs.note = Some(match obs.note.take() {
            Some(other) => format!("{other} {note}"),
            None => note,
        });
    }
    Ok(obs)
}
