//! What a lab report holds: one entry per step with its result, timestamps, evidence and the
//! screens captured when the step completed.

use super::redact::Redactor;
use chrono::{DateTime, Utc};
use hb_lab::session_file::SessionKind;
use hb_lab::{Evidence, GraphRequest, PortalLink, Step, StepReport, StepStatus, ValidationRow};
use serde::{Deserialize, Serialize};

/// Everything the HTML and JSON report are rendered from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// The version of Hello Bootstrap that ran the lab.
    pub app_version: String,
    /// The tenant's display name (e.g. "Contoso Lab").
    pub tenant_name: String,
    pub generated_at: DateTime<Utc>,
    /// Demo tenant or a real one, so nobody mistakes a demo report for proof.
    pub kind: SessionKind,
    pub steps: Vec<StepEntry>,
}

impl ReportData {
    /// A report for this build of the app, stamped now, with no steps yet.
    pub fn new(tenant_name: impl Into<String>, kind: SessionKind) -> Self {
        ReportData {
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            tenant_name: tenant_name.into(),
            generated_at: Utc::now(),
            kind,
            steps: Vec::new(),
        }
    }

    /// Every image in the report, in step order (page first, then the VM screen).
    pub fn images(&self) -> impl Iterator<Item = &CapturedImage> {
        self.steps
            .iter()
            .flat_map(|s| s.page_image.iter().chain(s.vm_image.iter()))
    }

    /// A copy with every string run through the redactor. Images keep their bytes (pixels are not
    /// text); their names and alt texts are redacted like everything else.
    pub fn redacted(&self, r: &Redactor) -> ReportData {
        ReportData {
            app_version: r.text(&self.app_version),
            tenant_name: r.text(&self.tenant_name),
            generated_at: self.generated_at,
            kind: self.kind,
            steps: self.steps.iter().map(|s| s.redacted(r)).collect(),
        }
    }
}

/// One step's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepEntry {
    pub step: Step,
    pub status: StepStatus,
    /// The controller's sentence for people.
    pub detail: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub evidence: Evidence,
    /// The wizard page as it looked when the step completed.
    pub page_image: Option<CapturedImage>,
    /// The VM's screen when the step completed (host steps).
    pub vm_image: Option<CapturedImage>,
}

impl StepEntry {
    /// An entry from what a controller returned. The report's secret (step 6's TAP) is not copied;
    /// any accidental copy of it inside the evidence is scrubbed right here.
    pub fn from_report(
        report: &StepReport,
        started_at: Option<DateTime<Utc>>,
        finished_at: Option<DateTime<Utc>>,
    ) -> StepEntry {
        let entry = StepEntry {
            step: report.step,
            status: report.status,
            detail: report.detail.clone(),
            started_at,
            finished_at,
            evidence: report.evidence.clone(),
            page_image: None,
            vm_image: None,
        };
        match &report.secret {
            Some(secret) => entry.redacted(&Redactor::new().with_known(secret)),
            None => entry,
        }
    }

    /// Attaches the wizard page captured when the step completed.
    pub fn with_page_image(mut self, image: CapturedImage) -> Self {
        self.page_image = Some(image);
        self
    }

    /// Attaches the VM screen captured when the step completed.
    pub fn with_vm_image(mut self, image: CapturedImage) -> Self {
        self.vm_image = Some(image);
        self
    }

    fn redacted(&self, r: &Redactor) -> StepEntry {
        StepEntry {
            step: self.step,
            status: self.status,
            detail: r.text(&self.detail),
            started_at: self.started_at,
            finished_at: self.finished_at,
            evidence: redact_evidence(&self.evidence, r),
            page_image: self.page_image.as_ref().map(|i| i.redacted(r)),
            vm_image: self.vm_image.as_ref().map(|i| i.redacted(r)),
        }
    }
}

fn redact_evidence(e: &Evidence, r: &Redactor) -> Evidence {
    Evidence {
        before: e.before.as_ref().map(|v| r.json(v)),
        after: e.after.as_ref().map(|v| r.json(v)),
        requests: e
            .requests
            .iter()
            .map(|q| GraphRequest {
                method: r.text(&q.method),
                url: r.text(&q.url),
                body: q.body.as_ref().map(|b| r.json(b)),
            })
            .collect(),
        powershell: e.powershell.as_ref().map(|p| r.text(p)),
        portal: e.portal.as_ref().map(|p| PortalLink {
            label: r.text(&p.label),
            url: r.text(&p.url),
        }),
        rows: e
            .rows
            .iter()
            .map(|row| ValidationRow {
                id: r.text(&row.id),
                label: r.text(&row.label),
                state: row.state,
                detail: r.text(&row.detail),
                fix: row.fix.as_ref().map(|f| r.text(f)),
            })
            .collect(),
        images: e.images.iter().map(|i| r.text(i)).collect(),
    }
}

/// A captured screen as PNG bytes. In the JSON report only its name and alt text appear; the HTML
/// embeds the bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapturedImage {
    /// A file-name-like id, unique within the report (e.g. `step-4-vm.png`).
    pub name: String,
    /// What the image shows, for screen readers and when images are off.
    pub alt: String,
    #[serde(skip)]
    pub png: Vec<u8>,
}

impl CapturedImage {
    /// A capture from PNG bytes already encoded (see [`super::rgba_to_png`]).
    pub fn new(name: impl Into<String>, alt: impl Into<String>, png: Vec<u8>) -> Self {
        CapturedImage {
            name: name.into(),
            alt: alt.into(),
            png,
        }
    }

    /// A capture from raw RGBA pixels (the VM console, a test frame).
    pub fn from_rgba(
        name: impl Into<String>,
        alt: impl Into<String>,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
    ) -> Result<Self, super::ReportError> {
        Ok(Self::new(
            name,
            alt,
            super::rgba_to_png(width, height, rgba)?,
        ))
    }

    /// A capture from an egui screenshot of the wizard page.
    pub fn from_color_image(
        name: impl Into<String>,
        alt: impl Into<String>,
        image: &egui::ColorImage,
    ) -> Result<Self, super::ReportError> {
        Ok(Self::new(name, alt, super::color_image_to_png(image)?))
    }

    fn redacted(&self, r: &Redactor) -> CapturedImage {
        CapturedImage {
            name: r.text(&self.name),
            alt: r.text(&self.alt),
            png: self.png.clone(),
        }
    }
}
