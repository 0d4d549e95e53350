//! Error text as a person reads it: what the libraries underneath say (D-Bus addresses, socket
//! errors, command-line flags) becomes what happened and what to do, before it reaches a page.

/// An error in plain words, and whether it means Microsoft could not be reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plain {
    pub text: String,
    pub unreachable: bool,
}

/// The words a page shows for `reason`. Text already written for people passes unchanged.
pub fn for_people(reason: &str) -> Plain {
    let lower = reason.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if any(&[
        "zbus",
        "d-bus",
        "dbus",
        "/run/user/",
        "secret service",
        "org.freedesktop",
    ]) {
        return Plain {
            text: "This PC has no credential store running, so the wizard has nowhere safe to keep the sign-in. Sign in to a desktop session that has one (such as GNOME Keyring or KWallet), or use the demo.".into(),
            unreachable: false,
        };
    }
    if any(&[
        "error sending request",
        "dns error",
        "failed to lookup address",
        "connection refused",
        "network is unreachable",
        "tcp connect error",
        "timed out",
        "operation timed out",
    ]) {
        return Plain {
            text: "This PC could not reach Microsoft's sign-in or Microsoft Graph. Check the network connection (and any proxy), then press Try again.".into(),
            unreachable: true,
        };
    }
    // Command-line flags mean nothing in the window: drop the sentences that name one.
    let text = if reason.contains("--") {
        let kept: Vec<&str> = reason
            .split_inclusive(". ")
            .filter(|sentence| !sentence.contains("--"))
            .collect();
        if kept.is_empty() {
            "The wizard's connection settings are not usable. Restart it without extra options, or use the demo.".to_string()
        } else {
            kept.concat().trim().to_string()
        }
    } else {
        reason.to_string()
    };
    Plain {
        text,
        unreachable: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d_bus_and_flags_never_reach_the_screen() {
        let dbus = for_people(
            "keyring: zbus error: Failed to connect to address unix:path=/run/user/0/bus",
        );
        assert!(!dbus.text.contains("zbus") && !dbus.text.contains("/run/user"));
        assert!(dbus.text.contains("credential store"));
        let flag = for_people("The tenant did not answer. Pass --graph-url to point elsewhere.");
        assert_eq!(flag.text, "The tenant did not answer.");
        let net = for_people("error sending request for url (https://login.microsoftonline.com/)");
        assert!(net.unreachable);
        assert_eq!(for_people("offline test").text, "offline test");
    }
}
