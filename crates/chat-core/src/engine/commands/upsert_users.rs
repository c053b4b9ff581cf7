//! Upsert users: create or fully replace (custom data included) a batch of users.

use crate::custom::Custom;
use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine, Outcome, MAX_CUSTOM_BYTES, MAX_USERS_PER_CALL};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Role, UserId};
use crate::model::User;
use crate::permissions::Action;

/// Built-in user fields that cannot be custom keys.
pub(crate) const USER_RESERVED: &[&str] = &[
    "id",
    "role",
    "name",
    "image",
    "teams",
    "teams_role",
    "language",
    "banned",
    "ban_expires",
    "shadow_banned",
    "online",
    "invisible",
    "last_active",
    "created_at",
    "updated_at",
    "deactivated_at",
    "deleted_at",
    "revoke_tokens_issued_before",
    "privacy_settings",
    "total_unread_count",
    "unread_channels",
    "unread_count",
    "mutes",
    "channel_mutes",
    "devices",
];

/// One user to create or replace.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    /// Id.
    pub id: String,
    /// Role (defaults to `user` on create, kept on replace when absent).
    pub role: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Avatar.
    pub image: Option<String>,
    /// Teams.
    pub teams: Option<Vec<String>>,
    /// Language.
    pub language: Option<String>,
    /// Appear offline.
    pub invisible: Option<bool>,
    /// Custom fields (replace all).
    pub custom: Custom,
}

impl ChatEngine {
    /// Creates or replaces up to 100 users. The batch is validated first and fails as a
    /// whole on the first invalid user. Client-side, users may only upsert themselves and
    /// may not change their own role or teams.
    pub async fn upsert_users(
        &self,
        actor: &Actor,
        users: Vec<UserInput>,
    ) -> Result<Outcome<Vec<User>>> {
        if users.len() > MAX_USERS_PER_CALL {
            return Err(Error::invalid(
                "users",
                format!("at most {MAX_USERS_PER_CALL} users per call"),
            ));
        }
        let mut parsed = Vec::with_capacity(users.len());
        for input in users {
            let id = UserId::parse_field("users.id", &input.id)?;
            input
                .custom
                .validate("user", USER_RESERVED, MAX_CUSTOM_BYTES)?;
            let role = input.role.as_deref().map(Role::parse).transpose()?;
            if let Some(r) = &role {
                if r.is_channel_level() {
                    return Err(Error::invalid("role", "is a channel-level role"));
                }
            }
            let changes_role = role
                .as_ref()
                .is_some_and(|r| actor.user.as_ref().map(|u| &u.role) != Some(r));
            let changes_teams = input
                .teams
                .as_ref()
                .is_some_and(|t| actor.user.as_ref().map(|u| &u.teams) != Some(t));
            self.check_user_write(actor, &id, changes_role, changes_teams)?;
            parsed.push((id, role, input));
        }
        let app = &actor.app.id;
        let mut out = Vec::with_capacity(parsed.len());
        let mut events = Vec::new();
        for (id, role, input) in parsed {
            let user = retry_on_conflict(|| async {
                let now = self.clock.now();
                let existing = self
                    .store
                    .get_users(app, std::slice::from_ref(&id))
                    .await?
                    .into_iter()
                    .next();
                let creating = existing.is_none();
                let mut user = existing.unwrap_or_else(|| User::new(id.clone(), now));
                if let Some(r) = &role {
                    user.role = r.clone();
                }
                user.name = input.name.clone();
                user.image = input.image.clone();
                if let Some(t) = &input.teams {
                    user.teams = t.clone();
                }
                user.language = input.language.clone();
                if let Some(i) = input.invisible {
                    user.invisible = i;
                }
                user.custom = input.custom.clone();
                user.updated_at = now;
                if creating {
                    match self.store.insert_user(app, user).await {
                        Err(crate::StoreError::Duplicate { what, id }) => {
                            Err(Error::Store(crate::StoreError::VersionConflict {
                                what,
                                id,
                            }))
                        }
                        other => Ok((other?, true)),
                    }
                } else {
                    Ok((self.store.update_user(app, user).await?, false))
                }
            })
            .await?;
            let (user, created) = user;
            if !created {
                events.push(Event {
                    app: actor.app.id.clone(),
                    kind: EventKind::UserUpdated { user: user.clone() },
                    created_at: user.updated_at,
                    cid: None,
                    actor: actor.user_id().cloned(),
                    audience: Audience::Users(vec![user.id.clone()]),
                });
            }
            out.push(user);
        }
        Ok(Outcome { value: out, events })
    }

    /// Client-side user writes: only oneself, and role/teams need their own grants.
    pub(crate) fn check_user_write(
        &self,
        actor: &Actor,
        target: &UserId,
        role: bool,
        teams: bool,
    ) -> Result<()> {
        if actor.bypasses_permissions() {
            return Ok(());
        }
        let me = actor.require_user("user")?;
        if &me.id != target {
            return Err(Error::denied("users may only update themselves"));
        }
        let grants = actor
            .app
            .settings
            .grants
            .clone()
            .unwrap_or_else(crate::permissions::default_app_grants);
        let allowed = |action: Action| {
            crate::permissions::allows(
                &grants,
                &crate::permissions::Subject {
                    user_role: &me.role,
                    channel_role: None,
                    is_server: false,
                },
                action,
                &crate::permissions::Resource {
                    owned_by_subject: true,
                    same_team: true,
                },
                false,
            )
        };
        if role && !allowed(Action::UpdateUserRole) {
            return Err(Error::denied("users may not change their own role"));
        }
        if teams && !allowed(Action::UpdateUserTeams) {
            return Err(Error::denied("users may not change their own teams"));
        }
        Ok(())
    }
}
