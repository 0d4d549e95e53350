//! A [`Secret`] inside JSON we parse or write ourselves: the token endpoint's `id_token` and the
//! keyring entry's refresh token. `hb_lab::Secret` has no serde on purpose (nothing of ours
//! should serialize one by accident); this wrapper is the one opt-in, for those two wire forms,
//! so their values still print `[redacted]` in `Debug` and are wiped on drop.

use hb_lab::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret read from or written to a JSON wire form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireSecret(pub Secret);

impl WireSecret {
    /// The secret itself (see [`Secret::expose`]).
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl From<String> for WireSecret {
    fn from(value: String) -> Self {
        WireSecret(Secret::new(value))
    }
}

impl Serialize for WireSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose())
    }
}

impl<'de> Deserialize<'de> for WireSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(WireSecret::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wire_secret_round_trips_but_never_prints() {
        let parsed: WireSecret = serde_json::from_str("\"eyJ.secret.sig\"").unwrap();
        assert_eq!(parsed.expose(), "eyJ.secret.sig");
        assert!(!format!("{parsed:?}").contains("eyJ"));
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            "\"eyJ.secret.sig\""
        );
    }
}
