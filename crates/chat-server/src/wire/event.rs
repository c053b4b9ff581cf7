//! Events (events.md, objects.md §14): type strings, the shared body of each event, the
//! per-recipient unread counters, and the connection frames.

use chat_core::engine::ChannelAccess;
use chat_core::fanout::{Event, EventKind};
use chat_core::ids::UserId;
use chat_core::read_state::UnreadSummary;
use chat_core::time::Timestamp;
use serde_json::{Map, Value};

use super::channel::{channel, channel_obj};
use super::json::Obj;
use super::member::member_obj;
use super::{message, reaction, user, Ctx};

/// Facts an event body needs that the event itself does not carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventExtra<'a> {
    /// Current watchers of the event's channel (`watcher_count` on channel-form events).
    pub watcher_count: Option<usize>,
    /// The event's channel. Notification forms and own-state channel events
    /// (`channel.hidden`/`visible`, `notification.mark_read`, `notification.invited`)
    /// encode it as `channel`; `channel.*` events carrying their own channel take only the
    /// type from it, for `config`. Encoded without `hidden`/`own_capabilities` semantics
    /// for any one viewer.
    pub channel: Option<&'a ChannelAccess>,
}

/// The wire type of an event. `notification` selects the `notification.*` form sent to
/// members who are not watching; kinds without one ignore it. Custom events return the
/// client's own type string.
pub fn event_type(kind: &EventKind, notification: bool) -> &str {
    match kind {
        EventKind::MessageNew { .. } if notification => "notification.message_new",
        EventKind::MessageNew { .. } => "message.new",
        EventKind::MessageUpdated { .. } => "message.updated",
        EventKind::MessageDeleted { .. } => "message.deleted",
        EventKind::ReactionNew { .. } => "reaction.new",
        EventKind::ReactionUpdated { .. } => "reaction.updated",
        EventKind::ReactionDeleted { .. } => "reaction.deleted",
        EventKind::MessageRead { .. } => "message.read",
        EventKind::NotificationMarkRead { .. } => "notification.mark_read",
        EventKind::NotificationMarkUnread { .. } => "notification.mark_unread",
        EventKind::TypingStart { .. } => "typing.start",
        EventKind::TypingStop { .. } => "typing.stop",
        EventKind::Custom { event_type, .. } => event_type,
        EventKind::ChannelCreated { .. } => "channel.created",
        EventKind::ChannelUpdated { .. } => "channel.updated",
        EventKind::ChannelDeleted { .. } if notification => "notification.channel_deleted",
        EventKind::ChannelDeleted { .. } => "channel.deleted",
        EventKind::ChannelTruncated { .. } if notification => "notification.channel_truncated",
        EventKind::ChannelTruncated { .. } => "channel.truncated",
        EventKind::ChannelHidden { .. } => "channel.hidden",
        EventKind::ChannelVisible { .. } => "channel.visible",
        EventKind::MemberAdded { .. } if notification => "notification.added_to_channel",
        EventKind::MemberAdded { .. } => "member.added",
        EventKind::MemberUpdated { .. } => "member.updated",
        EventKind::MemberRemoved { .. } if notification => "notification.removed_from_channel",
        EventKind::MemberRemoved { .. } => "member.removed",
        EventKind::NotificationInvited { .. } => "notification.invited",
        EventKind::NotificationInviteAccepted { .. } => "notification.invite_accepted",
        EventKind::NotificationInviteRejected { .. } => "notification.invite_rejected",
        EventKind::WatchingStart { .. } => "user.watching.start",
        EventKind::WatchingStop { .. } => "user.watching.stop",
        EventKind::PresenceChanged { .. } => "user.presence.changed",
        EventKind::UserUpdated { .. } => "user.updated",
    }
}

