//! The pages of the wizard and the router between them. Pages are render functions: they read
//! state and push [`Command`](crate::Command)s.

pub mod helpdesk;
pub mod reset;
pub mod step;
pub mod step_text;
pub mod summary;
pub mod tap;
pub mod tap_replace;
pub mod typing;
pub mod welcome;

use hb_lab::Step;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One page of the wizard: the steps are the router, with a welcome page before and a summary
/// after them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Page {
    #[default]
    Welcome,
    Step(Step),
    Summary,
}

impl Page {
    /// Every page in wizard order.
    pub fn all() -> impl Iterator<Item = Page> {
        std::iter::once(Page::Welcome)
            .chain(Step::ALL.into_iter().map(Page::Step))
            .chain(std::iter::once(Page::Summary))
    }

    pub fn next(self) -> Option<Page> {
        match self {
            Page::Welcome => Some(Page::Step(Step::ALL[0])),
            Page::Step(step) => Some(step.next().map_or(Page::Summary, Page::Step)),
            Page::Summary => None,
        }
    }

    pub fn prev(self) -> Option<Page> {
        match self {
            Page::Welcome => None,
            Page::Step(step) => Some(step.prev().map_or(Page::Welcome, Page::Step)),
            Page::Summary => Some(Page::Step(Step::ALL[Step::ALL.len() - 1])),
        }
    }

    /// The step this page is about, if any.
    pub fn step(self) -> Option<Step> {
        match self {
            Page::Step(step) => Some(step),
            _ => None,
        }
    }
}

impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Page::Welcome => f.write_str("Welcome"),
            Page::Step(step) => step.fmt(f),
            Page::Summary => f.write_str("Summary"),
        }
    }
}
