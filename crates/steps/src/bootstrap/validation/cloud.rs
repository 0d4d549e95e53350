//! The rows Microsoft Graph answers: the Entra device, the Intune managed device and the Windows
//! Hello for Business key, each bound to this VM (the device id it reports, or the device this
//! run saw appear) and to this run (created after it started). A key or device from an earlier
//! run never passes.

use super::binding::{Binding, is_since, parse_time};
use super::{fix, row};
use chrono::{DateTime, Utc};
use hb_graph::api::{auth_methods, devices};
use hb_graph::models::{Device, ManagedDevice, WhfbMethod};
use hb_graph::{GraphClient, GraphError};
use hb_lab::{DeviceId, DeviceObjectId, Upn, ValidationRow, ValidationState};

/// Row ids and labels.
const DEVICE_ROW: (&str, &str) = ("graph_device", "Entra ID: the device, trustType AzureAd");
const MANAGED_ROW: (&str, &str) = ("graph_managed_device", "Intune: the managed device");
const WHFB_ROW: (&str, &str) = ("graph_whfb", "Windows Hello for Business method registered");

/// Who may read what, as Microsoft's permission pages name the least privileged roles.
pub(super) const DEVICE_READERS: &str =
    "Global Reader (or Cloud Device Administrator, Intune Administrator) with Device.Read.All";
pub(super) const MANAGED_READERS: &str = "Intune Administrator (or an Intune role that reads devices, or Global Reader) with DeviceManagementManagedDevices.Read.All";
pub(super) const WHFB_READERS: &str = "Global Reader (or Authentication Administrator, Privileged Authentication Administrator) with UserAuthenticationMethod.Read.All";

/// Whether Graph refused the read for want of a role or permission.
pub(super) fn is_refused(e: &GraphError) -> bool {
    matches!(e.status(), Some(401 | 403))
}

/// The row for a read Graph refused: never a pass, never dropped.
pub(super) fn could_not_check(
    (id, label): (&str, &str),
    e: &GraphError,
    needs: &str,
    fix: &str,
) -> ValidationRow {
    row(
        id,
        label,
        ValidationState::CouldNotCheck,
        format!("Could not check: needs {needs}. Graph refused the read ({e})."),
        fix,
    )
}

/// A row for a read that failed: refused reads say what they need; others wait and retry.
fn failed_read((id, label): (&str, &str), e: &GraphError, needs: &str, fix: &str) -> ValidationRow {
    if is_refused(e) {
        could_not_check((id, label), e, needs, fix)
    } else {
        row(id, label, ValidationState::Waiting, e.to_string(), fix)
    }
}

/// The Entra device of this VM, and how it was found.
pub(super) struct FoundDevice {
    pub row: ValidationRow,
    pub device: Option<Device>,
    /// Found from Graph alone (the VM could not say its device id).
    pub found_in_graph: bool,
}

impl FoundDevice {
    /// When the device registered.
    pub fn registered(&self) -> Option<DateTime<Utc>> {
        self.device
            .as_ref()
            .and_then(|d| d.registration_date_time.as_deref())
            .and_then(parse_time)
    }
}

/// Finds this VM's device by what needs no other Graph answer: the device id the VM reports,
/// else the device object this run journaled. `None`: neither is known, so only the user's
/// Windows Hello keys can find it ([`find_device_by_keys`]).
pub(super) async fn find_device_direct(
    graph: &GraphClient,
    reported: Option<&str>,
    binding: &Binding,
) -> Option<FoundDevice> {
    let lookup = if let Some(id) = reported {
        devices::by_device_id(graph, &DeviceId::from(id)).await
    } else if let Some(object) = &binding.device_object_id {
        devices::by_object_id(graph, &DeviceObjectId::from(object.as_str())).await
    } else {
        return None;
    };
    Some(looked_up(lookup, reported))
}

/// Finds this VM's device when the VM reports no device id and the journal has none: by the
/// name of a Windows Hello key created in this run, when exactly one Entra-joined device
/// registered in this run has that name.
pub(super) async fn find_device_by_keys(
    graph: &GraphClient,
    binding: &Binding,
    keys: Option<&[WhfbMethod]>,
) -> FoundDevice {
    match keys {
        Some(keys) => by_key_name(graph, binding, keys).await,
        None => looked_up(Ok(None), None),
    }
}

