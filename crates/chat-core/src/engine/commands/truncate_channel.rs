//! Truncate a channel: hide (or remove) every message so far.

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::Result;
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::Cid;
use crate::model::Channel;
use crate::permissions::Action;
use crate::store::Truncate;
use crate::time::Timestamp;

/// Truncate input.
#[derive(Debug, Clone)]
pub struct TruncateChannel {
    /// Channel.
    pub cid: Cid,
    /// Remove the messages instead of hiding them.
    pub hard: bool,
    /// Truncate up to this time (default now; not in the future).
    pub truncated_at: Option<Timestamp>,
}

impl ChatEngine {
    /// Truncates (`TruncateChannel`). Everyone's unread count in the channel becomes 0.
    pub async fn truncate_channel(
        &self,
        actor: &Actor,
        input: TruncateChannel,
    ) -> Result<Outcome<Channel>> {
        let access = self.channel_access(actor, &input.cid).await?;
        access.require(
            actor,
            Action::TruncateChannel,
            access.actor_owns_channel(actor),
        )?;
        let now = self.clock.now();
        let at = input.truncated_at.map_or(now, |t| t.min(now));
        let channel = self
            .store
            .truncate_channel(
                &actor.app.id,
                &input.cid,
                Truncate {
                    at,
                    by: actor.user_id().cloned(),
                    hard: input.hard,
                },
            )
            .await?;
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelTruncated {
                channel: channel.clone(),
                message: None,
            },
            created_at: now,
            cid: Some(input.cid.clone()),
            actor: actor.user_id().cloned(),
            audience: Audience::Channel,
        };
        Ok(Outcome {
            value: channel,
            events: vec![event],
        })
    }
}
