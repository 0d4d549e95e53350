//! The answer file (`autounattend.xml`) that takes Windows Setup from the ISO to OOBE with no
//! clicks: the windowsPE pass answers language, EULA, the GPT disk of a Gen 2 VM, the edition and
//! the product key prompt; the specialize pass plants the guest reporter; the oobeSystem pass pins
//! the input locale to the layout Hyper-V's virtual keyboard types (en-US) and leaves the account
//! pages alone, so the learner reaches "Let's set things up for your work or school".
//!
//! Built with an XML writer: every value (the edition name read from the ISO, the VM's name) is
//! escaped by it, never pasted into markup.

use crate::HostError;
use crate::reporter;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::{Deserialize, Serialize};
use std::io;

/// The answer file's namespace, as Windows Setup requires it.
pub const UNATTEND_NS: &str = "urn:schemas-microsoft-com:unattend";
/// The `wcm:` namespace of `wcm:action="add"` list items.
pub const WCM_NS: &str = "http://schemas.microsoft.com/WMIConfig/2002/State";
/// Our own element's namespace: Setup ignores it; the reporter's installer reads it.
pub const EXTENSION_NS: &str = "urn:hello-bootstrap:guest-reporter:1";
/// The language everything is set to, so OOBE speaks English like the guide.
pub const LANGUAGE: &str = "en-US";
/// The input locale Setup and OOBE get: language 0409, keyboard layout 00000409 (US). Hyper-V's
/// `Msvm_Keyboard.TypeText` sends US-layout scan codes, so this is the layout it types right.
pub const INPUT_LOCALE: &str = "0409:00000409";
/// The keyboard layout id of [`INPUT_LOCALE`], as the guest reports it over KVP.
pub const TYPED_LAYOUT: &str = "00000409";
/// The file name Windows Setup looks for at the root of removable media.
pub const FILE_NAME: &str = "autounattend.xml";

/// One Windows image in the ISO's `sources\install.wim` (or `.esd`), as DISM lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallImage {
    pub index: u32,
    pub name: String,
}

impl InstallImage {
    /// Whether this is evaluation media, which installs without a product key.
    pub fn is_evaluation(&self) -> bool {
        self.name.to_ascii_lowercase().contains("evaluation")
    }

    /// Whether this edition can join Microsoft Entra ID (Home cannot).
    pub fn can_join_entra(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        !(n.contains("home") || n.contains("single language"))
    }

    /// The Generic Volume License Key (KMS client setup key) Microsoft publishes for this
    /// edition ("Key Management Services (KMS) client activation and product keys",
    /// MicrosoftDocs/windowsserverdocs `get-started/kms-client-activation-keys.md`). It selects
    /// the edition so Setup shows no product key page; it does not activate Windows.
    pub fn setup_key(&self) -> Option<&'static str> {
        if self.is_evaluation() {
            return None;
        }
        let n = self.name.to_ascii_lowercase();
        let n_edition = n.ends_with(" n");
        let key = if n.contains("enterprise") {
            if n_edition {
                "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4"
            } else {
                "NPPR9-FWDCX-D2C8J-H872K-2YT43"
            }
        } else if n.contains("education") && !n.contains("pro") {
            if n_edition {
                "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ"
            } else {
                "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2"
            }
        } else if n.ends_with(" pro") || n.ends_with(" pro n") {
            if n_edition {
                "MH37W-N47XK-V7XM9-C7227-GCQG9"
            } else {
                "W269N-WFGWX-YVC9B-4J6C9-T83GX"
            }
        } else {
            return None;
        };
        Some(key)
    }
}

