//! Mark a channel (or a thread) read.

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, MessageId};
use crate::read_state::ReadState;
use crate::store::ReadUpTo;

impl ChatEngine {
    /// Marks the channel read up to `message_id` (default: everything), or the thread
    /// `thread_id`. Needs membership and `read_events`. Watchers get `message.read`
    /// (unless the reader hides read receipts); the reader's connections get
    /// `notification.mark_read`.
    pub async fn mark_read(
        &self,
        actor: &Actor,
        cid: &Cid,
        message_id: Option<MessageId>,
        thread_id: Option<MessageId>,
    ) -> Result<Outcome<ReadState>> {
        let user = actor.require_user("user_id")?.clone();
        let access = self.channel_access(actor, cid).await?;
        if !access.config.read_events {
            return Err(Error::FeatureDisabled("read_events"));
        }
        if access.member.is_none() {
            return Err(Error::denied(format!(
                "user {} is not a member of {cid}",
                user.id
            )));
        }
        let app = &actor.app.id;
        let now = self.clock.now();
        if let Some(thread) = &thread_id {
            self.message_in(actor, cid, thread, "thread_id").await?;
            self.store
                .mark_thread_read(app, &user.id, thread, now)
                .await?;
        }
        let read = if thread_id.is_some() {
            // The reader's own cursors (one per channel of theirs), not every member's.
            self.store
                .user_reads(app, &user.id)
                .await?
                .into_iter()
                .map(|(read, _)| read)
                .find(|r| &r.cid == cid)
                .ok_or_else(|| Error::not_found("read state", &user.id))?
        } else {
            let up_to = message_id.map_or(ReadUpTo::Latest, ReadUpTo::Message);
            self.store.mark_read(app, cid, &user.id, up_to, now).await?
        };
        let mut events = Vec::with_capacity(2);
        if user.privacy.read_receipts {
            events.push(Event {
                app: actor.app.id.clone(),
                kind: EventKind::MessageRead {
                    user: user.id.clone(),
                    last_read_message_id: read.last_read_message_id.clone(),
                    thread_id: thread_id.clone(),
                },
                created_at: now,
                cid: Some(cid.clone()),
                actor: Some(user.id.clone()),
                audience: Audience::Channel,
            });
        }
        events.push(Event {
            app: actor.app.id.clone(),
            kind: EventKind::NotificationMarkRead {
                user: user.id.clone(),
            },
            created_at: now,
            cid: Some(cid.clone()),
            actor: Some(user.id.clone()),
            audience: Audience::Users(vec![user.id]),
        });
        Ok(Outcome {
            value: read,
            events,
        })
    }
}
