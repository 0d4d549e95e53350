//! A user's Temporary Access Passes (list, create, delete) and Windows Hello for Business keys.

use super::UserRef;
use crate::models::{CreatedTap, NewTap, TapMethod, WhfbMethod};
use crate::{GraphClient, GraphError, GraphPath};
use hb_lab::{AuthMethodId, Secret};
use serde_json::Value;

/// `/users/{user}/authentication/temporaryAccessPassMethods`.
pub fn tap_methods_path(user: UserRef<'_>) -> GraphPath {
    user.path().seg("authentication/temporaryAccessPassMethods")
}

/// `/users/{user}/authentication/windowsHelloForBusinessMethods`.
pub fn whfb_methods_path(user: UserRef<'_>) -> GraphPath {
    user.path()
        .seg("authentication/windowsHelloForBusinessMethods")
}

/// `GET …/temporaryAccessPassMethods`: the user's pass (at most one), without its code.
pub async fn list_taps<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
) -> Result<Vec<TapMethod>, GraphError> {
    graph.list_at(&tap_methods_path(user.into())).await
}

/// `POST …/temporaryAccessPassMethods`: a new pass, replacing any the user had (Graph keeps one
/// per user). The code comes back once, as a [`Secret`]; it is taken out of the answer before
/// anything else reads it.
pub async fn create_tap<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
    body: &NewTap,
) -> Result<CreatedTap, GraphError> {
    let path = tap_methods_path(user.into());
    let body = serde_json::to_value(body).unwrap_or_else(|_| Value::Object(Default::default()));
    // A lost answer means a lost code: a pass Graph made then can never be typed. Reading back
    // shows whether one was made; either way a new POST is right, since Graph replaces the pass
    // a user holds with the new one, so the unusable pass does not outlive this call.
    let reconcile = || async {
        let held: Vec<TapMethod> = graph.list_at(&path).await?;
        if !held.is_empty() {
            tracing::info!(
                "the lost POST made a Temporary Access Pass whose code never arrived; issuing one that replaces it"
            );
        }
        Ok(crate::client::Reconciled::NotApplied)
    };
    let created = graph.post_reconciled(&path, &body, reconcile).await?;
    created_tap_from(created).map_err(|reason| GraphError::Decode {
        status: 201,
        url: graph.url_of(&path),
        reason,
    })
}

/// A create answer (direct, or the body of a `$batch` item) read as the method and its code;
/// the code is taken out before anything else reads the answer. `Err` says what is missing.
pub fn created_tap_from(mut created: Value) -> Result<CreatedTap, String> {
    let code = created
        .as_object_mut()
        .and_then(|o| o.remove("temporaryAccessPass"))
        .and_then(|v| v.as_str().map(Secret::new));
    let code = code.ok_or_else(|| "the answer has no temporaryAccessPass".to_string())?;
    let method = serde_json::from_value(created).map_err(|e| e.to_string())?;
    Ok(CreatedTap { method, code })
}

/// `DELETE …/temporaryAccessPassMethods/{id}`.
pub async fn delete_tap<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
    method: &AuthMethodId,
) -> Result<(), GraphError> {
    graph
        .delete_at(&tap_methods_path(user.into()).key(method))
        .await
}

/// `GET …/windowsHelloForBusinessMethods`: the keys the user registered, one per device.
pub async fn list_whfb<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
) -> Result<Vec<WhfbMethod>, GraphError> {
    graph.list_at(&whfb_methods_path(user.into())).await
}

/// `GET …/windowsHelloForBusinessMethods/{id}?$expand=device`: one key with the Entra device it
/// was registered on (the list never carries `device`; the get page's note says to expand it).
pub async fn whfb_with_device<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
    method: &AuthMethodId,
) -> Result<WhfbMethod, GraphError> {
    let path = whfb_methods_path(user.into())
        .key(method)
        .query("$expand", "device");
    graph.get_at(&path).await
}

/// `DELETE …/windowsHelloForBusinessMethods/{id}` (`UserAuthenticationMethod.ReadWrite.All`;
/// Authentication Administrator or Privileged Authentication Administrator).
pub async fn delete_whfb<'a>(
    graph: &GraphClient,
    user: impl Into<UserRef<'a>>,
    method: &AuthMethodId,
) -> Result<(), GraphError> {
    graph
        .delete_at(&whfb_methods_path(user.into()).key(method))
        .await
}
