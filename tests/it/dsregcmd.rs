//! The `dsregcmd /status` parser on realistic captures, one quirk per test: the Windows 11
//! format, the old format without a space before the colon, wrapped values, duplicate keys in
//! different sections, ERROR / NOT SET values, trailing spaces, CRLF, UTF-16LE with BOM, prompt
//! lines and the trailing help URL; garbage is an error (exit 2), never a panic.

use hello_bootstrap::host::dsregcmd::{self, DsregError, NO_SECTION, parse, parse_bytes, run_cli};
use serde_json::json;

/// A joined Windows 11 24H2 device, as `dsregcmd /status` prints it in a console.
const WIN11_JOINED: &str = r"
C:\Users\AdeleV>dsregcmd /status

+----------------------------------------------------------------------+
| Device State                                                         |
+----------------------------------------------------------------------+

             AzureAdJoined : YES
          EnterpriseJoined : NO
              DomainJoined : NO
           Virtual Desktop : NOT SET
               Device Name : DESKTOP-7QK2M9L

+----------------------------------------------------------------------+
| Device Details                                                       |
+----------------------------------------------------------------------+

                  DeviceId : 5820fbe9-60c3-43f2-b3d6-0b3f8b1a2c4d
                Thumbprint : 3E5B2E9FD1A35A7C0B1D7EE8A0D5C2B1F9A8E7D6
 DeviceCertificateValidity : [ 2026-11-30 07:12:45.000 UTC -- 2036-11-30 07:42:45.000 UTC ]
            KeyContainerId : 0c4a1b0e-9f47-4f5a-9a4b-7d1e2c3b4a59
               KeyProvider : Microsoft Platform Crypto Provider
              TpmProtected : YES
          DeviceAuthStatus : SUCCESS

+----------------------------------------------------------------------+
| Tenant Details                                                       |
+----------------------------------------------------------------------+

                TenantName : Contoso Lab
                  TenantId : 72f988bf-86f1-41af-91ab-2d7cd011db47
               AuthCodeUrl : https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize
                    MdmUrl : https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc

+----------------------------------------------------------------------+
| User State                                                           |
+----------------------------------------------------------------------+

                    NgcSet : YES
                  NgcKeyId : {6F1D3C2B-8A4E-4D7F-9B0C-1E2A3B4C5D6E}
                  CanReset : DestructiveAndNonDestructive
           WorkplaceJoined : NO
             WamDefaultSet : YES

+----------------------------------------------------------------------+
| SSO State                                                            |
+----------------------------------------------------------------------+

                AzureAdPrt : YES
      AzureAdPrtUpdateTime : 2026-11-30 07:43:02.000 UTC
            EnterprisePrt : NO

+----------------------------------------------------------------------+
| Ngc Prerequisite Check                                               |
+----------------------------------------------------------------------+

            IsDeviceJoined : YES
             IsUserAzureAD : YES
             PolicyEnabled : YES
              PreReqResult : WillProvision

For more information, please visit https://www.microsoft.com/aadjerrors
C:\Users\AdeleV>
";

#[test]
fn windows_11_output_gives_the_summary_and_every_section() {
    let status = parse(WIN11_JOINED).unwrap();
    let s = &status.summary;
    assert_eq!(s.azure_ad_joined, Some(true));
    assert_eq!(s.domain_joined, Some(false));
    assert_eq!(s.enterprise_joined, Some(false));
    assert_eq!(s.workplace_joined, Some(false));
    assert_eq!(s.ngc_set, Some(true));
    assert_eq!(s.azure_ad_prt, Some(true));
    assert_eq!(
        s.device_id.as_deref(),
        Some("5820fbe9-60c3-43f2-b3d6-0b3f8b1a2c4d")
    );
    assert_eq!(s.tenant_name.as_deref(), Some("Contoso Lab"));
    let names: Vec<_> = status.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Device State",
            "Device Details",
            "Tenant Details",
            "User State",
            "SSO State",
            "Ngc Prerequisite Check"
        ]
    );
    // Values keep their own colons and URLs.
    assert_eq!(
        status.value("Device Details", "DeviceCertificateValidity"),
        Some("[ 2026-11-30 07:12:45.000 UTC -- 2036-11-30 07:42:45.000 UTC ]")
    );
    assert_eq!(
        status.value("Tenant Details", "AuthCodeUrl"),
        Some(
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize"
        )
    );
    // The prompt lines and the help URL are not keys anywhere.
    assert!(status.sections.iter().all(|s| {
        s.entries
            .iter()
            .all(|(k, v)| !k.contains("C:\\") && !v.contains("aadjerrors"))
    }));
}

