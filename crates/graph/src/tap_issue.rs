//! The one way a Temporary Access Pass is issued, shared by the help desk (`tap issue` for one
//! user or a CSV, and the wizard's help desk) and lab step 6, so both check the same things and
//! say the same words: the user exists, is enabled and signs in here (Entra refuses a pass for an
//! external guest), a pass they already hold is kept unless the caller asks to replace it, and
//! Graph's refusals are turned into what to do. The code comes back once, as a [`Secret`].

use crate::api::{UserRef, auth_methods, users};
use crate::models::{NewTap, TAP_MAX_LIFETIME, TAP_MIN_LIFETIME, TapMethod, User};
use crate::{GraphClient, GraphError};
use chrono::{DateTime, Utc};
use hb_lab::{Secret, Upn, UserId};

/// What to do when the user already holds a pass that is valid now or later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenHeld {
    /// Leave it (its code cannot be shown again) and issue nothing.
    #[default]
    Keep,
    /// Issue a new one; Graph deletes the old one as it creates the new.
    Replace,
}

/// The choices for one pass; `None` takes the policy's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IssueTap {
    pub lifetime_minutes: Option<u32>,
    pub usable_once: Option<bool>,
    pub when_held: WhenHeld,
    /// When the pass starts working (`None`: now).
    pub start: Option<DateTime<Utc>>,
}

impl IssueTap {
    /// The POST body Graph gets for these choices.
    pub fn body(&self) -> NewTap {
        NewTap {
            lifetime_in_minutes: self.lifetime_minutes,
            is_usable_once: self.usable_once,
            start_date_time: self.start.map(graph_time),
        }
    }
}

/// A time as Graph writes it: UTC, seconds, `Z`.
pub fn graph_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A user who passed the checks, with the pass they hold now, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct TapTarget {
    pub user: User,
    /// A pass usable now or later (an expired or used one does not count).
    pub current: Option<TapMethod>,
    /// Every pass Graph lists for the user (at most one), for evidence.
    pub listed: Vec<TapMethod>,
}

/// A pass just issued. `Debug` shows the code as `[redacted]`; not `Clone`, so it is not copied
/// around by accident.
#[derive(Debug)]
pub struct IssuedTap {
    pub user_id: UserId,
    pub method: TapMethod,
    pub code: Secret,
}

/// What [`issue`] did.
#[derive(Debug)]
pub enum Issued {
    /// A pass for a user who held none.
    New(IssuedTap),
    /// A new pass; the one the user held is gone.
    Replaced { tap: IssuedTap, previous: TapMethod },
    /// The user holds a pass and [`WhenHeld::Keep`] was asked: nothing changed.
    Kept(TapMethod),
}

/// Why no pass was issued; each text says what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IssueError {
    #[error(
        "there is no such user in this tenant: check the spelling of the sign-in name (Entra admin center > Users)"
    )]
    NoSuchUser,
    #[error(
        "the account is disabled: enable it in the Entra admin center (Users) first, then issue again"
    )]
    Disabled,
    #[error(
        "this is an external user, who signs in at their home organization: Entra adds a Temporary Access Pass only to members and internal guests, so their home organization must issue it"
    )]
    ExternalUser,
    #[error(
        "{minutes} minutes is outside what Microsoft Graph accepts ({TAP_MIN_LIFETIME} to {TAP_MAX_LIFETIME} minutes)"
    )]
    Lifetime { minutes: u32 },
    #[error(
        "the Temporary Access Pass policy does not allow a pass for this user (it is off, or the user is outside its targets): turn it on for them (lab step 5, or Entra admin center > Authentication methods > Temporary Access Pass). ({0})"
    )]
    PolicyRefuses(String),
    #[error("cannot list the user's current passes: {0}")]
    CannotList(GraphError),
    #[error(
        "Graph created the pass but its answer cannot be read ({0}): delete the pass in the Entra admin center and issue again"
    )]
    Unreadable(String),
    #[error("{0}")]
    Graph(GraphError),
}

impl IssueError {
    /// Whether the input was wrong (no such user, a lifetime Graph never accepts), rather than the
    /// tenant's state or Graph.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            IssueError::NoSuchUser
                | IssueError::Disabled
                | IssueError::ExternalUser
                | IssueError::Lifetime { .. }
        )
    }
}

/// Graph's refusals of a POST turned into the error that says what to do (also for the answer
/// of a `$batch` item).
pub fn from_post(e: GraphError) -> IssueError {
    if let GraphError::Decode {
        status: 201,
        reason,
        ..
    } = &e
    {
        return IssueError::Unreadable(reason.clone());
    }
    let message = match &e {
        GraphError::Api(api) => api.message.to_ascii_lowercase(),
        _ => String::new(),
    };
    if message.contains("converged usercredentialpolicy") {
        IssueError::PolicyRefuses(e.to_string())
    } else if message.contains("external guest") {
        IssueError::ExternalUser
    } else if e.is_not_found() {
        IssueError::NoSuchUser
    } else {
        IssueError::Graph(e)
    }
}

