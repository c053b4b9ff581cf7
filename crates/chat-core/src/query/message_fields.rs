//! Filterable and sortable fields of message search (query-language.md §3.4), and a
//! message seen as a [`FieldSource`] of them.
//!
//! Operator whitelists follow the spec's table; as for the other targets we are liberal
//! where it costs nothing (`$ne`/`$nin` next to `$eq`/`$in`, `$exists` on optional
//! fields). DESIGN choices where the spec is silent:
//! * `attachments` is the number of attachments, absent when there are none (so
//!   `{attachments: {$exists: true}}` means "has attachments" and `$gt` compares counts);
//! * `cid` filters by channel (`$eq`, `$in`) on top of `filter_conditions`;
//! * `relevance` (sort only) ranks messages whose text has fewer distinct tokens higher:
//!   with every query word required, a short message that matches is the better hit. It
//!   is the negated token count, so ties are common and broken by the next sort key.
//! * `text` takes `$q` and `$autocomplete` with the token semantics of [`super::text`]
//!   (not the word-prefix `$q` of user and member names), plus ordinary string
//!   comparisons.

use std::collections::BTreeSet;

use super::eval::{FieldSource, FieldValue};
use super::fields::{resolve, Field, FieldKind};
use super::Op;
use crate::model::Message;

/// A field of message search.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageField {
    /// `id`.
    Id,
    /// `text`.
    Text,
    /// `type` (`regular`, `reply`…; system and deleted messages are never searched).
    Type,
    /// `parent_id`: the thread parent of a reply.
    ParentId,
    /// `reply_count`: replies on a thread parent.
    ReplyCount,
    /// `attachments`: how many (absent when none).
    Attachments,
    /// `attachments.type`: the attachments' types.
    AttachmentTypes,
    /// `mentioned_users.id`.
    MentionedUserIds,
    /// `user.id` (also `user_id`): the author.
    UserId,
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `pinned`.
    Pinned,
    /// `cid` (DESIGN).
    Cid,
    /// `relevance` (sort only).
    Relevance,
    /// Custom data by (dotted) path.
    Custom(String),
}

/// Built-in message fields that cannot be searched on (never custom keys either).
const MESSAGE_UNSUPPORTED: &[&str] = &[
    "args",
    "before_message_send_failed",
    "channel",
    "command",
    "deleted_at",
    "deleted_reply_count",
    "html",
    "i18n",
    "latest_reactions",
    "member",
    "mentioned_users",
    "message_text_updated_at",
    "mml",
    "own_reactions",
    "pin_expires",
    "pinned_at",
    "pinned_by",
    "poll",
    "poll_id",
    "quoted_message",
    "quoted_message_id",
    "reaction_counts",
    "reaction_groups",
    "reaction_scores",
    "restricted_visibility",
    "shadowed",
    "show_in_channel",
    "silent",
    "thread_participants",
    "user",
];

/// Ordered values that are always present.
const ORDERED: &[&str] = &["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"];
/// Ordered values that may be absent.
const OPTIONAL_ORDERED: &[&str] = &[
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists",
];
/// `text`: full text plus ordinary comparisons.
const TEXT: &[&str] = &[
    "$q",
    "$autocomplete",
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
];
/// Custom data.
const CUSTOM: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$contains",
];

impl MessageField {
    fn builtin(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "text" => Self::Text,
            "type" => Self::Type,
            "parent_id" => Self::ParentId,
            "reply_count" => Self::ReplyCount,
            "attachments" => Self::Attachments,
            "attachments.type" => Self::AttachmentTypes,
            "mentioned_users.id" => Self::MentionedUserIds,
            "user.id" | "user_id" => Self::UserId,
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "pinned" => Self::Pinned,
            "cid" => Self::Cid,
            "relevance" => Self::Relevance,
            _ => return None,
        })
    }

    fn ops(&self) -> &'static [&'static str] {
        match self {
            Self::Id | Self::Type | Self::UserId | Self::CreatedAt | Self::UpdatedAt => ORDERED,
            Self::ReplyCount => ORDERED,
            Self::ParentId | Self::Attachments => OPTIONAL_ORDERED,
            Self::Text => TEXT,
            Self::AttachmentTypes => &["$eq", "$in", "$nin", "$contains"],
            Self::MentionedUserIds => &["$contains", "$eq", "$in"],
            Self::Pinned => &["$eq", "$ne"],
            Self::Cid => &["$eq", "$in"],
            Self::Relevance => &[],
            Self::Custom(_) => CUSTOM,
        }
    }
}

