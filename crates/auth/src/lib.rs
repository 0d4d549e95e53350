//! Signing in like MSAL: authorization code + PKCE through the browser and a loopback listener,
//! the device code flow as fallback, the refresh token in the OS credential store, silent
//! refresh, per-step scopes, and a preflight that names a missing role or permission before any
//! change is attempted.

pub mod browser;
pub mod cli;
pub mod config;
pub mod device;
pub mod error;
pub mod grant;
pub mod id_token;
pub mod interactive;
pub mod loopback;
pub mod preflight;
pub mod refusal;
pub mod scopes;
pub mod session;
pub mod store;
pub mod wire;

pub use browser::{Browser, HeadlessBrowser, SystemBrowser};
pub use config::{AuthConfig, DEFAULT_CLIENT_ID, DEFAULT_TENANT, PUBLIC_LOGIN_ROOT};
pub use device::{DeviceCodePrompt, DeviceProgress};
pub use error::AuthError;
pub use id_token::SignedInAccount;
pub use interactive::{BROWSER_TIMEOUT, BrowserProgress};
pub use preflight::{Identity, PreflightError, preflight};
pub use scopes::{scopes_for, scopes_for_steps};
pub use session::{AuthSession, Interaction};
pub use store::{CachedSignIn, KeyringStore, SecretStore};
