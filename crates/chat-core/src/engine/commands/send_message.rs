//! Send a message (or a thread reply).

use crate::custom::Custom;
use crate::engine::{
    Actor, ChannelAccess, ChatEngine, Outcome, MAX_ATTACHMENTS, MAX_CUSTOM_BYTES, MAX_MENTIONS,
};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, MessageId, UserId};
use crate::model::{Attachment, Message, MessageType};
use crate::permissions::Action;
use crate::store::InsertMessage;

/// Built-in message fields that cannot be custom keys.
pub(crate) const MESSAGE_RESERVED: &[&str] = &[
    "id",
    "cid",
    "type",
    "text",
    "html",
    "mml",
    "user",
    "user_id",
    "attachments",
    "mentioned_users",
    "parent_id",
    "show_in_channel",
    "thread_participants",
    "reply_count",
    "deleted_reply_count",
    "quoted_message_id",
    "quoted_message",
    "latest_reactions",
    "own_reactions",
    "reaction_counts",
    "reaction_scores",
    "reaction_groups",
    "silent",
    "shadowed",
    "pinned",
    "pinned_at",
    "pinned_by",
    "pin_expires",
    "restricted_visibility",
    "i18n",
    "command",
    "args",
    "poll_id",
    "poll",
    "created_at",
    "updated_at",
    "deleted_at",
    "message_text_updated_at",
    "deleted_for_me",
    "member",
];

/// Message content as a client sends it (send and full update).
#[derive(Debug, Clone, Default)]
pub struct MessageInput {
    /// Client-chosen id.
    pub id: Option<String>,
    /// Text.
    pub text: String,
    /// `system` to send a system message; other kinds are server-assigned.
    pub kind: Option<MessageType>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Mentioned user ids.
    pub mentioned_users: Vec<UserId>,
    /// Thread parent.
    pub parent_id: Option<MessageId>,
    /// Show a reply in the channel too.
    pub show_in_channel: bool,
    /// Quoted message.
    pub quoted_message_id: Option<MessageId>,
    /// Not counted as unread.
    pub silent: bool,
    /// Pin on send.
    pub pinned: bool,
    /// Server-side HTML.
    pub html: Option<String>,
    /// Custom fields.
    pub custom: Custom,
}

/// Send input.
#[derive(Debug, Clone)]
pub struct SendMessage {
    /// Channel.
    pub cid: Cid,
    /// Content.
    pub message: MessageInput,
    /// Leave members who hid the channel hidden.
    pub keep_channel_hidden: bool,
    /// No push notification.
    pub skip_push: bool,
}

impl MessageInput {
    /// Checks limits that do not depend on the channel beyond its config.
    pub(crate) fn validate(&self, access: &ChannelAccess) -> Result<()> {
        let len = self.text.chars().count();
        let max = access.config.max_message_length;
        if len > max as usize {
            return Err(Error::MessageTooLong { len, max });
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(Error::invalid(
                "message.attachments",
                format!("at most {MAX_ATTACHMENTS} attachments"),
            ));
        }
        if self.mentioned_users.len() > MAX_MENTIONS {
            return Err(Error::invalid(
                "message.mentioned_users",
                format!("at most {MAX_MENTIONS} users"),
            ));
        }
        self.custom
            .validate("message", MESSAGE_RESERVED, MAX_CUSTOM_BYTES)?;
        for a in &self.attachments {
            a.custom
                .validate("message.attachments", &[], MAX_CUSTOM_BYTES)?;
        }
        if matches!(self.kind, Some(k) if !matches!(k, MessageType::Regular | MessageType::System))
        {
            return Err(Error::invalid(
                "message.type",
                "only regular and system messages can be sent",
            ));
        }
        Ok(())
    }
}

