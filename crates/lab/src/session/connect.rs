//! One attempt at connecting, as the composition layer sees it: where it says that it waits on
//! the person (the browser sign-in, with its time limit), and the token the person's Cancel
//! trips. Plain data and a token only, so the lab never knows how signing in works.

use super::events::{EventSender, JobEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Identifies one connect attempt, so the late result of a cancelled one changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectId(pub(super) u64);

/// What connecting waits on while the person acts elsewhere, as the Welcome page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectWait {
    /// What is awaited, as a headline ("Waiting for the browser…").
    pub headline: String,
    /// What the person does meanwhile ("Finish signing in in the browser tab that opened.").
    pub todo: String,
    /// When the wait gives up by itself (the page counts down to it).
    pub deadline: Instant,
    /// The code to enter on another device, and where (a device code sign-in); `None` for a
    /// browser sign-in on this PC.
    pub code: Option<WaitCode>,
}

/// What a device code sign-in asks the person to type elsewhere. The user code is not a secret:
/// without the device code only this app holds, it signs nothing in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitCode {
    /// The code to enter ("ABCD-EFGH").
    pub user_code: String,
    /// Where to enter it (`https://microsoft.com/devicelogin` on Entra).
    pub verification_uri: String,
}

impl ConnectWait {
    /// How long the wait still lasts at `now` (zero once it is over).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }
}

/// What a connect attempt reports while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectProgress {
    /// It waits on the person (see [`ConnectWait`]).
    Waiting(ConnectWait),
    /// The wait is over; connecting goes on by itself.
    Working,
}

/// What the wizard hands its connector for one attempt: demo or real tenant, and the attempt.
#[derive(Clone, Debug)]
pub struct ConnectRequest {
    /// The demo tenant (`true`) or a real one.
    pub demo: bool,
    /// Where the connector reports waits, and its Cancel.
    pub attempt: ConnectAttempt,
}

/// Handed to the connector with each attempt: report waits with [`ConnectAttempt::waiting`],
/// and stop (ending any browser wait) once [`ConnectAttempt::cancelled`] completes.
#[derive(Clone)]
pub struct ConnectAttempt {
    report: Arc<dyn Fn(ConnectProgress) + Send + Sync>,
    cancel: CancellationToken,
}

impl ConnectAttempt {
    pub(super) fn new(id: ConnectId, events: EventSender, cancel: CancellationToken) -> Self {
        let report = Arc::new(move |progress| {
            events.send(JobEvent::ConnectProgress {
                attempt: id,
                progress,
            })
        });
        ConnectAttempt { report, cancel }
    }

    /// An attempt outside the lab's session (help-desk mode signs in on its own): its waits go
    /// to `report`, and tripping `cancel` is its Cancel. The same reporting and Cancel as the
    /// lab's sign-in, so both show the same wait.
    pub fn reporting_to(
        report: Arc<dyn Fn(ConnectProgress) + Send + Sync>,
        cancel: CancellationToken,
    ) -> Self {
        ConnectAttempt { report, cancel }
    }

    /// Says that connecting waits on the person for at most `timeout`: the page shows the
    /// headline, what to do, a countdown and Cancel.
    pub fn waiting(&self, headline: impl Into<String>, todo: impl Into<String>, timeout: Duration) {
        self.report(ConnectProgress::Waiting(ConnectWait {
            headline: headline.into(),
            todo: todo.into(),
            deadline: Instant::now() + timeout,
            code: None,
        }));
    }

    /// Says that connecting waits for the person to enter `code` on another device for at most
    /// `timeout` (the code's lifetime): the page shows the code and the address, each with Copy,
    /// a countdown and Cancel.
    pub fn waiting_for_code(
        &self,
        headline: impl Into<String>,
        todo: impl Into<String>,
        code: WaitCode,
        timeout: Duration,
    ) {
        self.report(ConnectProgress::Waiting(ConnectWait {
            headline: headline.into(),
            todo: todo.into(),
            deadline: Instant::now() + timeout,
            code: Some(code),
        }));
    }

    /// Says that the wait is over and connecting goes on by itself.
    pub fn working(&self) {
        self.report(ConnectProgress::Working);
    }

    /// Completes when the person pressed Cancel (at once when they already did).
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// Whether the person pressed Cancel.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    fn report(&self, progress: ConnectProgress) {
        (self.report)(progress);
    }
}

impl std::fmt::Debug for ConnectAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectAttempt")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
