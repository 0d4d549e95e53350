//! The values that cross the `HyperVHost` trait: feature and VM states, the VM spec, screens.

use super::HostError;
use hb_lab::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// The Hyper-V optional feature (`Microsoft-Hyper-V-All`) as Windows reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FeatureState {
    Enabled,
    Disabled,
    /// Enabled, but Windows must restart before Hyper-V runs.
    EnablePending,
    DisablePending,
    /// Hyper-V cannot run here (Home edition, no virtualization support); the reason says why.
    Unavailable {
        reason: String,
    },
}

impl FeatureState {
    /// Maps Windows' `FeatureState` enum name (`Get-WindowsOptionalFeature`) to ours.
    pub fn from_windows(name: &str) -> FeatureState {
        match name.trim() {
            "Enabled" => FeatureState::Enabled,
            "Disabled" | "DisabledWithPayloadRemoved" => FeatureState::Disabled,
            "EnablePending" => FeatureState::EnablePending,
            "DisablePending" => FeatureState::DisablePending,
            other => FeatureState::Unavailable {
                reason: format!("Windows reports the Hyper-V feature as '{other}'"),
            },
        }
    }
}

/// A VM's state, mirroring `Microsoft.HyperV.PowerShell.VMState` by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VmState {
    Running,
    Off,
    Saved,
    Paused,
    Starting,
    Stopping,
    Saving,
    Pausing,
    Resuming,
    Reset,
    /// Any other state name Hyper-V reports (FastSaved, *Critical, …), kept verbatim.
    Other(String),
}

impl VmState {
    const NAMED: [(VmState, &'static str); 10] = [
        (VmState::Running, "Running"),
        (VmState::Off, "Off"),
        (VmState::Saved, "Saved"),
        (VmState::Paused, "Paused"),
        (VmState::Starting, "Starting"),
        (VmState::Stopping, "Stopping"),
        (VmState::Saving, "Saving"),
        (VmState::Pausing, "Pausing"),
        (VmState::Resuming, "Resuming"),
        (VmState::Reset, "Reset"),
    ];

    /// Parses the `.ToString()` of Hyper-V's enum; unknown names become `Other`.
    pub fn parse(name: &str) -> VmState {
        let name = name.trim();
        Self::NAMED
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| VmState::Other(name.to_string()))
    }

    /// The name Hyper-V uses for this state.
    pub fn as_str(&self) -> &str {
        match self {
            VmState::Other(s) => s,
            known => Self::NAMED
                .iter()
                .find(|(s, _)| s == known)
                .map(|(_, n)| *n)
                .unwrap_or("Other"),
        }
    }
}

impl fmt::Display for VmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for VmState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for VmState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(VmState::parse(&String::deserialize(d)?))
    }
}

/// Everything needed to create the lab VM: Windows 11's requirements are checked by `validate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VmSpec {
    pub name: String,
    /// Always 2: UEFI and Secure Boot need a generation 2 VM.
    pub generation: u8,
    pub cpu_count: u32,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
    pub switch_name: String,
    /// The Windows 11 installation ISO; see [`InstallMedia`] for where one is needed.
    pub iso_path: Option<PathBuf>,
    /// The answer disc (`autounattend.xml` in an ISO) attached as a second DVD drive, so Windows
    /// Setup runs to OOBE with no clicks and plants the guest reporter.
    #[serde(default)]
    pub answer_iso: Option<PathBuf>,
    /// A virtual TPM protected by a local key protector (Windows 11 needs TPM 2.0).
    pub vtpm: bool,
    pub secure_boot_template: String,
}

/// One gibibyte.
pub const GB: u64 = 1024 * 1024 * 1024;

