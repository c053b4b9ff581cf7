use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::{Cid, UserId};
use crate::model::{ChannelConfig, ConfigOverrides};
use crate::time::Timestamp;

/// A channel. `counters` are maintained by the store's atomic writes (send, add member…);
/// everything else is content, replaced by `update_channel` under optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// `type:id`.
    pub cid: Cid,
    /// Team (multi-tenant apps).
    pub team: Option<String>,
    /// Creator.
    pub created_by: Option<UserId>,
    /// No new messages or reactions.
    pub frozen: bool,
    /// Client reads and writes refused.
    pub disabled: bool,
    /// Slow mode, seconds between messages per user (1–120).
    pub cooldown: Option<u32>,
    /// Created through the distinct (member-set) path.
    pub distinct: bool,
    /// Channel-level config overrides.
    pub config_overrides: ConfigOverrides,
    /// Filter tags.
    pub filter_tags: Vec<String>,
    /// Custom data, including the conventional `name` and `image`.
    pub custom: Custom,
    /// Created.
    pub created_at: Timestamp,
    /// Last content change.
    pub updated_at: Timestamp,
    /// Set when soft-deleted.
    pub deleted_at: Option<Timestamp>,
    /// Set by truncate.
    pub truncated_at: Option<Timestamp>,
    /// Who truncated.
    pub truncated_by: Option<UserId>,
    /// Store-maintained counters.
    pub counters: ChannelCounters,
    /// Optimistic-concurrency version of the content fields.
    pub version: u64,
}

/// Counters the store keeps exact inside its atomic writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelCounters {
    /// Members.
    pub member_count: u32,
    /// Messages stored and not deleted (channel-visible and replies).
    pub message_count: u64,
    /// Newest channel-visible message.
    pub last_message_at: Option<Timestamp>,
    /// Sequence of the newest counted message (read-state cursor space).
    pub last_seq: u64,
    /// `last_seq` when the channel was last truncated.
    pub truncated_seq: u64,
    /// Sequences of counted messages deleted since (sorted ascending).
    pub deleted_seqs: Vec<u64>,
}

impl Channel {
    /// A new channel with no counters, created at `now` by `created_by`.
    pub fn new(cid: Cid, created_by: Option<UserId>, now: Timestamp) -> Self {
        Self {
            cid,
            team: None,
            created_by,
            frozen: false,
            disabled: false,
            cooldown: None,
            distinct: false,
            config_overrides: ConfigOverrides::default(),
            filter_tags: Vec::new(),
            custom: Custom::new(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            truncated_at: None,
            truncated_by: None,
            counters: ChannelCounters::default(),
            version: 0,
        }
    }

    /// The effective config: the type's with this channel's overrides applied.
    pub fn effective_config(&self, type_config: &ChannelConfig) -> ChannelConfig {
        self.config_overrides.apply(type_config)
    }

    /// `max(last_message_at, created_at)`, the default sort of channel lists.
    pub fn last_updated(&self) -> Timestamp {
        self.counters
            .last_message_at
            .map_or(self.created_at, |t| t.max(self.created_at))
    }
}
