//! Typed events: what each command produced. The server encodes them to Stream JSON.
//! They are serde-serialisable (in the stored shapes of their payloads) so that a cross-node
//! bus can carry them between processes; that form is internal, never the wire format.

use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::{AppId, Cid, MessageId, UserId};
use crate::model::{Channel, Member, Message, Reaction, User};
use crate::time::Timestamp;

/// One event, with who it is addressed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The app (tenant) it happened in.
    pub app: AppId,
    /// What happened.
    pub kind: EventKind,
    /// When.
    pub created_at: Timestamp,
    /// Channel, for channel-scoped events.
    pub cid: Option<Cid>,
    /// Who caused it.
    pub actor: Option<UserId>,
    /// Who should receive it.
    pub audience: Audience,
}

/// Who an event is addressed to; [`super::plan`] resolves it to connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Watchers of the event's channel. Members with no watching connection get the
    /// `notification.*` form when the event has one.
    Channel,
    /// Watchers of the channel, but only these users (shadowed or restricted messages).
    ChannelUsers(Vec<UserId>),
    /// Every connection of these users (own-state notifications).
    Users(Vec<UserId>),
    /// Watchers of the channel; these members (the channel's, captured before it went
    /// away) get the notification form.
    ChannelWithMembers(Vec<UserId>),
}

/// What happened. Payloads carry domain values; per-recipient parts (unread counts) are
/// added at delivery time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    /// A message was sent.
    MessageNew {
        /// The message.
        message: Message,
    },
    /// A message changed (edit, pin, partial update, thread counters).
    MessageUpdated {
        /// The message after the change.
        message: Message,
    },
    /// A message was deleted.
    MessageDeleted {
        /// The message as deleted.
        message: Message,
        /// Removed for good.
        hard: bool,
    },
    /// A reaction was added.
    ReactionNew {
        /// The message with new aggregates.
        message: Message,
        /// The reaction.
        reaction: Reaction,
    },
    /// A reaction was replaced.
    ReactionUpdated {
        /// The message with new aggregates.
        message: Message,
        /// The reaction.
        reaction: Reaction,
    },
    /// A reaction was removed.
    ReactionDeleted {
        /// The message with new aggregates.
        message: Message,
        /// The reaction.
        reaction: Reaction,
    },
    /// A member read the channel (or a thread).
    MessageRead {
        /// Reader.
        user: UserId,
        /// Cursor message.
        last_read_message_id: Option<MessageId>,
        /// Thread, when a thread was read.
        thread_id: Option<MessageId>,
    },
    /// The user's own unread totals changed by reading (to the user's connections).
    NotificationMarkRead {
        /// Reader.
        user: UserId,
    },
    /// The user marked a message unread (to the user's connections).
    NotificationMarkUnread {
        /// Reader.
        user: UserId,
        /// First unread message.
        first_unread_message_id: MessageId,
        /// Cursor message.
        last_read_message_id: Option<MessageId>,
        /// Cursor time.
        last_read_at: Timestamp,
        /// Unread count in the channel.
        unread_messages: u64,
    },
    /// Someone started typing.
    TypingStart {
        /// Typist.
        user: UserId,
        /// Thread, when typing a reply.
        parent_id: Option<MessageId>,
    },
    /// Someone stopped typing.
    TypingStop {
        /// Typist.
        user: UserId,
        /// Thread, when typing a reply.
        parent_id: Option<MessageId>,
    },
    /// A custom channel event.
    Custom {
        /// Sender.
        user: UserId,
        /// Event type chosen by the client.
        event_type: String,
        /// Custom fields.
        data: Custom,
    },
    /// A channel was created.
    ChannelCreated {
        /// The channel.
        channel: Channel,
    },
    /// A channel's data changed.
    ChannelUpdated {
        /// The channel after.
        channel: Channel,
        /// System message posted with the change.
        message: Option<Message>,
    },
    /// A channel was deleted.
    ChannelDeleted {
        /// The channel as deleted.
        channel: Channel,
    },
    /// A channel was truncated.
    ChannelTruncated {
        /// The channel after.
        channel: Channel,
        /// System message posted with the truncate.
        message: Option<Message>,
    },
    /// The user hid the channel (to the user's connections).
    ChannelHidden {
        /// Who hid it.
        user: UserId,
        /// History cleared too.
        clear_history: bool,
    },
    /// The channel became visible for the user again.
    ChannelVisible {
        /// For whom.
        user: UserId,
    },
    /// A member joined.
    MemberAdded {
        /// The membership.
        member: Member,
    },
    /// A membership changed (role, invite answer…).
    MemberUpdated {
        /// The membership after.
        member: Member,
    },
    /// A member left or was removed.
    MemberRemoved {
        /// The membership as it was.
        member: Member,
    },
    /// A user was invited (to the invitee's connections).
    NotificationInvited {
        /// The pending membership.
        member: Member,
    },
    /// A user started watching the channel (first connection of theirs to watch it).
    WatchingStart {
        /// Watcher.
        user: UserId,
    },
    /// A user stopped watching the channel (last connection of theirs stopped).
    WatchingStop {
        /// Watcher.
        user: UserId,
    },
    /// A user went online or offline.
    PresenceChanged {
        /// The user, as stored.
        user: User,
        /// Online now.
        online: bool,
    },
    /// The invitee accepted (to the invitee's connections).
    NotificationInviteAccepted {
        /// The membership after.
        member: Member,
    },
    /// The invitee rejected (to the invitee's connections).
    NotificationInviteRejected {
        /// The membership after.
        member: Member,
    },
    /// A user's profile changed.
    UserUpdated {
        /// The user after.
        user: User,
    },
}

