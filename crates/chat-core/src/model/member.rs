use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::{Cid, Role, UserId};
use crate::time::Timestamp;

/// A user's membership in a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Channel.
    pub cid: Cid,
    /// User.
    pub user_id: UserId,
    /// Channel-level role (`channel_member`, `channel_moderator`, or custom).
    pub channel_role: Role,
    /// Invited and not yet accepted or rejected.
    pub invited: bool,
    /// When the invite was accepted.
    pub invite_accepted_at: Option<Timestamp>,
    /// When the invite was rejected.
    pub invite_rejected_at: Option<Timestamp>,
    /// Channel-level ban.
    pub banned: bool,
    /// When the channel ban ends.
    pub ban_expires: Option<Timestamp>,
    /// Channel-level shadow ban.
    pub shadow_banned: bool,
    /// The member muted this channel's notifications.
    pub notifications_muted: bool,
    /// Hidden for this member until the next message.
    pub hidden: bool,
    /// Messages created before this are not shown to this member (hide_history, clear_history).
    pub history_visible_from: Option<Timestamp>,
    /// Pinned by this member.
    pub pinned_at: Option<Timestamp>,
    /// Archived by this member.
    pub archived_at: Option<Timestamp>,
    /// Joined.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Extra fields.
    pub custom: Custom,
    /// Optimistic-concurrency version, bumped by the store on every write.
    pub version: u64,
}

/// Where an invite stands, for the `invite` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteState {
    /// Invited, no answer yet.
    Pending,
    /// Accepted.
    Accepted,
    /// Rejected.
    Rejected,
}

impl Member {
    /// A plain `channel_member` membership starting at `now`.
    pub fn new(cid: Cid, user_id: UserId, now: Timestamp) -> Self {
        Self {
            cid,
            user_id,
            channel_role: Role::channel_member(),
            invited: false,
            invite_accepted_at: None,
            invite_rejected_at: None,
            banned: false,
            ban_expires: None,
            shadow_banned: false,
            notifications_muted: false,
            hidden: false,
            history_visible_from: None,
            pinned_at: None,
            archived_at: None,
            created_at: now,
            updated_at: now,
            custom: Custom::new(),
            version: 0,
        }
    }

    /// The invite's state, if this membership came from an invite.
    pub fn invite_state(&self) -> Option<InviteState> {
        if self.invite_rejected_at.is_some() {
            Some(InviteState::Rejected)
        } else if self.invite_accepted_at.is_some() {
            Some(InviteState::Accepted)
        } else if self.invited {
            Some(InviteState::Pending)
        } else {
            None
        }
    }

    /// A member that has joined (not a pending or rejected invite).
    pub fn is_joined(&self) -> bool {
        !matches!(
            self.invite_state(),
            Some(InviteState::Pending | InviteState::Rejected)
        )
    }

    /// Whether this member is a channel moderator.
    pub fn is_moderator(&self) -> bool {
        self.channel_role.as_str() == crate::ids::roles::CHANNEL_MODERATOR
    }

    /// Whether a channel ban is in force at `now`.
    pub fn is_banned(&self, now: Timestamp) -> bool {
        self.banned && self.ban_expires.is_none_or(|e| e > now)
    }
}
