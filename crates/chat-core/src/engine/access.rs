//! Loading the facts a channel command needs (channel, its type, the actor's membership)
//! and asking the pure permission check about them.

use std::borrow::Cow;
use std::sync::Arc;

use crate::engine::{Actor, ChatEngine};
use crate::error::{Error, Result};
use crate::ids::{Cid, UserId};
use crate::model::{Channel, ChannelConfig, ChannelType, Member};
use crate::permissions::{self, Action, Grants};

/// A channel as one actor sees it: the channel, its type, the effective config and grants,
/// and the actor's membership.
#[derive(Debug, Clone)]
pub struct ChannelAccess {
    /// The channel.
    pub channel: Channel,
    /// Its type, shared with the store (cloning an access clones a pointer).
    pub channel_type: Arc<ChannelType>,
    /// Type config with the channel's overrides.
    pub config: ChannelConfig,
    /// The actor's membership, if any.
    pub member: Option<Member>,
}

impl ChannelAccess {
    /// The effective grants: the type's with the channel's modifiers applied.
    pub fn grants(&self) -> Cow<'_, Grants> {
        self.channel_type
            .grants
            .with_modifiers(self.channel.config_overrides.grants.as_ref())
    }

    /// Whether `actor` may do `action` here; `owns` says whether the actor owns the
    /// resource the action touches (the channel's creator, a message's author…).
    pub fn allows(&self, actor: &Actor, action: Action, owns: bool) -> bool {
        if actor.bypasses_permissions() {
            return true;
        }
        let anonymous = crate::ids::Role::new_unchecked(crate::ids::roles::ANONYMOUS);
        let role = match &actor.user {
            Some(user) => user.role_for_team(self.channel.team.as_deref()),
            // Anonymous connections act with the `anonymous` role's grants.
            None => &anonymous,
        };
        let member = self.member.as_ref().filter(|m| m.is_joined());
        let subject = permissions::Subject {
            user_role: role,
            channel_role: member.map(|m| &m.channel_role),
            is_server: false,
        };
        let resource = permissions::Resource {
            owned_by_subject: owns,
            same_team: self.same_team(actor),
        };
        permissions::allows(&self.grants(), &subject, action, &resource, false)
    }

    /// Whether the channel is in one of the actor's teams (always, without multi-tenancy).
    fn same_team(&self, actor: &Actor) -> bool {
        match (&self.channel.team, &actor.user) {
            (Some(team), Some(user)) if actor.app.settings.multi_tenant_enabled => {
                user.teams.contains(team)
            }
            _ => true,
        }
    }

    /// The actor's `own_capabilities` in this channel.
    pub fn own_capabilities(&self, actor: &Actor) -> Vec<&'static str> {
        let anonymous = crate::ids::Role::new_unchecked(crate::ids::roles::ANONYMOUS);
        let role = match &actor.user {
            Some(user) => user.role_for_team(self.channel.team.as_deref()),
            None => &anonymous,
        };
        let member = self.member.as_ref().filter(|m| m.is_joined());
        let subject = permissions::Subject {
            user_role: role,
            channel_role: member.map(|m| &m.channel_role),
            is_server: actor.server,
        };
        let grants = self.grants();
        permissions::own_capabilities(&permissions::CapabilityContext {
            grants: &grants,
            subject,
            created_channel: self.actor_owns_channel(actor),
            same_team: self.same_team(actor),
            config: &self.config,
            frozen: self.channel.frozen,
            cooldown: self.channel.cooldown,
            disabled: self.channel.disabled,
            permissions_disabled: actor.app.settings.disable_permissions_checks,
        })
    }

    /// `allows` or a `PermissionDenied` naming the action.
    pub fn require(&self, actor: &Actor, action: Action, owns: bool) -> Result<()> {
        if self.allows(actor, action, owns) {
            Ok(())
        } else {
            Err(Error::denied(format!(
                "user is not allowed to perform action {} in channel {}",
                action.permission_id(),
                self.channel.cid
            )))
        }
    }

    /// Whether the actor created the channel (ownership for channel-scoped `-owner` grants).
    pub fn actor_owns_channel(&self, actor: &Actor) -> bool {
        actor.user_id().is_some() && self.channel.created_by.as_ref() == actor.user_id()
    }

    /// Reading the channel: `ReadChannel`, and disabled channels refuse clients.
    pub fn require_read(&self, actor: &Actor) -> Result<()> {
        if self.channel.disabled && !actor.server {
            return Err(Error::denied(format!(
                "channel {} is disabled",
                self.channel.cid
            )));
        }
        self.require(actor, Action::ReadChannel, self.actor_owns_channel(actor))
    }

    /// Writing into the channel (messages, reactions): frozen channels need
    /// `UseFrozenChannel`; banned users are refused.
    pub fn require_writable(&self, actor: &Actor, now: crate::time::Timestamp) -> Result<()> {
        if actor.server {
            return Ok(());
        }
        if self.channel.disabled {
            return Err(Error::denied(format!(
                "channel {} is disabled",
                self.channel.cid
            )));
        }
        if self.channel.frozen && !self.allows(actor, Action::UseFrozenChannel, false) {
            return Err(Error::denied(format!(
                "channel {} is frozen",
                self.channel.cid
            )));
        }
        if let Some(user) = &actor.user {
            if user.is_banned(now) || self.member.as_ref().is_some_and(|m| m.is_banned(now)) {
                return Err(Error::denied("user is banned"));
            }
        }
        Ok(())
    }
}

impl ChatEngine {
    /// Loads a channel with its type and the actor's membership; `NotFound` if missing.
    pub async fn channel_access(&self, actor: &Actor, cid: &Cid) -> Result<ChannelAccess> {
        let app = &actor.app.id;
        let channel = self
            .store
            .get_channels(app, std::slice::from_ref(cid))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("channel", cid))?;
        self.access_for(actor, channel).await
    }

    /// Completes a loaded channel into a `ChannelAccess` for `actor`.
    pub(crate) async fn access_for(
        &self,
        actor: &Actor,
        channel: Channel,
    ) -> Result<ChannelAccess> {
        let app = &actor.app.id;
        let channel_type = self
            .store
            .get_channel_type(app, channel.cid.kind())
            .await?
            .ok_or_else(|| Error::not_found("channel type", channel.cid.kind()))?;
        let member = match actor.user_id() {
            Some(user) => self.member_of(actor, &channel.cid, user).await?,
            None => None,
        };
        let config = channel.effective_config(&channel_type.config);
        Ok(ChannelAccess {
            channel,
            channel_type,
            config,
            member,
        })
    }

    pub(crate) async fn member_of(
        &self,
        actor: &Actor,
        cid: &Cid,
        user: &UserId,
    ) -> Result<Option<Member>> {
        Ok(self
            .store
            .get_members(&actor.app.id, cid, std::slice::from_ref(user))
            .await?
            .into_iter()
            .next())
    }
}