impl ChatEngine {
    /// Sends a message. The reply comes only after the store committed it. A repeated
    /// client id never creates a second message: it fails with `AlreadyExists`.
    pub async fn send_message(
        &self,
        actor: &Actor,
        input: SendMessage,
    ) -> Result<Outcome<Message>> {
        let app = &actor.app.id;
        let author = actor.require_user("message.user_id")?.clone();
        let access = self.channel_access(actor, &input.cid).await?;
        let body = input.message;
        body.validate(&access)?;
        let id = match &body.id {
            Some(id) if !id.is_empty() => MessageId::parse(id)?,
            _ => MessageId::generate(),
        };
        let now = self.clock.now();
        access.require_writable(actor, now)?;
        let owns = access.actor_owns_channel(actor);
        access.require(actor, Action::CreateMessage, owns)?;
        if body.kind == Some(MessageType::System) {
            access.require(actor, Action::CreateSystemMessage, owns)?;
        }
        if !body.attachments.is_empty() {
            access.require(actor, Action::CreateAttachment, owns)?;
        }
        if !body.mentioned_users.is_empty() {
            access.require(actor, Action::CreateMention, owns)?;
        }
        if body.html.is_some() && !actor.server {
            return Err(Error::invalid(
                "message.html",
                "can only be set server-side",
            ));
        }
        if let Some(parent_id) = &body.parent_id {
            if !access.config.replies {
                return Err(Error::FeatureDisabled("replies"));
            }
            let parent = self
                .message_in(actor, &input.cid, parent_id, "message.parent_id")
                .await?;
            if parent.parent_id.is_some() {
                return Err(Error::NestedReply);
            }
        }
        if let Some(quoted) = &body.quoted_message_id {
            if !access.config.quotes {
                return Err(Error::FeatureDisabled("quotes"));
            }
            self.message_in(actor, &input.cid, quoted, "message.quoted_message_id")
                .await?;
        }
        let mut mentioned = body.mentioned_users.clone();
        mentioned.sort();
        mentioned.dedup();
        let existing = self.store.get_users(app, &mentioned).await?;
        mentioned.retain(|id| existing.iter().any(|u| &u.id == id));

        let mut message = Message::new(id, input.cid.clone(), author.id.clone(), now);
        message.kind = match (body.kind, &body.parent_id) {
            (Some(MessageType::System), _) => MessageType::System,
            (_, Some(_)) => MessageType::Reply,
            _ => MessageType::Regular,
        };
        message.text = body.text;
        message.html = body.html;
        message.attachments = body.attachments;
        message.mentioned_users = mentioned;
        message.parent_id = body.parent_id;
        message.show_in_channel = message.parent_id.is_some() && body.show_in_channel;
        message.quoted_message_id = body.quoted_message_id;
        message.silent = body.silent;
        message.shadowed =
            author.shadow_banned || access.member.as_ref().is_some_and(|m| m.shadow_banned);
        message.custom = body.custom;
        if body.pinned {
            access.require(actor, Action::PinMessage, true)?;
            message.pinned = true;
            message.pinned_at = Some(now);
            message.pinned_by = Some(author.id.clone());
        }
        let opts = InsertMessage {
            bump_last_message_at: !(message.kind == MessageType::System
                && access.config.skip_last_msg_update_for_system_msgs),
            keep_channel_hidden: input.keep_channel_hidden,
        };
        let inserted = self.store.insert_message(app, message, opts).await?;
        let message = inserted.message;
        let audience = super::update_message::message_audience(&message);
        let mut events = vec![Event {
            app: actor.app.id.clone(),
            kind: EventKind::MessageNew {
                message: message.clone(),
            },
            created_at: now,
            cid: Some(input.cid.clone()),
            actor: Some(author.id.clone()),
            audience,
        }];
        events.extend(inserted.unhidden.into_iter().map(|user| Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelVisible { user: user.clone() },
            created_at: now,
            cid: Some(input.cid.clone()),
            actor: Some(author.id.clone()),
            audience: Audience::Users(vec![user]),
        }));
        Ok(Outcome {
            value: message,
            events,
        })
    }

    /// A message that must be in `cid`; `NotFound` naming `field` otherwise.
    pub(crate) async fn message_in(
        &self,
        actor: &Actor,
        cid: &Cid,
        id: &MessageId,
        field: &'static str,
    ) -> Result<Message> {
        let found = self
            .store
            .get_messages(&actor.app.id, std::slice::from_ref(id))
            .await?
            .into_iter()
            .next();
        match found {
            Some(m) if &m.cid == cid && m.deleted_at.is_none() => Ok(m),
            _ => Err(Error::NotFound {
                what: field_what(field),
                id: id.to_string(),
            }),
        }
    }
}

fn field_what(field: &'static str) -> &'static str {
    match field {
        "message.parent_id" => "parent message",
        "message.quoted_message_id" => "quoted message",
        _ => "message",
    }
}