/// The user an event is about, when the actor is unknown or (member and own-state events)
/// the subject is what clients key on: `member.removed` removes `user.id` from the list.
fn subject(kind: &EventKind) -> Option<&UserId> {
    match kind {
        EventKind::MessageNew { message }
        | EventKind::MessageUpdated { message }
        | EventKind::MessageDeleted { message, .. } => Some(&message.user_id),
        EventKind::ReactionNew { reaction, .. }
        | EventKind::ReactionUpdated { reaction, .. }
        | EventKind::ReactionDeleted { reaction, .. } => Some(&reaction.user_id),
        EventKind::MessageRead { user, .. }
        | EventKind::NotificationMarkRead { user }
        | EventKind::NotificationMarkUnread { user, .. }
        | EventKind::TypingStart { user, .. }
        | EventKind::TypingStop { user, .. }
        | EventKind::Custom { user, .. }
        | EventKind::ChannelHidden { user, .. }
        | EventKind::ChannelVisible { user }
        | EventKind::WatchingStart { user }
        | EventKind::WatchingStop { user } => Some(user),
        EventKind::MemberAdded { member }
        | EventKind::MemberUpdated { member }
        | EventKind::MemberRemoved { member }
        | EventKind::NotificationInvited { member }
        | EventKind::NotificationInviteAccepted { member }
        | EventKind::NotificationInviteRejected { member } => Some(&member.user_id),
        EventKind::ChannelCreated { .. }
        | EventKind::ChannelUpdated { .. }
        | EventKind::ChannelDeleted { .. }
        | EventKind::ChannelTruncated { .. }
        | EventKind::PresenceChanged { .. }
        | EventKind::UserUpdated { .. } => None,
    }
}

/// Whether `user` is the subject rather than the actor (DESIGN, events.md §2 and §5): reads,
/// typing, watching, own-state and member events name the user they are about.
fn user_is_subject(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::MessageNew { .. }
            | EventKind::MessageUpdated { .. }
            | EventKind::MessageDeleted { .. }
            | EventKind::ChannelCreated { .. }
            | EventKind::ChannelUpdated { .. }
            | EventKind::ChannelDeleted { .. }
            | EventKind::ChannelTruncated { .. }
    )
}

