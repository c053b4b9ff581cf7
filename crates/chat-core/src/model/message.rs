use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::{Cid, MessageId, UserId};
use crate::model::Reaction;
use crate::time::Timestamp;

/// How many recent reactions a message carries (`latest_reactions`).
pub const LATEST_REACTIONS: usize = 10;

/// Message kinds. `Deleted` is derived from `deleted_at`, never stored as the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    /// Normal message.
    #[default]
    Regular,
    /// Thread reply (implied by `parent_id`).
    Reply,
    /// System message.
    System,
    /// Shown only to the sender, never stored.
    Ephemeral,
    /// Error shown only to the sender, never stored.
    Error,
    /// Soft-deleted.
    Deleted,
}

impl MessageType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Reply => "reply",
            Self::System => "system",
            Self::Ephemeral => "ephemeral",
            Self::Error => "error",
            Self::Deleted => "deleted",
        }
    }
}

/// A stored message. `thread` and `reactions` are maintained by the store's atomic writes;
/// the rest is content, replaced by `update_message` under optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Id (client-chosen or ULID).
    pub id: MessageId,
    /// Channel.
    pub cid: Cid,
    /// Author.
    pub user_id: UserId,
    /// Kind as sent (`regular`, `reply`, `system`).
    pub kind: MessageType,
    /// Markdown text.
    pub text: String,
    /// Server-side rendered/settable HTML.
    pub html: Option<String>,
    /// Server-side markup.
    pub mml: Option<String>,
    /// Attachments (≤30).
    pub attachments: Vec<Attachment>,
    /// Mentioned users (≤25).
    pub mentioned_users: Vec<UserId>,
    /// Thread parent.
    pub parent_id: Option<MessageId>,
    /// A reply also shown in the channel.
    pub show_in_channel: bool,
    /// Quoted (inline-replied) message.
    pub quoted_message_id: Option<MessageId>,
    /// Does not count as unread.
    pub silent: bool,
    /// Author shadow-banned: visible only to the author.
    pub shadowed: bool,
    /// Pinned.
    pub pinned: bool,
    /// When pinned.
    pub pinned_at: Option<Timestamp>,
    /// Who pinned.
    pub pinned_by: Option<UserId>,
    /// When the pin lapses.
    pub pin_expires: Option<Timestamp>,
    /// Only these users may see it (empty = everyone).
    pub restricted_visibility: Vec<UserId>,
    /// Slash command name.
    pub command: Option<String>,
    /// Slash command arguments.
    pub args: Option<String>,
    /// Attached poll.
    pub poll_id: Option<String>,
    /// Translations.
    pub i18n: Option<Custom>,
    /// Extra fields.
    pub custom: Custom,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Set when deleted.
    pub deleted_at: Option<Timestamp>,
    /// Last text edit.
    pub message_text_updated_at: Option<Timestamp>,
    /// Position in the channel's read-state sequence (the channel's `last_seq` right after
    /// this message was stored; counted messages raise it by one).
    pub seq: u64,
    /// Whether this message raised the channel sequence (counts as unread for others).
    pub counted: bool,
    /// Thread facts (on parents).
    pub thread: ThreadSummary,
    /// Reaction aggregates.
    pub reactions: ReactionSummary,
    /// Optimistic-concurrency version of the content fields.
    pub version: u64,
}

/// Thread facts kept exact on the parent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ThreadSummary {
    /// Replies sent (deleted ones included, as Stream counts them).
    pub reply_count: u32,
    /// Replies since deleted.
    pub deleted_reply_count: u32,
    /// Users who replied, in order of their first reply.
    pub participants: Vec<UserId>,
    /// Newest reply.
    pub last_reply_at: Option<Timestamp>,
}

/// Reaction aggregates kept exact on the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ReactionSummary {
    /// Per reaction type.
    pub groups: BTreeMap<String, ReactionGroup>,
    /// The newest reactions, newest first (≤ `LATEST_REACTIONS`).
    pub latest: Vec<Reaction>,
}

/// Aggregate of one reaction type on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionGroup {
    /// Reactions.
    pub count: u32,
    /// Sum of their scores.
    pub sum_scores: u64,
    /// Oldest.
    pub first_reaction_at: Timestamp,
    /// Newest.
    pub last_reaction_at: Timestamp,
}

/// An attachment (api-spec/objects.md §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Attachment {
    /// `image`, `video`, `audio`, `file`, `text`, `giphy`, or custom.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Text fallback.
    pub fallback: Option<String>,
    /// Author name.
    pub author_name: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Title link.
    pub title_link: Option<String>,
    /// Text.
    pub text: Option<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Thumbnail URL.
    pub thumb_url: Option<String>,
    /// Asset URL.
    pub asset_url: Option<String>,
    /// URL that was scraped.
    pub og_scrape_url: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub file_size: Option<u64>,
    /// Interactive buttons.
    pub actions: Vec<AttachmentAction>,
    /// Extra fields.
    pub custom: Custom,
}

/// An attachment button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AttachmentAction {
    /// Name sent back in `form_data`.
    pub name: String,
    /// Label.
    pub text: String,
    /// Style hint.
    pub style: String,
    /// Kind (`button`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Value sent back.
    pub value: String,
}

impl Message {
    /// A new regular message with empty aggregates.
    pub fn new(id: MessageId, cid: Cid, user_id: UserId, now: Timestamp) -> Self {
        Self {
            id,
            cid,
            user_id,
            kind: MessageType::Regular,
            text: String::new(),
            html: None,
            mml: None,
            attachments: Vec::new(),
            mentioned_users: Vec::new(),
            parent_id: None,
            show_in_channel: false,
            quoted_message_id: None,
            silent: false,
            shadowed: false,
            pinned: false,
            pinned_at: None,
            pinned_by: None,
            pin_expires: None,
            restricted_visibility: Vec::new(),
            command: None,
            args: None,
            poll_id: None,
            i18n: None,
            custom: Custom::new(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            message_text_updated_at: None,
            seq: 0,
            counted: false,
            thread: ThreadSummary::default(),
            reactions: ReactionSummary::default(),
            version: 0,
        }
    }

    /// The type clients see: `deleted` once deleted, else the stored kind.
    pub fn effective_type(&self) -> MessageType {
        if self.deleted_at.is_some() {
            MessageType::Deleted
        } else {
            self.kind
        }
    }

    /// Shown in the channel's message list (not a thread-only reply).
    pub fn in_channel_list(&self) -> bool {
        self.parent_id.is_none() || self.show_in_channel
    }

    /// Whether it counts toward other members' unread counts when sent.
    pub fn counts_as_unread(&self) -> bool {
        self.in_channel_list()
            && !self.silent
            && !self.shadowed
            && matches!(
                self.kind,
                MessageType::Regular | MessageType::Reply | MessageType::System
            )
    }

    /// The sort key of channel and thread pagination: creation time, then id.
    pub fn order_key(&self) -> (Timestamp, &str) {
        (self.created_at, self.id.as_str())
    }
}
