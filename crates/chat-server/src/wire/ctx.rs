//! The encoding context: everything an encoder may look up besides the value it encodes,
//! and the functions that tell a caller exactly which ids to preload for it.

use std::collections::HashMap;

use chat_core::engine::{ChannelAccess, ChannelState};
use chat_core::fanout::{Event, EventKind};
use chat_core::ids::{MessageId, UserId};
use chat_core::model::{Message, Reaction, User};
use serde_json::{json, Value};

/// Lookups for encoding one response or one event.
///
/// Encoders never load anything: users they cannot find encode as `{"id": …}` only, quoted
/// messages they cannot find are left out, and missing own reactions encode as `[]`.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// Users referenced by the values being encoded (authors, members, mentions…).
    pub users: &'a HashMap<UserId, User>,
    /// Quoted messages (`quoted_message`), by id.
    pub messages: &'a HashMap<MessageId, Message>,
    /// The viewer's own reactions, by message (`own_reactions`).
    pub own_reactions: &'a HashMap<MessageId, Vec<Reaction>>,
    /// Presence: whether a user has a connection (invisible users are shown offline anyway).
    pub online: &'a dyn Fn(&UserId) -> bool,
    /// Who the response is for (`hidden`, `own_reactions`); `None` for shared event bodies.
    pub viewer: Option<&'a UserId>,
}

impl Ctx<'_> {
    /// The user object for `id`: full when loaded, `{"id": …}` otherwise.
    pub(crate) fn user_value(&self, id: &UserId) -> Value {
        match self.users.get(id) {
            Some(u) => super::user(u, self),
            None => json!({ "id": id.as_str() }),
        }
    }

    /// User objects for `ids`, in order.
    pub(crate) fn user_values<'u>(&self, ids: impl IntoIterator<Item = &'u UserId>) -> Value {
        Value::Array(ids.into_iter().map(|id| self.user_value(id)).collect())
    }
}

/// Users that encoding `msgs` refers to: authors, mentioned users, `pinned_by`, thread
/// participants and the authors of latest reactions. (Quoted messages are separate: load
/// them with [`quoted_ids`], then ask again for their users.)
pub fn user_ids_for_messages(msgs: &[Message]) -> Vec<UserId> {
    let mut ids = Vec::new();
    for m in msgs {
        ids.push(m.user_id.clone());
        ids.extend(m.mentioned_users.iter().cloned());
        ids.extend(m.pinned_by.iter().cloned());
        ids.extend(m.thread.participants.iter().cloned());
        ids.extend(m.reactions.latest.iter().map(|r| r.user_id.clone()));
    }
    dedup(ids)
}

/// Ids of the messages quoted by `msgs` (for `quoted_message`).
pub fn quoted_ids(msgs: &[Message]) -> Vec<MessageId> {
    let mut ids: Vec<MessageId> = msgs
        .iter()
        .filter_map(|m| m.quoted_message_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Users that encoding a channel refers to (`created_by`, `truncated_by`).
pub fn user_ids_for_access(access: &ChannelAccess) -> Vec<UserId> {
    let c = &access.channel;
    dedup(
        c.created_by
            .iter()
            .chain(c.truncated_by.iter())
            .cloned()
            .collect(),
    )
}

/// Users that encoding a channel state refers to: the channel's, members', readers' and
/// those of its messages and pinned messages.
pub fn user_ids_for_state(state: &ChannelState) -> Vec<UserId> {
    let mut ids = user_ids_for_access(&state.access);
    ids.extend(state.access.member.iter().map(|m| m.user_id.clone()));
    ids.extend(state.members.iter().map(|m| m.user_id.clone()));
    ids.extend(state.reads.iter().map(|(r, _)| r.user_id.clone()));
    ids.extend(user_ids_for_messages(&state.messages));
    ids.extend(user_ids_for_messages(&state.pinned_messages));
    dedup(ids)
}

/// Users that encoding `event` refers to: the actor, the subject, and everything its
/// message, reaction, member or channel refers to. A notification form also encodes the
/// channel from `EventExtra`; add [`user_ids_for_access`] of it when loading.
pub fn user_ids_for_event(event: &Event) -> Vec<UserId> {
    let mut ids: Vec<UserId> = event.actor.iter().cloned().collect();
    match &event.kind {
        EventKind::MessageNew { message }
        | EventKind::MessageUpdated { message }
        | EventKind::MessageDeleted { message, .. } => {
            ids.extend(user_ids_for_messages(std::slice::from_ref(message)))
        }
        EventKind::ReactionNew { message, reaction }
        | EventKind::ReactionUpdated { message, reaction }
        | EventKind::ReactionDeleted { message, reaction } => {
            ids.extend(user_ids_for_messages(std::slice::from_ref(message)));
            ids.push(reaction.user_id.clone());
        }
        EventKind::MessageRead { user, .. }
        | EventKind::NotificationMarkRead { user }
        | EventKind::NotificationMarkUnread { user, .. }
        | EventKind::TypingStart { user, .. }
        | EventKind::TypingStop { user, .. }
        | EventKind::Custom { user, .. }
        | EventKind::ChannelHidden { user, .. }
        | EventKind::ChannelVisible { user }
        | EventKind::WatchingStart { user }
        | EventKind::WatchingStop { user } => ids.push(user.clone()),
        EventKind::ChannelCreated { channel } | EventKind::ChannelDeleted { channel } => {
            ids.extend(
                channel
                    .created_by
                    .iter()
                    .chain(channel.truncated_by.iter())
                    .cloned(),
            );
        }
        EventKind::ChannelUpdated { channel, message }
        | EventKind::ChannelTruncated { channel, message } => {
            ids.extend(
                channel
                    .created_by
                    .iter()
                    .chain(channel.truncated_by.iter())
                    .cloned(),
            );
            if let Some(m) = message {
                ids.extend(user_ids_for_messages(std::slice::from_ref(m)));
            }
        }
        EventKind::MemberAdded { member }
        | EventKind::MemberUpdated { member }
        | EventKind::MemberRemoved { member }
        | EventKind::NotificationInvited { member }
        | EventKind::NotificationInviteAccepted { member }
        | EventKind::NotificationInviteRejected { member } => ids.push(member.user_id.clone()),
        // The user travels inside the event.
        EventKind::PresenceChanged { .. } | EventKind::UserUpdated { .. } => {}
    }
    dedup(ids)
}

fn dedup(mut ids: Vec<UserId>) -> Vec<UserId> {
    ids.sort();
    ids.dedup();
    ids
}
