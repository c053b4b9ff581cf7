//! Request decoders for messages, attachments, reactions and channel events.

use chat_core::engine::{ChannelEventInput, MessageInput, ReactionInput};
use chat_core::ids::UserId;
use chat_core::model::{Attachment, AttachmentAction, MessageType};
use chat_core::Error;
use serde_json::Value;

use super::decode::{renamed, Fields};

/// Message keys read into `MessageInput` (or the acting user).
const MESSAGE_INPUT: &[&str] = &[
    "id",
    "text",
    "type",
    "attachments",
    "mentioned_users",
    "parent_id",
    "show_in_channel",
    "quoted_message_id",
    "silent",
    "pinned",
    "html",
    "user",
    "user_id",
    "restricted_visibility",
    "poll_id",
];

/// Built-in message keys that are server-assigned or that we do not take on input. Clients
/// echo whole messages back on update, so these are ignored rather than refused (and never
/// become custom data).
const MESSAGE_IGNORED: &[&str] = &[
    "cid",
    "mml",
    "thread_participants",
    "reply_count",
    "deleted_reply_count",
    "quoted_message",
    "latest_reactions",
    "own_reactions",
    "reaction_counts",
    "reaction_scores",
    "reaction_groups",
    "shadowed",
    "pinned_at",
    "pinned_by",
    "pin_expires",
    "i18n",
    "command",
    "args",
    "poll",
    "created_at",
    "updated_at",
    "deleted_at",
    "message_text_updated_at",
    "deleted_for_me",
    "member",
    "status",
    "channel",
    "image_labels",
    "shared_location",
];

/// Attachment keys with a typed field.
const ATTACHMENT_FIELDS: &[&str] = &[
    "type",
    "fallback",
    "author_name",
    "title",
    "title_link",
    "text",
    "image_url",
    "thumb_url",
    "asset_url",
    "og_scrape_url",
    "mime_type",
    "file_size",
    "actions",
];

