//! The composition layer: chooses real or demo backends (a real tenant and this PC's Hyper-V, or
//! the in-process emulator and the emulated host) and hands the wizard and the command line the
//! same step controllers on them.

pub mod elevation;
pub mod env;
pub mod helpdesk;
pub mod revert_roles;

pub use env::{DemoCloud, DemoOptions, EnvError, LabEnv, RealOptions};

use hb_auth::cli::AuthOptions;
use hb_lab::session::{ConnectAttempt, ConnectRequest, Connecting};
use hb_ui::{Connector, HelpdeskConnector};
use std::sync::Arc;

/// The connector of the shipped app with default options: the demo tenant as saved, or a real
/// tenant signed in with `HELLO_BOOTSTRAP_ACCESS_TOKEN`.
pub fn default_connector() -> Connector {
    lab_connector(RealOptions::default(), DemoOptions::default())
}

/// A connector that starts the demo (in-process emulator) or reaches a real tenant through
/// [`LabEnv`], as the command line does, signing in to a real one while connecting.
pub fn lab_connector(real: RealOptions, demo: DemoOptions) -> Connector {
    lab_connector_in(real, demo, DemoCloud::default())
}

/// The wizard's lab connector and its help-desk connector, on one demo tenant: whichever
/// connects first starts the emulated cloud and the other joins it.
pub fn wizard_connectors(real: RealOptions, demo: DemoOptions) -> (Connector, HelpdeskConnector) {
    let cloud = DemoCloud::default();
    (
        lab_connector_in(real.clone(), demo.clone(), cloud.clone()),
        helpdesk_connector(real, demo, cloud),
    )
}

/// Help-desk mode's sign-in: the demo tenant of `cloud`, or a real tenant through the browser,
/// asking for the help-desk permissions only.
pub fn helpdesk_connector(
    real: RealOptions,
    demo: DemoOptions,
    cloud: DemoCloud,
) -> HelpdeskConnector {
    let auth = AuthOptions::from_real(&real, real.device_code);
    helpdesk_connector_in(real, demo, cloud, auth)
}

/// Help-desk mode's sign-in to a real tenant with the sign-in options given (a browser of the
/// caller's, a store of its own), as [`helpdesk_connector`] runs it: the waits reported to the
/// page as the lab's are, Cancel ending them.
pub fn real_helpdesk_connector(real: RealOptions, auth: AuthOptions) -> HelpdeskConnector {
    helpdesk_connector_in(real, DemoOptions::default(), DemoCloud::default(), auth)
}

fn helpdesk_connector_in(
    real: RealOptions,
    demo: DemoOptions,
    cloud: DemoCloud,
    auth: AuthOptions,
) -> HelpdeskConnector {
    Arc::new(
        move |on_demo: bool,
              attempt: ConnectAttempt|
              -> hb_ui::pages::helpdesk::Pending<
            Result<Arc<dyn hb_ui::pages::helpdesk::HelpdeskService>, String>,
        > {
            let (real, demo, cloud, auth) =
                (real.clone(), demo.clone(), cloud.clone(), auth.clone());
            Box::pin(async move {
                // The demo signs in headless in a moment: no browser wait to show, and Cancel
                // drops the task.
                let connection = if on_demo {
                    helpdesk::connect_demo(&demo, &cloud, None).await
                } else {
                    helpdesk::connect_real(&real, &auth, Some(&attempt)).await
                }
                .map_err(|e| e.message)?
                .with_account()
                .await
                .map_err(|e| e.message)?;
                let service: Arc<dyn hb_ui::pages::helpdesk::HelpdeskService> =
                    Arc::new(helpdesk::GraphHelpdesk::on(connection));
                Ok(service)
            })
        },
    )
}

fn lab_connector_in(real: RealOptions, demo: DemoOptions, cloud: DemoCloud) -> Connector {
    Arc::new(move |request: ConnectRequest| -> Connecting {
        let (real, demo, cloud) = (real.clone(), demo.clone(), cloud.clone());
        Box::pin(async move {
            let env = if request.demo {
                LabEnv::demo_in(demo, &cloud).await
            } else {
                LabEnv::real_signed_in(&real, &request.attempt).await
            }
            .map_err(|e| e.message)?;
            Ok(env.into_backend())
        })
    })
}

/// The wizard's real-tenant connect with the sign-in options given (a browser of the caller's,
/// a store of its own), as [`lab_connector`] runs it for a real tenant: sign in while
/// connecting, the waits reported to the Welcome page, Cancel ending them.
pub fn real_connector(real: RealOptions, auth: AuthOptions) -> Connector {
    Arc::new(move |request: ConnectRequest| -> Connecting {
        let (real, auth) = (real.clone(), auth.clone());
        Box::pin(async move {
            let env = LabEnv::sign_in_for_wizard(&real, &auth, &request.attempt)
                .await
                .map_err(|e| e.message)?;
            Ok(env.into_backend())
        })
    })
}
