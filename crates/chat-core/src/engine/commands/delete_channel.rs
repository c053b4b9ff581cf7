//! Delete a channel.

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::Result;
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::Cid;
use crate::model::Channel;
use crate::permissions::Action;

impl ChatEngine {
    /// Deletes a channel with its messages and members (`DeleteChannel`). Watchers get
    /// `channel.deleted`; members not watching get the notification form. The returned
    /// channel carries `deleted_at`.
    pub async fn delete_channel(&self, actor: &Actor, cid: &Cid) -> Result<Outcome<Channel>> {
        let access = self.channel_access(actor, cid).await?;
        access.require(
            actor,
            Action::DeleteChannel,
            access.actor_owns_channel(actor),
        )?;
        let members = self.store.member_ids(&actor.app.id, cid).await?;
        let mut channel = self.store.delete_channel(&actor.app.id, cid).await?;
        let now = self.clock.now();
        channel.deleted_at = Some(now);
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelDeleted {
                channel: channel.clone(),
            },
            created_at: now,
            cid: Some(cid.clone()),
            actor: actor.user_id().cloned(),
            audience: Audience::ChannelWithMembers(members),
        };
        Ok(Outcome {
            value: channel,
            events: vec![event],
        })
    }
}
