//! Step 6: a Temporary Access Pass for the lab user, handed to the caller once and kept nowhere.
//! Issued through `hb_graph::tap_issue`, the same function the help desk's `tap issue` uses.

use super::lab_user::{lab_user, lab_user_or_report};
use crate::{StepContext, StepController};
use hb_graph::GraphError;
use hb_graph::api::{UserRef, auth_methods};
use hb_graph::models::{NewTap, TapMethod, TapMethodConfig};
use hb_graph::tap_issue::{self, IssueError, IssueTap, Issued, TapTarget, WhenHeld};
use hb_lab::{
    AuthMethodId, Evidence, GraphRequest, PortalLink, Step, StepError, StepReport, StepStatus, Upn,
    UserId,
};
use serde_json::{Value, json};

const STEP: Step = Step::TapIssued;
/// Journal keys of TAP methods we created start with this; the original value is `null`.
const KEY_PREFIX: &str = "tap_method:";
/// The request as evidence shows it before the user's id is known.
const METHODS_TEMPLATE: &str = "/users/{userId}/authentication/temporaryAccessPassMethods";

/// Issues a TAP for the lab user.
pub struct TapIssued;

/// The run's choices for the pass (`--tap-lifetime`, `--tap-once`, replace).
fn request(ctx: &StepContext) -> IssueTap {
    IssueTap {
        lifetime_minutes: ctx.options.tap_lifetime_minutes,
        usable_once: ctx.options.tap_usable_once,
        when_held: if ctx.options.reissue_tap || ctx.options.tap_replace {
            WhenHeld::Replace
        } else {
            WhenHeld::Keep
        },
        start: None,
    }
}

/// Whether this lab issued the pass (its journal holds the method).
async fn issued_by_us(ctx: &StepContext, user: &UserId, method: &TapMethod) -> bool {
    let key = format!("{KEY_PREFIX}{user}:{}", method.id);
    ctx.journaled(STEP, &key).await.is_some()
}

/// What a pass someone else issued means here: it exists, its code cannot be shown, and the lab
/// can replace it.
fn someone_elses(user: &Upn) -> StepReport {
    StepReport::new(
        STEP,
        StepStatus::NeedsAction,
        format!(
            "{user} already has a Temporary Access Pass that this lab did not issue, so its code cannot be shown here. Replace it with a new one (\"Replace the existing pass\" on step 6, or `run --replace-tap`), or delete it in the Entra admin center and apply step 6 again."
        ),
    )
}

/// The check row that says the pass is someone else's (the wizard offers to replace it).
fn not_ours_row(user: &Upn) -> hb_lab::ValidationRow {
    hb_lab::ValidationRow {
        id: hb_lab::TAP_NOT_OURS_ROW.into(),
        label: "The lab user's Temporary Access Pass was issued by this lab".into(),
        state: hb_lab::ValidationState::Failed,
        detail: format!("{user} holds a pass issued elsewhere; its code cannot be shown here."),
        fix: Some("Replace it with a new one (whoever holds the old pass can no longer use it), or delete it in the Entra admin center.".into()),
    }
}