impl VmSpec {
    /// The lab VM: Gen 2, 2 vCPU, 4 GB, 80 GB disk, Default Switch, vTPM, Secure Boot for Windows.
    pub fn lab(name: impl Into<String>, iso_path: Option<PathBuf>) -> VmSpec {
        VmSpec {
            name: name.into(),
            generation: 2,
            cpu_count: 2,
            memory_bytes: 4 * GB,
            disk_bytes: 80 * GB,
            switch_name: "Default Switch".into(),
            iso_path,
            answer_iso: None,
            vtpm: true,
            secure_boot_template: "MicrosoftWindows".into(),
        }
    }

    /// Checks the spec against Windows 11's requirements before anything is created.
    pub fn validate(&self) -> Result<(), HostError> {
        let bad = |m: String| Err(HostError::BadInput(m));
        let name = self.name.trim();
        if name.is_empty() {
            return bad("the VM name is empty: choose a name such as HelloBootstrap-Lab".into());
        }
        if name.chars().count() > 100 {
            return bad("the VM name is longer than 100 characters: choose a shorter one".into());
        }
        if name.chars().any(char::is_control) {
            return bad("the VM name contains control characters (such as a line break)".into());
        }
        if self.generation != 2 {
            return bad("Windows 11 needs a generation 2 VM (UEFI, Secure Boot)".into());
        }
        if self.cpu_count < 2 {
            return bad("Windows 11 needs at least 2 virtual processors".into());
        }
        if self.memory_bytes < 4 * GB {
            return bad("Windows 11 needs at least 4 GB of memory".into());
        }
        if self.disk_bytes < 64 * GB {
            return bad("Windows 11 needs a disk of at least 64 GB".into());
        }
        if !self.vtpm {
            return bad("Windows 11 needs a TPM 2.0: keep the virtual TPM on".into());
        }
        Ok(())
    }
}

/// Whether creating a VM needs a Windows installation ISO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallMedia {
    /// The new VM boots Windows Setup from the ISO the person chose.
    Required,
    /// The host brings Windows along (the emulated VM); an ISO, when chosen, is still checked.
    Optional,
}

/// What `Hyper-V\Get-VM` tells us about a VM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VmInfo {
    pub name: String,
    pub state: VmState,
    pub generation: u8,
    pub cpu_count: u32,
    pub memory_bytes: u64,
    pub tpm_enabled: bool,
    pub secure_boot_template: Option<String>,
    pub switch_name: Option<String>,
}

/// A VM checkpoint (snapshot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub name: String,
    /// ISO 8601 creation time when the host reports it.
    pub created: Option<String>,
}

/// A captured VM screen: RGBA8, row-major, top-down.
#[derive(Clone, PartialEq, Eq)]
pub struct ScreenImage {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl fmt::Debug for ScreenImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScreenImage({}x{})", self.width, self.height)
    }
}

impl ScreenImage {
    /// Decodes Hyper-V's thumbnail format (little-endian RGB565, row-major, top-down).
    pub fn from_rgb565(width: u32, height: u32, data: &[u8]) -> Result<ScreenImage, HostError> {
        let expected = width as usize * height as usize * 2;
        if data.len() != expected {
            return Err(HostError::Parse {
                reason: format!(
                    "a {width}x{height} RGB565 thumbnail has {expected} bytes, got {}",
                    data.len()
                ),
                excerpt: String::new(),
            });
        }
        let mut pixels = Vec::with_capacity(expected * 2);
        for px in data.chunks_exact(2) {
            let p = u16::from_le_bytes([px[0], px[1]]);
            let r = ((p >> 11) & 0x1f) as u8;
            let g = ((p >> 5) & 0x3f) as u8;
            let b = (p & 0x1f) as u8;
            pixels.extend_from_slice(&[
                (r << 3) | (r >> 2),
                (g << 2) | (g >> 4),
                (b << 3) | (b >> 2),
                255,
            ]);
        }
        Ok(ScreenImage {
            width,
            height,
            pixels,
        })
    }

    /// Encodes the image as PNG (for the report and the wizard).
    pub fn to_png(&self) -> Result<Vec<u8>, String> {
        let img = image::RgbaImage::from_raw(self.width, self.height, self.pixels.clone())
            .ok_or_else(|| "the pixel buffer does not match the image size".to_string())?;
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        Ok(out.into_inner())
    }

