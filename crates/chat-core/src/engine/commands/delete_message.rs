//! Delete a message, soft (kept, shown as deleted) or hard (gone).

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Event, EventKind};
use crate::ids::MessageId;
use crate::model::Message;
use crate::permissions::Action;
use crate::store::Deletion;

impl ChatEngine {
    /// Deletes a message (`DeleteMessage`; authors via the `-owner` grant). Deleting an
    /// already soft-deleted message softly is `NotFound`; hard-deleting it removes it.
    pub async fn delete_message(
        &self,
        actor: &Actor,
        id: &MessageId,
        hard: bool,
    ) -> Result<Outcome<Message>> {
        let app = &actor.app.id;
        let message = self
            .store
            .get_messages(app, std::slice::from_ref(id))
            .await?
            .into_iter()
            .next()
            .filter(|m| hard || m.deleted_at.is_none())
            .ok_or_else(|| Error::not_found("message", id))?;
        let access = self.channel_access(actor, &message.cid).await?;
        let owns = actor.user_id() == Some(&message.user_id);
        access.require(actor, Action::DeleteMessage, owns)?;
        let now = self.clock.now();
        let how = if hard {
            Deletion::Hard
        } else {
            Deletion::Soft(now)
        };
        let mut deleted = self.store.delete_message(app, id, how).await?;
        if hard && deleted.deleted_at.is_none() {
            deleted.deleted_at = Some(now);
        }
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::MessageDeleted {
                message: deleted.clone(),
                hard,
            },
            created_at: now,
            cid: Some(deleted.cid.clone()),
            actor: actor.user_id().cloned(),
            audience: super::update_message::message_audience(&deleted),
        };
        Ok(Outcome {
            value: deleted,
            events: vec![event],
        })
    }
}
