//! Get one message.

use crate::engine::{Actor, ChatEngine};
use crate::error::{Error, Result};
use crate::ids::MessageId;
use crate::model::Message;

impl ChatEngine {
    /// A message the actor may read (`ReadChannel` on its channel); soft-deleted ones are
    /// returned with `deleted_at` set.
    pub async fn get_message(&self, actor: &Actor, id: &MessageId) -> Result<Message> {
        let message = self
            .store
            .get_messages(&actor.app.id, std::slice::from_ref(id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("message", id))?;
        let access = self.channel_access(actor, &message.cid).await?;
        access.require_read(actor)?;
        super::channel_state::visible_to(actor, vec![message])
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("message", id))
    }
}
