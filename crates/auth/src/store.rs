//! The token cache: the refresh token and what we know about the account, kept in the OS
//! credential store through keyring-core. Nothing of it ever touches a file of ours.
//!
//! Windows Credential Manager refuses a credential blob over `CRED_MAX_CREDENTIAL_BLOB_SIZE`
//! (5 * 512 = 2,560 bytes), and the JSON of a sign-in (an Entra refresh token alone is often
//! over 1.5 kB, plus account and scopes) does not fit, let alone as UTF-16. So a sign-in is saved
//! as parts of at most [`PART_BYTES`] raw bytes each (`<key>#<generation>#<n>`), then a small
//! manifest under `<key>` naming them; the manifest is written last, so an interrupted save
//! leaves the previous sign-in readable. Every platform takes this path, so the tests on
//! keyring-core's mock store exercise what Windows runs.

use super::error::AuthError;
use hb_lab::Secret;
use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};

/// The keyring service name all our entries live under.
pub const SERVICE: &str = "hello-bootstrap";

/// The most bytes one credential entry holds: Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`.
pub const PART_BYTES: usize = 2560;

/// The most parts a sign-in may take (100 kB), so a damaged manifest cannot make us read on.
const MAX_PARTS: usize = 40;

/// The head entry of a sign-in saved in parts.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Manifest {
    /// Always "parts": tells a manifest from a sign-in saved whole by an older version.
    format: String,
    /// Names this save's parts apart from the previous save's.
    generation: u64,
    parts: usize,
    /// The total length, checked after joining the parts.
    bytes: usize,
}

fn part_key(key: &str, generation: u64, index: usize) -> String {
    format!("{key}#{generation}#{index}")
}

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
    refresh_token: super::wire::WireSecret,
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

