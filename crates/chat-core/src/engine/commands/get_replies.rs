//! A page of a thread's replies.

use crate::engine::{Actor, ChatEngine};
use crate::error::{Error, Result};
use crate::ids::MessageId;
use crate::model::Message;
use crate::query::MessagePage;

impl ChatEngine {
    /// Replies to `parent`, oldest first, windowed by `page` (limit clamped to 300).
    pub async fn get_replies(
        &self,
        actor: &Actor,
        parent: &MessageId,
        mut page: MessagePage,
    ) -> Result<Vec<Message>> {
        let app = &actor.app.id;
        let parent_msg = self
            .store
            .get_messages(app, std::slice::from_ref(parent))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("message", parent))?;
        let access = self.channel_access(actor, &parent_msg.cid).await?;
        access.require_read(actor)?;
        page.limit = page.limit.min(crate::engine::REPLIES_LIMIT.1);
        page.created_after = super::channel_state::visible_after(&access, page.created_after);
        let replies = self.store.thread_replies(app, parent, &page).await?;
        Ok(super::channel_state::visible_to(actor, replies))
    }
}
