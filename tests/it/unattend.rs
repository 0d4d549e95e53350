//! The answer file step 4 gives Windows Setup, read back as XML: the passes and components Setup
//! expects, the GPT layout of a Gen 2 VM, the edition, the en-US input locale, the reporter, no
//! skipped account pages; hostile VM names and edition names that stay values; the answer disc
//! read back; and `hello-bootstrap vm unattend` writing both.

use hello_bootstrap::host::iso9660;
use hello_bootstrap::host::reporter;
use hello_bootstrap::host::unattend::{
    AnswerFile, AnswersRead, FILE_NAME, INPUT_LOCALE, InstallImage, read_answers,
};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_hello-bootstrap");

fn image(name: &str) -> InstallImage {
    InstallImage {
        index: 6,
        name: name.into(),
    }
}

fn read(answer: &AnswerFile) -> AnswersRead {
    read_answers(&answer.to_xml()).expect("the answer file is well-formed XML")
}

/// The text of every element at `path` (`unattend/Extensions/Install`), unescaped.
fn texts_at(xml: &str, wanted: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap().into_owned();
                text.push_str(quick_xml::escape::resolve_predefined_entity(&name).unwrap());
            }
            Event::End(_) => {
                if stack.join("/") == wanted {
                    out.push(text.clone());
                }
                stack.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn the_answer_file_has_the_passes_and_components_setup_expects() {
    let answer = AnswerFile::new(image("Windows 11 Pro"), "HelloBootstrap-Lab");
    let xml = answer.to_xml();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert!(xml.contains("xmlns=\"urn:schemas-microsoft-com:unattend\""));
    let r = read(&answer);
    assert_eq!(r.passes, ["windowsPE", "specialize", "oobeSystem"]);
    let components: Vec<(&str, &str)> = r
        .components
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        components,
        [
            ("windowsPE", "Microsoft-Windows-International-Core-WinPE"),
            ("windowsPE", "Microsoft-Windows-Setup"),
            ("specialize", "Microsoft-Windows-Deployment"),
            ("oobeSystem", "Microsoft-Windows-International-Core"),
            ("oobeSystem", "Microsoft-Windows-Shell-Setup"),
        ]
    );
    for path in [
        "unattend/settings/component/SetupUILanguage/UILanguage",
        "unattend/settings/component/DiskConfiguration/Disk/DiskID",
        "unattend/settings/component/DiskConfiguration/Disk/WillWipeDisk",
        "unattend/settings/component/DiskConfiguration/Disk/CreatePartitions/CreatePartition/Type",
        "unattend/settings/component/DiskConfiguration/Disk/ModifyPartitions/ModifyPartition/Format",
        "unattend/settings/component/ImageInstall/OSImage/InstallFrom/MetaData/Key",
        "unattend/settings/component/ImageInstall/OSImage/InstallTo/PartitionID",
        "unattend/settings/component/UserData/AcceptEula",
        "unattend/settings/component/UserData/ProductKey/Key",
        "unattend/settings/component/RunSynchronous/RunSynchronousCommand/Path",
        "unattend/settings/component/OOBE/HideEULAPage",
        "unattend/Extensions/Install",
        "unattend/Extensions/File",
    ] {
        assert!(r.paths.iter().any(|p| p == path), "missing {path}");
    }
    // GPT for UEFI: EFI system partition, MSR, then Windows on the rest.
    let types = texts_at(
        &xml,
        "unattend/settings/component/DiskConfiguration/Disk/CreatePartitions/CreatePartition/Type",
    );
    assert_eq!(types, ["EFI", "MSR", "Primary"]);
    assert_eq!(
        texts_at(
            &xml,
            "unattend/settings/component/DiskConfiguration/Disk/ModifyPartitions/ModifyPartition/Format"
        ),
        ["FAT32", "NTFS"]
    );
    assert_eq!(r.image_name.as_deref(), Some("Windows 11 Pro"));
    assert_eq!(
        r.product_key.as_deref(),
        Some("W269N-WFGWX-YVC9B-4J6C9-T83GX")
    );
    assert_eq!(r.oobe_input_locale.as_deref(), Some(INPUT_LOCALE));
    assert_eq!(
        texts_at(&xml, "unattend/settings/component/InputLocale"),
        [INPUT_LOCALE, INPUT_LOCALE]
    );
    assert!(r.has_reporter);
    assert_eq!(r.vm_label.as_deref(), Some("HelloBootstrap-Lab"));
}

