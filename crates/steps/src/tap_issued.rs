//! Step 6: a Temporary Access Pass for the lab user, handed to the caller once and kept nowhere.

use super::lab_user::{lab_user, lab_user_or_report};
use crate::{StepContext, StepController};
use hb_graph::models::{TapMethod, User};
use hb_graph::{ApiVersion, GraphError};
use hb_lab::{
    Evidence, GraphRequest, PortalLink, Secret, Step, StepError, StepReport, StepStatus, Upn,
};
use serde_json::{Value, json};

const STEP: Step = Step::TapIssued;
/// Journal keys of TAP methods we created start with this; the original value is `null`.
const KEY_PREFIX: &str = "tap_method:";

/// Issues a TAP for the lab user.
pub struct TapIssued;

fn methods_path(user_id: &str) -> String {
    format!("/users/{user_id}/authentication/temporaryAccessPassMethods")
}

async fn find_user(ctx: &StepContext, upn: &Upn) -> Result<User, StepError> {
    let path = format!(
        "/users/{}?$select=id,userPrincipalName,displayName,accountEnabled",
        upn
    );
    match ctx.graph()?.get_as::<User>(ApiVersion::V1, &path).await {
        Ok(user) => Ok(user),
        Err(e) if e.is_not_found() => Err(StepError::BadInput(format!(
            "there is no user '{upn}' in this tenant: check the spelling, or choose another lab user"
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn existing(ctx: &StepContext, user: &User) -> Result<Vec<TapMethod>, StepError> {
    let items = ctx
        .graph()?
        .get_all(ApiVersion::V1, &methods_path(&user.id))
        .await?;
    items
        .into_iter()
        .map(|v| {
            serde_json::from_value::<TapMethod>(v).map_err(|e| {
                GraphError::Decode {
                    status: 200,
                    url: methods_path(&user.id),
                    reason: e.to_string(),
                }
                .into()
            })
        })
        .collect()
}

/// The parts of a TAP method people may see (never the code).
fn public_view(m: &TapMethod) -> Value {
    json!({
        "id": m.id,
        "startDateTime": m.start_date_time,
        "lifetimeInMinutes": m.lifetime_in_minutes,
        "isUsableOnce": m.is_usable_once,
        "isUsable": m.is_usable,
    })
}

fn request_body(ctx: &StepContext) -> Value {
    let mut body = json!({});
    if let Some(minutes) = ctx.options.tap_lifetime_minutes {
        body["lifetimeInMinutes"] = json!(minutes);
    }
    if let Some(once) = ctx.options.tap_usable_once {
        body["isUsableOnce"] = json!(once);
    }
    body
}

fn report_for(user: &Upn, methods: &[TapMethod]) -> StepReport {
    let usable: Vec<_> = methods
        .iter()
        .filter(|m| m.is_usable != Some(false))
        .collect();
    match usable.first() {
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
        let user = find_user(ctx, &upn).await?;
        let methods = existing(ctx, &user).await?;
        let mut report = report_for(&upn, &methods);
        report.evidence = Evidence {
            before: Some(json!(methods.iter().map(public_view).collect::<Vec<_>>())),
            ..self.evidence(ctx)
        };
        Ok(report)
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let upn = lab_user(ctx).await?;
        let user = find_user(ctx, &upn).await?;
        if user.account_enabled == Some(false) {
            return Err(StepError::BadInput(format!(
                "{upn} is disabled: enable the account in the Entra admin center or choose another lab user"
            )));
        }
        let methods = existing(ctx, &user).await?;
        let before = json!(methods.iter().map(public_view).collect::<Vec<_>>());
        let mut evidence = self.evidence(ctx);
        evidence.before = Some(before.clone());
        let current = report_for(&upn, &methods);
        if current.status == StepStatus::Applied {
            evidence.after = Some(before);
            return Ok(StepReport {
                evidence,
                ..current
            });
        }
        ctx.check_cancelled()?;
        let path = methods_path(&user.id);
        let body = request_body(ctx);
        evidence.requests = vec![GraphRequest::new(
            "POST",
            ctx.graph()?.url(ApiVersion::V1, &path),
            Some(body.clone()),
        )];
        ctx.progress(
            STEP,
            format!("Issuing a Temporary Access Pass for {upn}"),
            Some(0.5),
        );
        let mut created = ctx.graph()?.post(ApiVersion::V1, &path, &body).await?;
        let code = created
            .as_object_mut()
            .and_then(|o| o.remove("temporaryAccessPass"))
            .and_then(|v| v.as_str().map(Secret::new))
            .ok_or_else(|| GraphError::Decode {
                status: 201,
                url: path.clone(),
                reason: "the response has no temporaryAccessPass".into(),
            })?;
        let method: TapMethod =
            serde_json::from_value(created).map_err(|e| GraphError::Decode {
                status: 201,
                url: path.clone(),
                reason: e.to_string(),
            })?;
        // Recorded after the fact: the original state is "no such method", and the id only exists now.
        ctx.journal_original(
            STEP,
            &format!("{KEY_PREFIX}{}:{}", user.id, method.id),
            Value::Null,
        )
        .await?;
        evidence.after = Some(json!([public_view(&method)]));
        let mut report = StepReport::new(
            STEP,
            StepStatus::Applied,
            format!(
                "Issued a Temporary Access Pass for {upn}, valid {} minutes{}. It is shown once: note it now.",
                method.lifetime_in_minutes.map(|n| n.to_string()).unwrap_or_else(|| "the default".into()),
                if method.is_usable_once == Some(true) { ", usable once" } else { "" }
            ),
        )
        .changed(true)
        .with_evidence(evidence);
        report.secret = Some(code);
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
            match ctx
                .graph()?
                .delete(
                    ApiVersion::V1,
                    &format!("{}/{method_id}", methods_path(user_id)),
                )
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
        let url = ctx.graph_url(ApiVersion::V1, &methods_path("{userId}"));
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
