//! Request decoders for channel data and members.

use chat_core::engine::{ChannelData, MemberInput};
use chat_core::ids::{Role, UserId};
use chat_core::Error;
use serde_json::Value;

use super::decode::{renamed, Fields};

/// Channel keys that are read into `ChannelData` / members / the creator, or that are
/// read-only or server-side only (config overrides go through partial update). `invites`,
/// `filter_tags` and auto-translation are not taken on create.
const CHANNEL_KNOWN: &[&str] = &[
    "team",
    "frozen",
    "disabled",
    "cooldown",
    "members",
    "created_by",
    "created_by_id",
    "id",
    "cid",
    "type",
    "config",
    "config_overrides",
    "member_count",
    "message_count",
    "created_at",
    "updated_at",
    "deleted_at",
    "last_message_at",
    "truncated_at",
    "truncated_by",
    "hidden",
    "muted",
    "blocked",
    "own_capabilities",
    "filter_tags",
    "invites",
    "auto_translation_enabled",
    "auto_translation_language",
    "push_preferences",
];

/// Decodes a channel request `data` object (get-or-create and full update): the channel
/// data (`name`, `image` and unknown keys are custom), the initial members (ids or member
/// objects), and the creator (`created_by.id` or `created_by_id`).
pub fn channel_request(
    data: &Value,
) -> Result<(ChannelData, Vec<MemberInput>, Option<UserId>), Error> {
    let f = Fields::of(data, "data")?;
    let members = match f.get("members") {
        Some(m) => member_inputs_at(m, &f.name("members"))?,
        None => Vec::new(),
    };
    let created_by = match f.user_id("created_by_id")? {
        Some(id) => Some(id),
        None => match f.get("created_by") {
            None => None,
            // Accept a bare id too: it is unambiguous.
            Some(Value::String(_)) => f.user_id("created_by")?,
            Some(u) => Fields::of(u, &f.name("created_by"))?.user_id("id")?,
        },
    };
    let channel = ChannelData {
        team: f.string("team")?,
        frozen: f.bool("frozen")?,
        disabled: f.bool("disabled")?,
        cooldown: f.u32("cooldown")?,
        custom: f.custom_except(CHANNEL_KNOWN)?,
    };
    Ok((channel, members, created_by))
}

/// Member keys that are read, or read-only (state the server keeps).
const MEMBER_KNOWN: &[&str] = &[
    "user_id",
    "user",
    "channel_role",
    "role",
    "is_moderator",
    "status",
    "invited",
    "invite_accepted_at",
    "invite_rejected_at",
    "banned",
    "ban_expires",
    "shadow_banned",
    "notifications_muted",
    "pinned_at",
    "archived_at",
    "created_at",
    "updated_at",
    "hidden",
    "cid",
];

/// Decodes a member list: user ids, or objects `{user_id (or user.id), channel_role?,
/// …custom}`. Errors name `members[i]`.
pub fn member_inputs(v: &Value) -> Result<Vec<MemberInput>, Error> {
    member_inputs_at(v, "members")
}

/// [`member_inputs`], naming the list `field` in errors (`add_members`, `data.members`).
pub fn member_inputs_at(v: &Value, field: &str) -> Result<Vec<MemberInput>, Error> {
    let items = v.as_array().ok_or_else(|| {
        Error::invalid(field.to_owned(), "must be an array of user ids or members")
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| member_input(item, &format!("{field}[{i}]")))
        .collect()
}

fn member_input(v: &Value, field: &str) -> Result<MemberInput, Error> {
    match v {
        Value::String(id) => {
            let user = UserId::parse(id).map_err(|e| renamed(e, field.to_owned()))?;
            Ok(MemberInput::new(user))
        }
        Value::Object(_) => {
            let f = Fields::of(v, field)?;
            let user_id = match f.acting_user()? {
                Some(id) => id,
                None => return Err(Error::invalid(f.name("user_id"), "is required")),
            };
            let channel_role = match f.non_empty_str("channel_role")? {
                Some(r) => Some(Role::parse(r).map_err(|e| renamed(e, f.name("channel_role")))?),
                None => None,
            };
            Ok(MemberInput {
                user_id,
                channel_role,
                custom: f.custom_except(MEMBER_KNOWN)?,
            })
        }
        _ => Err(Error::invalid(
            field.to_owned(),
            "must be a user id or a member object",
        )),
    }
}
