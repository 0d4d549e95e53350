//! The composition layer: chooses real or demo backends (a real tenant and this PC's Hyper-V, or
//! the in-process emulator and the emulated host) and hands the wizard and the command line the
//! same step controllers on them.

pub mod elevation;
pub mod env;
pub mod helpdesk;

pub use env::{DemoOptions, EnvError, LabEnv, RealOptions};

use hb_auth::cli::AuthOptions;
use hb_lab::session::{ConnectRequest, Connecting};
use hb_ui::Connector;
use std::sync::Arc;

/// The connector of the shipped app with default options: the demo tenant as saved, or a real
/// tenant signed in with `HELLO_BOOTSTRAP_ACCESS_TOKEN`.
pub fn default_connector() -> Connector {
    lab_connector(RealOptions::default(), DemoOptions::default())
}

/// A connector that starts the demo (in-process emulator) or reaches a real tenant through
/// [`LabEnv`], as the command line does, signing in to a real one while connecting.
pub fn lab_connector(real: RealOptions, demo: DemoOptions) -> Connector {
    Arc::new(move |request: ConnectRequest| -> Connecting {
        let (real, demo) = (real.clone(), demo.clone());
        Box::pin(async move {
            let env = if request.demo {
                LabEnv::demo(demo).await
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
