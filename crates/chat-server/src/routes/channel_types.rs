//! Channel types (server-side).

use std::sync::Arc;

use axum::extract::{Path, State};
use chat_core::ids::ChannelTypeName;
use chat_core::model::ChannelConfig;
use chat_core::permissions::Grants;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::http::{ApiResult, JsonBody, Reply};
use crate::request::Ctx;
use crate::state::AppState;
use crate::wire;

/// Config keys a channel-type request may carry (others are read-only or unknown).
fn config_from(base: &ChannelConfig, body: &Value) -> Result<ChannelConfig, ApiError> {
    let mut current = serde_json::to_value(base).map_err(|e| ApiError::internal(e.to_string()))?;
    if let (Some(cur), Some(fields)) = (current.as_object_mut(), body.as_object()) {
        for (k, v) in fields {
            let key = if k == "read_receipts" {
                "delivery_events"
            } else if k == "location_sharing" {
                "shared_locations"
            } else {
                k.as_str()
            };
            if cur.contains_key(key) && !matches!(key, "commands") {
                cur.insert(key.to_string(), v.clone());
            }
        }
        if let Some(cmds) = fields.get("commands") {
            let names: Vec<String> = cmds
                .as_array()
                .ok_or_else(|| {
                    ApiError::invalid_field("commands", "must be a list of command names")
                })?
                .iter()
                .filter_map(|c| {
                    c.as_str()
                        .map(String::from)
                        .or_else(|| c.get("name").and_then(Value::as_str).map(String::from))
                })
                .collect();
            cur.insert("commands".into(), serde_json::json!(names));
        }
    }
    serde_json::from_value(current)
        .map_err(|e| ApiError::input(format!("invalid channel type config: {e}")))
}

fn grants_from(body: &Value) -> Result<Option<Grants>, ApiError> {
    match body.get("grants") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| ApiError::invalid_field("grants", &e.to_string())),
    }
}

pub async fn list(State(state): State<Arc<AppState>>, ctx: Ctx) -> ApiResult {
    let actor = ctx.actor(&state, None).await?;
    let types = state.engine.list_channel_types(&actor).await?;
    let map: Map<String, Value> = types
        .iter()
        .map(|t| (t.name.to_string(), wire::channel_type(t)))
        .collect();
    Ok(Reply::with("channel_types", Value::Object(map)))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    ctx: Ctx,
) -> ApiResult {
    let actor = ctx.actor(&state, None).await?;
    let t = state
        .engine
        .get_channel_type(&actor, &ChannelTypeName::parse(&name)?)
        .await?;
    Ok(Reply(wire::channel_type(&t)))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_field("name"))?;
    let name = ChannelTypeName::parse(name)?;
    let config = config_from(&ChannelConfig::default(), &body)?;
    let actor = ctx.actor(&state, None).await?;
    let t = state
        .engine
        .create_channel_type(&actor, name, config, grants_from(&body)?)
        .await?;
    Ok(Reply(wire::channel_type(&t)))
}

pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let name = ChannelTypeName::parse(&name)?;
    let actor = ctx.actor(&state, None).await?;
    let grants = body.get("grants").cloned();
    let reset_grants = matches!(grants, Some(Value::Null));
    let update: Option<std::collections::BTreeMap<String, Vec<String>>> = match &grants {
        Some(v) if !v.is_null() => Some(
            serde_json::from_value(v.clone())
                .map_err(|e| ApiError::invalid_field("grants", &e.to_string()))?,
        ),
        _ => None,
    };
    let t = state
        .engine
        .update_channel_type(&actor, &name, |t| {
            t.config = config_from(&t.config, &body)
                .map_err(|e| chat_core::Error::invalid("config", e.message.clone()))?;
            if reset_grants {
                t.grants = chat_core::permissions::default_grants(t.name.as_str());
            }
            if let Some(u) = &update {
                t.grants.merge_update(u);
            }
            Ok(())
        })
        .await?;
    Ok(Reply(wire::channel_type(&t)))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    ctx: Ctx,
) -> ApiResult {
    let actor = ctx.actor(&state, None).await?;
    state
        .engine
        .delete_channel_type(&actor, &ChannelTypeName::parse(&name)?)
        .await?;
    Ok(Reply::empty())
}
