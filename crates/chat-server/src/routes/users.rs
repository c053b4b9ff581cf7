//! Users: upsert, partial update, query, guests.

use std::sync::Arc;

use axum::extract::State;
use chat_core::engine::{Actor, UserInput};
use chat_core::ids::UserId;
use chat_core::model::User;
use chat_core::query::UserField;
use serde_json::{Map, Value};

use crate::auth;
use crate::error::ApiError;
use crate::http::{ApiResult, JsonBody, Reply};
use crate::present;
use crate::request::Ctx;
use crate::state::AppState;
use crate::wire;

async fn users_map(state: &AppState, ctx: &Ctx, users: &[User]) -> Result<Value, ApiError> {
    let viewer = ctx.user.as_ref().map(|u| &u.id);
    let encoded = present::users(state, &ctx.app.id, viewer, users).await?;
    let map: Map<String, Value> = users
        .iter()
        .zip(encoded)
        .map(|(u, v)| (u.id.to_string(), v))
        .collect();
    Ok(Value::Object(map))
}

pub async fn upsert(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let users = body
        .get("users")
        .ok_or_else(|| ApiError::missing_field("users"))?;
    let inputs = wire::user_inputs(users)?;
    let actor = ctx.actor(&state, None).await?;
    let out = state.engine.upsert_users(&actor, inputs).await?;
    let users = state.publish(out).await;
    Ok(Reply::with("users", users_map(&state, &ctx, &users).await?))
}

pub async fn partial_update(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let users = body
        .get("users")
        .ok_or_else(|| ApiError::missing_field("users"))?;
    let patches = wire::user_patches(users)?;
    let actor = ctx.actor(&state, None).await?;
    let out = state.engine.partial_update_users(&actor, patches).await?;
    let users = state.publish(out).await;
    Ok(Reply::with("users", users_map(&state, &ctx, &users).await?))
}

pub async fn query(State(state): State<Arc<AppState>>, ctx: Ctx) -> ApiResult {
    let payload = crate::routes::channels::payload(&ctx)?;
    let filter = wire::filter::<UserField>(payload.get("filter_conditions"))?;
    let sort = wire::sort::<UserField>(payload.get("sort"))?;
    let limit = payload
        .get("limit")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let offset = payload.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let include = payload
        .get("include_deactivated_users")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let actor = ctx.actor(&state, None).await?;
    let users = state
        .engine
        .query_users(&actor, filter, sort, limit, offset, include)
        .await?;
    let viewer = ctx.user.as_ref().map(|u| &u.id);
    Ok(Reply::with(
        "users",
        Value::Array(present::users(&state, &ctx.app.id, viewer, &users).await?),
    ))
}

/// `POST /guest`: creates a guest user and returns a token for it (auth.md §6).
pub async fn guest(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    if ctx.app.settings.disable_guest_users || ctx.app.settings.multi_tenant_enabled {
        return Err(ApiError::not_allowed("guest users are disabled for this app").into());
    }
    let user = body
        .get("user")
        .ok_or_else(|| ApiError::missing_field("user"))?;
    let id = user
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_field("user.id"))?;
    let id = UserId::parse(id)?;
    let server = Actor::server(ctx.app.clone());
    let existing = state
        .engine
        .store()
        .get_users(&ctx.app.id, std::slice::from_ref(&id))
        .await
        .map_err(chat_core::Error::from)?;
    if !existing.is_empty() {
        return Err(ApiError::input(format!("user {id} already exists")).into());
    }
    let mut one = Map::new();
    one.insert(id.to_string(), user.clone());
    let mut inputs: Vec<UserInput> = wire::user_inputs(&Value::Object(one))?;
    for input in &mut inputs {
        input.role = Some("guest".into());
    }
    let created = state
        .publish(state.engine.upsert_users(&server, inputs).await?)
        .await;
    let user = created
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("guest was not created"))?;
    let now = state.engine.clock().now().as_secs();
    let token = auth::user_token(&ctx.app.api_secret, user.id.as_str(), Some(now), None);
    let encoded = present::users(&state, &ctx.app.id, None, std::slice::from_ref(&user)).await?;
    let mut out = Map::new();
    out.insert(
        "user".into(),
        encoded.into_iter().next().unwrap_or(Value::Null),
    );
    out.insert("access_token".into(), Value::String(token));
    Ok(Reply(Value::Object(out)))
}