/// The shared body of `e` for every recipient of one form: no per-recipient counters
/// (see [`add_unread`]), no viewer-specific fields, so it can be serialised once.
pub fn event(
    e: &Event,
    ctx: &Ctx<'_>,
    notification: bool,
    extra: &EventExtra<'_>,
) -> Map<String, Value> {
    // Core decides which kinds have a notification form; others ignore the flag.
    let notification = notification && e.kind.notification_target().is_some();
    let mut obj = Obj::new()
        .set("type", event_type(&e.kind, notification))
        .ts("created_at", e.created_at);
    if let Some(cid) = &e.cid {
        obj = obj
            .set("cid", cid.as_str())
            .set("channel_id", cid.id().as_str())
            .set("channel_type", cid.kind().as_str());
    }
    let who = if user_is_subject(&e.kind) {
        subject(&e.kind).or(e.actor.as_ref())
    } else {
        e.actor.as_ref().or(subject(&e.kind))
    };
    obj = obj.opt("user", who.map(|id| ctx.user_value(id)));
    // A channel for the body, from the access in `extra` (not per viewer: no capabilities,
    // and `hidden` only as the access's own member sees it).
    let access_channel = || extra.channel.map(|a| channel(a, ctx, None));
    let event_channel = |c: &chat_core::model::Channel| {
        channel_obj(c, extra.channel.map(|a| &*a.channel_type), None, ctx, None).build()
    };
    let created_by = extra.channel.and_then(|a| a.channel.created_by.as_ref());
    obj = match &e.kind {
        EventKind::MessageNew { message: m } | EventKind::MessageUpdated { message: m } => {
            let obj = obj.set("message", message(m, ctx, false));
            if notification {
                obj.opt("channel", access_channel())
            } else {
                obj
            }
        }
        EventKind::MessageDeleted { message: m, hard } => obj
            .set("message", message(m, ctx, false))
            .set("hard_delete", *hard),
        EventKind::ReactionNew {
            message: m,
            reaction: r,
        }
        | EventKind::ReactionUpdated {
            message: m,
            reaction: r,
        }
        | EventKind::ReactionDeleted {
            message: m,
            reaction: r,
        } => obj
            .set("message", message(m, ctx, false))
            .set("reaction", reaction(r, ctx)),
        EventKind::MessageRead {
            last_read_message_id,
            thread_id,
            ..
        } => obj
            .opt(
                "last_read_message_id",
                last_read_message_id.as_ref().map(|id| id.as_str()),
            )
            .opt("thread_id", thread_id.as_ref().map(|id| id.as_str())),
        EventKind::NotificationMarkRead { .. } => obj.opt("channel", access_channel()),
        EventKind::NotificationMarkUnread {
            first_unread_message_id,
            last_read_message_id,
            last_read_at,
            unread_messages,
            ..
        } => obj
            .set("first_unread_message_id", first_unread_message_id.as_str())
            .opt(
                "last_read_message_id",
                last_read_message_id.as_ref().map(|id| id.as_str()),
            )
            .ts("last_read_at", *last_read_at)
            .set("unread_messages", *unread_messages),
        EventKind::TypingStart { parent_id, .. } | EventKind::TypingStop { parent_id, .. } => {
            obj.opt("parent_id", parent_id.as_ref().map(|id| id.as_str()))
        }
        // Custom keys never override the envelope (`type`, `cid`, `user`, `created_at`).
        EventKind::Custom { data, .. } => obj.custom(data),
        EventKind::ChannelCreated { channel: c } | EventKind::ChannelDeleted { channel: c } => {
            obj.set("channel", event_channel(c))
        }
        EventKind::ChannelUpdated {
            channel: c,
            message: m,
        }
        | EventKind::ChannelTruncated {
            channel: c,
            message: m,
        } => obj
            .set("channel", event_channel(c))
            .opt("message", m.as_ref().map(|m| message(m, ctx, false))),
        EventKind::ChannelHidden { clear_history, .. } => obj
            .opt("channel", access_channel())
            .set("clear_history", *clear_history),
        EventKind::ChannelVisible { .. } => obj.opt("channel", access_channel()),
        EventKind::MemberAdded { member: m } | EventKind::MemberRemoved { member: m } => {
            let obj = obj.set("member", member_obj(m, created_by, ctx).build());
            if notification {
                obj.opt("channel", access_channel())
            } else {
                obj
            }
        }
        EventKind::MemberUpdated { member: m } => {
            obj.set("member", member_obj(m, created_by, ctx).build())
        }
        EventKind::NotificationInvited { member: m }
        | EventKind::NotificationInviteAccepted { member: m }
        | EventKind::NotificationInviteRejected { member: m } => obj
            .set("member", member_obj(m, created_by, ctx).build())
            .opt("channel", access_channel()),
        EventKind::WatchingStart { .. } | EventKind::WatchingStop { .. } => obj,
        EventKind::PresenceChanged { user: u, online } => {
            let mut v = user(u, ctx);
            if let Some(m) = v.as_object_mut() {
                m.insert("online".into(), Value::Bool(*online && !u.invisible));
            }
            obj.set("user", v)
        }
        EventKind::UserUpdated { user: u } => obj.set("user", user(u, ctx)),
    };
    // Watchers get the count; members reached through a notification are not watching.
    if e.cid.is_some() && !notification {
        obj = obj.opt("watcher_count", extra.watcher_count);
    }
    obj.into_map()
}

/// Adds one recipient's unread totals to an encoded event: `total_unread_count`,
/// `unread_channels`, `unread_threads`, and on `message.new` /
/// `notification.message_new` also `unread_count` (legacy alias of the total).
pub fn add_unread(map: &mut Map<String, Value>, summary: &UnreadSummary) {
    map.insert(
        "total_unread_count".into(),
        summary.total_unread_count.into(),
    );
    map.insert("unread_channels".into(), summary.unread_channels.into());
    map.insert("unread_threads".into(), summary.unread_threads.into());
    let is_new = matches!(
        map.get("type").and_then(Value::as_str),
        Some("message.new" | "notification.message_new")
    );
    if is_new {
        map.insert("unread_count".into(), summary.total_unread_count.into());
    }
}

/// `health.check`: the first frame of a connection (with `me`) and the periodic keepalive.
pub fn health_check(connection_id: &str, me: Option<Value>, now: Timestamp) -> Value {
    Obj::new()
        .set("type", "health.check")
        .set("connection_id", connection_id)
        .set("cid", "*")
        .opt("me", me)
        .ts("created_at", now)
        .build()
}

/// `connection.error`: sent before closing a socket whose connect failed; `err_body` is
/// the API error body (`{code, message, StatusCode, …}`).
pub fn connection_error(err_body: Value) -> Value {
    Obj::new()
        .set("type", "connection.error")
        .set("error", err_body)
        .build()
}
