//! Request decoders for users: upsert and partial update.

use chat_core::engine::{UserInput, UserPatch};
use chat_core::Error;
use serde_json::{Map, Value};

use super::decode::Fields;

/// User keys that are read into `UserInput`, or are read-only / managed elsewhere
/// (bans, deactivation, token revocation and privacy have their own endpoints or go
/// through partial update; counters and lists are computed).
const USER_KNOWN: &[&str] = &[
    "id",
    "role",
    "name",
    "image",
    "teams",
    "language",
    "invisible",
    "teams_role",
    "online",
    "last_active",
    "created_at",
    "updated_at",
    "banned",
    "ban_expires",
    "shadow_banned",
    "deactivated_at",
    "deleted_at",
    "revoke_tokens_issued_before",
    "privacy_settings",
    "push_preferences",
    "avg_response_time",
    "total_unread_count",
    "unread_channels",
    "unread_threads",
    "unread_count",
    "mutes",
    "channel_mutes",
    "devices",
    "blocked_user_ids",
    "roles",
];

/// Decodes the `users` map of `POST /users` (`{"<id>": User}`; an array of users is
/// accepted too). A user's `id`, when given, must match its key. Errors name
/// `users.<id>.<field>`.
pub fn user_inputs(v: &Value) -> Result<Vec<UserInput>, Error> {
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(key, u)| user_input(Some(key), u, &format!("users.{key}")))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, u)| user_input(None, u, &format!("users[{i}]")))
            .collect(),
        _ => Err(Error::invalid("users", "must be an object of users by id")),
    }
}

fn user_input(key: Option<&str>, v: &Value, field: &str) -> Result<UserInput, Error> {
    let f = Fields::of(v, field)?;
    let id = match (key, f.str("id")?) {
        (Some(k), Some(id)) if k != id => {
            return Err(Error::invalid(
                f.name("id"),
                "must match the key it is stored under",
            ))
        }
        (_, Some(id)) => id.to_owned(),
        (Some(k), None) => k.to_owned(),
        (None, None) => return Err(Error::invalid(f.name("id"), "is required")),
    };
    Ok(UserInput {
        id,
        role: f.string("role")?,
        name: f.string("name")?,
        image: f.string("image")?,
        teams: f.strings("teams")?,
        language: f.string("language")?,
        invisible: f.bool("invisible")?,
        custom: f.custom_except(USER_KNOWN)?,
    })
}

/// Decodes the `users` list of `PATCH /users`: `[{id, set?: {path: value}, unset?: [path]}]`.
/// Which paths may be set is core's business.
pub fn user_patches(v: &Value) -> Result<Vec<UserPatch>, Error> {
    let items = v
        .as_array()
        .ok_or_else(|| Error::invalid("users", "must be an array of {id, set, unset}"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let f = Fields::of(item, &format!("users[{i}]"))?;
            Ok(UserPatch {
                id: f.required_str("id")?.to_owned(),
                set: f.object("set")?.cloned().unwrap_or_else(Map::new),
                unset: f.strings("unset")?.unwrap_or_default(),
            })
        })
        .collect()
}