#[test]
fn json_has_the_documented_shape() {
    let value = serde_json::to_value(parse(WIN11_JOINED).unwrap()).unwrap();
    assert_eq!(value["summary"]["azure_ad_joined"], json!(true));
    assert_eq!(
        value["summary"]["device_id"],
        json!("5820fbe9-60c3-43f2-b3d6-0b3f8b1a2c4d")
    );
    assert_eq!(
        value["sections"]["Device State"]["AzureAdJoined"],
        json!("YES")
    );
    assert_eq!(value["sections"]["SSO State"]["AzureAdPrt"], json!("YES"));
    assert_eq!(
        value["sections"]["Device State"]["Virtual Desktop"],
        json!("NOT SET")
    );
}

/// Windows 10 1607-era output: no space before the colon, fewer sections, keys at the margin.
const OLD_FORMAT: &str = "+----------------------------------------------------------------------+
| Device State                                                         |
+----------------------------------------------------------------------+
AzureAdJoined: NO
EnterpriseJoined: NO
DeviceId: NOT SET
DomainJoined: YES
DomainName: CONTOSO
+----------------------------------------------------------------------+
| User State                                                           |
+----------------------------------------------------------------------+
NgcSet: NO
WorkplaceJoined: NO
";

#[test]
fn the_old_format_without_a_space_before_the_colon_parses() {
    let status = parse(OLD_FORMAT).unwrap();
    assert_eq!(status.summary.azure_ad_joined, Some(false));
    assert_eq!(status.summary.domain_joined, Some(true));
    assert_eq!(status.summary.ngc_set, Some(false));
    // NOT SET is no id, and the PRT was not reported at all: both null.
    assert_eq!(status.summary.device_id, None);
    assert_eq!(status.summary.azure_ad_prt, None);
    assert_eq!(status.value("Device State", "DomainName"), Some("CONTOSO"));
}

#[test]
fn keys_before_any_banner_land_in_their_own_section() {
    let status = parse("AzureAdJoined : YES\nDomainJoined : NO\n").unwrap();
    assert_eq!(status.sections[0].name, NO_SECTION);
    assert_eq!(status.summary.azure_ad_joined, Some(true));
}

#[test]
fn wrapped_values_are_joined() {
    // A narrow console cut the first value mid-word; the second continues on an indented line.
    let text = concat!(
        "+------+\n| Diagnostic Data |\n+------+\n",
        "     AttemptStatus : Client ErrorCode 0x801c03f2, server error DirectoryError, the device obj\n",
        "ect by the given id was not found\n",
        "     Details : first part\n",
        "          second part\n",
        "     AzureAdJoined : NO\n",
    );
    let status = parse(text).unwrap();
    assert_eq!(
        status.value("Diagnostic Data", "AttemptStatus"),
        Some(
            "Client ErrorCode 0x801c03f2, server error DirectoryError, the device object by the given id was not found"
        )
    );
    assert_eq!(
        status.value("Diagnostic Data", "Details"),
        Some("first part second part")
    );
    assert_eq!(status.summary.azure_ad_joined, Some(false));
}

