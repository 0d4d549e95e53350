//! The shared shape of the three policy steps (1, 2, 5): read one Graph object, compare the
//! settings the lab cares about, journal the original, PATCH, and PATCH back on revert. A write's
//! success already says the new state where Microsoft's update page says what a PATCH does (see
//! [`PolicySpec::written`]), so the step reads the object again only where the page leaves it
//! open: one round trip less per change.

use crate::StepContext;
use hb_graph::{ApiVersion, GraphClient};
use hb_lab::{Evidence, GraphRequest, PortalLink, Step, StepError, StepReport, StepStatus};
use serde_json::Value;

/// What distinguishes one policy step from another. The Graph requests themselves are typed
/// functions of `hb_graph::api::policies`; a spec picks them and says what the lab compares.
#[async_trait::async_trait]
pub trait PolicySpec: Send + Sync {
    /// What a write needs to know from the read (the WHfB configuration's id; nothing for the
    /// policies with a fixed address).
    type Target: Send + Sync;
    fn step(&self) -> Step;
    /// Reads the object: what to write to later, and the settings we compare and journal.
    async fn read(&self, graph: &GraphClient) -> Result<(Self::Target, Value), StepError>;
    /// Writes the given settings.
    async fn write(
        &self,
        graph: &GraphClient,
        target: &Self::Target,
        settings: &Value,
    ) -> Result<(), StepError>;
    /// The version and relative path of the object, as evidence shows it (a template like
    /// `{tenantId}` where the read has not run yet).
    fn evidence_path(&self, target: Option<&Self::Target>) -> (ApiVersion, String);
    /// The settings the lab needs.
    fn desired(&self) -> Value;
    /// Whether the settings already meet the lab's need.
    fn is_applied(&self, settings: &Value) -> bool;
    /// The PATCH body [`PolicySpec::write`] sends for the given settings (shown as evidence).
    fn patch_body(&self, settings: &Value) -> Value;
    /// The settings a successful [`PolicySpec::write`] of `settings` leaves, where Microsoft's
    /// update page says what its success means, so no read-back round trip is needed; `None`
    /// where the page leaves it open (then the step reads the object again).
    ///
    /// The default: what we sent replaces those settings and the rest keep their values, which is
    /// what a Graph PATCH does ("Existing properties that are not included in the request body
    /// will maintain their previous values", e.g. the
    /// temporaryAccessPassAuthenticationMethodConfiguration update page).
    fn written(&self, before: &Value, settings: &Value) -> Option<Value> {
        let mut after = before.clone();
        match (after.as_object_mut(), settings.as_object()) {
            (Some(a), Some(s)) => {
                for (k, v) in s {
                    a.insert(k.clone(), v.clone());
                }
                Some(after)
            }
            _ => None,
        }
    }
    /// A sentence describing the settings for people.
    fn describe(&self, settings: &Value) -> String;
    fn portal(&self) -> PortalLink;
}

/// Journal key for a policy step's settings.
const KEY: &str = "settings";

/// A step controller built from a [`PolicySpec`].
pub struct PolicyStep<S: PolicySpec>(pub S);

impl<S: PolicySpec> PolicyStep<S> {
    async fn read(&self, ctx: &StepContext) -> Result<(S::Target, Value), StepError> {
        ctx.check_cancelled()?;
        self.0.read(ctx.graph()?).await
    }

    /// The settings after a successful write: what the write's success establishes, or (where
    /// Microsoft's page does not say) the object read again.
    async fn after_write(
        &self,
        ctx: &StepContext,
        before: &Value,
        written: &Value,
    ) -> Result<Value, StepError> {
        match self.0.written(before, written) {
            Some(after) => Ok(after),
            None => Ok(self.read(ctx).await?.1),
        }
    }

    fn report(&self, settings: &Value) -> StepReport {
        let status = if self.0.is_applied(settings) {
            StepStatus::Applied
        } else {
            StepStatus::NotApplied
        };
        StepReport::new(self.0.step(), status, self.0.describe(settings))
    }

    fn request(
        &self,
        ctx: &StepContext,
        target: Option<&S::Target>,
        settings: &Value,
    ) -> GraphRequest {
        let (version, path) = self.0.evidence_path(target);
        let url = ctx.graph_url(version, &path);
        GraphRequest::new("PATCH", url, Some(self.0.patch_body(settings)))
    }
}

#[async_trait::async_trait]
impl<S: PolicySpec> crate::StepController for PolicyStep<S> {
    fn step(&self) -> Step {
        self.0.step()
    }

    async fn check(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let (_, settings) = self.read(ctx).await?;
        let mut report = self.report(&settings);
        report.evidence = Evidence {
            before: Some(settings),
            ..self.evidence(ctx)
        };
        Ok(report)
    }

    async fn apply(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let (target, before) = self.read(ctx).await?;
        let desired = self.0.desired();
        let mut evidence = self.evidence(ctx);
        evidence.requests = vec![self.request(ctx, Some(&target), &desired)];
        evidence.before = Some(before.clone());
        if self.0.is_applied(&before) {
            evidence.after = Some(before.clone());
            let detail = format!(
                "{} Already as the lab needs it; nothing changed.",
                self.0.describe(&before)
            );
            return Ok(
                StepReport::new(self.0.step(), StepStatus::Applied, detail).with_evidence(evidence)
            );
        }
        ctx.journal_original(self.0.step(), KEY, before.clone())
            .await?;
        ctx.check_cancelled()?;
        ctx.progress(
            self.0.step(),
            "Sending the change to Microsoft Graph",
            Some(0.5),
        );
        self.0.write(ctx.graph()?, &target, &desired).await?;
        let after = self.after_write(ctx, &before, &desired).await?;
        evidence.after = Some(after.clone());
        let mut report = self.report(&after).changed(true).with_evidence(evidence);
        if report.status != StepStatus::Applied {
            report.status = StepStatus::Error;
            report.detail = format!(
                "Graph accepted the change but reading it back shows: {} Try again in a minute; if it persists, check the setting in the admin center.",
                self.0.describe(&after)
            );
        }
        Ok(report)
    }

    async fn revert(&self, ctx: &StepContext) -> Result<StepReport, StepError> {
        let Some(original) = ctx.journaled(self.0.step(), KEY).await else {
            let (_, now) = self.read(ctx).await?;
            let mut report = self.report(&now);
            report.detail = format!(
                "{} We never changed this setting, so there is nothing to revert.",
                self.0.describe(&now)
            );
            report.evidence = Evidence {
                before: Some(now.clone()),
                after: Some(now),
                ..self.evidence(ctx)
            };
            return Ok(report);
        };
        let (target, before) = self.read(ctx).await?;
        let mut evidence = self.evidence(ctx);
        evidence.requests = vec![self.request(ctx, Some(&target), &original)];
        evidence.before = Some(before.clone());
        let changed = before != original;
        let after = if changed {
            self.0.write(ctx.graph()?, &target, &original).await?;
            self.after_write(ctx, &before, &original).await?
        } else {
            before
        };
        evidence.after = Some(after.clone());
        ctx.journal_forget(self.0.step(), KEY).await?;
        let mut report = self.report(&after).changed(changed).with_evidence(evidence);
        report.detail = format!("Restored the original setting. {}", self.0.describe(&after));
        Ok(report)
    }

    fn evidence(&self, ctx: &StepContext) -> Evidence {
        Evidence {
            requests: vec![self.request(ctx, None, &self.0.desired())],
            portal: Some(self.0.portal()),
            ..Evidence::default()
        }
    }
}
