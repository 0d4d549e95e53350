//! The emulated guest's side of Hyper-V Data Exchange: the integration service's intrinsic items
//! once Windows is up, the reporter's OOBE marker, and the signed-in user's `dsregcmd /status`
//! summary in chunks, written as the same embedded-instance XML Hyper-V hands the host and read
//! back through the one reader both hosts share.

use super::EmulatedHost;
use super::dsreg_text;
use super::state::EmuVm;
use crate::kvp::{self, GuestKvp, KvpItem, UserReport};
use crate::{GuestPage, HostError, VmState};
use chrono::{DateTime, Utc};

/// `Source` of a guest-written item as the host sees it.
const SOURCE_GUEST: u16 = 2;

fn item(name: &str, data: impl Into<String>) -> KvpItem {
    KvpItem {
        name: name.into(),
        data: data.into(),
    }
}

/// What the VM publishes now, as items (before the XML round trip).
fn items(
    vm: &EmuVm,
    layout_override: Option<&str>,
    now: DateTime<Utc>,
) -> (Vec<KvpItem>, Vec<KvpItem>) {
    let guest = &vm.guest;
    let windows_up = vm.state == VmState::Running
        && !matches!(
            guest.screen,
            GuestPage::Off | GuestPage::Boot | GuestPage::Setup | GuestPage::NoBootDevice
        );
    if !windows_up {
        return (Vec::new(), Vec::new());
    }
    let intrinsic = vec![
        item("FullyQualifiedDomainName", vm.device_name.clone()),
        item("OSName", "Windows 11 Enterprise Evaluation"),
        item("OSVersion", "10.0.26100"),
        item("ProcessorArchitecture", "9"),
    ];
    let Some(answers) = guest.answers.as_ref().filter(|a| a.reporter) else {
        return (intrinsic, Vec::new());
    };
    let layout = layout_override
        .map(str::to_string)
        .or_else(|| answers.layout.clone())
        .unwrap_or_default();
    let marker = serde_json::json!({
        "v": 1,
        "phase": kvp::PHASE_OOBE,
        "at": guest.marker_at.unwrap_or(now),
        "layout": layout,
        "vm": answers.vm_label.clone().unwrap_or_default(),
    });
    let mut published = vec![item(kvp::MARKER_KEY, marker.to_string())];
    if let (Some(join), true) = (&guest.join, guest.screen.is_signed_in()) {
        // What the reporter's user task reads from dsregcmd in the user's session.
        let text = dsreg_text::status_text(&vm.device_name, Some(join), guest.pin_set);
        let summary = crate::dsregcmd::parse(&text)
            .map(|s| s.summary)
            .unwrap_or_default();
        let report = UserReport {
            at: Some(now),
            user: Some(format!(
                "AzureAD\\{}",
                join.upn.split('@').next().unwrap_or("")
            )),
            upn: Some(join.upn.clone()),
            layout: Some(layout),
            azure_ad_joined: summary.azure_ad_joined,
            workplace_joined: summary.workplace_joined,
            ngc_set: summary.ngc_set,
            azure_ad_prt: summary.azure_ad_prt,
            device_id: summary.device_id,
            tenant_id: Some(join.tenant_id.clone()),
            tenant_name: summary.tenant_name,
        };
        let json = serde_json::to_string(&report).unwrap_or_default();
        let seq = join.joined_at.timestamp_millis().to_string();
        published.extend(kvp::report_items(&json, &seq));
    }
    (intrinsic, published)
}

impl EmulatedHost {
    /// The KVP component's two arrays for `vm`, through the XML Hyper-V uses.
    pub(super) fn kvp_now(&self, vm: &EmuVm) -> Result<GuestKvp, HostError> {
        let (intrinsic, guest) = items(vm, self.guest_layout.as_deref(), Utc::now());
        let wire = |items: Vec<KvpItem>| -> Vec<String> {
            items
                .iter()
                .map(|i| kvp::encode_item(&i.name, &i.data, SOURCE_GUEST))
                .collect()
        };
        Ok(GuestKvp {
            intrinsic: kvp::parse_items(&wire(intrinsic))?,
            guest: kvp::parse_items(&wire(guest))?,
        })
    }
}