#[test]
fn duplicate_keys_in_different_sections_stay_apart() {
    let text = "+---+\n| Device State |\n+---+\n    AzureAdJoined : YES\n    WorkplaceJoined : YES\n\n\
+---+\n| User State |\n+---+\n    WorkplaceJoined : NO\n    NgcSet : NO\n";
    let status = parse(text).unwrap();
    assert_eq!(status.value("Device State", "WorkplaceJoined"), Some("YES"));
    assert_eq!(status.value("User State", "WorkplaceJoined"), Some("NO"));
    // The summary reads WorkplaceJoined from User State, where Windows 11 reports it.
    assert_eq!(status.summary.workplace_joined, Some(false));
}

#[test]
fn values_other_than_yes_or_no_are_kept_but_not_guessed() {
    let text = "| Device State |\n    AzureAdJoined : ERROR\n    DomainJoined : NO\n| SSO State |\n    AzureAdPrt : NOT SET\n";
    let status = parse(text).unwrap();
    assert_eq!(status.summary.azure_ad_joined, None);
    assert_eq!(status.summary.azure_ad_prt, None);
    assert_eq!(status.value("Device State", "AzureAdJoined"), Some("ERROR"));
    assert_eq!(status.value("SSO State", "AzureAdPrt"), Some("NOT SET"));
}

#[test]
fn crlf_and_trailing_spaces_do_not_leak_into_values() {
    let text = WIN11_JOINED.replace('\n', "   \r\n");
    let status = parse(&text).unwrap();
    assert_eq!(status, parse(WIN11_JOINED).unwrap());
    assert_eq!(
        status.value("Tenant Details", "TenantName"),
        Some("Contoso Lab")
    );
}

#[test]
fn utf16le_with_bom_from_powershell_redirection_decodes() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        WIN11_JOINED
            .replace('\n', "\r\n")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let status = parse_bytes(&bytes).unwrap();
    assert_eq!(
        status.summary.device_id.as_deref(),
        Some("5820fbe9-60c3-43f2-b3d6-0b3f8b1a2c4d")
    );
    // UTF-8 with a BOM too.
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend_from_slice(WIN11_JOINED.as_bytes());
    assert_eq!(parse_bytes(&utf8).unwrap().summary, status.summary);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert_eq!(parse("").unwrap_err(), DsregError::Empty);
    assert_eq!(parse_bytes(b"").unwrap_err(), DsregError::Empty);
    assert_eq!(
        parse("hello world\nthis is not it\n").unwrap_err(),
        DsregError::NoStatus
    );
    assert_eq!(
        parse("Name : value\nOther : thing\n").unwrap_err(),
        DsregError::NoStatus
    );
    assert!(matches!(
        parse_bytes(&[0xC3, 0x28, 0xA0, 0xA1]).unwrap_err(),
        DsregError::NotText(_)
    ));
    assert!(matches!(
        parse_bytes(b"\x00\x01\x02\x03binary\x7f").unwrap_err(),
        DsregError::NotText(_)
    ));
    assert!(matches!(
        parse_bytes(&[0xFF, 0xFE, 0x41]).unwrap_err(),
        DsregError::NotText(_)
    ));
    // Random bytes never panic.
    let mut seed = 0x2545F491u32;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed & 0xff) as u8
            })
            .collect();
        let _ = parse_bytes(&bytes);
    }
    // The error says what was expected.
    assert!(DsregError::NoStatus.to_string().contains("AzureAdJoined"));
}

#[test]
fn the_cli_exits_0_on_output_and_2_on_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("status.txt");
    std::fs::write(&good, WIN11_JOINED).unwrap();
    assert_eq!(run_cli(Some(&good), true), 0);
    assert_eq!(run_cli(Some(&good), false), 0);
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "no status here").unwrap();
    assert_eq!(run_cli(Some(&bad), true), 2);
    assert_eq!(run_cli(Some(&dir.path().join("missing.txt")), false), 2);
}

#[test]
fn the_human_summary_reads_well() {
    let text = dsregcmd::human_summary(&parse(OLD_FORMAT).unwrap());
    assert!(text.contains("Entra joined (AzureAdJoined)"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("Domain joined") && l.ends_with("YES"))
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Primary Refresh Token") && l.ends_with("unknown"))
    );
}
