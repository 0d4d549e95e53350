//! `POST /_emulator/lost-answers` (a [`LostAnswerRule`]) and `DELETE` (off; answers how many
//! were lost): turns on answers lost after the request was applied.

use super::parse;
use crate::error::GraphErr;
use crate::lost_answers::LostAnswerRule;
use crate::state::SharedState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub(super) async fn set(
    State(state): State<SharedState>,
    body: Bytes,
) -> Result<StatusCode, GraphErr> {
    let rule: LostAnswerRule = parse(
        &body,
        r#"{"path_contains":["/temporaryAccessPassMethods","/$batch"],"rate":0.02,"seed":1,"method":"POST","kind":"reset"|"garbage"}"#,
    )?;
    if !(0.0..=1.0).contains(&rule.rate) {
        return Err(super::fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("rate {} is not a probability from 0 to 1", rule.rate),
        ));
    }
    state.lost_answers.set(rule);
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn clear(State(state): State<SharedState>) -> Json<Value> {
    Json(json!({ "lost": state.lost_answers.clear() }))
}
