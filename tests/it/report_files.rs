//! The lab report as files on disk: HTML structure, escaping, embedded images, the JSON beside it,
//! and that no TAP or token ever reaches either file.

use base64::Engine;
use chrono::{TimeZone, Utc};
use hello_bootstrap::lab::session_file::SessionKind;
use hello_bootstrap::lab::{
    Evidence, GraphRequest, PortalLink, Secret, Step, StepReport, StepStatus, ValidationRow,
    ValidationState,
};
use hello_bootstrap::report::{
    CapturedImage, ReportData, StepEntry, json_path_for, rgba_to_png, write_report,
};
use serde_json::json;

fn png(seed: u8) -> Vec<u8> {
    let rgba: Vec<u8> = (0..16u8)
        .flat_map(|i| [i.wrapping_mul(seed), seed, 255 - i, 255])
        .collect();
    rgba_to_png(4, 4, rgba).unwrap()
}

fn sample() -> ReportData {
    let mut data = ReportData::new("Contoso <Lab> & \"Friends\"", SessionKind::Demo);
    data.generated_at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
    for step in Step::ALL {
        let n = step.number() as i64;
        let mut report = StepReport::new(
            step,
            if step == Step::Bootstrap {
                StepStatus::NeedsAction
            } else {
                StepStatus::Applied
            },
            format!("Step {n} detail with <b>markup</b> & 'quotes'"),
        );
        report.evidence = Evidence {
            before: Some(json!({"state": "disabled", "step": n})),
            after: Some(json!({"state": "enabled", "step": n})),
            requests: vec![GraphRequest::new(
                "PATCH",
                format!("https://graph.microsoft.com/v1.0/x/{n}"),
                Some(json!({"state": "enabled"})),
            )],
            powershell: step
                .is_host_step()
                .then(|| "Get-VM -Name $args[0] | Where-Object { $_.State -ne 'Off' }".to_string()),
            portal: Some(PortalLink {
                label: "Open in Entra".into(),
                url: "https://entra.microsoft.com/#view/x?a=1&b=2".into(),
            }),
            rows: if step == Step::Bootstrap {
                vec![
                    ValidationRow {
                        id: "device".into(),
                        label: "Entra joined device".into(),
                        state: ValidationState::Passed,
                        detail: "LAB-PC01 <AzureAd>".into(),
                        fix: None,
                    },
                    ValidationRow {
                        id: "signin".into(),
                        label: "Sign-in log".into(),
                        state: ValidationState::Waiting,
                        detail: "not yet".into(),
                        fix: Some("Wait 5 minutes".into()),
                    },
                ]
            } else {
                vec![]
            },
            images: vec![],
        };
        let started = Utc.with_ymd_and_hms(2026, 11, 30, 8, n as u32, 0).unwrap();
        let finished = Utc.with_ymd_and_hms(2026, 11, 30, 8, n as u32, 30).unwrap();
        let mut entry = StepEntry::from_report(&report, Some(started), Some(finished))
            .with_page_image(CapturedImage::new(
                format!("step-{n}-page.png"),
                format!("Wizard page of step {n}"),
                png(n as u8),
            ));
        if step.is_host_step() {
            let pixels = vec![n as u8 * 30; 2 * 3 * 4];
            entry = entry.with_vm_image(
                CapturedImage::from_rgba(
                    format!("step-{n}-vm.png"),
                    format!("VM screen after step {n}"),
                    2,
                    3,
                    pixels,
                )
                .unwrap(),
            );
        }
        data.steps.push(entry);
    }
    data
}

#[test]
fn html_has_every_step_escaped_values_and_embedded_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let (html_path, json_path) = write_report(&dir.path().join("lab-report.html"), &data).unwrap();
    assert_eq!(json_path, dir.path().join("lab-report.json"));
    let html = std::fs::read_to_string(&html_path).unwrap();

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_eq!(html.matches("<h1>").count(), 1);
    for step in Step::ALL {
        let n = step.number();
        let heading = format!(
            "<h2 id=\"step-{n}-title\">{}</h2>",
            step.to_string().replace('\'', "&#39;")
        );
        assert!(html.contains(&heading), "missing heading for step {n}");
        assert!(
            html.contains(&format!("<a href=\"#step-{n}\">")),
            "missing contents link for step {n}"
        );
    }
    assert_eq!(html.matches("<section class=\"step\"").count(), 7);

    // Values are escaped; nothing from the data becomes markup.
    assert!(!html.contains("<b>markup</b>"));
    assert!(html.contains("&lt;b&gt;markup&lt;/b&gt; &amp; &#39;quotes&#39;"));
    assert!(html.contains("Contoso &lt;Lab&gt; &amp; &quot;Friends&quot;"));
    assert!(html.contains("LAB-PC01 &lt;AzureAd&gt;"));
    assert!(html.contains("href=\"https://entra.microsoft.com/#view/x?a=1&amp;b=2\""));

    // Status is in words, not just colour.
    assert_eq!(html.matches("status-applied\">").count(), 6 * 3);
    assert!(html.contains("Needs you"));
    assert!(html.contains("Passed") && html.contains("Waiting"));
    assert!(html.contains("demo tenant"));

    // Every image is embedded as a data URI that decodes to the very bytes we passed, with alt text.
    let images: Vec<&CapturedImage> = data.images().collect();
    assert_eq!(images.len(), 7 + 3);
    for image in images {
        let uri = format!(
            "<img src=\"data:image/png;base64,{}\" alt=\"{}\">",
            base64::engine::general_purpose::STANDARD.encode(&image.png),
            image.alt
        );
        assert!(html.contains(&uri), "{} is not embedded", image.name);
    }
    assert!(!html.contains("<img src=\"http"), "no external resources");
    assert!(!html.contains("<link") && !html.contains("<script"));
}

