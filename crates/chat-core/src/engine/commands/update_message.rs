//! Full update of a message: content fields not sent are cleared.

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChannelAccess, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::MessageId;
use crate::model::Message;
use crate::permissions::Action;

use super::send_message::MessageInput;

impl ChatEngine {
    /// Replaces a message's text, attachments, mentions, quote and custom data
    /// (`UpdateMessage`; authors via the `-owner` grant).
    pub async fn update_message(
        &self,
        actor: &Actor,
        id: &MessageId,
        body: MessageInput,
    ) -> Result<Outcome<Message>> {
        self.modify_message(actor, id, |access, m| {
            body.validate(access)?;
            if body
                .parent_id
                .as_ref()
                .is_some_and(|p| Some(p) != m.parent_id.as_ref())
            {
                return Err(Error::invalid("message.parent_id", "cannot be changed"));
            }
            if body.html.is_some() && !actor.server {
                return Err(Error::invalid(
                    "message.html",
                    "can only be set server-side",
                ));
            }
            m.text = body.text.clone();
            m.html = body.html.clone();
            m.attachments = body.attachments.clone();
            m.mentioned_users = body.mentioned_users.clone();
            m.quoted_message_id = body.quoted_message_id.clone();
            m.silent = body.silent;
            m.custom = body.custom.clone();
            if m.parent_id.is_some() {
                m.show_in_channel = body.show_in_channel;
            }
            Ok(())
        })
        .await
    }

    /// Read-modify-write of a message with the update permission, text-edit time and a
    /// `message.updated` event.
    pub(crate) async fn modify_message(
        &self,
        actor: &Actor,
        id: &MessageId,
        change: impl Fn(&ChannelAccess, &mut Message) -> Result<()>,
    ) -> Result<Outcome<Message>> {
        let app = &actor.app.id;
        let message = retry_on_conflict(|| async {
            let before = self
                .store
                .get_messages(app, std::slice::from_ref(id))
                .await?
                .into_iter()
                .next()
                .filter(|m| m.deleted_at.is_none())
                .ok_or_else(|| Error::not_found("message", id))?;
            let access = self.channel_access(actor, &before.cid).await?;
            let now = self.clock.now();
            access.require_writable(actor, now)?;
            let owns = actor.user_id() == Some(&before.user_id);
            access.require(actor, Action::UpdateMessage, owns)?;
            let mut next = before.clone();
            change(&access, &mut next)?;
            if next.pinned != before.pinned || next.pin_expires != before.pin_expires {
                access.require(actor, Action::PinMessage, owns)?;
                if next.pinned && !before.pinned {
                    next.pinned_at = Some(now);
                    next.pinned_by = actor.user_id().cloned();
                } else if !next.pinned {
                    next.pinned_at = None;
                    next.pinned_by = None;
                    next.pin_expires = None;
                }
            }
            if next.text != before.text {
                next.message_text_updated_at = Some(now);
            }
            next.updated_at = now;
            Ok(self.store.update_message(app, next).await?)
        })
        .await?;
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::MessageUpdated {
                message: message.clone(),
            },
            created_at: message.updated_at,
            cid: Some(message.cid.clone()),
            actor: actor.user_id().cloned(),
            audience: message_audience(&message),
        };
        Ok(Outcome {
            value: message,
            events: vec![event],
        })
    }
}

/// Who sees events about a message: everyone, or only the author (shadowed) or the listed
/// users (restricted visibility).
pub(crate) fn message_audience(message: &Message) -> Audience {
    if message.shadowed {
        Audience::ChannelUsers(vec![message.user_id.clone()])
    } else if !message.restricted_visibility.is_empty() {
        let mut users = message.restricted_visibility.clone();
        users.push(message.user_id.clone());
        Audience::ChannelUsers(users)
    } else {
        Audience::Channel
    }
}
