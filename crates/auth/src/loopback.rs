//! The one-shot loopback listener that receives the browser's redirect after sign-in.
//!
//! The redirect URI is the registered `http://localhost` with the port we listen on,
//! `http://localhost:{port}`: Microsoft's "Redirect URI (reply URL) restrictions" page ignores the
//! port of a localhost URI when matching, and sends the browser back to a URI registered without a
//! path with a trailing slash, `http://localhost:{port}/`. A browser may resolve `localhost` to
//! `127.0.0.1` or to `::1`, so we listen on the same port on both (RFC 8252 section 7.3: "attempt
//! to bind to the loopback interface using both IPv4 and IPv6").

use super::error::AuthError;
use hb_lab::Secret;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
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

/// A bound loopback listener waiting for exactly one redirect, on `127.0.0.1` and (where the
/// machine has IPv6) `::1`, same port.
pub struct LoopbackListener {
    listeners: Vec<TcpListener>,
    redirect_uri: String,
}

/// How many ports we try before settling for IPv4 only (another program holding the port on `::1`).
const BIND_ATTEMPTS: usize = 8;

impl LoopbackListener {
    /// Binds a free port on 127.0.0.1 and the same port on ::1; the redirect URI names it
    /// `localhost`, as registered.
    pub async fn bind() -> Result<LoopbackListener, AuthError> {
        let bind_err =
            |e: io::Error| AuthError::Browser(format!("cannot listen on a loopback port: {e}"));
        for _ in 0..BIND_ATTEMPTS {
            let v4 = match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await {
                Ok(l) => l,
                // No IPv4 loopback at all: IPv6 alone will do.
                Err(e) => {
                    let v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, 0))
                        .await
                        .map_err(|_| bind_err(e))?;
                    return Self::from_listeners(vec![v6]);
                }
            };
            let port = local_port(&v4)?;
            match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
                Ok(v6) => return Self::from_listeners(vec![v4, v6]),
                // The port is free on 127.0.0.1 but taken on ::1: try another one.
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                // No IPv6 loopback on this machine: browsers then resolve localhost to 127.0.0.1.
                Err(e) => {
                    tracing::debug!(error = %e, "no IPv6 loopback; listening on 127.0.0.1 only");
                    return Self::from_listeners(vec![v4]);
                }
            }
        }
        tracing::debug!("no port free on both loopback addresses; listening on 127.0.0.1 only");
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(bind_err)?;
        Self::from_listeners(vec![v4])
    }

    fn from_listeners(listeners: Vec<TcpListener>) -> Result<LoopbackListener, AuthError> {
        let port = local_port(&listeners[0])?;
        let redirect_uri = format!("http://localhost:{port}");
        Ok(LoopbackListener {
            listeners,
            redirect_uri,
        })
    }

    /// `http://localhost:{port}`: the registered `http://localhost` with our port, sent as is
    /// in the authorize and token requests (the browser comes back to it with a trailing `/`).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The addresses listened on, e.g. `[127.0.0.1, ::1]`.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .map(|a| a.ip())
            .collect()
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

    /// The next connection on either address.
    async fn accept_any(&self) -> io::Result<TcpStream> {
        match self.listeners.as_slice() {
            [only] => only.accept().await.map(|(s, _)| s),
            [v4, v6, ..] => tokio::select! {
                r = v4.accept() => r.map(|(s, _)| s),
                r = v6.accept() => r.map(|(s, _)| s),
            },
            [] => Err(io::Error::other("no loopback listener")),
        }
    }

    async fn accept_redirect(self) -> Result<Redirect, AuthError> {
        loop {
            let mut stream = self
                .accept_any()
                .await
                .map_err(|e| AuthError::Browser(format!("loopback accept failed: {e}")))?;
            let Some(target) = read_request_target(&mut stream).await else {
                continue;
            };
            match parse_redirect(&target) {
                Some(redirect) => {
                    let page = match &redirect {
                        Redirect::Code { .. } => DONE_PAGE.to_string(),
                        Redirect::Error {
                            error, description, ..
                        } => failed_page(error, description),
                    };
                    respond(&mut stream, "200 OK", &page).await;
                    return Ok(redirect);
                }
                None => respond(&mut stream, "404 Not Found", "not found").await,
            }
        }
    }
}

const DONE_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hello Bootstrap</title></head>\
<body style=\"font-family:sans-serif\"><h1>Signed in</h1><p>You can close this tab and return to Hello Bootstrap.</p></body></html>";
/// The page for an error redirect: what went wrong (Entra's AADSTS sentence, without trace ids),
/// and that the app says what to do.
fn failed_page(error: &str, description: &str) -> String {
    let summary = super::grant::aadsts_summary(description);
    let what = if summary.is_empty() {
        error.to_string()
    } else {
        summary
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hello Bootstrap</title></head>\
<body style=\"font-family:sans-serif\"><h1>Sign-in did not complete</h1><p>{}</p>\
<p>You can close this tab; Hello Bootstrap says what to do next.</p></body></html>",
        escape_html(&what)
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn local_port(listener: &TcpListener) -> Result<u16, AuthError> {
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| AuthError::Browser(format!("cannot read the loopback port: {e}")))
}

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
        let page = failed_page(
            "access_denied",
            "AADSTS65004: User declined <b>\r\nTrace ID: 1",
        );
        assert!(
            page.contains("AADSTS65004: User declined &lt;b&gt;"),
            "{page}"
        );
        assert!(!page.contains("Trace ID"));
        assert!(parse_redirect("/favicon.ico").is_none());
        assert!(parse_redirect("/").is_none());
    }

    async fn get(addr: std::net::SocketAddr, target: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn the_redirect_uri_is_the_registered_localhost_with_our_port_on_both_loopbacks() {
        let listener = LoopbackListener::bind().await.unwrap();
        let uri = listener.redirect_uri().to_string();
        let port: u16 = uri
            .strip_prefix("http://localhost:")
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            !uri.ends_with('/'),
            "sent as registered, without a path: {uri}"
        );
        let addrs = listener.addresses();
        assert!(addrs.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let v6 = addrs.contains(&IpAddr::V6(Ipv6Addr::LOCALHOST));
        let waiting = tokio::spawn(listener.receive(Duration::from_secs(5)));
        // Whichever address the browser picked for localhost, the redirect arrives.
        let ip: IpAddr = if v6 {
            Ipv6Addr::LOCALHOST.into()
        } else {
            Ipv4Addr::LOCALHOST.into()
        };
        let stray = get((ip, port).into(), "/favicon.ico").await;
        assert!(stray.starts_with("HTTP/1.1 404"));
        let page = get((ip, port).into(), "/?code=c&state=s").await;
        assert!(page.contains("You can close this tab"));
        assert!(matches!(
            waiting.await.unwrap().unwrap(),
            Redirect::Code { .. }
        ));
    }
}