impl KeyringStore {
    fn manifest(&self, key: &str) -> Result<Option<Manifest>, AuthError> {
        match self.entry(key)?.get_secret() {
            Ok(bytes) => Ok(serde_json::from_slice::<Manifest>(&bytes)
                .ok()
                .filter(|m| m.format == "parts" && m.parts <= MAX_PARTS)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The saved JSON, joined from its parts, or a sign-in saved whole by an older version.
    fn read(&self, key: &str) -> Result<Option<Secret>, AuthError> {
        let Some(manifest) = self.manifest(key)? else {
            return match self.entry(key)?.get_password() {
                Ok(text) => Ok(Some(Secret::new(text))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                // Neither a manifest nor text: damaged, so absent (the next sign-in replaces it).
                Err(keyring_core::Error::BadEncoding(_)) => Ok(None),
                Err(e) => Err(store_error(e)),
            };
        };
        let mut joined = Vec::with_capacity(manifest.bytes);
        for index in 0..manifest.parts {
            match self
                .entry(&part_key(key, manifest.generation, index))?
                .get_secret()
            {
                Ok(part) => joined.extend_from_slice(&part),
                Err(keyring_core::Error::NoEntry) => return Ok(None),
                Err(e) => return Err(store_error(e)),
            }
        }
        if joined.len() != manifest.bytes {
            return Ok(None);
        }
        Ok(String::from_utf8(joined).ok().map(Secret::new))
    }

    fn delete_parts(&self, key: &str, manifest: &Manifest) -> Result<(), AuthError> {
        for index in 0..manifest.parts {
            match self
                .entry(&part_key(key, manifest.generation, index))?
                .delete_credential()
            {
                Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(())
    }
}

impl SecretStore for KeyringStore {
    fn load(&self, key: &str) -> Result<Option<CachedSignIn>, AuthError> {
        let Some(text) = self.read(key)? else {
            return Ok(None);
        };
        // A damaged entry is treated as absent: the next sign-in overwrites it.
        let Ok(stored) = serde_json::from_str::<Stored>(text.expose()) else {
            return Ok(None);
        };
        Ok(Some(CachedSignIn {
            refresh_token: stored.refresh_token.0,
            account: stored.account,
            tenant_id: stored.tenant_id,
            scopes: stored.scopes,
        }))
    }

    fn save(&self, key: &str, value: &CachedSignIn) -> Result<(), AuthError> {
        let stored = Stored {
            refresh_token: super::wire::WireSecret(value.refresh_token.clone()),
            account: value.account.clone(),
            tenant_id: value.tenant_id.clone(),
            scopes: value.scopes.clone(),
        };
        let text = Secret::new(
            serde_json::to_string(&stored)
                .map_err(|e| AuthError::Store(format!("cannot encode the sign-in: {e}")))?,
        );
        let bytes = text.expose().as_bytes();
        let parts = bytes.len().div_ceil(PART_BYTES).max(1);
        if parts > MAX_PARTS {
            return Err(AuthError::Store(format!(
                "the sign-in is {} bytes, more than the {} this app keeps",
                bytes.len(),
                MAX_PARTS * PART_BYTES
            )));
        }
        let previous = self.manifest(key)?;
        let generation = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default()
            .max(previous.as_ref().map_or(0, |m| m.generation + 1));
        for (index, part) in bytes.chunks(PART_BYTES).enumerate() {
            self.entry(&part_key(key, generation, index))?
                .set_secret(part)
                .map_err(store_error)?;
        }
        let manifest = Manifest {
            format: "parts".into(),
            generation,
            parts,
            bytes: bytes.len(),
        };
        let head = serde_json::to_vec(&manifest)
            .map_err(|e| AuthError::Store(format!("cannot encode the sign-in: {e}")))?;
        self.entry(key)?.set_secret(&head).map_err(store_error)?;
        if let Some(previous) = previous {
            self.delete_parts(key, &previous)?;
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), AuthError> {
        if let Some(manifest) = self.manifest(key)? {
            self.delete_parts(key, &manifest)?;
        }
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

    /// Every entry under our service on `mock`, with its secret's length.
    fn entries(mock: &Arc<CredentialStore>) -> Vec<(String, usize)> {
        let found = mock
            .search(&std::collections::HashMap::from([("service", "hb-big")]))
            .unwrap();
        // The mock keeps deleted entries in its list, without a secret: those are gone.
        found
            .into_iter()
            .filter_map(|entry| {
                let (_, user) = entry.get_specifiers()?;
                Some((user, entry.get_secret().ok()?.len()))
            })
            .collect()
    }

    #[test]
    fn a_6_kb_token_is_saved_in_parts_that_each_fit_windows_limit() {
        let mock: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
        let store = KeyringStore::on(mock.clone(), "hb-big");
        let token: String = (0..6 * 1024)
            .map(|i| char::from(b'A' + (i % 26) as u8))
            .collect();
        let value = CachedSignIn {
            refresh_token: Secret::new(token.clone()),
            account: Some("José.Zoë@contoso.com".into()),
            tenant_id: Some("t1".into()),
            scopes: vec![
                "User.Read".into(),
                "Policy.ReadWrite.AuthenticationMethod".into(),
            ],
        };
        store.save("k", &value).unwrap();
        let saved = entries(&mock);
        assert!(saved.len() >= 4, "a head and at least 3 parts: {saved:?}");
        for (name, len) in &saved {
            assert!(*len <= PART_BYTES, "{name} holds {len} bytes");
        }
        assert_eq!(store.load("k").unwrap(), Some(value.clone()));
        // A second save replaces the parts instead of adding to them.
        let shorter = CachedSignIn {
            refresh_token: Secret::new(&token[..3000]),
            ..value
        };
        store.save("k", &shorter).unwrap();
        assert_eq!(store.load("k").unwrap(), Some(shorter));
        assert_eq!(entries(&mock).len(), 3, "{:?}", entries(&mock));
        store.delete("k").unwrap();
        assert_eq!(entries(&mock), Vec::<(String, usize)>::new());
        assert_eq!(store.load("k").unwrap(), None);
    }

    #[test]
    fn a_sign_in_saved_whole_by_an_older_version_still_loads_and_a_lost_part_is_absent() {
        let mock: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
        let store = KeyringStore::on(mock.clone(), "hb-big");
        Entry::new_in_store(&mock, "hb-big", "old")
            .unwrap()
            .set_password(r#"{"refresh_token":"rt-old","scopes":["User.Read"]}"#)
            .unwrap();
        let old = store.load("old").unwrap().unwrap();
        assert_eq!(old.refresh_token.expose(), "rt-old");
        let value = CachedSignIn {
            refresh_token: Secret::new("x".repeat(5000)),
            account: None,
            tenant_id: None,
            scopes: vec![],
        };
        store.save("k", &value).unwrap();
        let manifest = store.manifest("k").unwrap().unwrap();
        Entry::new_in_store(&mock, "hb-big", &part_key("k", manifest.generation, 1))
            .unwrap()
            .delete_credential()
            .unwrap();
        assert_eq!(store.load("k").unwrap(), None);
    }
}
