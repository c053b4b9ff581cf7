//! Full update of a channel's data (custom data replaced; frozen, disabled, cooldown, team).

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChannelAccess, ChatEngine, Outcome};
use crate::error::Result;
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::Cid;
use crate::model::Channel;
use crate::permissions::Action;

use super::get_or_create_channel::ChannelData;

/// Full-update input.
#[derive(Debug, Clone)]
pub struct UpdateChannel {
    /// Channel.
    pub cid: Cid,
    /// New data; custom keys not sent are removed.
    pub data: ChannelData,
}

impl ChannelAccess {
    /// Checks the grants a change from `self.channel` to `next` needs.
    pub(crate) fn require_update(&self, actor: &Actor, next: &Channel) -> Result<()> {
        let owns = self.actor_owns_channel(actor);
        let before = &self.channel;
        if before.frozen != next.frozen {
            self.require(actor, Action::UpdateChannelFrozen, owns)?;
        }
        if before.cooldown != next.cooldown {
            self.require(actor, Action::UpdateChannelCooldown, owns)?;
        }
        let other_change = before.custom != next.custom
            || before.team != next.team
            || before.disabled != next.disabled
            || before.config_overrides != next.config_overrides;
        if other_change {
            self.require(actor, Action::UpdateChannel, owns)?;
        }
        if (before.team != next.team || before.config_overrides != next.config_overrides)
            && !actor.server
        {
            return Err(crate::Error::denied(
                "team and config_overrides can only be changed server-side",
            ));
        }
        Ok(())
    }
}

impl ChatEngine {
    /// Replaces the channel's data. Freezing needs `UpdateChannelFrozen`, slow mode
    /// `UpdateChannelCooldown`, anything else `UpdateChannel`.
    pub async fn update_channel(
        &self,
        actor: &Actor,
        input: UpdateChannel,
    ) -> Result<Outcome<Channel>> {
        input.data.validate()?;
        self.modify_channel(actor, &input.cid, |channel| {
            input.data.apply(channel);
            Ok(())
        })
        .await
    }

    /// Read-modify-write of a channel with permission checks and a `channel.updated` event.
    pub(crate) async fn modify_channel(
        &self,
        actor: &Actor,
        cid: &Cid,
        change: impl Fn(&mut Channel) -> Result<()>,
    ) -> Result<Outcome<Channel>> {
        let channel = retry_on_conflict(|| async {
            let access = self.channel_access(actor, cid).await?;
            let mut next = access.channel.clone();
            change(&mut next)?;
            access.require_update(actor, &next)?;
            next.updated_at = self.clock.now();
            Ok(self.store.update_channel(&actor.app.id, next).await?)
        })
        .await?;
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelUpdated {
                channel: channel.clone(),
                message: None,
            },
            created_at: channel.updated_at,
            cid: Some(cid.clone()),
            actor: actor.user_id().cloned(),
            audience: Audience::Channel,
        };
        Ok(Outcome {
            value: channel,
            events: vec![event],
        })
    }

    /// Freezes or unfreezes a channel (`UpdateChannelFrozen`).
    pub async fn freeze_channel(
        &self,
        actor: &Actor,
        cid: &Cid,
        frozen: bool,
    ) -> Result<Outcome<Channel>> {
        self.modify_channel(actor, cid, |c| {
            c.frozen = frozen;
            Ok(())
        })
        .await
    }
}
