//! What this PC must have before Hyper-V and the lab VM can work: an edition with Hyper-V (not
//! Home), virtualization enabled in the firmware with second-level address translation (SLAT),
//! memory for the VM beside Windows itself, and free disk for the VM's disk. Read without
//! elevation, so step 3 can say what is missing before asking for anything.

use crate::VmSpec;
use crate::types::GB;
use serde::{Deserialize, Serialize};

/// The disk the lab VM needs beyond nothing: Windows 11 installs into about 20 GB of its
/// dynamically growing disk, and the OOBE checkpoint keeps memory and changes beside it.
pub const FREE_DISK_NEEDED: u64 = 30 * GB;
/// Memory Windows on the host keeps for itself while the VM runs.
pub const HOST_MEMORY_RESERVE: u64 = 2 * GB;

/// What the PC reports (`Win32_OperatingSystem`, `Win32_ComputerSystem`, `Win32_Processor`,
/// `Win32_LogicalDisk`, the `EditionID` registry value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPreflight {
    /// `EditionID`: `Professional`, `Enterprise`, `Education`, … (`Core*` is Home).
    pub edition: String,
    pub caption: String,
    /// A hypervisor already runs (Hyper-V is on); Windows then reports the CPU's virtualization
    /// features as off, because the hypervisor owns them.
    pub hypervisor_present: bool,
    pub virtualization_firmware_enabled: bool,
    pub slat: bool,
    pub total_memory_bytes: u64,
    pub free_memory_bytes: u64,
    /// Where new virtual disks go (`Get-VMHost`'s `VirtualHardDiskPath`, or Hyper-V's default).
    pub vhd_folder: String,
    pub free_disk_bytes: Option<u64>,
}

fn gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / GB as f64)
}

impl HostPreflight {
    /// What stops Hyper-V itself from running here (step 3), each with what to do.
    pub fn hyperv_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.edition.starts_with("Core") {
            out.push(format!(
                "{} ({}) has no Hyper-V: use Windows 11 Pro, Enterprise or Education",
                self.caption, self.edition
            ));
        }
        if !self.hypervisor_present {
            if !self.virtualization_firmware_enabled {
                out.push("virtualization is turned off in the PC's firmware: enable Intel VT-x or AMD-V (SVM) in the UEFI/BIOS settings, then restart".into());
            }
            if !self.slat {
                out.push("the processor has no second-level address translation (SLAT, Intel EPT or AMD RVI), which Hyper-V needs".into());
            }
        }
        out
    }

    /// What stops the lab VM from being created or started here (step 4).
    pub fn vm_problems(&self, spec: &VmSpec) -> Vec<String> {
        let mut out = self.hyperv_problems();
        let needed = spec.memory_bytes + HOST_MEMORY_RESERVE;
        if self.total_memory_bytes < needed {
            out.push(format!(
                "this PC has {} of memory; the VM's {} plus {} for Windows needs {}",
                gb(self.total_memory_bytes),
                gb(spec.memory_bytes),
                gb(HOST_MEMORY_RESERVE),
                gb(needed)
            ));
        } else if self.free_memory_bytes < spec.memory_bytes {
            out.push(format!(
                "only {} of memory is free and the VM needs {}: close some apps, then retry",
                gb(self.free_memory_bytes),
                gb(spec.memory_bytes)
            ));
        }
        if let Some(free) = self.free_disk_bytes
            && free < FREE_DISK_NEEDED
        {
            out.push(format!(
                "{} has {} free; the VM's disk needs about {}: free some space or move Hyper-V's virtual hard disk folder",
                self.vhd_folder,
                gb(free),
                gb(FREE_DISK_NEEDED)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> HostPreflight {
        HostPreflight {
            edition: "Professional".into(),
            caption: "Microsoft Windows 11 Pro".into(),
            hypervisor_present: false,
            virtualization_firmware_enabled: true,
            slat: true,
            total_memory_bytes: 16 * GB,
            free_memory_bytes: 10 * GB,
            vhd_folder: r"C:\ProgramData\Microsoft\Windows\Virtual Hard Disks".into(),
            free_disk_bytes: Some(200 * GB),
        }
    }

    #[test]
    fn each_missing_need_is_named() {
        let spec = VmSpec::lab("Lab", None);
        assert!(healthy().vm_problems(&spec).is_empty());
        let home = HostPreflight {
            edition: "Core".into(),
            virtualization_firmware_enabled: false,
            total_memory_bytes: 4 * GB,
            free_disk_bytes: Some(5 * GB),
            ..healthy()
        };
        let problems = home.vm_problems(&spec).join("\n");
        for needle in ["no Hyper-V", "firmware", "6.0 GB", "5.0 GB free"] {
            assert!(problems.contains(needle), "{needle} in {problems}");
        }
        // With the hypervisor running, Windows hides VT-x and SLAT: not a problem then.
        let running = HostPreflight {
            hypervisor_present: true,
            virtualization_firmware_enabled: false,
            slat: false,
            ..healthy()
        };
        assert!(running.hyperv_problems().is_empty());
    }
}
