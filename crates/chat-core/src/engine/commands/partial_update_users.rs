//! Partial update of users: `set` (dotted paths allowed) and `unset` per user.

use serde_json::Value;

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine, Outcome, MAX_CUSTOM_BYTES, MAX_USERS_PER_CALL};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Role, UserId};
use crate::model::User;
use crate::time::Timestamp;

use super::upsert_users::USER_RESERVED;

/// One user's partial update.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// Id.
    pub id: String,
    /// Fields to set (`name`, `image`, `role`, `teams`, `language`, `invisible`,
    /// `revoke_tokens_issued_before`, or custom paths).
    pub set: serde_json::Map<String, Value>,
    /// Fields to remove.
    pub unset: Vec<String>,
}

fn string_or_null(field: &str, v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(Error::invalid(format!("set.{field}"), "must be a string")),
    }
}

fn apply_set(user: &mut User, key: &str, value: &Value) -> Result<()> {
    match key {
        "name" => user.name = string_or_null(key, value)?,
        "image" => user.image = string_or_null(key, value)?,
        "language" => user.language = string_or_null(key, value)?,
        "role" => {
            let role = Role::parse(
                value
                    .as_str()
                    .ok_or_else(|| Error::invalid("set.role", "must be a string"))?,
            )?;
            if role.is_channel_level() {
                return Err(Error::invalid("set.role", "is a channel-level role"));
            }
            user.role = role;
        }
        "teams" => {
            let teams = value
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|t| t.as_str().map(String::from))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| Error::invalid("set.teams", "must be an array of strings"))?;
            user.teams = teams;
        }
        "invisible" => {
            user.invisible = value
                .as_bool()
                .ok_or_else(|| Error::invalid("set.invisible", "must be a boolean"))?
        }
        "revoke_tokens_issued_before" => {
            user.revoke_tokens_issued_before = match value {
                Value::Null => None,
                Value::String(s) => Some(Timestamp::parse_rfc3339(s).ok_or_else(|| {
                    Error::invalid("set.revoke_tokens_issued_before", "must be an RFC3339 time")
                })?),
                _ => {
                    return Err(Error::invalid(
                        "set.revoke_tokens_issued_before",
                        "must be an RFC3339 time or null",
                    ))
                }
            }
        }
        "id" | "created_at" | "updated_at" | "last_active" | "online" | "deactivated_at"
        | "deleted_at" => return Err(Error::invalid(format!("set.{key}"), "cannot be changed")),
        _ => user.custom.set_path(key, value.clone())?,
    }
    Ok(())
}

fn apply_unset(user: &mut User, key: &str) -> Result<()> {
    match key {
        "name" => user.name = None,
        "image" => user.image = None,
        "language" => user.language = None,
        "teams" => user.teams.clear(),
        "revoke_tokens_issued_before" => user.revoke_tokens_issued_before = None,
        k if USER_RESERVED.contains(&k) => {
            return Err(Error::invalid(format!("unset.{k}"), "cannot be removed"))
        }
        _ => user.custom.unset_path(key),
    }
    Ok(())
}

impl ChatEngine {
    /// Applies `set` then `unset` to each user (≤100). A path may not be both set and
    /// unset. Unknown users are `NotFound`; the batch is validated before any write.
    pub async fn partial_update_users(
        &self,
        actor: &Actor,
        patches: Vec<UserPatch>,
    ) -> Result<Outcome<Vec<User>>> {
        if patches.len() > MAX_USERS_PER_CALL {
            return Err(Error::invalid(
                "users",
                format!("at most {MAX_USERS_PER_CALL} users per call"),
            ));
        }
        let mut parsed = Vec::with_capacity(patches.len());
        for patch in patches {
            let id = UserId::parse_field("users.id", &patch.id)?;
            if let Some(both) = patch
                .unset
                .iter()
                .find(|k| patch.set.contains_key(k.as_str()))
            {
                return Err(Error::invalid(
                    format!("unset.{both}"),
                    "cannot be set and unset in one update",
                ));
            }
            let changes_role = patch.set.contains_key("role");
            let changes_teams =
                patch.set.contains_key("teams") || patch.unset.iter().any(|k| k == "teams");
            self.check_user_write(actor, &id, changes_role, changes_teams)?;
            // Dry run on a blank user: a bad value anywhere in the batch fails it before
            // any user is written.
            let mut scratch = User::new(id.clone(), self.clock.now());
            for (k, v) in &patch.set {
                apply_set(&mut scratch, k, v)?;
            }
            for k in &patch.unset {
                apply_unset(&mut scratch, k)?;
            }
            parsed.push((id, patch));
        }
        let app = &actor.app.id;
        let mut out = Vec::new();
        let mut events = Vec::new();
        for (id, patch) in parsed {
            let user = retry_on_conflict(|| async {
                let mut user = self
                    .store
                    .get_users(app, std::slice::from_ref(&id))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::not_found("user", &id))?;
                for (k, v) in &patch.set {
                    apply_set(&mut user, k, v)?;
                }
                for k in &patch.unset {
                    apply_unset(&mut user, k)?;
                }
                user.custom
                    .validate("user", USER_RESERVED, MAX_CUSTOM_BYTES)?;
                user.updated_at = self.clock.now();
                Ok(self.store.update_user(app, user).await?)
            })
            .await?;
            events.push(Event {
                app: actor.app.id.clone(),
                kind: EventKind::UserUpdated { user: user.clone() },
                created_at: user.updated_at,
                cid: None,
                actor: actor.user_id().cloned(),
                audience: Audience::Users(vec![user.id.clone()]),
            });
            out.push(user);
        }
        Ok(Outcome { value: out, events })
    }
}