/// Checks that every element opened is closed in order (void elements aside), so the page's
/// structure is what its headings and sections say.
fn assert_well_nested(html: &str) {
    const VOID: [&str; 4] = ["meta", "img", "br", "!doctype"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with("style") {
            let close = rest.find("</style>").expect("style closed");
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(closing) = tag.strip_prefix('/') {
            let closing = closing.trim().to_ascii_lowercase();
            assert_eq!(
                stack.pop().as_deref(),
                Some(closing.as_str()),
                "misnested </{closing}>"
            );
        } else if !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "never closed: {stack:?}");
}

#[test]
fn html_elements_are_well_nested() {
    let dir = tempfile::tempdir().unwrap();
    let (html_path, _) = write_report(&dir.path().join("r.html"), &sample()).unwrap();
    let html = std::fs::read_to_string(html_path).unwrap();
    assert_well_nested(&html);
    assert!(html.contains("<nav aria-labelledby=\"contents-title\">"));
    assert_eq!(
        html.matches("<h2").count(),
        2 + 7,
        "contents, summary and one per step"
    );
    assert_eq!(html.matches("<figure").count(), 10);
}

#[test]
fn json_beside_the_html_round_trips_without_image_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let (_, json_path) = write_report(&dir.path().join("r.html"), &data).unwrap();
    let text = std::fs::read_to_string(&json_path).unwrap();
    let back: ReportData = serde_json::from_str(&text).unwrap();

    let mut expected = data.clone();
    for step in &mut expected.steps {
        for image in step.page_image.iter_mut().chain(step.vm_image.iter_mut()) {
            image.png.clear();
        }
    }
    assert_eq!(back, expected);
    assert!(text.contains("\"name\": \"step-4-vm.png\""));
    let first_png = base64::engine::general_purpose::STANDARD.encode(png(1));
    assert!(
        !text.contains(&first_png[..40]),
        "image bytes leaked into JSON"
    );
    assert!(!text.contains("\"png\""));
}

const TAP: &str = "Tap7Secret9xQ";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJ1cG4iOiJhZGVsZSJ9.sigSIGsig";
const OPAQUE_TOKEN: &str = "opaqueAccess0123456789tokenXYZ";

fn leaky_report(secret: Option<Secret>) -> StepReport {
    let mut report = StepReport::new(
        Step::TapIssued,
        StepStatus::Applied,
        format!("Issued a TAP for adele; response was {{\"temporaryAccessPass\":\"{TAP}\"}}"),
    );
    report.evidence = Evidence {
        before: Some(json!({"value": []})),
        after: Some(json!([{
            "id": "m-1",
            "temporaryAccessPass": TAP,
            "lifetimeInMinutes": 60,
            "debug": format!("Authorization: Bearer {OPAQUE_TOKEN}")
        }])),
        requests: vec![GraphRequest::new(
            "POST",
            format!(
                "https://graph.microsoft.com/v1.0/users/u1/authentication/temporaryAccessPassMethods?access_token={OPAQUE_TOKEN}"
            ),
            Some(json!({"lifetimeInMinutes": 60, "note": format!("token {TOKEN}")})),
        )],
        powershell: Some(format!(
            "$headers = @{{ Authorization = \"Bearer {TOKEN}\" }}\n$tap = 'temporaryAccessPass: {TAP}'"
        )),
        portal: None,
        rows: vec![ValidationRow {
            id: "tap".into(),
            label: "TAP issued".into(),
            state: ValidationState::Passed,
            detail: format!("temporary_access_pass={TAP}"),
            fix: Some(format!("access_token: {OPAQUE_TOKEN}")),
        }],
        images: vec![],
    };
    report.secret = secret;
    report
}

fn assert_no_secrets(dir: &std::path::Path, data: &ReportData, name: &str) {
    let (html_path, json_path) = write_report(&dir.join(name), data).unwrap();
    for path in [&html_path, &json_path] {
        let text = std::fs::read_to_string(path).unwrap();
        for secret in [TAP, TOKEN, OPAQUE_TOKEN, "sigSIGsig"] {
            assert!(
                !text.contains(secret),
                "{} contains {secret}",
                path.display()
            );
        }
        assert!(
            text.contains("[redacted]"),
            "{} redacted nothing",
            path.display()
        );
        // The rest of the evidence survives.
        assert!(text.contains("lifetimeInMinutes"));
        assert!(text.contains("TAP issued"));
    }
}

#[test]
fn a_tap_and_a_token_in_evidence_never_reach_either_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = ReportData::new("Contoso Lab", SessionKind::Real);
    data.steps
        .push(StepEntry::from_report(&leaky_report(None), None, None));
    assert_no_secrets(dir.path(), &data, "pattern.html");
}

#[test]
fn the_issued_tap_is_scrubbed_even_as_bare_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = leaky_report(Some(Secret::new(TAP)));
    report.detail = format!("The code is {TAP}, shown once.");
    let entry = StepEntry::from_report(&report, None, None);
    assert!(!entry.detail.contains(TAP));
    let mut data = ReportData::new("Contoso Lab", SessionKind::Real);
    data.steps.push(entry);
    assert_no_secrets(dir.path(), &data, "known.html");
}

#[test]
fn bad_paths_get_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let err = write_report(&dir.path().join("report.json"), &data)
        .unwrap_err()
        .to_string();
    assert!(err.contains("name the report .html"), "{err}");
    assert_eq!(
        json_path_for(std::path::Path::new("/tmp/a.html")),
        std::path::Path::new("/tmp/a.json")
    );
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let err = write_report(&blocker.join("r.html"), &data)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot write the report"), "{err}");
}