/// Picks the edition to install: Enterprise evaluation first (the 90-day ISO), then Enterprise,
/// Pro, Education; never Home, which cannot join Microsoft Entra ID.
pub fn choose_image(images: &[InstallImage]) -> Result<&InstallImage, HostError> {
    let rank = |i: &InstallImage| {
        let n = i.name.to_ascii_lowercase();
        match () {
            _ if !i.can_join_entra() => None,
            _ if n.contains("enterprise") && i.is_evaluation() => Some(0),
            _ if n.contains("enterprise") => Some(1),
            _ if i.setup_key().is_some() && n.ends_with(" pro") => Some(2),
            _ if n.contains("education") => Some(3),
            _ if i.setup_key().is_some() || i.is_evaluation() => Some(4),
            _ => None,
        }
    };
    images
        .iter()
        .filter_map(|i| rank(i).map(|r| (r, i)))
        .min_by_key(|(r, i)| (*r, i.index))
        .map(|(_, i)| i)
        .ok_or_else(|| {
            let names: Vec<&str> = images.iter().map(|i| i.name.as_str()).collect();
            HostError::BadInput(format!(
                "this ISO offers no Windows edition that can join Microsoft Entra ID ({}): use the Windows 11 Enterprise evaluation ISO or a Windows 11 ISO with Pro",
                if names.is_empty() {
                    "no images found".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })
}

/// What goes into the answer file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerFile {
    /// The image Setup installs, matched by `/IMAGE/NAME`.
    pub image: InstallImage,
    /// The VM's name, carried for the reporter to publish back (so the host knows the marker
    /// came from the VM it created). Escaped by the writer like every other value.
    pub vm_label: String,
}

/// Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE/U+FFFF) become U+FFFD, so a
/// hostile value can make the file say something odd but never make it unreadable.
fn xml_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

type W = Writer<Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    let value = xml_safe(value);
    w.create_element(name)
        .write_text_content(BytesText::new(&value))
        .map(drop)
}

/// A `<component>` of Microsoft's amd64, neutral-language servicing identity.
fn component(w: &mut W, name: &str, body: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<()> {
    w.create_element("component")
        .with_attribute(("name", name))
        .with_attribute(("processorArchitecture", "amd64"))
        .with_attribute(("publicKeyToken", "31bf3856ad364e35"))
        .with_attribute(("language", "neutral"))
        .with_attribute(("versionScope", "nonSxS"))
        .write_inner_content(body)
        .map(drop)
}

fn settings(w: &mut W, pass: &str, body: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<()> {
    w.create_element("settings")
        .with_attribute(("pass", pass))
        .write_inner_content(body)
        .map(drop)
}

fn added(w: &mut W, name: &str, body: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<()> {
    w.create_element(name)
        .with_attribute(("wcm:action", "add"))
        .write_inner_content(body)
        .map(drop)
}

fn locale(w: &mut W) -> io::Result<()> {
    text(w, "InputLocale", INPUT_LOCALE)?;
    text(w, "SystemLocale", LANGUAGE)?;
    text(w, "UILanguage", LANGUAGE)?;
    text(w, "UserLocale", LANGUAGE)
}

fn partition(w: &mut W, order: u32, kind: &str, size_mb: Option<u32>) -> io::Result<()> {
    added(w, "CreatePartition", |w| {
        text(w, "Order", &order.to_string())?;
        text(w, "Type", kind)?;
        match size_mb {
            Some(mb) => text(w, "Size", &mb.to_string()),
            None => text(w, "Extend", "true"),
        }
    })
}

fn format(w: &mut W, id: u32, fs: Option<(&str, &str)>, letter: Option<&str>) -> io::Result<()> {
    added(w, "ModifyPartition", |w| {
        text(w, "Order", &id.to_string())?;
        text(w, "PartitionID", &id.to_string())?;
        if let Some((format, label)) = fs {
            text(w, "Format", format)?;
            text(w, "Label", label)?;
        }
        if let Some(letter) = letter {
            text(w, "Letter", letter)?;
        }
        Ok(())
    })
}

impl AnswerFile {
    /// The answer file for `image`, for the VM named `vm_label`.
    pub fn new(image: InstallImage, vm_label: impl Into<String>) -> AnswerFile {
        AnswerFile {
            image,
            vm_label: vm_label.into(),
        }
    }

    /// The answer file as UTF-8 XML.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        self.write(&mut w)
            .expect("writing XML into memory cannot fail");
        String::from_utf8(w.into_inner()).expect("the XML writer writes UTF-8")
    }

    fn write(&self, w: &mut W) -> io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        w.create_element("unattend")
            .with_attribute(("xmlns", UNATTEND_NS))
            .with_attribute(("xmlns:wcm", WCM_NS))
            .write_inner_content(|w| {
                settings(w, "windowsPE", |w| self.windows_pe(w))?;
                settings(w, "specialize", |w| {
                    component(w, "Microsoft-Windows-Deployment", |w| {
                        w.create_element("RunSynchronous")
                            .write_inner_content(|w| {
                                added(w, "RunSynchronousCommand", |w| {
                                    text(w, "Order", "1")?;
                                    text(
                                        w,
                                        "Description",
                                        "Hello Bootstrap guest reporter: reports the OOBE and the sign-in to the host over Hyper-V Data Exchange",
                                    )?;
                                    text(w, "Path", reporter::SPECIALIZE_COMMAND)
                                })
                            })
                            .map(drop)
                    })
                })?;
                settings(w, "oobeSystem", |w| {
                    component(w, "Microsoft-Windows-International-Core", locale)?;
                    component(w, "Microsoft-Windows-Shell-Setup", |w| {
                        // The EULA was accepted in windowsPE; the account pages stay: the
                        // learner signs in there with the TAP.
                        w.create_element("OOBE")
                            .write_inner_content(|w| text(w, "HideEULAPage", "true"))
                            .map(drop)
                    })
                })?;
                self.extension(w)
            })?;
        Ok(())
    }

    fn windows_pe(&self, w: &mut W) -> io::Result<()> {
        component(w, "Microsoft-Windows-International-Core-WinPE", |w| {
            w.create_element("SetupUILanguage")
                .write_inner_content(|w| text(w, "UILanguage", LANGUAGE))?;
            locale(w)
        })?;
        component(w, "Microsoft-Windows-Setup", |w| {
            w.create_element("DiskConfiguration")
                .write_inner_content(|w| {
                    added(w, "Disk", |w| {
                        text(w, "DiskID", "0")?;
                        text(w, "WillWipeDisk", "true")?;
                        w.create_element("CreatePartitions")
                            .write_inner_content(|w| {
                                partition(w, 1, "EFI", Some(300))?;
                                partition(w, 2, "MSR", Some(16))?;
                                partition(w, 3, "Primary", None)
                            })?;
                        w.create_element("ModifyPartitions")
                            .write_inner_content(|w| {
                                format(w, 1, Some(("FAT32", "System")), None)?;
                                format(w, 2, None, None)?;
                                format(w, 3, Some(("NTFS", "Windows")), Some("C"))
                            })?;
                        Ok(())
                    })
                })?;
            w.create_element("ImageInstall").write_inner_content(|w| {
                w.create_element("OSImage")
                    .write_inner_content(|w| {
                        w.create_element("InstallFrom").write_inner_content(|w| {
                            added(w, "MetaData", |w| {
                                text(w, "Key", "/IMAGE/NAME")?;
                                text(w, "Value", &self.image.name)
                            })
                        })?;
                        w.create_element("InstallTo").write_inner_content(|w| {
                            text(w, "DiskID", "0")?;
                            text(w, "PartitionID", "3")
                        })?;
                        text(w, "WillShowUI", "OnError")
                    })
                    .map(drop)
            })?;
            w.create_element("UserData")
                .write_inner_content(|w| {
                    text(w, "AcceptEula", "true")?;
                    if let Some(key) = self.image.setup_key() {
                        w.create_element("ProductKey").write_inner_content(|w| {
                            text(w, "Key", key)?;
                            text(w, "WillShowUI", "OnError")
                        })?;
                    }
                    Ok(())
                })
                .map(drop)
        })
    }

    /// Our element: the reporter's scripts as text, the VM's label as an attribute.
    fn extension(&self, w: &mut W) -> io::Result<()> {
        w.create_element("Extensions")
            .with_attribute(("xmlns", EXTENSION_NS))
            .write_inner_content(|w| {
                // XML turns line breaks and tabs in an attribute into spaces when read; say so
                // here, so the reporter publishes exactly the label written.
                let label = xml_safe(&self.vm_label).replace(['\t', '\r', '\n'], " ");
                w.create_element("Lab")
                    .with_attribute(("vm", label.as_str()))
                    .write_empty()?;
                text(w, "Install", reporter::INSTALL)?;
                for (name, body) in reporter::FILES {
                    w.create_element("File")
                        .with_attribute(("name", name))
                        .write_text_content(BytesText::new(body))?;
                }
                Ok(())
            })
            .map(drop)
    }
}

/// The answer disc's volume label.
pub const DISC_LABEL: &str = "HB_ANSWERS";

impl AnswerFile {
    /// The answer disc: an ISO 9660/Joliet image with `autounattend.xml` at its root.
    pub fn to_iso(&self) -> Result<Vec<u8>, HostError> {
        let xml = self.to_xml();
        crate::iso9660::build(
            DISC_LABEL,
            &[crate::iso9660::IsoFile {
                name: FILE_NAME,
                data: xml.as_bytes(),
            }],
        )
        .map_err(|e| HostError::BadInput(e.to_string()))
    }
}

/// What an answer file says, read back the way Setup reads it (by element path): for the tests
/// of its structure and for the emulated Setup, which acts on what the file answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswersRead {
    /// The passes, in file order.
    pub passes: Vec<String>,
    /// `(pass, component)` in file order.
    pub components: Vec<(String, String)>,
    /// The oobeSystem pass's input locale.
    pub oobe_input_locale: Option<String>,
    pub image_name: Option<String>,
    pub product_key: Option<String>,
    /// Our extension carries the reporter's installer.
    pub has_reporter: bool,
    pub vm_label: Option<String>,
    /// Settings that would skip or pre-empt the OOBE account pages (the work-or-school page).
    pub account_page_skips: Vec<String>,
    /// Every element path seen, `unattend/settings/component/...`.
    pub paths: Vec<String>,
}

/// Reads an answer file; fails when it is not well-formed XML or its root is not `unattend`.
pub fn read_answers(xml: &str) -> Result<AnswersRead, HostError> {
    use quick_xml::Reader;
    let bad = |reason: String| HostError::Parse {
        reason,
        excerpt: xml.chars().take(80).collect(),
    };
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = AnswersRead::default();
    let mut pass = String::new();
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("the answer file is not XML: {e}")))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let attr = |key: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == key.as_bytes())
                        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::default()).ok())
                        .map(|v| v.into_owned())
                };
                if stack.is_empty() && name != "unattend" {
                    return Err(bad(format!("the root element is {name}, not unattend")));
                }
                match name.as_str() {
                    "settings" => {
                        pass = attr("pass").unwrap_or_default();
                        out.passes.push(pass.clone());
                    }
                    "component" => out
                        .components
                        .push((pass.clone(), attr("name").unwrap_or_default())),
                    "Lab" => out.vm_label = attr("vm"),
                    "UserAccounts"
                    | "AutoLogon"
                    | "SkipUserOOBE"
                    | "SkipMachineOOBE"
                    | "HideOnlineAccountScreens" => out.account_page_skips.push(name.clone()),
                    _ => {}
                }
                stack.push(name);
                out.paths.push(stack.join("/"));
                text.clear();
                if empty {
                    stack.pop();
                }
            }
            Event::Text(t) => {
                text.push_str(&t.decode().map_err(|e| bad(e.to_string()))?);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.decode().map_err(|e| bad(e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                text.push_str(&resolved);
            }
            Event::End(_) => {
                let path = stack.join("/");
                let value = text.trim().to_string();
                if path.ends_with("component/InputLocale") && pass == "oobeSystem" {
                    out.oobe_input_locale = Some(value);
                } else if path.ends_with("InstallFrom/MetaData/Value") {
                    out.image_name = Some(value);
                } else if path.ends_with("ProductKey/Key") {
                    out.product_key = Some(value);
                } else if path == "unattend/Extensions/Install" && !value.is_empty() {
                    out.has_reporter = true;
                }
                text.clear();
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if out.paths.is_empty() {
        return Err(bad("the answer file is empty".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(index: u32, name: &str) -> InstallImage {
        InstallImage {
            index,
            name: name.into(),
        }
    }

    #[test]
    fn the_edition_is_never_home_and_prefers_enterprise_evaluation() {
        let consumer = [
            image(1, "Windows 11 Home"),
            image(2, "Windows 11 Home N"),
            image(5, "Windows 11 Education"),
            image(6, "Windows 11 Pro"),
        ];
        assert_eq!(choose_image(&consumer).unwrap().name, "Windows 11 Pro");
        let eval = [image(1, "Windows 11 Enterprise Evaluation")];
        let chosen = choose_image(&eval).unwrap();
        assert!(chosen.is_evaluation());
        assert_eq!(chosen.setup_key(), None);
        let home = [
            image(1, "Windows 11 Home"),
            image(2, "Windows 11 Home Single Language"),
        ];
        let err = choose_image(&home).unwrap_err().to_string();
        assert!(err.contains("Windows 11 Home Single Language"), "{err}");
        assert!(
            choose_image(&[])
                .unwrap_err()
                .to_string()
                .contains("no images")
        );
    }

    #[test]
    fn setup_keys_match_microsofts_published_kms_client_keys() {
        assert_eq!(
            image(6, "Windows 11 Pro").setup_key(),
            Some("W269N-WFGWX-YVC9B-4J6C9-T83GX")
        );
        assert_eq!(
            image(3, "Windows 11 Enterprise").setup_key(),
            Some("NPPR9-FWDCX-D2C8J-H872K-2YT43")
        );
        assert_eq!(
            image(5, "Windows 11 Education").setup_key(),
            Some("NW6C2-QMPVW-D7KKK-3GKT6-VCFB2")
        );
        assert_eq!(image(1, "Windows 11 Home").setup_key(), None);
    }

    #[test]
    fn control_characters_cannot_make_the_file_unreadable() {
        assert_eq!(xml_safe("a\u{1}b\nc\u{FFFF}"), "a\u{FFFD}b\nc\u{FFFD}");
    }
}
