//! Read state: mark read / unread, unread counts.

use std::sync::Arc;

use axum::extract::{Path, State};
use chat_core::ids::MessageId;
use serde_json::{json, Map, Value};

use super::channels::{body_user_id, cid_of};
use crate::error::ApiError;
use crate::http::{ApiResult, JsonBody, Reply};
use crate::request::Ctx;
use crate::state::AppState;

fn opt_message_id(body: &Value, key: &str) -> Result<Option<MessageId>, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| MessageId::parse(s).map_err(ApiError::from))
        .transpose()
}

pub async fn mark_read(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let out = state
        .engine
        .mark_read(
            &actor,
            &cid,
            opt_message_id(&body, "message_id")?,
            opt_message_id(&body, "thread_id")?,
        )
        .await?;
    let read_event = out.events.first().cloned();
    state.publish(out).await;
    let event = match read_event {
        Some(e) => crate::delivery::encode_event(&state, &ctx.app, &e, false).await?,
        None => json!({"type": "message.read", "cid": cid.as_str()}),
    };
    Ok(Reply::with("event", event))
}

pub async fn mark_unread(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let message_id = opt_message_id(&body, "message_id")?
        .ok_or_else(|| ApiError::missing_field("message_id"))?;
    state
        .publish(state.engine.mark_unread(&actor, &cid, &message_id).await?)
        .await;
    Ok(Reply::empty())
}

/// `POST /channels/read`: mark every channel read (server-side: `user` or `user_id`).
pub async fn mark_all_read(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    state
        .publish(state.engine.mark_all_read(&actor).await?)
        .await;
    Ok(Reply::empty())
}

pub async fn unread(State(state): State<Arc<AppState>>, ctx: Ctx) -> ApiResult {
    let actor = ctx.actor(&state, ctx.query_user_id()?.as_ref()).await?;
    let user = actor.require_user("user_id")?.id.clone();
    let s = state.engine.unread_counts(&ctx.app.id, &user).await?;
    let channels: Vec<Value> = s
        .channels
        .iter()
        .take(100)
        .map(|c| json!({"channel_id": c.cid.as_str(), "unread_count": c.unread_messages, "last_read": c.last_read_at.to_rfc3339()}))
        .collect();
    let mut by_type: Map<String, Value> = Map::new();
    for c in &s.channels {
        let entry = by_type
            .entry(c.cid.kind().to_string())
            .or_insert_with(|| json!({"channel_type": c.cid.kind().as_str(), "channel_count": 0, "unread_count": 0}));
        entry["channel_count"] = json!(entry["channel_count"].as_u64().unwrap_or(0) + 1);
        entry["unread_count"] =
            json!(entry["unread_count"].as_u64().unwrap_or(0) + c.unread_messages);
    }
    let threads: Vec<Value> = s
        .threads
        .iter()
        .map(|t| json!({"unread_count": t.unread_replies, "last_read": t.last_read_at.to_rfc3339(), "parent_message_id": t.parent_id.as_str()}))
        .collect();
    Ok(Reply(json!({
        "total_unread_count": s.total_unread_count,
        "total_unread_threads_count": s.unread_threads,
        "channels": channels,
        "channel_type": by_type.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "threads": threads,
    })))
}
