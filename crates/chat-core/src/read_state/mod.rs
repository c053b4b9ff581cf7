//! Read state in two parts (see ARCHITECTURE.md):
//!
//! 1. A cursor per (user, channel): the channel numbers its counted messages (`last_seq`),
//!    the member keeps `last_read_seq`; the unread count is their difference, corrected by
//!    the few counted messages deleted since. A message costs O(1) writes however large the
//!    channel is, and an unread count is O(1) to read.
//! 2. Sparse per-user message flags (Zulip's `UserMessage`): a row only where a flag is set.

use serde::{Deserialize, Serialize};

use crate::ids::{Cid, MessageId, UserId};
use crate::model::ChannelCounters;
use crate::time::Timestamp;

bitflags::bitflags! {
    /// Per-user flags on one message. Stored only when non-empty.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct MessageFlags: u32 {
        /// The user was mentioned.
        const MENTIONED = 1;
        /// The user starred (saved) it.
        const STARRED = 1 << 1;
        /// The user marked the channel unread from this message.
        const MARKED_UNREAD = 1 << 2;
        /// A mention the user has not acknowledged yet (push/alert).
        const HAS_ALERT = 1 << 3;
        /// The message was sent to the user directly (1:1 channel).
        const PRIVATE = 1 << 4;
    }
}

// Stored as the plain integer (a column in Postgres), not as flag names.
impl Serialize for MessageFlags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.bits())
    }
}

impl<'de> Deserialize<'de> for MessageFlags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_bits_retain(u32::deserialize(d)?))
    }
}

/// One member's cursor in one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// Channel.
    pub cid: Cid,
    /// Member.
    pub user_id: UserId,
    /// Counted messages with `seq <= last_read_seq` are read.
    pub last_read_seq: u64,
    /// When the member last read.
    pub last_read_at: Timestamp,
    /// The message the cursor points at, when known.
    pub last_read_message_id: Option<MessageId>,
    /// After a mark-unread: the member's own counted messages after the cursor, which must
    /// not count as unread for them. Zero whenever the cursor moves forward.
    pub own_after_cursor: u64,
}

impl ReadState {
    /// A cursor at the channel's current position: nothing before joining is unread.
    pub fn at_join(cid: Cid, user_id: UserId, counters: &ChannelCounters, now: Timestamp) -> Self {
        Self {
            cid,
            user_id,
            last_read_seq: counters.last_seq,
            last_read_at: now,
            last_read_message_id: None,
            own_after_cursor: 0,
        }
    }
}

/// Exact unread count of `read` in a channel with `counters`. Pure O(log d) arithmetic,
/// where d is the number of counted messages deleted since the last truncate.
pub fn unread_count(counters: &ChannelCounters, read: &ReadState) -> u64 {
    let (from, own) = if read.last_read_seq >= counters.truncated_seq {
        (read.last_read_seq, read.own_after_cursor)
    } else {
        (counters.truncated_seq, 0)
    };
    let span = counters.last_seq.saturating_sub(from);
    let deleted_after =
        counters.deleted_seqs.len() - counters.deleted_seqs.partition_point(|&s| s <= from);
    span.saturating_sub(deleted_after as u64)
        .saturating_sub(own)
}

/// A thread participant's cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRead {
    /// Channel of the thread.
    pub cid: Cid,
    /// Parent message.
    pub parent_id: MessageId,
    /// Participant.
    pub user_id: UserId,
    /// Replies read (the parent's `reply_count` when last read).
    pub last_read_reply_count: u32,
    /// When last read.
    pub last_read_at: Timestamp,
}

/// Unread state of one channel for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelUnread {
    /// Channel.
    pub cid: Cid,
    /// Unread messages.
    pub unread_messages: u64,
    /// Cursor time.
    pub last_read_at: Timestamp,
    /// Cursor message.
    pub last_read_message_id: Option<MessageId>,
    /// Channel's newest message time.
    pub last_message_at: Option<Timestamp>,
}

/// Unread state of one thread for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadUnread {
    /// Channel.
    pub cid: Cid,
    /// Parent message.
    pub parent_id: MessageId,
    /// Unread replies.
    pub unread_replies: u32,
    /// When last read.
    pub last_read_at: Timestamp,
}

/// A user's unread totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnreadSummary {
    /// Unread messages over all channels.
    pub total_unread_count: u64,
    /// Channels with at least one unread message.
    pub unread_channels: u64,
    /// Threads with unread replies.
    pub unread_threads: u64,
    /// Per channel with unread messages, newest `last_message_at` first.
    pub channels: Vec<ChannelUnread>,
    /// Per thread with unread replies.
    pub threads: Vec<ThreadUnread>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(seq: u64, own: u64) -> ReadState {
        ReadState {
            cid: Cid::parse("messaging:x").unwrap(),
            user_id: UserId::parse("u").unwrap(),
            last_read_seq: seq,
            last_read_at: Timestamp::default(),
            last_read_message_id: None,
            own_after_cursor: own,
        }
    }

    fn counters(last: u64, truncated: u64, deleted: &[u64]) -> ChannelCounters {
        ChannelCounters {
            last_seq: last,
            truncated_seq: truncated,
            deleted_seqs: deleted.to_vec(),
            ..ChannelCounters::default()
        }
    }

    #[test]
    fn table() {
        // (last_seq, truncated_seq, deleted, cursor, own, expected)
        type Case = (u64, u64, &'static [u64], u64, u64, u64);
        let cases: &[Case] = &[
            (0, 0, &[], 0, 0, 0),
            (10, 0, &[], 0, 0, 10),
            (10, 0, &[], 10, 0, 0),
            (10, 0, &[], 7, 0, 3),
            (10, 0, &[3, 8, 9], 7, 0, 1),
            (10, 0, &[3, 8, 9], 2, 0, 5),
            (10, 6, &[], 2, 0, 4),
            (10, 6, &[7], 2, 1, 3),
            (10, 0, &[], 5, 2, 3),
            (10, 0, &[6, 7, 8, 9, 10], 5, 2, 0),
        ];
        for &(last, trunc, deleted, cursor, own, want) in cases {
            assert_eq!(
                unread_count(&counters(last, trunc, deleted), &read(cursor, own)),
                want,
                "last={last} trunc={trunc} deleted={deleted:?} cursor={cursor} own={own}"
            );
        }
    }

    #[test]
    fn flags_round_trip() {
        let f = MessageFlags::MENTIONED | MessageFlags::STARRED;
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, "3");
        let back: MessageFlags = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
    }
}