/// Decodes the `message` object of send / full update, and the acting user it names
/// (`message.user_id` or `message.user.id`, for server-side calls).
///
/// `type` may be `regular`, `system`, or `reply` (implied by `parent_id`, so ignored);
/// anything else is refused. Unknown keys and the keys of a nested `extra_data` object
/// become custom data; reserved names among them are refused later by core validation.
/// Features we do not implement are refused rather than silently dropped when they would
/// change who sees the message (`restricted_visibility`) or what it is (`poll_id`).
pub fn message_input(v: &Value) -> Result<(MessageInput, Option<UserId>), Error> {
    let f = Fields::of(v, "message")?;
    let kind = match f.str("type")? {
        None | Some("" | "reply") => None,
        Some("regular") => Some(MessageType::Regular),
        Some("system") => Some(MessageType::System),
        Some(_) => return Err(Error::invalid("message.type", "must be regular or system")),
    };
    if f.array("restricted_visibility")?
        .is_some_and(|a| !a.is_empty())
    {
        return Err(Error::invalid(
            "message.restricted_visibility",
            "is not supported",
        ));
    }
    if f.non_empty_str("poll_id")?.is_some() {
        return Err(Error::invalid("message.poll_id", "polls are not supported"));
    }
    let attachments = match f.array("attachments")? {
        None => Vec::new(),
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, a)| attachment_input(a, &format!("message.attachments[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let mentioned_users = match f.array("mentioned_users")? {
        None => Vec::new(),
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, u)| mentioned(u, &format!("message.mentioned_users[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let mut known = MESSAGE_INPUT.to_vec();
    known.extend_from_slice(MESSAGE_IGNORED);
    let input = MessageInput {
        id: f.non_empty_str("id")?.map(str::to_owned),
        text: f.string("text")?.unwrap_or_default(),
        kind,
        attachments,
        mentioned_users,
        parent_id: f.message_id("parent_id")?,
        show_in_channel: f.bool("show_in_channel")?.unwrap_or(false),
        quoted_message_id: f.message_id("quoted_message_id")?,
        silent: f.bool("silent")?.unwrap_or(false),
        pinned: f.bool("pinned")?.unwrap_or(false),
        html: f.string("html")?,
        custom: f.custom_except(&known)?,
    };
    Ok((input, f.acting_user()?))
}

/// A mentioned user: an id (requests) or a user object with an `id` (echoed messages).
fn mentioned(v: &Value, field: &str) -> Result<UserId, Error> {
    let id = match v {
        Value::String(s) => s.as_str(),
        Value::Object(_) => Fields::of(v, field)?.required_str("id")?,
        _ => return Err(Error::invalid(field.to_owned(), "must be a user id")),
    };
    UserId::parse(id).map_err(|e| renamed(e, field.to_owned()))
}

/// One attachment object; unknown keys become its custom data.
fn attachment_input(v: &Value, field: &str) -> Result<Attachment, Error> {
    let f = Fields::of(v, field)?;
    let actions = match f.array("actions")? {
        None => Vec::new(),
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let a = Fields::of(a, &format!("{field}.actions[{i}]"))?;
                Ok(AttachmentAction {
                    name: a.string("name")?.unwrap_or_default(),
                    text: a.string("text")?.unwrap_or_default(),
                    style: a.string("style")?.unwrap_or_default(),
                    kind: a.string("type")?.unwrap_or_default(),
                    value: a.string("value")?.unwrap_or_default(),
                })
            })
            .collect::<Result<_, Error>>()?,
    };
    // Some clients send the size as a numeric string.
    let file_size =
        match f.get("file_size") {
            Some(Value::String(s)) => Some(s.parse().map_err(|_| {
                Error::invalid(f.name("file_size"), "must be a non-negative integer")
            })?),
            _ => f.u64("file_size")?,
        };
    Ok(Attachment {
        kind: f.string("type")?,
        fallback: f.string("fallback")?,
        author_name: f.string("author_name")?,
        title: f.string("title")?,
        title_link: f.string("title_link")?,
        text: f.string("text")?,
        image_url: f.string("image_url")?,
        thumb_url: f.string("thumb_url")?,
        asset_url: f.string("asset_url")?,
        og_scrape_url: f.string("og_scrape_url")?,
        mime_type: f.string("mime_type")?,
        file_size,
        actions,
        custom: f.custom_except(ATTACHMENT_FIELDS)?,
    })
}

/// Reaction keys that are read, server-assigned, or request options.
const REACTION_KNOWN: &[&str] = &[
    "type",
    "score",
    "user",
    "user_id",
    "message_id",
    "created_at",
    "updated_at",
    "enforce_unique",
    "skip_push",
];

/// Decodes a send-reaction body `{reaction: {type, score?, user_id?, …custom},
/// enforce_unique?, user_id?}` into the input, `enforce_unique`, and the acting user
/// (`reaction.user_id`, `reaction.user.id`, or the body's `user_id` / `user.id`).
pub fn reaction_input(v: &Value) -> Result<(ReactionInput, bool, Option<UserId>), Error> {
    let body = Fields::of(v, "")?;
    let r = match body.get("reaction") {
        Some(r) => Fields::of(r, "reaction")?,
        None => return Err(Error::invalid("reaction", "is required")),
    };
    let input = ReactionInput {
        kind: r.required_str("type")?.to_owned(),
        score: r.u32("score")?,
        custom: r.custom_except(REACTION_KNOWN)?,
    };
    let user = match r.acting_user()? {
        Some(u) => Some(u),
        None => body.acting_user()?,
    };
    Ok((input, body.bool("enforce_unique")?.unwrap_or(false), user))
}

/// Envelope keys the server sets on every event; a client cannot supply them.
const EVENT_ENVELOPE: &[&str] = &[
    "type",
    "parent_id",
    "user",
    "user_id",
    "cid",
    "channel_id",
    "channel_type",
    "channel",
    "created_at",
    "watcher_count",
    "total_unread_count",
    "unread_channels",
    "unread_threads",
    "unread_count",
    "me",
    "connection_id",
    "received_at",
];

/// Decodes the `event` object of `POST /channels/{type}/{id}/event`: `type` (required),
/// `parent_id` (thread typing) and custom keys. Type rules (typing vs custom) are core's.
pub fn channel_event(v: &Value) -> Result<ChannelEventInput, Error> {
    let f = Fields::of(v, "event")?;
    Ok(ChannelEventInput {
        event_type: f.required_str("type")?.to_owned(),
        parent_id: f.message_id("parent_id")?,
        custom: f.custom_except(EVENT_ENVELOPE)?,
    })
}
