//! Builds a [`ReportData`] from what the wizard knows: each step's last result and evidence, the
//! timestamps of its last apply and the page and VM screens captured when it finished.

use super::{CapturedImage, ReportData, ReportError, StepEntry};
use hb_lab::Step;
use hb_lab::session::{LabState, StepCapture};
use hb_lab::session_file::SessionKind;

impl ReportData {
    /// The report of the wizard's lab as it stands. The issued TAP is scrubbed from every text
    /// (and [`super::write_report`] redacts once more); images are encoded as PNG here, so call
    /// this off the UI thread.
    pub fn from_lab(lab: &LabState) -> Result<ReportData, ReportError> {
        let mut data = ReportData::new(
            lab.tenant_name
                .clone()
                .unwrap_or_else(|| "Unknown tenant".into()),
            lab.kind.unwrap_or(SessionKind::Real),
        );
        for step in Step::ALL {
            let state = lab.step(step);
            let capture = lab.captures.get(&step).cloned().unwrap_or_default();
            let mut entry = StepEntry {
                step,
                status: state.status,
                detail: state.detail.clone(),
                started_at: capture.started_at,
                finished_at: capture.finished_at,
                evidence: state.evidence.clone(),
                page_image: None,
                vm_image: None,
            };
            attach_images(&mut entry, &capture)?;
            data.steps.push(entry);
        }
        Ok(match &lab.tap {
            Some(tap) => data.redacted(&super::Redactor::new().with_known(&tap.code)),
            None => data,
        })
    }
}

fn attach_images(entry: &mut StepEntry, capture: &StepCapture) -> Result<(), ReportError> {
    let n = entry.step.number();
    if let Some(page) = &capture.page {
        entry.page_image = Some(CapturedImage::new(
            format!("step-{n}-page.png"),
            format!("The wizard's page for step {n} when it finished"),
            page.png.to_vec(),
        ));
    }
    if let Some(vm) = &capture.vm {
        entry.vm_image = Some(CapturedImage::from_rgba(
            format!("step-{n}-vm.png"),
            format!("The lab VM's screen when step {n} finished"),
            vm.width as u32,
            vm.height as u32,
            vm.rgba.to_vec(),
        )?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use hb_lab::session::{CaptureFrame, IssuedTap, StepState, VmScreen};
    use hb_lab::{Secret, StepStatus};
    use std::sync::Arc;

    fn frame(w: usize, h: usize) -> Arc<[u8]> {
        vec![200u8; w * h * 4].into()
    }

    #[test]
    fn a_lab_becomes_one_entry_per_step_with_images_and_no_tap() {
        let tap = Secret::new("Zq7#TapValue9".to_string());
        let mut lab = LabState {
            tenant_name: Some("Contoso Lab".into()),
            kind: Some(SessionKind::Demo),
            tap: Some(IssuedTap {
                code: tap.clone(),
                issued_at: Utc::now(),
            }),
            ..LabState::default()
        };
        lab.steps.insert(
            Step::TapIssued,
            StepState {
                status: StepStatus::Applied,
                detail: "Issued Zq7#TapValue9 for the lab user.".into(),
                ..StepState::default()
            },
        );
        let now = Utc::now();
        lab.captures.insert(
            Step::LabVm,
            StepCapture {
                started_at: Some(now),
                finished_at: Some(now),
                page: Some(CaptureFrame {
                    width: 3,
                    height: 2,
                    png: crate::rgba_to_png(3, 2, frame(3, 2).to_vec())
                        .unwrap()
                        .into(),
                }),
                vm: Some(VmScreen {
                    width: 4,
                    height: 3,
                    rgba: frame(4, 3),
                    captured_at: now,
                    page: None,
                }),
            },
        );
        let data = ReportData::from_lab(&lab).unwrap();
        assert_eq!(data.steps.len(), Step::ALL.len());
        assert_eq!(data.tenant_name, "Contoso Lab");
        let vm_step = data.steps.iter().find(|e| e.step == Step::LabVm).unwrap();
        assert_eq!(vm_step.started_at, Some(now));
        let vm = vm_step.vm_image.as_ref().expect("the VM image");
        assert_eq!(vm.name, "step-4-vm.png");
        assert_eq!(
            image::load_from_memory(&vm.png)
                .unwrap()
                .to_rgba8()
                .dimensions(),
            (4, 3)
        );
        assert!(vm_step.page_image.is_some());
        let tap_step = data
            .steps
            .iter()
            .find(|e| e.step == Step::TapIssued)
            .unwrap();
        assert!(
            !tap_step.detail.contains(tap.expose()),
            "{}",
            tap_step.detail
        );
        assert!(tap_step.detail.starts_with("Issued "));
    }

    #[test]
    fn a_frame_of_the_wrong_size_is_a_clear_error() {
        let mut lab = LabState::default();
        lab.captures.insert(
            Step::Bootstrap,
            StepCapture {
                vm: Some(VmScreen {
                    width: 10,
                    height: 10,
                    rgba: frame(1, 1),
                    captured_at: Utc::now(),
                    page: None,
                }),
                ..StepCapture::default()
            },
        );
        let err = ReportData::from_lab(&lab).unwrap_err().to_string();
        assert!(err.contains("10×10"), "{err}");
    }
}