/// The row for a device looked up by the id the VM reported (`reported`) or the journaled one.
fn looked_up(lookup: Result<Option<Device>, GraphError>, reported: Option<&str>) -> FoundDevice {
    let found = |device: Option<Device>, in_graph: bool, row: ValidationRow| FoundDevice {
        row,
        device,
        found_in_graph: in_graph,
    };
    let in_graph = reported.is_none();
    match lookup {
        Ok(Some(d)) => {
            let row = device_row(&d);
            found(Some(d), in_graph, row)
        }
        Ok(None) => {
            let detail = match reported {
                Some(id) => format!("No device with deviceId {id} yet."),
                None => "The device this run saw is gone from Entra ID.".to_string(),
            };
            found(
                None,
                false,
                row(
                    DEVICE_ROW.0,
                    DEVICE_ROW.1,
                    ValidationState::Waiting,
                    detail,
                    fix::DEVICE,
                ),
            )
        }
        Err(e) => found(
            None,
            false,
            failed_read(DEVICE_ROW, &e, DEVICE_READERS, fix::DEVICE),
        ),
    }
}

async fn by_key_name(graph: &GraphClient, binding: &Binding, keys: &[WhfbMethod]) -> FoundDevice {
    let waiting = |detail: &str| FoundDevice {
        row: row(
            DEVICE_ROW.0,
            DEVICE_ROW.1,
            ValidationState::Waiting,
            detail,
            fix::DEVICE,
        ),
        device: None,
        found_in_graph: false,
    };
    let since = binding.since(None);
    let mut names: Vec<&str> = keys
        .iter()
        .filter(|k| is_since(k.created_date_time.as_deref(), since))
        .filter_map(|k| k.display_name.as_deref())
        .collect();
    names.dedup();
    let mut candidates = Vec::new();
    for name in names {
        match devices::by_display_name(graph, name).await {
            Ok(found) => candidates.extend(found.into_iter().filter(|d| {
                d.is_entra_joined() && is_since(d.registration_date_time.as_deref(), since)
            })),
            Err(e) => {
                return FoundDevice {
                    row: failed_read(DEVICE_ROW, &e, DEVICE_READERS, fix::DEVICE),
                    device: None,
                    found_in_graph: false,
                };
            }
        }
    }
    match candidates.len() {
        0 => waiting("Waiting for the device id (dsregcmd /status: DeviceId)."),
        1 => {
            let d = candidates.remove(0);
            FoundDevice {
                row: device_row(&d),
                device: Some(d),
                found_in_graph: true,
            }
        }
        n => waiting(&format!(
            "{n} Entra-joined devices carry the name of the user's Windows Hello key: run dsregcmd /status in the VM so validation knows which one is this VM."
        )),
    }
}

fn device_row(d: &Device) -> ValidationRow {
    let id = d.device_id.as_ref().map(|i| i.0.as_str()).unwrap_or("?");
    if d.is_entra_joined() {
        row(
            DEVICE_ROW.0,
            DEVICE_ROW.1,
            ValidationState::Passed,
            format!(
                "{} ({id}) is Azure AD joined.",
                d.display_name.as_deref().unwrap_or("the device")
            ),
            fix::DEVICE,
        )
    } else {
        row(
            DEVICE_ROW.0,
            DEVICE_ROW.1,
            ValidationState::Failed,
            format!(
                "The device's trustType is '{}', not AzureAd.",
                d.trust_type.as_deref().unwrap_or("")
            ),
            fix::DEVICE,
        )
    }
}

/// What Intune answered for this VM's device id (`None`: no device id to ask about yet).
pub(super) type ManagedRead = Option<Result<Option<ManagedDevice>, GraphError>>;

/// Reads the managed device of `device_id`; it needs nothing but the id, so it runs beside the
/// other reads and is judged later by [`managed_row`].
pub(super) async fn read_managed(graph: &GraphClient, device_id: Option<&str>) -> ManagedRead {
    match device_id {
        Some(id) => Some(devices::managed_by_device_id(graph, &DeviceId::from(id)).await),
        None => None,
    }
}