impl Field for MessageField {
    fn parse(name: &str) -> Option<Self> {
        // `user.<x>` other than `user.id` would otherwise become a custom path.
        if name.starts_with("user.") && name != "user.id" {
            return None;
        }
        resolve(name, Self::builtin, MESSAGE_UNSUPPORTED, Self::Custom)
    }

    fn kind(&self) -> FieldKind {
        match self {
            Self::Id | Self::Text | Self::Type | Self::ParentId | Self::UserId | Self::Cid => {
                FieldKind::Str
            }
            Self::ReplyCount | Self::Attachments | Self::Relevance => FieldKind::Int,
            Self::AttachmentTypes | Self::MentionedUserIds => FieldKind::StrList,
            Self::CreatedAt | Self::UpdatedAt => FieldKind::Time,
            Self::Pinned => FieldKind::Bool,
            Self::Custom(_) => FieldKind::Custom,
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Id => "id",
            Self::Text => "text",
            Self::Type => "type",
            Self::ParentId => "parent_id",
            Self::ReplyCount => "reply_count",
            Self::Attachments => "attachments",
            Self::AttachmentTypes => "attachments.type",
            Self::MentionedUserIds => "mentioned_users.id",
            Self::UserId => "user.id",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Pinned => "pinned",
            Self::Cid => "cid",
            Self::Relevance => "relevance",
            Self::Custom(path) => path,
        }
    }

    fn allows(&self, op: &Op) -> bool {
        self.ops().contains(&op.name())
    }

    fn sortable(&self) -> bool {
        !matches!(self, Self::AttachmentTypes | Self::MentionedUserIds)
    }
}

/// A message as search sees it: the message and the tokens of its text.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    /// The message.
    pub message: &'a Message,
    /// `super::text::tokens(&message.text)`.
    pub tokens: &'a BTreeSet<String>,
}

/// Counts are unsigned; saturate rather than wrap past `i64::MAX`.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl FieldSource<MessageField> for MessageView<'_> {
    fn get(&self, field: &MessageField) -> FieldValue<'_> {
        let m = self.message;
        match field {
            MessageField::Id => FieldValue::str(m.id.as_str()),
            MessageField::Text => FieldValue::str(&m.text),
            MessageField::Type => FieldValue::str(m.effective_type().as_str()),
            MessageField::ParentId => m
                .parent_id
                .as_ref()
                .map_or(FieldValue::Missing, |p| FieldValue::str(p.as_str())),
            MessageField::ReplyCount => FieldValue::Int(i64::from(m.thread.reply_count)),
            MessageField::Attachments => match m.attachments.len() {
                0 => FieldValue::Missing,
                n => FieldValue::Int(count(n)),
            },
            MessageField::AttachmentTypes => FieldValue::List(
                m.attachments
                    .iter()
                    .filter_map(|a| a.kind.as_deref().map(FieldValue::str))
                    .collect(),
            ),
            MessageField::MentionedUserIds => FieldValue::List(
                m.mentioned_users
                    .iter()
                    .map(|u| FieldValue::str(u.as_str()))
                    .collect(),
            ),
            MessageField::UserId => FieldValue::str(m.user_id.as_str()),
            MessageField::CreatedAt => FieldValue::Time(m.created_at),
            MessageField::UpdatedAt => FieldValue::Time(m.updated_at),
            MessageField::Pinned => FieldValue::Bool(m.pinned),
            MessageField::Cid => FieldValue::str(m.cid.as_str()),
            MessageField::Relevance => FieldValue::Int(-count(self.tokens.len())),
            MessageField::Custom(path) => FieldValue::from_opt_json(m.custom.get_path(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        assert_eq!(MessageField::parse("user_id"), Some(MessageField::UserId));
        assert_eq!(MessageField::parse("user.id"), Some(MessageField::UserId));
        assert_eq!(
            MessageField::parse("attachments.type"),
            Some(MessageField::AttachmentTypes)
        );
        assert_eq!(
            MessageField::parse("color"),
            Some(MessageField::Custom("color".into()))
        );
        assert_eq!(
            MessageField::parse("custom.text"),
            Some(MessageField::Custom("text".into()))
        );
        for refused in ["user.name", "html", "shadowed", "a..b", "$q"] {
            assert_eq!(MessageField::parse(refused), None, "{refused}");
        }
        assert!(MessageField::Text.allows(&Op::Q("x".into())));
        assert!(!MessageField::Id.allows(&Op::Q("x".into())));
        assert!(!MessageField::Relevance.allows(&Op::Exists(true)));
        assert!(MessageField::Relevance.sortable());
        assert!(!MessageField::MentionedUserIds.sortable());
    }
}
