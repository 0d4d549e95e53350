//! `hello-bootstrap vm unattend`: the answer file (and disc) step 4 would give Windows Setup,
//! written where an admin can read it or attach it to a VM built by hand.

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use clap::Args;
use hb_host::unattend::InstallImage;
use hb_steps::lab_vm::{DEFAULT_VM_NAME, answer_file, default_image, write_answer_media};
use std::path::PathBuf;

/// Options of `vm unattend`.
#[derive(Debug, Args, Clone, Default)]
pub struct UnattendArgs {
    /// The folder to write into (created if missing; default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write the answer disc (an ISO 9660/Joliet image with autounattend.xml at its root).
    #[arg(long)]
    pub iso: bool,
    /// The VM's name, carried in the answer file for the guest reporter.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_VM_NAME)]
    pub vm_name: String,
    /// The edition to install, as the ISO's install.wim names it (Home is refused).
    #[arg(long, value_name = "NAME")]
    pub edition: Option<String>,
}

/// Writes the files and prints their paths (JSON on stdout, a sentence on stderr).
pub fn unattend(args: &UnattendArgs) -> i32 {
    let image = match &args.edition {
        Some(name) => InstallImage {
            index: 1,
            name: name.clone(),
        },
        None => default_image(),
    };
    if let Err(e) = hb_host::unattend::choose_image(std::slice::from_ref(&image)) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let name = args.vm_name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        eprintln!("error: --vm-name must be a VM name without line breaks, e.g. {DEFAULT_VM_NAME}");
        return EXIT_USAGE;
    }
    let dir = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
    let answer = answer_file(name, image);
    let xml = dir.join(hb_host::unattend::FILE_NAME);
    let written = write_answer_media(&dir, &answer, args.iso);
    match written {
        Ok(last) => {
            let iso = args.iso.then_some(last);
            eprintln!(
                "Wrote {}{} for {} ({}).",
                xml.display(),
                iso.as_ref()
                    .map(|p| format!(" and the answer disc {}", p.display()))
                    .unwrap_or_default(),
                name,
                answer.image.name
            );
            println!(
                "{}",
                serde_json::json!({
                    "autounattend": xml,
                    "answer_iso": iso,
                    "edition": answer.image.name,
                    "vm_name": name,
                })
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILED
        }
    }
}