/// Reads the user and their current pass, and refuses those Entra would refuse: unknown,
/// disabled, or external. Sends only GET requests, both at once: the pass list is addressed by
/// the sign-in name (`GET /users/{id | userPrincipalName}/authentication/temporaryAccessPassMethods`,
/// the list-temporaryaccesspassmethods page), so it does not wait for the user's id.
pub async fn check_target(graph: &GraphClient, upn: &Upn) -> Result<TapTarget, IssueError> {
    let (user, listed) = tokio::join!(
        users::get(graph, upn),
        auth_methods::list_taps(graph, UserRef::Upn(upn))
    );
    let user = user.map_err(|e| {
        if e.is_not_found() {
            IssueError::NoSuchUser
        } else {
            IssueError::Graph(e)
        }
    })?;
    check_user(&user)?;
    let listed = listed.map_err(IssueError::CannotList)?;
    let current = listed.iter().find(|m| m.is_active()).cloned();
    Ok(TapTarget {
        user,
        current,
        listed,
    })
}

/// The checks of [`check_target`] on a user already read.
pub fn check_user(user: &User) -> Result<(), IssueError> {
    if user.account_enabled == Some(false) {
        return Err(IssueError::Disabled);
    }
    if user.signs_in_elsewhere() {
        return Err(IssueError::ExternalUser);
    }
    Ok(())
}

/// Checks a lifetime against Graph's own limits (10 minutes to 30 days).
pub fn check_lifetime(minutes: u32) -> Result<(), IssueError> {
    if (TAP_MIN_LIFETIME..=TAP_MAX_LIFETIME).contains(&minutes) {
        Ok(())
    } else {
        Err(IssueError::Lifetime { minutes })
    }
}

/// Issues a pass for a checked user, or keeps the one they hold (see [`WhenHeld`]).
pub async fn issue(
    graph: &GraphClient,
    target: &TapTarget,
    request: &IssueTap,
) -> Result<Issued, IssueError> {
    if let Some(minutes) = request.lifetime_minutes {
        check_lifetime(minutes)?;
    }
    if let (Some(current), WhenHeld::Keep) = (&target.current, request.when_held) {
        return Ok(Issued::Kept(current.clone()));
    }
    let body = request.body();
    let created = auth_methods::create_tap(graph, UserRef::Id(&target.user.id), &body)
        .await
        .map_err(from_post)?;
    let tap = IssuedTap {
        user_id: target.user.id.clone(),
        method: created.method,
        code: created.code,
    };
    Ok(match &target.current {
        Some(previous) => Issued::Replaced {
            tap,
            previous: previous.clone(),
        },
        None => Issued::New(tap),
    })
}

/// [`check_target`] then [`issue`]: one call for one user.
pub async fn issue_for(
    graph: &GraphClient,
    upn: &Upn,
    request: &IssueTap,
) -> Result<Issued, IssueError> {
    let target = check_target(graph, upn).await?;
    issue(graph, &target, request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ObjectIdentity;

    fn api(status: u16, message: &str) -> GraphError {
        GraphError::from_body(
            status,
            serde_json::json!({"error": {"code": "badRequest", "message": message}})
                .to_string()
                .as_bytes(),
            None,
        )
    }

    #[test]
    fn graphs_refusals_say_what_to_do() {
        let policy = from_post(api(
            400,
            "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].",
        ));
        assert!(matches!(policy, IssueError::PolicyRefuses(_)));
        assert!(policy.to_string().contains("lab step 5"));
        let guest = from_post(api(
            400,
            "Temporary Access Pass cannot be added to an external guest user.",
        ));
        assert!(matches!(guest, IssueError::ExternalUser), "{guest}");
        assert!(guest.is_bad_input());
        assert!(matches!(
            from_post(api(404, "Resource 'x' does not exist")),
            IssueError::NoSuchUser
        ));
        let other = from_post(api(500, "boom"));
        assert!(matches!(other, IssueError::Graph(_)));
        assert!(!other.is_bad_input());
        let unreadable = from_post(GraphError::Decode {
            status: 201,
            url: "u".into(),
            reason: "no code".into(),
        });
        assert!(unreadable.to_string().contains("delete the pass"));
    }

    #[test]
    fn external_and_disabled_users_are_refused_before_any_write() {
        let identity = |kind: &str, issuer: &str| ObjectIdentity {
            sign_in_type: Some(kind.into()),
            issuer: Some(issuer.into()),
            issuer_assigned_id: None,
        };
        let mut user = User {
            id: UserId::from("u1"),
            user_principal_name: "jane_fabrikam.com#EXT#@contoso.onmicrosoft.com".into(),
            display_name: None,
            account_enabled: Some(true),
            user_type: Some("Guest".into()),
            identities: vec![identity("userPrincipalName", "contoso.onmicrosoft.com")],
        };
        assert!(
            check_user(&user).is_ok(),
            "an internal guest may have a pass"
        );
        user.identities = vec![identity("federated", "fabrikam.com")];
        assert!(matches!(check_user(&user), Err(IssueError::ExternalUser)));
        user.identities.clear();
        user.account_enabled = Some(false);
        assert!(matches!(check_user(&user), Err(IssueError::Disabled)));
        assert!(check_lifetime(10).is_ok() && check_lifetime(43_200).is_ok());
        assert!(
            check_lifetime(9)
                .unwrap_err()
                .to_string()
                .contains("10 to 43200")
        );
    }
}
