//! SIGINT, SIGTERM and SIGHUP (Ctrl-C / Ctrl-Break on Windows) as one stream: the first stops
//! new work and lets requests in flight finish so their passes are printed; a second gives up
//! waiting.

/// The termination signals of this process.
pub(super) struct Signals {
    #[cfg(unix)]
    streams: Vec<(tokio::signal::unix::Signal, &'static str)>,
}

impl Signals {
    /// Starts listening (from now on these signals no longer kill the process).
    pub(super) fn listen() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (SignalKind::interrupt(), "SIGINT"),
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::hangup(), "SIGHUP"),
            ];
            Signals {
                streams: kinds
                    .into_iter()
                    .filter_map(|(k, name)| signal(k).ok().map(|s| (s, name)))
                    .collect(),
            }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    /// The next signal's name.
    pub(super) async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.streams.iter_mut().map(|(s, name)| {
                Box::pin(async move {
                    s.recv().await;
                    *name
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                Err(_) => std::future::pending().await,
            }
        }
    }
}

pub(super) fn say_stopping(name: &str) {
    eprintln!(
        "{name}: issuing no more passes; waiting for the requests in flight so every pass issued is printed (send it again to stop waiting)…"
    );
}

pub(super) fn say_abandoning(name: &str) {
    eprintln!("{name} again: not waiting any longer; printing what is known.");
}