/// The Intune row: the managed device of this VM's device id, enrolled in this run.
pub(super) fn managed_row(
    read: ManagedRead,
    since: Option<DateTime<Utc>>,
) -> (ValidationRow, Option<ManagedDevice>) {
    let waiting = |detail: &str| {
        row(
            MANAGED_ROW.0,
            MANAGED_ROW.1,
            ValidationState::Waiting,
            detail,
            fix::MANAGED,
        )
    };
    let Some(read) = read else {
        return (
            waiting("Waiting for the device id (dsregcmd /status: DeviceId)."),
            None,
        );
    };
    match read {
        Ok(Some(m)) if is_since(m.enrolled_date_time.as_deref(), since) => (
            row(
                MANAGED_ROW.0,
                MANAGED_ROW.1,
                ValidationState::Passed,
                format!(
                    "Enrolled in Intune as {} ({}).",
                    m.device_name.as_deref().unwrap_or("the device"),
                    m.device_enrollment_type.as_deref().unwrap_or("enrolled")
                ),
                fix::MANAGED,
            ),
            Some(m),
        ),
        Ok(Some(_)) => (
            waiting("Intune has only an enrollment from before this run for this device."),
            None,
        ),
        Ok(None) => (
            waiting("Intune has no managed device for it yet (enrollment can lag a few minutes)."),
            None,
        ),
        Err(e) => (
            failed_read(MANAGED_ROW, &e, MANAGED_READERS, fix::MANAGED),
            None,
        ),
    }
}

/// The Windows Hello row: a key of the lab user created in this run and linked (`$expand=device`)
/// to this VM's device.
pub(super) async fn whfb_row(
    graph: &GraphClient,
    upn: &Upn,
    keys: &Result<Vec<WhfbMethod>, GraphError>,
    device: Option<&Device>,
    since: Option<DateTime<Utc>>,
) -> (ValidationRow, Option<WhfbMethod>) {
    let waiting = |detail: String| {
        row(
            WHFB_ROW.0,
            WHFB_ROW.1,
            ValidationState::Waiting,
            detail,
            fix::WHFB,
        )
    };
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => return (failed_read(WHFB_ROW, e, WHFB_READERS, fix::WHFB), None),
    };
    let Some(device) = device else {
        return (
            waiting(if keys.is_empty() {
                format!("{upn} has no Windows Hello for Business method yet.")
            } else {
                "Waiting for this VM's device before matching a Windows Hello key to it.".into()
            }),
            None,
        );
    };
    let fresh: Vec<&WhfbMethod> = keys
        .iter()
        .filter(|k| is_since(k.created_date_time.as_deref(), since))
        .collect();
    // Each key's device comes only from a GET of that key with `$expand=device` ("returned
    // only on a single GET", windowsHelloForBusinessAuthenticationMethod resource type,
    // https://learn.microsoft.com/graph/api/resources/windowshelloforbusinessauthenticationmethod):
    // one GET per fresh key, all at once, judged in the keys' order as before.
    let linked = futures::future::join_all(
        fresh
            .iter()
            .map(|key| auth_methods::whfb_with_device(graph, upn, &key.id)),
    )
    .await;
    for read in linked {
        match read {
            Ok(linked)
                if linked
                    .device
                    .as_ref()
                    .is_some_and(|d| same_device(d, device)) =>
            {
                let detail = format!(
                    "Key registered on {} at {}.",
                    linked.display_name.as_deref().unwrap_or("the device"),
                    linked
                        .created_date_time
                        .as_deref()
                        .unwrap_or("a recent time")
                );
                return (
                    row(
                        WHFB_ROW.0,
                        WHFB_ROW.1,
                        ValidationState::Passed,
                        detail,
                        fix::WHFB,
                    ),
                    Some(linked),
                );
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return (failed_read(WHFB_ROW, &e, WHFB_READERS, fix::WHFB), None),
        }
    }
    let older = keys.len() - fresh.len();
    let detail = match (fresh.len(), older) {
        (0, 0) => format!("{upn} has no Windows Hello for Business method yet."),
        (0, n) => format!(
            "{upn} has no Windows Hello key from this run yet ({n} from before it not counted)."
        ),
        (_, _) => format!("No Windows Hello key of {upn} is linked to this VM's device yet."),
    };
    (waiting(detail), None)
}

fn same_device(a: &Device, b: &Device) -> bool {
    a.id.0.eq_ignore_ascii_case(&b.id.0)
        || matches!((&a.device_id, &b.device_id), (Some(x), Some(y)) if x.0.eq_ignore_ascii_case(&y.0))
}
