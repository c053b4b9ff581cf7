//! Remove a reaction.

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Event, EventKind};
use crate::ids::{MessageId, UserId};
use crate::model::{Message, Reaction};
use crate::permissions::Action;

impl ChatEngine {
    /// Removes `user`'s reaction of `kind` (default: the actor's). Removing someone
    /// else's needs the plain `DeleteReaction` grant.
    pub async fn delete_reaction(
        &self,
        actor: &Actor,
        message_id: &MessageId,
        kind: &str,
        user: Option<UserId>,
    ) -> Result<Outcome<(Message, Reaction)>> {
        let user = match user {
            Some(u) => u,
            None => actor.require_user("user_id")?.id.clone(),
        };
        let app = &actor.app.id;
        let message = self
            .store
            .get_messages(app, std::slice::from_ref(message_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("message", message_id))?;
        let access = self.channel_access(actor, &message.cid).await?;
        let now = self.clock.now();
        access.require_writable(actor, now)?;
        access.require(
            actor,
            Action::DeleteReaction,
            actor.user_id() == Some(&user),
        )?;
        let (reaction, message) = self
            .store
            .delete_reaction(app, message_id, &user, kind)
            .await?;
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::ReactionDeleted {
                message: message.clone(),
                reaction: reaction.clone(),
            },
            created_at: now,
            cid: Some(message.cid.clone()),
            actor: actor.user_id().cloned(),
            audience: super::update_message::message_audience(&message),
        };
        Ok(Outcome {
            value: (message, reaction),
            events: vec![event],
        })
    }
}
