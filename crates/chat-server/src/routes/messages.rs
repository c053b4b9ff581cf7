//! Messages and reactions.

use std::sync::Arc;

use axum::extract::{Path, State};
use chat_core::engine::SendMessage;
use chat_core::ids::{MessageId, UserId};
use serde_json::{Map, Value};

use super::channels::{body_user_id, cid_of, set_unset};
use crate::error::ApiError;
use crate::http::{ApiResult, JsonBody, Reply};
use crate::present;
use crate::request::Ctx;
use crate::state::AppState;
use crate::wire;

fn message_id(id: &str) -> Result<MessageId, ApiError> {
    MessageId::parse(id).map_err(ApiError::from)
}

pub async fn send(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let message = body
        .get("message")
        .ok_or_else(|| ApiError::missing_field("message"))?;
    let (input, user_id) = wire::message_input(message)?;
    let actor = ctx.actor(&state, user_id.as_ref()).await?;
    let cmd = SendMessage {
        cid,
        message: input,
        keep_channel_hidden: body
            .get("keep_channel_hidden")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        skip_push: body
            .get("skip_push")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let sent = state
        .publish(state.engine.send_message(&actor, cmd).await?)
        .await;
    metrics::counter!("chat_messages_ingested_total").increment(1);
    let encoded = present::message(&state, &ctx.app.id, actor.user_id(), &sent, false).await?;
    Ok(Reply::with("message", encoded))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> ApiResult {
    let id = message_id(&id)?;
    let actor = ctx.actor(&state, ctx.query_user_id()?.as_ref()).await?;
    let m = state.engine.get_message(&actor, &id).await?;
    let show_deleted = actor.server
        && ctx
            .query
            .get("show_deleted_message")
            .is_some_and(|v| v == "true");
    let encoded = present::message(&state, &ctx.app.id, actor.user_id(), &m, show_deleted).await?;
    Ok(Reply::with("message", encoded))
}

pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let id = message_id(&id)?;
    let message = body
        .get("message")
        .ok_or_else(|| ApiError::missing_field("message"))?;
    let (input, user_id) = wire::message_input(message)?;
    if input
        .id
        .as_deref()
        .is_some_and(|given| given != id.as_str())
    {
        return Err(ApiError::invalid_field(
            "message.id",
            "does not match the message in the path",
        )
        .into());
    }
    let actor = ctx.actor(&state, user_id.as_ref()).await?;
    let m = state
        .publish(state.engine.update_message(&actor, &id, input).await?)
        .await;
    Ok(Reply::with(
        "message",
        present::message(&state, &ctx.app.id, actor.user_id(), &m, false).await?,
    ))
}

pub async fn partial_update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let id = message_id(&id)?;
    let (set, unset) = set_unset(&body)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let m = state
        .publish(
            state
                .engine
                .partial_update_message(&actor, &id, set, unset)
                .await?,
        )
        .await;
    Ok(Reply::with(
        "message",
        present::message(&state, &ctx.app.id, actor.user_id(), &m, false).await?,
    ))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> ApiResult {
    let id = message_id(&id)?;
    let hard = ctx
        .query
        .get("hard")
        .is_some_and(|v| v == "true" || v == "1");
    let by = ctx
        .query
        .get("deleted_by")
        .map(|s| UserId::parse(s).map_err(ApiError::from))
        .transpose()?
        .or(ctx.query_user_id()?);
    let actor = ctx.actor(&state, by.as_ref()).await?;
    let m = state
        .publish(state.engine.delete_message(&actor, &id, hard).await?)
        .await;
    Ok(Reply::with(
        "message",
        present::message(&state, &ctx.app.id, actor.user_id(), &m, false).await?,
    ))
}

pub async fn replies(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> ApiResult {
    let id = message_id(&id)?;
    let page = wire::message_page_from_query(
        &ctx.query,
        chat_core::engine::REPLIES_LIMIT.0,
        chat_core::engine::REPLIES_LIMIT.1,
    )?;
    let actor = ctx.actor(&state, ctx.query_user_id()?.as_ref()).await?;
    let ms = state.engine.get_replies(&actor, &id, page).await?;
    let encoded = present::messages(&state, &ctx.app.id, actor.user_id(), &ms, false).await?;
    Ok(Reply::with("messages", Value::Array(encoded)))
}

pub async fn send_reaction(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let id = message_id(&id)?;
    let (input, enforce_unique, user_id) = wire::reaction_input(&body)?;
    let actor = ctx.actor(&state, user_id.as_ref()).await?;
    let (m, r) = state
        .publish(
            state
                .engine
                .send_reaction(&actor, &id, input, enforce_unique)
                .await?,
        )
        .await;
    message_and_reaction(&state, &ctx, &actor, &m, &r).await
}

pub async fn delete_reaction(
    State(state): State<Arc<AppState>>,
    Path((id, kind)): Path<(String, String)>,
    ctx: Ctx,
) -> ApiResult {
    let id = message_id(&id)?;
    let user = ctx.query_user_id()?;
    let actor = ctx.actor(&state, user.as_ref()).await?;
    let (m, r) = state
        .publish(
            state
                .engine
                .delete_reaction(&actor, &id, &kind, user)
                .await?,
        )
        .await;
    message_and_reaction(&state, &ctx, &actor, &m, &r).await
}

/// The `{message, reaction}` reply of the reaction routes.
async fn message_and_reaction(
    state: &AppState,
    ctx: &Ctx,
    actor: &chat_core::engine::Actor,
    m: &chat_core::model::Message,
    r: &chat_core::model::Reaction,
) -> ApiResult {
    let viewer = actor.user_id();
    let mut out = Map::new();
    out.insert(
        "message".into(),
        present::message(state, &ctx.app.id, viewer, m, false).await?,
    );
    let reaction = present::reactions(state, &ctx.app.id, viewer, std::slice::from_ref(r)).await?;
    out.insert(
        "reaction".into(),
        reaction.into_iter().next().unwrap_or(Value::Null),
    );
    Ok(Reply(Value::Object(out)))
}

pub async fn list_reactions(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> ApiResult {
    let id = message_id(&id)?;
    let num = |k: &str| ctx.query.get(k).and_then(|v| v.parse::<usize>().ok());
    let actor = ctx.actor(&state, ctx.query_user_id()?.as_ref()).await?;
    let rs = state
        .engine
        .list_reactions(&actor, &id, num("limit"), num("offset").unwrap_or(0))
        .await?;
    Ok(Reply::with(
        "reactions",
        Value::Array(present::reactions(&state, &ctx.app.id, actor.user_id(), &rs).await?),
    ))
}