#[test]
fn the_account_pages_stay_so_the_learner_reaches_work_or_school() {
    let r = read(&AnswerFile::new(image("Windows 11 Pro"), "Lab"));
    assert!(
        r.account_page_skips.is_empty(),
        "{:?}",
        r.account_page_skips
    );
    // The reader does see a skip when one is there: the check can fail.
    let skipping = AnswerFile::new(image("Windows 11 Pro"), "Lab")
        .to_xml()
        .replace(
            "<HideEULAPage>true</HideEULAPage>",
            "<HideEULAPage>true</HideEULAPage><HideOnlineAccountScreens>true</HideOnlineAccountScreens>",
        );
    assert_eq!(
        read_answers(&skipping).unwrap().account_page_skips,
        ["HideOnlineAccountScreens"]
    );
}

#[test]
fn evaluation_media_gets_no_product_key() {
    let r = read(&AnswerFile::new(
        image("Windows 11 Enterprise Evaluation"),
        "Lab",
    ));
    assert_eq!(r.product_key, None);
    assert!(!r.paths.iter().any(|p| p.ends_with("ProductKey")));
    assert_eq!(
        r.image_name.as_deref(),
        Some("Windows 11 Enterprise Evaluation")
    );
}

#[test]
fn hostile_names_stay_values_and_change_no_structure() {
    let benign = read(&AnswerFile::new(image("Windows 11 Pro"), "Lab"));
    let hostile_vm = "Lab\"/><UserAccounts><LocalAccounts/></UserAccounts><x a='&amp;]]>' <!-- `$(Stop-Computer)` \u{1}\r\nJosé 名前";
    let hostile_edition =
        "</Value></MetaData><AutoLogon><Enabled>true</Enabled></AutoLogon><Value>Windows 11 Pro";
    let answer = AnswerFile::new(image(hostile_edition), hostile_vm);
    let xml = answer.to_xml();
    let r = read(&answer);
    assert!(
        r.account_page_skips.is_empty(),
        "{:?}",
        r.account_page_skips
    );
    assert_eq!(r.paths, benign.paths, "the structure changed");
    assert_eq!(r.image_name.as_deref(), Some(hostile_edition));
    // The control character becomes U+FFFD and line breaks spaces (as XML reads an attribute);
    // everything else comes back as it was.
    let expected = hostile_vm
        .replace('\u{1}', "\u{FFFD}")
        .replace(['\r', '\n'], " ");
    assert_eq!(r.vm_label.as_deref(), Some(expected.as_str()));
    assert!(!xml.contains("<UserAccounts>") && !xml.contains("<AutoLogon>"));
}

#[test]
fn the_reporter_travels_inside_the_answer_file_unchanged() {
    let xml = AnswerFile::new(image("Windows 11 Pro"), "Lab").to_xml();
    assert_eq!(
        texts_at(&xml, "unattend/Extensions/Install"),
        [reporter::INSTALL]
    );
    let files = texts_at(&xml, "unattend/Extensions/File");
    let expected: Vec<&str> = reporter::FILES.iter().map(|(_, body)| *body).collect();
    assert_eq!(files, expected);
    assert_eq!(
        texts_at(
            &xml,
            "unattend/settings/component/RunSynchronous/RunSynchronousCommand/Path"
        ),
        [reporter::SPECIALIZE_COMMAND]
    );
}

#[test]
fn the_answer_disc_reads_back_with_the_answer_file_at_its_root() {
    let answer = AnswerFile::new(image("Windows 11 Pro"), "Lab 'one'");
    let disc = iso9660::read(&answer.to_iso().unwrap()).unwrap();
    assert_eq!(disc.label, "HB_ANSWERS");
    assert_eq!(disc.files.len(), 1);
    assert_eq!(disc.files[0].0, FILE_NAME);
    assert_eq!(disc.files[0].1, answer.to_xml().into_bytes());
}

#[test]
fn vm_unattend_writes_the_answer_file_and_disc_step_four_would_use() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "vm",
            "unattend",
            "--iso",
            "--vm-name",
            "Lab & <Co>",
            "--out",
        ])
        .arg(dir.path())
        .env("HELLO_BOOTSTRAP_HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["edition"], "Windows 11 Enterprise Evaluation");
    let xml = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    let r = read_answers(&xml).unwrap();
    assert_eq!(r.vm_label.as_deref(), Some("Lab & <Co>"));
    let iso = std::fs::read(json["answer_iso"].as_str().unwrap()).unwrap();
    assert_eq!(iso9660::read(&iso).unwrap().files[0].1, xml.into_bytes());

    // Home cannot join Entra: refused, with the reason, and nothing written.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["vm", "unattend", "--edition", "Windows 11 Home", "--out"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Entra"));
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}