/// Checks the run's choices against the TAP policy before issuing: the lifetime within the
/// policy's minimum and maximum, and the user not excluded (by id or through a group). A policy
/// the account may not read (an Authentication Administrator cannot) is left to Graph's answer.
async fn check_against_policy(
    ctx: &StepContext,
    upn: &Upn,
    user: &UserId,
    policy: Result<TapMethodConfig, GraphError>,
) -> Result<Option<String>, StepError> {
    let graph = ctx.graph()?;
    let policy = match policy {
        Ok(p) => p,
        Err(e) if matches!(e.status(), Some(401 | 403)) => {
            return Ok(Some(
                "The TAP policy could not be read (it needs Global Reader or Authentication Policy Administrator), so its lifetime bounds and exclusions were not checked beforehand.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(lifetime) = ctx.options.tap_lifetime_minutes {
        let min = policy.minimum_lifetime_in_minutes.unwrap_or(60);
        let max = policy.maximum_lifetime_in_minutes.unwrap_or(480);
        if lifetime < min || lifetime > max {
            return Err(StepError::BadInput(format!(
                "a lifetime of {lifetime} minutes is outside the TAP policy's {min} to {max} minutes: choose a lifetime in that range, or change the policy's minimum and maximum lifetime"
            )));
        }
    }
    if !policy.exclude_targets.is_empty() {
        let groups = hb_graph::api::users::member_group_ids(graph, user)
            .await
            .unwrap_or_default();
        if let Some(t) = policy.exclude_targets.iter().find(|t| {
            t.id.eq_ignore_ascii_case(user.as_str())
                || groups.iter().any(|g| g.eq_ignore_ascii_case(&t.id))
        }) {
            return Err(StepError::Precondition(format!(
                "the TAP policy excludes {upn} ({} {} in excludeTargets): take them out of the exclusion in the Entra admin center (Authentication methods > Temporary Access Pass), or choose another lab user",
                if t.target_type.is_empty() {
                    "target"
                } else {
                    t.target_type.as_str()
                },
                t.id
            )));
        }
    }
    Ok(None)
}

/// The POST body the request sends, for evidence.
fn request_body(ctx: &StepContext) -> Value {
    let request = request(ctx);
    serde_json::to_value(NewTap {
        lifetime_in_minutes: request.lifetime_minutes,
        is_usable_once: request.usable_once,
        start_date_time: None,
    })
    .unwrap_or_else(|_| json!({}))
}

/// Why the pass cannot be issued, in the step's terms: a wrong lab user is bad input, a policy
/// that refuses is something to set first, the rest is Graph's.
fn step_error(upn: &Upn, e: IssueError) -> StepError {
    if e.is_bad_input() {
        StepError::BadInput(format!("{upn}: {e}; or choose another lab user"))
    } else if matches!(e, IssueError::PolicyRefuses(_)) {
        StepError::Precondition(format!("{upn}: {e}"))
    } else {
        StepError::Graph(format!("{upn}: {e}"))
    }
}

async fn target(ctx: &StepContext, upn: &Upn) -> Result<TapTarget, StepError> {
    tap_issue::check_target(ctx.graph()?, upn)
        .await
        .map_err(|e| step_error(upn, e))
}

fn listed(target: &TapTarget) -> Value {
    json!(
        target
            .listed
            .iter()
            .map(TapMethod::public_view)
            .collect::<Vec<_>>()
    )
}

fn report_for(user: &Upn, current: Option<&TapMethod>) -> StepReport {
    match current {
        Some(m) => StepReport::new(
            STEP,
            StepStatus::Applied,
            format!(
                "{user} has a Temporary Access Pass (starts {}, {} minutes). Its code was shown once when it was issued; revert deletes it so a new one can be issued.",
                m.start_date_time.as_deref().unwrap_or("now"),
                m.lifetime_in_minutes
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "default".into())
            ),
        ),
        None => StepReport::new(
            STEP,
            StepStatus::NotApplied,
            format!("{user} has no usable Temporary Access Pass yet."),
        ),
    }
}

#[async_trait::async_trait]
impl StepController for TapIssued {
    fn step(&self) -> Step {
        STEP
    }

    async fn check(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let upn = match lab_user_or_report(STEP, ctx).await? {
            Ok(upn) => upn,
            Err(report) => return Ok(report.with_evidence(self.evidence(ctx))),
        };
        let target = target(ctx, &upn).await?;
        let mut rows = Vec::new();
        let mut report = match &target.current {
            Some(m) if !issued_by_us(ctx, &target.user.id, m).await => {
                rows.push(not_ours_row(&upn));
                someone_elses(&upn)
            }
            current => report_for(&upn, current.as_ref()),
        };
        report.evidence = Evidence {
            before: Some(listed(&target)),
            ..self.evidence(ctx)
        };
        report.evidence.rows.extend(rows);
        Ok(report)
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let upn = lab_user(ctx).await?;
        // The policy's bounds are read beside the user and their pass (nothing of one depends on
        // the other), so a fresh issue costs one round trip of reads, not two.
        let graph = ctx.graph()?;
        let (target, policy) = tokio::join!(
            target(ctx, &upn),
            hb_graph::api::policies::tap_policy(graph)
        );
        let target = target?;
        let before = listed(&target);
        let mut evidence = self.evidence(ctx);
        evidence.before = Some(before.clone());
        if let Some(current) = &target.current {
            let ours = issued_by_us(ctx, &target.user.id, current).await;
            // Our own pass is replaced only when its code is gone (a resumed lab); someone
            // else's only when the person asked for it.
            let replace = if ours {
                ctx.options.reissue_tap
            } else {
                ctx.options.tap_replace
            };
            if !replace {
                evidence.after = Some(before);
                let report = if ours {
                    report_for(&upn, Some(current))
                } else {
                    evidence.rows.push(not_ours_row(&upn));
                    someone_elses(&upn)
                };
                return Ok(report.with_evidence(evidence));
            }
        }
        let note = check_against_policy(ctx, &upn, &target.user.id, policy).await?;
        ctx.check_cancelled()?;
        let path = auth_methods::tap_methods_path(UserRef::Id(&target.user.id));
        evidence.requests = vec![GraphRequest::new(
            "POST",
            graph.url_of(&path),
            Some(request_body(ctx)),
        )];
        ctx.progress(
            STEP,
            format!("Issuing a Temporary Access Pass for {upn}"),
            Some(0.5),
        );
        let tap = match tap_issue::issue(graph, &target, &request(ctx))
            .await
            .map_err(|e| step_error(&upn, e))?
        {
            Issued::New(tap) | Issued::Replaced { tap, .. } => tap,
            Issued::Kept(current) => {
                evidence.after = Some(evidence.before.clone().unwrap_or_default());
                return Ok(report_for(&upn, Some(&current)).with_evidence(evidence));
            }
        };
        // Recorded after the fact: the original state is "no such method", and the id only exists now.
        ctx.journal_original(
            STEP,
            &format!("{KEY_PREFIX}{}:{}", tap.user_id, tap.method.id),
            Value::Null,
        )
        .await?;
        evidence.after = Some(json!([tap.method.public_view()]));
        let mut report = StepReport::new(
            STEP,
            StepStatus::Applied,
            format!(
                "Issued a Temporary Access Pass for {upn}, valid {} minutes{}. It is shown once: note it now.{}",
                tap.method.lifetime_in_minutes.map(|n| n.to_string()).unwrap_or_else(|| "the default".into()),
                if tap.method.is_usable_once == Some(true) { ", usable once" } else { "" },
                note.map(|n| format!(" {n}")).unwrap_or_default()
            ),
        )
        .changed(true)
        .with_evidence(evidence);
        report.secret = Some(tap.code);
        Ok(report)
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let keys: Vec<String> = ctx
            .session
            .lock()
            .await
            .journal
            .for_step(STEP)
            .map(|e| e.key.clone())
            .collect();
        let mut deleted = 0;
        for key in &keys {
            let Some((user_id, method_id)) =
                key.strip_prefix(KEY_PREFIX).and_then(|r| r.split_once(':'))
            else {
                continue;
            };
            let user = UserId::from(user_id);
            match auth_methods::delete_tap(ctx.graph()?, &user, &AuthMethodId::from(method_id))
                .await
            {
                Ok(()) => deleted += 1,
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
            ctx.journal_forget(STEP, key).await?;
        }
        let detail = if keys.is_empty() {
            "We issued no Temporary Access Pass, so there is nothing to revert.".to_string()
        } else {
            format!(
                "Deleted {deleted} Temporary Access Pass(es) we issued ({} already gone).",
                keys.len() - deleted
            )
        };
        Ok(StepReport::new(STEP, StepStatus::NotApplied, detail)
            .changed(deleted > 0)
            .with_evidence(self.evidence(ctx)))
    }

    fn evidence(&self, ctx: &StepContext) -> Evidence {
        let url = ctx.graph_url(hb_graph::ApiVersion::V1, METHODS_TEMPLATE);
        Evidence {
            requests: vec![GraphRequest::new("POST", url, Some(request_body(ctx)))],
            portal: Some(PortalLink {
                label: "Entra admin center: the user's authentication methods".into(),
                url: "https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserManagementMenuBlade/~/AllUsers".into(),
            }),
            ..Evidence::default()
        }
    }
}