impl EventKind {
    /// The variant's name, for logs and examples (the wire name is the server's business).
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageNew { .. } => "MessageNew",
            Self::MessageUpdated { .. } => "MessageUpdated",
            Self::MessageDeleted { .. } => "MessageDeleted",
            Self::ReactionNew { .. } => "ReactionNew",
            Self::ReactionUpdated { .. } => "ReactionUpdated",
            Self::ReactionDeleted { .. } => "ReactionDeleted",
            Self::MessageRead { .. } => "MessageRead",
            Self::NotificationMarkRead { .. } => "NotificationMarkRead",
            Self::NotificationMarkUnread { .. } => "NotificationMarkUnread",
            Self::TypingStart { .. } => "TypingStart",
            Self::TypingStop { .. } => "TypingStop",
            Self::Custom { .. } => "Custom",
            Self::ChannelCreated { .. } => "ChannelCreated",
            Self::ChannelUpdated { .. } => "ChannelUpdated",
            Self::ChannelDeleted { .. } => "ChannelDeleted",
            Self::ChannelTruncated { .. } => "ChannelTruncated",
            Self::ChannelHidden { .. } => "ChannelHidden",
            Self::ChannelVisible { .. } => "ChannelVisible",
            Self::MemberAdded { .. } => "MemberAdded",
            Self::MemberUpdated { .. } => "MemberUpdated",
            Self::MemberRemoved { .. } => "MemberRemoved",
            Self::NotificationInvited { .. } => "NotificationInvited",
            Self::UserUpdated { .. } => "UserUpdated",
            Self::NotificationInviteAccepted { .. } => "NotificationInviteAccepted",
            Self::NotificationInviteRejected { .. } => "NotificationInviteRejected",
            Self::WatchingStart { .. } => "WatchingStart",
            Self::WatchingStop { .. } => "WatchingStop",
            Self::PresenceChanged { .. } => "PresenceChanged",
        }
    }

    /// Whether members who are not watching get a `notification.*` form of this event,
    /// and which members: `None` = no notification form; `Some(None)` = every member;
    /// `Some(Some(user))` = only that member.
    pub fn notification_target(&self) -> Option<Option<&UserId>> {
        match self {
            Self::MessageNew { .. }
            | Self::ChannelDeleted { .. }
            | Self::ChannelTruncated { .. } => Some(None),
            Self::MemberAdded { member } => Some(Some(&member.user_id)),
            Self::MemberRemoved { member } => Some(Some(&member.user_id)),
            _ => None,
        }
    }

    /// Events that a slow consumer may lose (typing); durable ones must never be dropped.
    pub fn is_droppable(&self) -> bool {
        matches!(self, Self::TypingStart { .. } | Self::TypingStop { .. })
    }
}
