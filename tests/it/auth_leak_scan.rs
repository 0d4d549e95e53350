//! The secrets scan: after a full sign-in, a Graph call, a refresh and `whoami` with trace
//! logging captured, neither an access token, a refresh token, the authorization code nor the
//! PKCE code verifier appears in the log or in any file under HELLO_BOOTSTRAP_HOME.
//!
//! A recording proxy sits between our client and the emulator's login endpoints so the test
//! learns the secrets that went over the wire without reaching into the client.

use crate::auth_support::*;
use crate::common::files_under;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hello_bootstrap::auth::cli::{AuthOptions, BrowserChoice, StoreChoice, whoami_to};
use hello_bootstrap::graph::{ApiVersion, GraphClient, GraphConfig};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn forward(
    State(proxy): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = format!(
        "{}{}",
        proxy.upstream,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = proxy.http.request(method, url).body(body.to_vec());
    if let Some(ct) = headers.get("content-type") {
        request = request.header("content-type", ct);
    }
    let answer = request.send().await.expect("upstream");
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let location = answer.headers().get("location").cloned();
    let content_type = answer.headers().get("content-type").cloned();
    let bytes = answer.bytes().await.unwrap();
    {
        let mut seen = proxy.seen.lock().unwrap();
        seen.push(String::from_utf8_lossy(&body).into_owned());
        seen.push(String::from_utf8_lossy(&bytes).into_owned());
        if let Some(l) = &location {
            seen.push(l.to_str().unwrap_or_default().to_string());
        }
    }
    let mut response = (status, bytes.to_vec()).into_response();
    if let Some(l) = location {
        response.headers_mut().insert("location", l);
    }
    if let Some(ct) = content_type {
        response.headers_mut().insert("content-type", ct);
    }
    response
}

/// Every secret value that crossed the proxy: tokens in token responses, the code in redirects,
/// the verifier and refresh tokens in token requests.
fn secrets(seen: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for text in seen {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            for key in ["access_token", "refresh_token", "id_token"] {
                if let Some(s) = v.get(key).and_then(Value::as_str) {
                    out.push(s.to_string());
                }
            }
        }
        let query = text.split_once('?').map(|(_, q)| q).unwrap_or(text);
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if matches!(
                k.as_ref(),
                "code" | "code_verifier" | "refresh_token" | "device_code"
            ) {
                out.push(v.into_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_code_or_verifier_reaches_the_log_or_a_file() {
    let log = Buffer::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber in this test binary");
    let home = tempfile::tempdir().unwrap();
    // SAFETY: set before any other thread of this test reads the environment.
    unsafe { std::env::set_var("HELLO_BOOTSTRAP_HOME", home.path()) };

    let emu = emulator().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let proxy = Proxy {
        upstream: emu.login_url.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        seen: Arc::default(),
    };
    let seen = proxy.seen.clone();
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A full sign-in through the proxy, a Graph call, a silent refresh after a 401, and whoami.
    hook(&emu, "settings", json!({"access_token_lifetime_s": 3599})).await;
    let opts = AuthOptions {
        login_url: proxy_url.clone(),
        graph_url: emu.graph_url.clone(),
        tenant: emu.tenant_id.clone(),
        login_hint: Some(crate::common::admin_upn(&emu)),
        browser: BrowserChoice::Headless,
        store: StoreChoice::Default {
            service: "hb-leak-scan".into(),
        },
        ..AuthOptions::default()
    };
    let signed_in =
        hello_bootstrap::auth::cli::token_source(&opts, &hello_bootstrap::lab::Step::ALL).unwrap();
    let graph = GraphClient::new(
        GraphConfig::from_root(&emu.graph_url).unwrap(),
        signed_in.tokens.clone(),
    )
    .unwrap();
    graph.get(ApiVersion::V1, "/me").await.unwrap();
    hook(
        &emu,
        "revoke",
        json!({"upn": emu.admin_upn.as_str(), "keep_refresh_tokens": true}),
    )
    .await;
    graph.get(ApiVersion::V1, "/organization").await.unwrap();
    let mut out = Vec::new();
    assert_eq!(whoami_to(&opts, true, &mut out).await, 0);
    let session = signed_in.session.as_ref().unwrap();
    tracing::debug!(session_scopes = ?session.granted_scopes().await, token = ?session.token().await, "state after the run");

    let secrets = secrets(&seen.lock().unwrap());
    // Two token responses (code, refresh) with access, refresh and id tokens, plus code and verifier.
    assert!(
        secrets.len() >= 6,
        "the proxy saw the secrets: {}",
        secrets.len()
    );
    assert!(secrets.iter().any(|s| s.starts_with("rt.")));
    assert!(secrets.iter().any(|s| s.starts_with("emu.")));

    let log_text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        log_text.contains("signed in with the browser"),
        "the log was captured"
    );
    assert!(
        log_text.contains("[redacted]"),
        "the Debug of a token is redacted"
    );
    if std::env::var_os("HB_DUMP_LOG").is_some() {
        eprintln!("{log_text}");
    }
    let output = String::from_utf8(out).unwrap();
    for secret in &secrets {
        assert!(
            !log_text.contains(secret.as_str()),
            "a secret reached the log"
        );
        assert!(
            !output.contains(secret.as_str()),
            "a secret reached whoami's output"
        );
    }
    let files = files_under(home.path());
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret reached {}",
                file.display()
            );
        }
    }
    emu.shutdown().await;
}
