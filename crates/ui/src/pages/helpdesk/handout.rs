//! The printable handout for one issued pass: the user's name, the pass, when it is valid and
//! where to sign in, as a self-contained HTML page to print from a browser. It exists only as
//! the person asks: built in memory when "Save handout" is pressed, written to the file they
//! name (a new file only they may read), and never logged.

use super::IssuedPass;
use hb_report::html::escape;

/// Where the user registers their methods with the pass: Microsoft's TAP how-to ("Use a
/// Temporary Access Pass": "Authentication methods are registered at
/// https://aka.ms/mysecurityinfo"; MicrosoftDocs/entra-docs,
/// docs/identity/authentication/howto-authentication-temporary-access-pass.md).
pub const SIGN_IN_URL: &str = "https://aka.ms/mysecurityinfo";

/// The handout page for `pass`, issued to `display_name`.
pub fn html(pass: &IssuedPass, display_name: &str) -> String {
    let from = pass.start.as_deref().unwrap_or("now");
    let until = pass.end.as_deref().unwrap_or("the end of its lifetime");
    let once = if pass.usable_once {
        "<p>It works for <strong>one sign-in only</strong>.</p>"
    } else {
        "<p>It works for every sign-in until it expires.</p>"
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="robots" content="noindex">
<title>Temporary Access Pass for {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40em; margin: 2em auto; color: #111; }}
.pass {{ font-family: ui-monospace, monospace; font-size: 2.2em; letter-spacing: .08em;
  border: 2px solid #111; padding: .4em .6em; display: inline-block; }}
.note {{ color: #444; font-size: .9em; }}
</style></head>
<body>
<h1>Your Temporary Access Pass</h1>
<p>For <strong>{name}</strong> ({upn})</p>
<p class="pass">{code}</p>
<p>Valid from <strong>{from}</strong> until <strong>{until}</strong>.</p>
{once}
<h2>Where to sign in</h2>
<ol>
<li>On a new Windows PC at first start, or in a browser at <strong>{url}</strong>.</li>
<li>Type your sign-in name <strong>{upn}</strong>.</li>
<li>When asked for the Temporary Access Pass, type the pass above.</li>
<li>Set up Windows Hello or another sign-in method when asked.</li>
</ol>
<p class="note">Keep this page to yourself and destroy it once you have signed in. Nobody from the help desk will ask you for this pass.</p>
</body></html>
"#,
        name = escape(display_name),
        upn = escape(&pass.upn),
        code = escape(pass.code.expose()),
        from = escape(from),
        until = escape(until),
        url = SIGN_IN_URL,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_lab::Secret;

    fn pass() -> IssuedPass {
        IssuedPass {
            upn: "o'neil@contoso.com".into(),
            code: Secret::new("Ab<c&d>9"),
            start: Some("2026-06-05T08:00:00Z".into()),
            end: Some("2026-06-05T09:00:00Z".into()),
            usable_once: true,
        }
    }

    #[test]
    fn the_handout_names_the_user_the_pass_its_window_and_where_to_sign_in_escaped() {
        let page = html(&pass(), "Zoë <script>");
        assert!(page.contains("Zoë &lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>"));
        assert!(page.contains("Ab&lt;c&amp;d&gt;9"));
        assert!(page.contains("o&#39;neil@contoso.com"));
        assert!(page.contains("Valid from <strong>2026-06-05T08:00:00Z</strong> until <strong>2026-06-05T09:00:00Z</strong>"));
        assert!(page.contains("one sign-in only"));
        assert!(page.contains(SIGN_IN_URL));
    }
}