    /// The RGBA value at (x, y).
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        self.pixels.get(i..i + 4).map(|p| [p[0], p[1], p[2], p[3]])
    }
}

/// Text for the VM's virtual keyboard: plain (a UPN) or secret (a TAP, a PIN).
#[derive(Clone, Copy)]
pub enum KeyboardText<'a> {
    Plain(&'a str),
    Secret(&'a Secret),
}

impl KeyboardText<'_> {
    /// The characters to type; call sites are where secrets leave the process.
    pub fn expose(&self) -> &str {
        match self {
            KeyboardText::Plain(s) => s,
            KeyboardText::Secret(s) => s.expose(),
        }
    }

    /// Whether the text must be kept out of logs and errors.
    pub fn is_secret(&self) -> bool {
        matches!(self, KeyboardText::Secret(_))
    }
}

impl fmt::Debug for KeyboardText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyboardText::Plain(s) => write!(f, "Plain({s:?})"),
            KeyboardText::Secret(_) => f.write_str("Secret([redacted])"),
        }
    }
}

/// The commands we run in the guest; a closed set, so nothing arbitrary reaches a shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestCommand {
    /// `dsregcmd /status`: the device's Entra join, PRT and Windows Hello state.
    DsregcmdStatus,
}

impl GuestCommand {
    /// The command line as people would type it in the VM.
    pub fn command_line(self) -> &'static str {
        match self {
            GuestCommand::DsregcmdStatus => "dsregcmd /status",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_states_round_trip_and_keep_unknown_names() {
        for name in ["Running", "Off", "Saved", "Paused", "Starting", "Reset"] {
            assert_eq!(VmState::parse(name).as_str(), name);
        }
        assert_eq!(VmState::parse("running"), VmState::Running);
        assert_eq!(
            VmState::parse("FastSavedCritical"),
            VmState::Other("FastSavedCritical".into())
        );
        let json = serde_json::to_string(&VmState::Other("X".into())).unwrap();
        assert_eq!(json, "\"X\"");
        assert_eq!(
            serde_json::from_str::<VmState>("\"Off\"").unwrap(),
            VmState::Off
        );
    }

    #[test]
    fn lab_spec_meets_windows_11_and_bad_specs_say_why() {
        assert!(VmSpec::lab("Lab", None).validate().is_ok());
        let mut s = VmSpec::lab("Lab", None);
        s.memory_bytes = 2 * GB;
        assert!(s.validate().unwrap_err().to_string().contains("4 GB"));
        let mut s = VmSpec::lab("a\nb", None);
        assert!(s.validate().unwrap_err().to_string().contains("control"));
        s.name = " ".into();
        assert!(s.validate().unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn rgb565_decodes_primary_colours() {
        // red 0xF800, green 0x07E0, blue 0x001F, white 0xFFFF
        let data = [0x00, 0xF8, 0xE0, 0x07, 0x1F, 0x00, 0xFF, 0xFF];
        let img = ScreenImage::from_rgb565(2, 2, &data).unwrap();
        assert_eq!(img.pixel(0, 0), Some([255, 0, 0, 255]));
        assert_eq!(img.pixel(1, 0), Some([0, 255, 0, 255]));
        assert_eq!(img.pixel(0, 1), Some([0, 0, 255, 255]));
        assert_eq!(img.pixel(1, 1), Some([255, 255, 255, 255]));
        assert!(ScreenImage::from_rgb565(2, 2, &data[..6]).is_err());
        assert!(img.to_png().unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn secret_keyboard_text_is_redacted() {
        let tap = Secret::new("Tap#Secret1");
        let text = KeyboardText::Secret(&tap);
        assert!(!format!("{text:?}").contains("Tap#"));
        assert_eq!(text.expose(), "Tap#Secret1");
    }
}
