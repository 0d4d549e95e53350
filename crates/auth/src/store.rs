//! The token cache: the refresh token and what we know about the account, kept in the OS
//! credential store through keyring-core. Nothing of it ever touches a file of ours.

use super::error::AuthError;
use hb_lab::Secret;
use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};

/// The keyring service name all our entries live under.
pub const SERVICE: &str = "hello-bootstrap";

/// What one sign-in leaves behind: the refresh token plus non-secret metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedSignIn {
    /// The only secret we persist, and only in the credential store.
    pub refresh_token: Secret,
    /// The signed-in account's UPN, once known.
    pub account: Option<String>,
    /// The tenant id the account signed in to, once known.
    pub tenant_id: Option<String>,
    /// The Graph permissions granted so far (short names).
    pub scopes: Vec<String>,
}

/// The on-keyring JSON form; built only inside this module, never logged.
#[derive(Serialize, Deserialize)]
struct Stored {
    refresh_token: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

/// Where sign-ins are kept between runs. The real one is the OS credential store; tests and
/// demo mode use keyring-core's in-memory mock store through the same code.
pub trait SecretStore: Send + Sync {
    /// The cached sign-in under `key`, if any.
    fn load(&self, key: &str) -> Result<Option<CachedSignIn>, AuthError>;
    /// Replaces the cached sign-in under `key`.
    fn save(&self, key: &str, value: &CachedSignIn) -> Result<(), AuthError>;
    /// Removes what we stored under `key`; removing nothing is fine.
    fn delete(&self, key: &str) -> Result<(), AuthError>;
}

/// A [`SecretStore`] on a keyring-core credential store.
pub struct KeyringStore {
    /// Set on first use for the platform store: opening it may block on D-Bus, so it happens on
    /// the blocking thread the session runs store calls on.
    store: OnceLock<Arc<CredentialStore>>,
    service: String,
}

impl KeyringStore {
    /// The platform store: Windows Credential Manager or the Secret Service on Linux, opened on
    /// first use (an unavailable store is reported then).
    pub fn platform() -> Result<KeyringStore, AuthError> {
        Ok(KeyringStore {
            store: OnceLock::new(),
            service: SERVICE.to_string(),
        })
    }

    /// Whatever store keyring-core has as its default (tests install the mock store there).
    pub fn default_store(service: &str) -> Result<KeyringStore, AuthError> {
        let store = keyring_core::get_default_store().ok_or_else(|| {
            AuthError::Store("no default credential store is set up in this process".into())
        })?;
        Ok(KeyringStore::on(store, service))
    }

    /// One in-memory store per process, for demo mode (a fresh Linux box has no Secret Service).
    pub fn in_memory() -> KeyringStore {
        static MEMORY: OnceLock<Arc<CredentialStore>> = OnceLock::new();
        let store = MEMORY
            .get_or_init(|| match keyring_core::mock::Store::new() {
                Ok(s) => s,
                Err(_) => unreachable!("creating the mock store cannot fail"),
            })
            .clone();
        KeyringStore::on(store, SERVICE)
    }

    /// A store on a given keyring-core credential store and service name.
    pub fn on(store: Arc<CredentialStore>, service: &str) -> KeyringStore {
        KeyringStore {
            store: OnceLock::from(store),
            service: service.to_string(),
        }
    }

    fn entry(&self, key: &str) -> Result<Entry, AuthError> {
        let store = match self.store.get() {
            Some(store) => store.clone(),
            None => {
                let opened = platform_store()?;
                self.store.get_or_init(|| opened).clone()
            }
        };
        Entry::new_in_store(&store, &self.service, key).map_err(store_error)
    }
}

impl SecretStore for KeyringStore {
    fn load(&self, key: &str) -> Result<Option<CachedSignIn>, AuthError> {
        let text = match self.entry(key)?.get_password() {
            Ok(text) => text,
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(store_error(e)),
        };
        // A damaged entry is treated as absent: the next sign-in overwrites it.
        let Ok(stored) = serde_json::from_str::<Stored>(&text) else {
            return Ok(None);
        };
        Ok(Some(CachedSignIn {
            refresh_token: Secret::new(stored.refresh_token),
            account: stored.account,
            tenant_id: stored.tenant_id,
            scopes: stored.scopes,
        }))
    }

    fn save(&self, key: &str, value: &CachedSignIn) -> Result<(), AuthError> {
        let stored = Stored {
            refresh_token: value.refresh_token.expose().to_string(),
            account: value.account.clone(),
            tenant_id: value.tenant_id.clone(),
            scopes: value.scopes.clone(),
        };
        let text = Secret::new(
            serde_json::to_string(&stored)
                .map_err(|e| AuthError::Store(format!("cannot encode the sign-in: {e}")))?,
        );
        self.entry(key)?
            .set_password(text.expose())
            .map_err(store_error)
    }

    fn delete(&self, key: &str) -> Result<(), AuthError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

fn store_error(e: keyring_core::Error) -> AuthError {
    // keyring errors may carry the secret bytes (BadEncoding/BadDataFormat): name the kind only.
    let text = match e {
        keyring_core::Error::BadEncoding(_) => "a stored entry is not valid text".to_string(),
        keyring_core::Error::BadDataFormat(..) => "a stored entry has an unexpected format".into(),
        keyring_core::Error::NoStorageAccess(p) => {
            format!("the credential store is locked or not accessible ({p})")
        }
        other => other.to_string(),
    };
    AuthError::Store(text)
}

#[cfg(windows)]
fn platform_store() -> Result<Arc<CredentialStore>, AuthError> {
    let store = windows_native_keyring_store::Store::new().map_err(store_error)?;
    Ok(store)
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, AuthError> {
    let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| {
        AuthError::Store(format!(
            "no Secret Service is running ({}); install and unlock a keyring such as GNOME Keyring or KWallet, or use --demo",
            store_error(e)
        ))
    })?;
    Ok(store)
}

#[cfg(not(any(windows, target_os = "linux")))]
fn platform_store() -> Result<Arc<CredentialStore>, AuthError> {
    Err(AuthError::Store(
        "no supported OS credential store on this platform".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_round_trips_and_sign_out_removes_it() {
        let store = KeyringStore::on(keyring_core::mock::Store::new().unwrap(), "hb-unit");
        let value = CachedSignIn {
            refresh_token: Secret::new("rt-123"),
            account: Some("admin@contoso.com".into()),
            tenant_id: Some("t1".into()),
            scopes: vec!["User.Read".into()],
        };
        assert_eq!(store.load("k").unwrap(), None);
        store.save("k", &value).unwrap();
        assert_eq!(store.load("k").unwrap(), Some(value));
        store.delete("k").unwrap();
        assert_eq!(store.load("k").unwrap(), None);
        store.delete("k").unwrap();
    }
}
