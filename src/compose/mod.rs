//! The composition layer: chooses real or demo backends (a real tenant and this PC's Hyper-V, or
//! the in-process emulator and the emulated host) and hands the wizard and the command line the
//! same step controllers on them.

pub mod env;

pub use env::{DemoOptions, EnvError, LabEnv, RealOptions};

use hb_lab::session::Connecting;
use hb_ui::Connector;
use std::sync::Arc;

/// The connector of the shipped app with default options: the demo tenant as saved, or a real
/// tenant signed in with `HELLO_BOOTSTRAP_ACCESS_TOKEN`.
pub fn default_connector() -> Connector {
    lab_connector(RealOptions::default(), DemoOptions::default())
}

/// A connector that starts the demo (in-process emulator) or reaches a real tenant through
/// [`LabEnv`], exactly as the command line does.
pub fn lab_connector(real: RealOptions, demo: DemoOptions) -> Connector {
    Arc::new(move |use_demo| -> Connecting {
        let (real, demo) = (real.clone(), demo.clone());
        Box::pin(async move {
            let env = if use_demo {
                LabEnv::demo(demo).await
            } else {
                LabEnv::real(&real, None).await
            }
            .map_err(|e| e.message)?;
            Ok(env.into_backend())
        })
    })
}
