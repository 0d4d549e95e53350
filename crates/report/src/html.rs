//! Renders a report as one self-contained HTML page: inline CSS, images as data URIs, readable on
//! screen and on paper, usable with a screen reader.

use super::data::{CapturedImage, ReportData, StepEntry};
use base64::Engine;
use chrono::{DateTime, Utc};
use hb_lab::session_file::SessionKind;
use hb_lab::{StepStatus, ValidationState};
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --link: #0550ae; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 2rem 1.5rem; font: 16px/1.5 "Segoe UI", system-ui, -apple-system, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .4rem; }
a { color: var(--link); }
.meta { color: var(--muted); margin: 0; }
.notice { border: 1px solid #9a6700; background: #fff8c5; padding: .5rem .75rem; border-radius: 6px; }
nav ol { padding-left: 1.5rem; }
nav li { margin: .2rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--panel); }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; font: 13px/1.45 ui-monospace, "Cascadia Mono", Consolas, monospace; }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: 999px; padding: 0 .6rem; font-weight: 600; font-size: .9rem; white-space: nowrap; }
.badge-ok { color: #116329; background: #dafbe1; }
.badge-bad { color: #a40e26; background: #ffebe9; }
.badge-wait { color: #7d4e00; background: #fff8c5; }
.badge-none { color: #57606a; background: #f6f8fa; }
dl.times { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
dl.times dt { color: var(--muted); }
dl.times dd { margin: 0; }
figure { margin: .75rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: .9rem; }
.url { color: var(--muted); font-size: .85rem; word-break: break-all; }
footer { margin-top: 3rem; color: var(--muted); font-size: .9rem; border-top: 1px solid var(--line); padding-top: .75rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { break-after: page; }
  section.step { break-before: page; }
  pre, figure, table { break-inside: avoid; }
  a { color: inherit; }
}
"#;

/// The badge class, symbol and words for a step status (words carry the meaning; colour helps).
fn status_badge(status: StepStatus) -> String {
    let (class, symbol) = match status {
        StepStatus::Applied => ("badge-ok", "✓"),
        StepStatus::Error => ("badge-bad", "✗"),
        StepStatus::NeedsAction => ("badge-wait", "!"),
        StepStatus::NotApplied => ("badge-wait", "○"),
        StepStatus::Unknown => ("badge-none", "?"),
        StepStatus::NotApplicable => ("badge-none", "–"),
    };
    format!(
        r#"<span class="badge {class} status-{id}"><span aria-hidden="true">{symbol}</span> {label}</span>"#,
        id = status.id(),
        label = escape(status.label()),
    )
}

fn validation_badge(state: ValidationState) -> &'static str {
    match state {
        ValidationState::Passed => {
            r#"<span class="badge badge-ok"><span aria-hidden="true">✓</span> Passed</span>"#
        }
        ValidationState::Failed => {
            r#"<span class="badge badge-bad"><span aria-hidden="true">✗</span> Failed</span>"#
        }
        ValidationState::Waiting => {
            r#"<span class="badge badge-wait"><span aria-hidden="true">…</span> Waiting</span>"#
        }
        ValidationState::CouldNotCheck => {
            r#"<span class="badge badge-bad"><span aria-hidden="true">!</span> Could not check</span>"#
        }
    }
}

fn time(t: &DateTime<Utc>) -> String {
    format!(
        r#"<time datetime="{}">{}</time>"#,
        escape(&t.to_rfc3339()),
        escape(&t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
    )
}

fn anchor(entry: &StepEntry) -> String {
    format!("step-{}", entry.step.number())
}

/// Only web links become clickable; anything else (a `javascript:` URL) is shown as text.
fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The report as a complete HTML document. Every value from `data` is escaped here; the caller
/// redacts first.
pub fn render(data: &ReportData) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let tenant = escape(&data.tenant_name);
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Hello Bootstrap {version}">
<title>Lab report: {tenant}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Hello Bootstrap lab report</h1>
<p class="meta">Tenant <strong>{tenant}</strong> · {kind} · generated {generated} · Hello Bootstrap {version}</p>
"#,
        version = escape(&data.app_version),
        kind = match data.kind {
            SessionKind::Demo => "demo tenant",
            SessionKind::Real => "real tenant",
        },
        generated = time(&data.generated_at),
    );
    if data.kind == SessionKind::Demo {
        h.push_str(
            r#"<p class="notice" role="note">This lab ran on the built-in demo tenant and emulated Hyper-V host. Nothing here happened in a real Microsoft Entra tenant.</p>
"#,
        );
    }
    h.push_str("</header>\n");
    render_contents(&mut h, data);
    h.push_str("<main>\n");
    for entry in &data.steps {
        render_step(&mut h, entry);
    }
    h.push_str(
        r#"</main>
<footer>
<p>Temporary Access Passes and tokens are never written to this report; values that looked like one were replaced with [redacted].</p>
</footer>
</body>
</html>
"#,
    );
    h
}

fn render_contents(h: &mut String, data: &ReportData) {
    h.push_str(
        r#"<nav aria-labelledby="contents-title">
<h2 id="contents-title">Contents</h2>
<ol>
"#,
    );
    for entry in &data.steps {
        let _ = writeln!(
            h,
            r##"<li><a href="#{anchor}">{title}</a> {badge}</li>"##,
            anchor = anchor(entry),
            title = escape(&entry.step.to_string()),
            badge = status_badge(entry.status),
        );
    }
    h.push_str("</ol>\n</nav>\n");
    h.push_str(
        r#"<section aria-labelledby="summary-title">
<h2 id="summary-title">Summary</h2>
<table>
<caption>Result of each step</caption>
<thead><tr><th scope="col">Step</th><th scope="col">Result</th><th scope="col">Finished</th></tr></thead>
<tbody>
"#,
    );
    for entry in &data.steps {
        let _ = writeln!(
            h,
            r#"<tr><th scope="row">{title}</th><td>{badge}</td><td>{finished}</td></tr>"#,
            title = escape(&entry.step.to_string()),
            badge = status_badge(entry.status),
            finished = entry.finished_at.as_ref().map(time).unwrap_or_default(),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn render_step(h: &mut String, e: &StepEntry) {
    let id = anchor(e);
    let _ = write!(
        h,
        r#"<section class="step" id="{id}" aria-labelledby="{id}-title">
<h2 id="{id}-title">{title}</h2>
<p>{badge}</p>
<p class="detail">{detail}</p>
"#,
        title = escape(&e.step.to_string()),
        badge = status_badge(e.status),
        detail = escape(&e.detail),
    );
    if e.started_at.is_some() || e.finished_at.is_some() {
        h.push_str("<dl class=\"times\">\n");
        if let Some(t) = &e.started_at {
            let _ = writeln!(h, "<dt>Started</dt><dd>{}</dd>", time(t));
        }
        if let Some(t) = &e.finished_at {
            let _ = writeln!(h, "<dt>Finished</dt><dd>{}</dd>", time(t));
        }
        h.push_str("</dl>\n");
    }
    let ev = &e.evidence;
    if let Some(before) = &ev.before {
        let _ = writeln!(
            h,
            "<h3>State before</h3>\n<pre><code>{}</code></pre>",
            escape(&pretty_json(before))
        );
    }
    if let Some(after) = &ev.after {
        let _ = writeln!(
            h,
            "<h3>State after</h3>\n<pre><code>{}</code></pre>",
            escape(&pretty_json(after))
        );
    }
    if !ev.requests.is_empty() {
        h.push_str("<h3>Microsoft Graph requests</h3>\n");
        for request in &ev.requests {
            let _ = writeln!(h, "<pre><code>{}</code></pre>", escape(&request.to_text()));
        }
    }
    if let Some(ps) = &ev.powershell {
        let _ = writeln!(
            h,
            "<h3>PowerShell</h3>\n<pre><code>{}</code></pre>",
            escape(ps)
        );
    }
    if let Some(portal) = &ev.portal {
        h.push_str("<h3>In the admin center</h3>\n");
        if is_web_url(&portal.url) {
            let _ = writeln!(
                h,
                r#"<p><a href="{url}">{label}</a><br><span class="url">{url}</span></p>"#,
                url = escape(&portal.url),
                label = escape(&portal.label),
            );
        } else {
            let _ = writeln!(
                h,
                r#"<p>{label}: <span class="url">{url}</span></p>"#,
                url = escape(&portal.url),
                label = escape(&portal.label),
            );
        }
    }
    if !ev.rows.is_empty() {
        let _ = write!(
            h,
            r#"<h3>Validation</h3>
<table>
<caption>Checks for {title}</caption>
<thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th><th scope="col">What to do</th></tr></thead>
<tbody>
"#,
            title = escape(&e.step.to_string()),
        );
        for row in &ev.rows {
            let _ = writeln!(
                h,
                r#"<tr id="{id}-{row_id}"><th scope="row">{label}</th><td>{badge}</td><td>{detail}</td><td>{fix}</td></tr>"#,
                row_id = escape(&row.id),
                label = escape(&row.label),
                badge = validation_badge(row.state),
                detail = escape(&row.detail),
                fix = escape(row.fix.as_deref().unwrap_or("")),
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    let images: Vec<(&CapturedImage, &str)> = e
        .page_image
        .iter()
        .map(|i| (i, "The wizard page when this step completed"))
        .chain(
            e.vm_image
                .iter()
                .map(|i| (i, "The VM screen when this step completed")),
        )
        .collect();
    if !images.is_empty() {
        h.push_str("<h3>Screens</h3>\n");
        for (image, caption) in images {
            render_image(h, image, caption);
        }
    }
    h.push_str("</section>\n");
}

fn render_image(h: &mut String, image: &CapturedImage, caption: &str) {
    if image.png.is_empty() {
        let _ = writeln!(
            h,
            "<p>{caption}: no capture was available ({}).</p>",
            escape(&image.alt)
        );
        return;
    }
    let _ = writeln!(
        h,
        r#"<figure id="image-{name}">
<img src="data:image/png;base64,{data}" alt="{alt}">
<figcaption>{caption} ({name})</figcaption>
</figure>"#,
        name = escape(&image.name),
        data = base64::engine::general_purpose::STANDARD.encode(&image.png),
        alt = escape(&image.alt),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn only_web_links_are_links() {
        assert!(is_web_url("https://entra.microsoft.com/#view"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url(" data:text/html,x"));
    }

    #[test]
    fn badges_say_the_status_in_words() {
        for status in [
            StepStatus::Applied,
            StepStatus::Error,
            StepStatus::NeedsAction,
            StepStatus::NotApplied,
            StepStatus::Unknown,
            StepStatus::NotApplicable,
        ] {
            assert!(status_badge(status).contains(status.label()));
        }
    }
}
