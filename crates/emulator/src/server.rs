//! Starting and stopping an emulator on 127.0.0.1 (plain HTTP, or HTTPS with `--tls`), and the
//! handle the CLI, demo mode and tests use.

use super::config::EmulatorConfig;
use super::scopes::ALL_GRAPH_SCOPES;
use super::state::{EmulatorState, SharedState};
use super::tls::TlsIdentity;
use crate::ids::Secret;
use chrono::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Starts emulators.
pub struct Emulator;

/// A running emulator. Dropping it leaves the server running until the runtime ends; call
/// [`EmulatorHandle::shutdown`] to stop it.
pub struct EmulatorHandle {
    /// Graph root without a version, like `https://graph.microsoft.com`.
    pub graph_url: String,
    /// Root of `/{tenant}/oauth2/v2.0/...`, like `https://login.microsoftonline.com`.
    pub login_url: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub admin_upn: String,
    /// The seeded lab user who gets the TAP in step 6 and signs in at the VM.
    pub lab_user_upn: String,
    /// With `--tls`: the certificate's SHA-256 fingerprint and PEM, for clients to trust.
    pub tls: Option<(String, String)>,
    state: SharedState,
    admin_token: Secret,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("graph_url", &self.graph_url)
            .field("tenant_id", &self.tenant_id)
            .field("admin_upn", &self.admin_upn)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds 127.0.0.1:`config.port` and serves until [`EmulatorHandle::shutdown`].
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, String> {
        Self::serve(config, None).await
    }

    /// Like [`Emulator::start`], over HTTPS with `identity`'s certificate; the URLs say `https`.
    pub async fn start_tls(
        config: EmulatorConfig,
        identity: TlsIdentity,
    ) -> Result<EmulatorHandle, String> {
        Self::serve(config, Some(identity)).await
    }

    async fn serve(
        config: EmulatorConfig,
        tls: Option<TlsIdentity>,
    ) -> Result<EmulatorHandle, String> {
        let port = config.port;
        let state = EmulatorState::new(config)?;
        super::login::signing::warm_up();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| {
                format!("cannot listen on 127.0.0.1:{port}: {e} (is another emulator running? try --port 0)")
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the emulator's address: {e}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let root = format!("{scheme}://{addr}");
        state.set_root_url(root.clone());
        let app = super::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let tls_info = tls
            .as_ref()
            .map(|t| (t.sha256_fingerprint.clone(), t.cert_pem.clone()));
        let task = match tls {
            None => tokio::spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
                if let Err(e) = served {
                    tracing::warn!(error = %e, "the emulator stopped with an error");
                }
            }),
            Some(identity) => {
                let listener = listener
                    .into_std()
                    .map_err(|e| format!("cannot hand the listener to the TLS server: {e}"))?;
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    let _ = stopped.await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
                });
                let config = axum_server::tls_rustls::RustlsConfig::from_config(identity.config);
                tokio::spawn(async move {
                    let served = axum_server::from_tcp_rustls(listener, config)
                        .handle(handle)
                        .serve(app.into_make_service())
                        .await;
                    if let Err(e) = served {
                        tracing::warn!(error = %e, "the emulator stopped with an error");
                    }
                })
            }
        };
        let (tenant_id, tenant_name, admin_upn, lab_upn, admin_id) = state.read(|t| {
            let admin_id = t.user(&t.admin_upn).map(|u| u.id.clone());
            (
                t.tenant.id.clone(),
                t.tenant.display_name.clone(),
                t.admin_upn.clone(),
                t.lab_user_upn.clone(),
                admin_id,
            )
        });
        let admin_id = admin_id.ok_or("the emulator state has no demo admin user")?;
        let admin_token = state.tokens.mint_for(
            admin_id,
            &admin_upn,
            tenant_id.clone(),
            ALL_GRAPH_SCOPES.iter().map(|s| s.to_string()).collect(),
            Duration::days(365),
        );
        Ok(EmulatorHandle {
            graph_url: root.clone(),
            login_url: root,
            tenant_id: tenant_id.0,
            tenant_name,
            admin_upn,
            lab_user_upn: lab_upn,
            tls: tls_info,
            state,
            admin_token,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

impl EmulatorHandle {
    /// A long-lived token for the demo admin with every scope the app uses.
    pub fn access_token(&self) -> Secret {
        self.admin_token.clone()
    }

    /// A one-hour token for another seeded user with the given scopes (short names or
    /// `https://graph.microsoft.com/...` URIs); `None` if no such user.
    pub fn mint_token(&self, upn: &str, scopes: &[&str]) -> Option<Secret> {
        let (id, upn) = self.state.read(|t| {
            t.user(upn)
                .map(|u| (u.id.clone(), u.user_principal_name.clone()))
        })?;
        let scopes = scopes
            .iter()
            .map(|s| {
                super::scopes::normalise(s)
                    .map(str::to_string)
                    .unwrap_or_else(|| s.to_string())
            })
            .collect();
        Some(self.state.tokens.mint_for(
            id,
            &upn,
            self.state.tenant_id(),
            scopes,
            Duration::hours(1),
        ))
    }

    /// The emulator's shared state (for in-process hooks like the emulated host).
    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// The line `hello-bootstrap emulator` prints when ready: graph_url, login_url, tenant_id,
    /// admin_upn and the admin's access token. It goes to stdout only.
    pub fn ready_line(&self) -> String {
        let mut line = serde_json::json!({
            "graph_url": self.graph_url,
            "login_url": self.login_url,
            "tenant_id": self.tenant_id,
            "admin_upn": self.admin_upn.as_str(),
            "access_token": self.admin_token.expose(),
        });
        if let Some((fingerprint, _)) = &self.tls {
            line["tls_sha256"] = fingerprint.as_str().into();
        }
        line.to_string()
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.state.set_dispatcher(None);
    }
}
