//! The browser that shows the sign-in page. The real one is the system browser; demo mode and
//! tests use a headless one that performs the same HTTP requests a person's browser would, so
//! the authorize → loopback → token path is the real one end to end.

use super::error::AuthError;
use hb_lab::Upn;
use std::net::{IpAddr, SocketAddr};
use url::{Host, Url};

/// Opens the authorize URL and lets a person (or a script) sign in; the result arrives at the
/// loopback listener, not here.
#[async_trait::async_trait]
pub trait Browser: Send + Sync {
    /// Shows the sign-in page at `authorize_url`.
    async fn open(&self, authorize_url: &Url) -> Result<(), AuthError>;
}

/// The person's default browser.
pub struct SystemBrowser;

#[async_trait::async_trait]
impl Browser for SystemBrowser {
    async fn open(&self, authorize_url: &Url) -> Result<(), AuthError> {
        let url = authorize_url.to_string();
        tokio::task::spawn_blocking(move || webbrowser::open(&url))
            .await
            .map_err(|e| AuthError::Browser(format!("the browser task failed: {e}")))?
            .map_err(|e| {
                AuthError::Browser(format!(
                    "cannot open the system browser ({e}); use --device-code to sign in from another device"
                ))
            })
    }
}

/// A browser without a screen: GETs the authorize page, picks `user` on the account picker if
/// the page shows one, and follows the redirect to our loopback listener. Only follows
/// redirects to loopback addresses. Like a real browser it resolves `localhost` itself, to
/// `127.0.0.1` by default or to the address given with [`HeadlessBrowser::resolving_localhost_to`].
pub struct HeadlessBrowser {
    user: Option<Upn>,
    http: reqwest::Client,
}

impl HeadlessBrowser {
    /// A headless browser that signs in as `user` when the page asks which account to use.
    pub fn new(user: Option<Upn>) -> Result<HeadlessBrowser, AuthError> {
        Ok(HeadlessBrowser {
            user,
            http: super::config::http_client()?,
        })
    }

    /// Resolves `localhost` to `ip` (e.g. `::1`, as browsers that prefer IPv6 do).
    pub fn resolving_localhost_to(mut self, ip: IpAddr) -> Result<HeadlessBrowser, AuthError> {
        // reqwest uses the URL's port; the one given here is ignored.
        self.http = super::config::http_client_builder()
            .resolve("localhost", SocketAddr::new(ip, 0))
            .build()
            .map_err(|e| AuthError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(self)
    }

    async fn follow_to_loopback(&self, response: reqwest::Response) -> Result<(), AuthError> {
        let status = response.status();
        if !status.is_redirection() {
            let body = response.text().await.unwrap_or_default();
            return Err(AuthError::Browser(format!(
                "the sign-in page answered {status} instead of redirecting back: {}",
                page_text(&body)
            )));
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| AuthError::Browser("the sign-in page redirected nowhere".into()))?;
        let target = Url::parse(location).map_err(|e| {
            AuthError::Browser(format!("the sign-in page redirected to a bad URL ({e})"))
        })?;
        let loopback = match target.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if !loopback {
            return Err(AuthError::Browser(
                "the sign-in page redirected away from the loopback address".into(),
            ));
        }
        let back = self.http.get(target).send().await.map_err(|e| {
            AuthError::Browser(format!(
                "cannot reach the loopback listener: {}",
                e.without_url()
            ))
        })?;
        if !back.status().is_success() {
            return Err(AuthError::Browser(format!(
                "the loopback listener answered {}",
                back.status()
            )));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Browser for HeadlessBrowser {
    async fn open(&self, authorize_url: &Url) -> Result<(), AuthError> {
        let net = |e: reqwest::Error| AuthError::Network(e.without_url().to_string());
        let first = self
            .http
            .get(authorize_url.clone())
            .send()
            .await
            .map_err(net)?;
        if first.status().is_redirection() || !first.status().is_success() {
            return self.follow_to_loopback(first).await;
        }
        // An account picker: submit the same request with the chosen account, as its form does.
        let user = self.user.as_ref().ok_or_else(|| {
            AuthError::Browser(
                "the sign-in page asks which account to use and no account was given".into(),
            )
        })?;
        let mut form: Vec<(String, String)> = authorize_url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        form.push(("upn".into(), user.to_string()));
        let mut action = authorize_url.clone();
        action.set_query(None);
        let picked = self
            .http
            .post(action)
            .form(&form)
            .send()
            .await
            .map_err(net)?;
        self.follow_to_loopback(picked).await
    }
}

/// The readable part of an error page, short.
fn page_text(body: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::page_text;

    #[test]
    fn error_pages_are_reduced_to_their_text() {
        assert_eq!(
            page_text(
                "<html><body><h1>Sorry</h1><p>AADSTS50011: redirect mismatch</p></body></html>"
            ),
            "Sorry AADSTS50011: redirect mismatch"
        );
    }
}
