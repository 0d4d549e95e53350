//! Propagation delays as the `emulator` and `--demo` commands take them (`--device-delay 30s`),
//! so a presenter or a test can make the emulated tenant lag the way a real one does.

use crate::config::Propagation;
use std::time::Duration;

/// The longest delay a flag accepts: Entra's own lags are minutes (the sign-in log concept
/// pages speak of 2 to 15), so an hour is a typing mistake rather than a rehearsal.
const LONGEST: Duration = Duration::from_secs(60 * 60);

/// A delay like `30`, `30s`, `1500ms` or `2m` (a bare number is seconds). `flag` names the
/// option in the message, so the person knows which one to fix.
pub fn parse_delay(flag: &str, text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{flag} '{text}' is not a delay: expected seconds like 30, or 1500ms, 30s or 2m")
    };
    let t = text.trim().to_ascii_lowercase();
    let (number, unit_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000)
    } else {
        (t.as_str(), 1_000)
    };
    let n: u64 = number.trim().parse().map_err(|_| bad())?;
    let delay = Duration::from_millis(n.checked_mul(unit_ms).ok_or_else(bad)?);
    if delay > LONGEST {
        return Err(format!(
            "{flag} '{text}' is longer than an hour; Entra's replication lags are minutes"
        ));
    }
    Ok(delay)
}

impl Propagation {
    /// The delays of the command-line flags: `device` covers what the join creates (the device,
    /// its Intune managed device and its Windows Hello key), `sign_in` the sign-in logs and
    /// `tap` a new Temporary Access Pass typed at OOBE.
    pub fn from_flags(device: Duration, sign_in: Duration, tap: Duration) -> Propagation {
        Propagation {
            device,
            managed_device: device,
            whfb: device,
            sign_in,
            tap,
        }
    }

    /// The delays in words for the demo's banner; `None` when there are none.
    pub fn summary(&self) -> Option<String> {
        let parts: Vec<String> = [
            ("device", self.device),
            ("sign-in", self.sign_in),
            ("TAP", self.tap),
        ]
        .into_iter()
        .filter(|(_, d)| !d.is_zero())
        .map(|(what, d)| format!("{what} delay {}", words(d)))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn words(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_take_seconds_milliseconds_and_minutes() {
        assert_eq!(
            parse_delay("--tap-delay", "30"),
            Ok(Duration::from_secs(30))
        );
        assert_eq!(
            parse_delay("--tap-delay", "30s"),
            Ok(Duration::from_secs(30))
        );
        assert_eq!(
            parse_delay("--tap-delay", "1500ms"),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_delay("--tap-delay", "2M"),
            Ok(Duration::from_secs(120))
        );
        let e = parse_delay("--device-delay", "soon").unwrap_err();
        assert!(e.starts_with("--device-delay 'soon' is not a delay"), "{e}");
        let e = parse_delay("--sign-in-delay", "2h").unwrap_err();
        assert!(e.contains("not a delay"), "{e}");
        let e = parse_delay("--sign-in-delay", "90m").unwrap_err();
        assert!(e.contains("longer than an hour"), "{e}");
    }

    #[test]
    fn the_device_flag_covers_everything_the_join_creates() {
        let p = Propagation::from_flags(
            Duration::from_secs(5),
            Duration::from_secs(7),
            Duration::from_millis(250),
        );
        assert_eq!(p.managed_device, Duration::from_secs(5));
        assert_eq!(p.whfb, Duration::from_secs(5));
        assert_eq!(
            p.summary().as_deref(),
            Some("device delay 5 s, sign-in delay 7 s, TAP delay 250 ms")
        );
        assert_eq!(Propagation::default().summary(), None);
    }
}
