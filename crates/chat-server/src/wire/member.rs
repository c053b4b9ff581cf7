//! Member (objects.md §5) and read-state entries (§6).

use chat_core::ids::{roles, UserId};
use chat_core::model::{Channel, InviteState, Member};
use chat_core::read_state::ReadState;
use serde_json::Value;

use super::json::Obj;
use super::Ctx;

/// A member of `channel`. `role` is the legacy role clients still read: `owner` for the
/// channel's creator, `admin` for app admins, `moderator` for channel moderators, else
/// `member`. `pinned_at` / `archived_at` are omitted when unset (documented).
pub fn member(m: &Member, channel: &Channel, ctx: &Ctx<'_>) -> Value {
    member_obj(m, channel.created_by.as_ref(), ctx).build()
}

/// A member when the channel may not be at hand (events): without the creator, the legacy
/// role cannot be `owner`.
pub(crate) fn member_obj(m: &Member, created_by: Option<&UserId>, ctx: &Ctx<'_>) -> Obj {
    let status = match m.invite_state() {
        Some(InviteState::Pending) => "invited",
        _ => "member",
    };
    Obj::new()
        .set("user_id", m.user_id.as_str())
        .set("user", ctx.user_value(&m.user_id))
        .set("channel_role", m.channel_role.as_str())
        .set("role", legacy_role(m, created_by, ctx))
        .set("is_moderator", m.is_moderator())
        .set("status", status)
        .when(m.invite_state().is_some(), "invited", true)
        .opt_ts("invite_accepted_at", m.invite_accepted_at)
        .opt_ts("invite_rejected_at", m.invite_rejected_at)
        .set("banned", m.banned)
        .opt_ts("ban_expires", m.ban_expires.filter(|_| m.banned))
        .set("shadow_banned", m.shadow_banned)
        .set("notifications_muted", m.notifications_muted)
        .opt_ts("pinned_at", m.pinned_at)
        .opt_ts("archived_at", m.archived_at)
        .ts("created_at", m.created_at)
        .ts("updated_at", m.updated_at)
        .custom(&m.custom)
}

fn legacy_role(m: &Member, created_by: Option<&UserId>, ctx: &Ctx<'_>) -> &'static str {
    let is_admin = ctx
        .users
        .get(&m.user_id)
        .is_some_and(|u| u.role.as_str() == roles::ADMIN);
    if created_by == Some(&m.user_id) {
        "owner"
    } else if is_admin {
        "admin"
    } else if m.is_moderator() {
        "moderator"
    } else {
        "member"
    }
}

/// One read-state entry: `{user, last_read, unread_messages, last_read_message_id?}`.
pub fn read(r: &ReadState, unread: u64, ctx: &Ctx<'_>) -> Value {
    Obj::new()
        .set("user", ctx.user_value(&r.user_id))
        .ts("last_read", r.last_read_at)
        .set("unread_messages", unread)
        .opt(
            "last_read_message_id",
            r.last_read_message_id.as_ref().map(|id| id.as_str()),
        )
        .build()
}
