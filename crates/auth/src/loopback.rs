//! The one-shot loopback listener that receives the browser's redirect after sign-in
//! (RFC 8252: `http://localhost:{any free port}`; the identity platform ignores the port).

use super::error::AuthError;
use hb_lab::Secret;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// What the browser brought back to the loopback redirect.
#[derive(Debug)]
pub enum Redirect {
    /// The authorization code and the `state` it came with.
    Code {
        /// The one-time authorization code, redeemed with the PKCE verifier.
        code: Secret,
        /// Must equal the `state` we sent.
        state: String,
    },
    /// The identity platform's `error` and `error_description`, and the `state`.
    Error {
        /// The OAuth `error`, e.g. `access_denied`.
        error: String,
        /// The AADSTS code and text.
        description: String,
        /// Must equal the `state` we sent.
        state: String,
    },
}

/// A bound loopback listener waiting for exactly one redirect.
pub struct LoopbackListener {
    listener: TcpListener,
    redirect_uri: Url,
}

impl LoopbackListener {
    /// Binds a free port on 127.0.0.1; the redirect URI names it `localhost`, as registered.
    pub async fn bind() -> Result<LoopbackListener, AuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| AuthError::Browser(format!("cannot listen on a loopback port: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| AuthError::Browser(format!("cannot read the loopback port: {e}")))?
            .port();
        let redirect_uri = Url::parse(&format!("http://localhost:{port}/"))
            .map_err(|e| AuthError::Browser(format!("bad loopback URL: {e}")))?;
        Ok(LoopbackListener {
            listener,
            redirect_uri,
        })
    }

    /// `http://localhost:{port}/`.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Waits (up to `timeout`) for the redirect, answers the browser with a small page, and
    /// returns what it carried. Stray requests (e.g. `/favicon.ico`) get a 404 and are skipped.
    pub async fn receive(self, timeout: Duration) -> Result<Redirect, AuthError> {
        tokio::time::timeout(timeout, self.accept_redirect())
            .await
            .map_err(|_| {
                AuthError::Browser(format!(
                    "no answer from the browser within {} minutes; sign in again (or use --device-code if this machine has no browser)",
                    timeout.as_secs() / 60
                ))
            })?
    }

    async fn accept_redirect(self) -> Result<Redirect, AuthError> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| AuthError::Browser(format!("loopback accept failed: {e}")))?;
            let Some(target) = read_request_target(&mut stream).await else {
                continue;
            };
            match parse_redirect(&target) {
                Some(redirect) => {
                    let page = match &redirect {
                        Redirect::Code { .. } => DONE_PAGE,
                        Redirect::Error { .. } => FAILED_PAGE,
                    };
                    respond(&mut stream, "200 OK", page).await;
                    return Ok(redirect);
                }
                None => respond(&mut stream, "404 Not Found", "not found").await,
            }
        }
    }
}

const DONE_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hello Bootstrap</title></head>\
<body style=\"font-family:sans-serif\"><h1>Signed in</h1><p>You can close this tab and return to Hello Bootstrap.</p></body></html>";
const FAILED_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hello Bootstrap</title></head>\
<body style=\"font-family:sans-serif\"><h1>Sign-in did not complete</h1><p>You can close this tab; Hello Bootstrap shows what happened.</p></body></html>";

/// Reads the request head and returns the request target (path and query) of a GET.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next()?.split_whitespace();
    if parts.next()? != "GET" {
        return None;
    }
    parts.next().map(str::to_string)
}

fn parse_redirect(target: &str) -> Option<Redirect> {
    let url = Url::parse(&format!("http://localhost{target}")).ok()?;
    if url.path() != "/" {
        return None;
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = String::new();
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "code" => code = Some(Secret::new(v.into_owned())),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = v.into_owned(),
            _ => {}
        }
    }
    let state = state.unwrap_or_default();
    match (error, code) {
        (Some(error), _) => Some(Redirect::Error {
            error,
            description,
            state,
        }),
        (None, Some(code)) => Some(Redirect::Code { code, state }),
        (None, None) => None,
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_are_parsed_and_strays_skipped() {
        match parse_redirect("/?code=abc&state=s1").unwrap() {
            Redirect::Code { code, state } => {
                assert_eq!(code.expose(), "abc");
                assert_eq!(state, "s1");
            }
            other => panic!("expected a code, got {other:?}"),
        }
        match parse_redirect(
            "/?error=access_denied&error_description=AADSTS65004%3A+declined&state=s",
        )
        .unwrap()
        {
            Redirect::Error {
                error, description, ..
            } => {
                assert_eq!(error, "access_denied");
                assert!(description.starts_with("AADSTS65004"));
            }
            other => panic!("expected an error, got {other:?}"),
        }
        assert!(parse_redirect("/favicon.ico").is_none());
        assert!(parse_redirect("/").is_none());
    }
}
