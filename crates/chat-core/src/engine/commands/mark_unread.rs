//! Mark a channel unread from a message on.

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, MessageId};
use crate::read_state::{unread_count, ReadState};

impl ChatEngine {
    /// Moves the actor's cursor to just before `message_id`, so it and every later
    /// message of others count as unread. Needs membership and `read_events`.
    pub async fn mark_unread(
        &self,
        actor: &Actor,
        cid: &Cid,
        message_id: &MessageId,
    ) -> Result<Outcome<(ReadState, u64)>> {
        let user = actor.require_user("user_id")?.id.clone();
        let access = self.channel_access(actor, cid).await?;
        if !access.config.read_events {
            return Err(Error::FeatureDisabled("read_events"));
        }
        if access.member.is_none() {
            return Err(Error::denied(format!(
                "user {user} is not a member of {cid}"
            )));
        }
        self.message_in(actor, cid, message_id, "message_id")
            .await?;
        let now = self.clock.now();
        let read = self
            .store
            .mark_unread(&actor.app.id, cid, &user, message_id, now)
            .await?;
        let channel = self.channel_access(actor, cid).await?.channel;
        let unread = unread_count(&channel.counters, &read);
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::NotificationMarkUnread {
                user: user.clone(),
                first_unread_message_id: message_id.clone(),
                last_read_message_id: read.last_read_message_id.clone(),
                last_read_at: read.last_read_at,
                unread_messages: unread,
            },
            created_at: now,
            cid: Some(cid.clone()),
            actor: Some(user.clone()),
            audience: Audience::Users(vec![user]),
        };
        Ok(Outcome {
            value: (read, unread),
            events: vec![event],
        })
    }
}
