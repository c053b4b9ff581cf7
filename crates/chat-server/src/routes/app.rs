//! `GET /app`, `PATCH /app`.

use std::sync::Arc;

use axum::extract::State;
use chat_core::model::AppSettings;
use chat_core::time::Timestamp;
use chat_core::Error;
use serde_json::Value;

use crate::http::{ApiResult, JsonBody, Reply};
use crate::request::Ctx;
use crate::state::AppState;
use crate::wire;

pub async fn get_app(State(state): State<Arc<AppState>>, ctx: Ctx) -> ApiResult {
    let actor = ctx.actor(&state, None).await?;
    let types = state.engine.list_channel_types(&actor).await?;
    Ok(Reply::with("app", wire::app_settings(&ctx.app, &types)))
}

fn bool_of(key: &str, v: &Value) -> Result<bool, Error> {
    v.as_bool()
        .ok_or_else(|| Error::invalid(key.to_string(), "must be a boolean"))
}

fn apply(settings: &mut AppSettings, key: &str, v: &Value) -> Result<(), Error> {
    match key {
        "disable_auth_checks" => settings.disable_auth_checks = bool_of(key, v)?,
        "disable_permissions_checks" => settings.disable_permissions_checks = bool_of(key, v)?,
        "multi_tenant_enabled" => settings.multi_tenant_enabled = bool_of(key, v)?,
        "channel_hide_members_only" => settings.channel_hide_members_only = bool_of(key, v)?,
        "revoke_tokens_issued_before" => {
            settings.revoke_tokens_issued_before =
                match v {
                    Value::Null => None,
                    Value::String(s) => Some(Timestamp::parse_rfc3339(s).ok_or_else(|| {
                        Error::invalid(key.to_string(), "must be an RFC3339 time")
                    })?),
                    _ => {
                        return Err(Error::invalid(
                            key.to_string(),
                            "must be an RFC3339 time or null",
                        ))
                    }
                }
        }
        "grants" => {
            settings.grants = match v {
                Value::Null => None,
                other => Some(
                    serde_json::from_value(other.clone())
                        .map_err(|e| Error::invalid("grants", e.to_string()))?,
                ),
            }
        }
        "webhook_url" => settings.webhook_url = v.as_str().unwrap_or_default().to_string(),
        "before_message_send_hook_url" => {
            settings.before_message_send_hook_url = v.as_str().unwrap_or_default().to_string()
        }
        "custom_action_handler_url" => {
            settings.custom_action_handler_url = v.as_str().unwrap_or_default().to_string()
        }
        "webhook_events" => {
            settings.webhook_events = serde_json::from_value(v.clone())
                .map_err(|e| Error::invalid(key.to_string(), e.to_string()))?
        }
        "event_hooks" => {
            settings.event_hooks = serde_json::from_value(v.clone())
                .map_err(|e| Error::invalid(key.to_string(), e.to_string()))?
        }
        "user_search_disallowed_roles" => {
            settings.user_search_disallowed_roles = serde_json::from_value(v.clone())
                .map_err(|e| Error::invalid(key.to_string(), e.to_string()))?
        }
        "enforce_unique_usernames" => {
            settings.enforce_unique_usernames = v.as_str().unwrap_or("no").to_string()
        }
        _ => settings.extra.insert(key.to_string(), v.clone()),
    }
    Ok(())
}

pub async fn update_app(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let actor = ctx.actor(&state, None).await?;
    let fields = body.as_object().cloned().unwrap_or_default();
    let app = state
        .engine
        .update_app(&actor, |settings| {
            for (k, v) in &fields {
                apply(settings, k, v)?;
            }
            Ok(())
        })
        .await?;
    state.refresh_app(app);
    Ok(Reply::empty())
}
