//! Step 6: a Temporary Access Pass for the lab user, handed to the caller once and kept nowhere.
//! Issued through `hb_graph::tap_issue`, the same function the help desk's `tap issue` uses.

use super::lab_user::{lab_user, lab_user_or_report};
use crate::{StepContext, StepController};
use hb_graph::api::{UserRef, auth_methods};
use hb_graph::models::{NewTap, TapMethod};
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

/// The run's choices for the pass (`--tap-lifetime`, `--tap-once`).
fn request(ctx: &StepContext) -> IssueTap {
    IssueTap {
        lifetime_minutes: ctx.options.tap_lifetime_minutes,
        usable_once: ctx.options.tap_usable_once,
        when_held: if ctx.options.reissue_tap {
            WhenHeld::Replace
        } else {
            WhenHeld::Keep
        },
        start: None,
    }
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
        let mut report = report_for(&upn, target.current.as_ref());
        report.evidence = Evidence {
            before: Some(listed(&target)),
            ..self.evidence(ctx)
        };
        Ok(report)
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let upn = lab_user(ctx).await?;
        let target = target(ctx, &upn).await?;
        let before = listed(&target);
        let mut evidence = self.evidence(ctx);
        evidence.before = Some(before.clone());
        if target.current.is_some() && !ctx.options.reissue_tap {
            evidence.after = Some(before);
            return Ok(report_for(&upn, target.current.as_ref()).with_evidence(evidence));
        }
        ctx.check_cancelled()?;
        let graph = ctx.graph()?;
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
                "Issued a Temporary Access Pass for {upn}, valid {} minutes{}. It is shown once: note it now.",
                tap.method.lifetime_in_minutes.map(|n| n.to_string()).unwrap_or_else(|| "the default".into()),
                if tap.method.is_usable_once == Some(true) { ", usable once" } else { "" }
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
