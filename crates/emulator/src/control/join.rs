//! Entra join at OOBE: the device object, the Intune enrolment, the WHfB key and the sign-in log
//! entries a real join leaves behind.

use crate::api::INTUNE_APP_ID;
use crate::ids::UserId;
use crate::seed::guid;
use crate::sign_in_log::{DeviceView, SignInKind, sign_in_entry};
use crate::state::{DeviceRecord, ManagedDeviceRecord, TenantState, WhfbRecord};
use chrono::{DateTime, Utc};

/// Result of a successful OOBE sign-in.
#[derive(Debug)]
pub(super) struct Joined {
    pub device_id: String,
    pub device_object_id: String,
    pub managed_device_id: Option<String>,
    pub whfb_method_id: Option<String>,
}

/// Entra join at OOBE: the device, the Intune enrolment (only when the MDM user scope covers the
/// user), the WHfB key (unless the WHfB policy disables it) and the sign-in log entries.
pub(super) fn join_device(
    t: &mut TenantState,
    user_id: &UserId,
    device_name: &str,
    now: DateTime<Utc>,
) -> Joined {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let device_id = guid(&mut rng);
    let device_object_id = guid(&mut rng);
    let enrolled = t.mdm_scope_covers(user_id);
    let whfb = t.whfb_state() != "disabled";
    t.devices.push(DeviceRecord {
        id: device_object_id.clone(),
        device_id: device_id.clone(),
        display_name: device_name.to_string(),
        trust_type: "AzureAd".into(),
        operating_system: "Windows".into(),
        operating_system_version: "10.0.26100.2605".into(),
        is_managed: enrolled,
        is_compliant: enrolled,
        mdm_app_id: enrolled.then(|| INTUNE_APP_ID.to_string()),
        registered: now,
        owner_user_id: Some(user_id.clone()),
    });
    let upn = t
        .user(user_id.as_str())
        .map(|u| u.user_principal_name.clone())
        .unwrap_or_default();
    let managed_device_id = enrolled.then(|| {
        let id = guid(&mut rng);
        t.managed_devices.push(ManagedDeviceRecord {
            id: id.clone(),
            azure_ad_device_id: device_id.clone(),
            device_name: device_name.to_string(),
            user_id: user_id.clone(),
            user_principal_name: upn.clone(),
            enrolled: now,
            serial_number: format!(
                "{:04}-{:04}-{:04}",
                rand_digits(&mut rng),
                rand_digits(&mut rng),
                rand_digits(&mut rng)
            ),
        });
        id
    });
    let whfb_method_id = whfb.then(|| {
        let id = guid(&mut rng);
        if let Some(u) = t.user_mut(user_id.as_str()) {
            u.whfb_methods.push(WhfbRecord {
                id: id.clone(),
                display_name: device_name.to_string(),
                created: now,
                key_strength: "normal".into(),
                device_object_id: Some(device_object_id.clone()),
            });
        }
        id
    });
    let device = DeviceView {
        device_id: &device_id,
        name: device_name,
        managed: enrolled,
    };
    let tap_entry = sign_in_entry(
        t,
        user_id,
        now - chrono::Duration::seconds(2),
        SignInKind::TapAtOobe,
        None,
        &mut rng,
    );
    t.sign_ins.push(tap_entry);
    let prt_entry = sign_in_entry(
        t,
        user_id,
        now,
        SignInKind::TokenClaim {
            app: "Windows Sign In",
            app_id: "38aa3b87-a06d-4817-b275-7a316988d93b",
        },
        Some(device),
        &mut rng,
    );
    t.sign_ins.push(prt_entry);
    Joined {
        device_id,
        device_object_id,
        managed_device_id,
        whfb_method_id,
    }
}

fn rand_digits(rng: &mut rand::rngs::StdRng) -> u32 {
    use rand::Rng;
    rng.random_range(0..10_000)
}
