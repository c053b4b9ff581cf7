//! List a message's reactions.

use crate::engine::{check_offset, clamp_limit, Actor, ChatEngine, REACTIONS_LIMIT};
use crate::error::{Error, Result};
use crate::ids::MessageId;
use crate::model::Reaction;

impl ChatEngine {
    /// Reactions on a message, newest first (limit default 10, max 300; offset ≤1000).
    pub async fn list_reactions(
        &self,
        actor: &Actor,
        message_id: &MessageId,
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Vec<Reaction>> {
        let app = &actor.app.id;
        let message = self
            .store
            .get_messages(app, std::slice::from_ref(message_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("message", message_id))?;
        self.channel_access(actor, &message.cid)
            .await?
            .require_read(actor)?;
        Ok(self
            .store
            .list_reactions(
                app,
                message_id,
                clamp_limit(limit, REACTIONS_LIMIT),
                check_offset(offset)?,
            )
            .await?)
    }
}
