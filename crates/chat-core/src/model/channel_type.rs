use serde::{Deserialize, Serialize};

use crate::ids::ChannelTypeName;
use crate::permissions::{default_grants, GrantModifiers, Grants};
use crate::time::Timestamp;

/// Default `max_message_length`.
pub const DEFAULT_MAX_MESSAGE_LENGTH: u32 = 5_000;

/// A channel type: its settings and its grants scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelType {
    /// Type name (`messaging`, …).
    pub name: ChannelTypeName,
    /// Feature flags and limits.
    pub config: ChannelConfig,
    /// Role → permission ids in this type's scope.
    pub grants: Grants,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Optimistic-concurrency version, bumped by the store on every write.
    pub version: u64,
}

/// Automatic moderation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Automod {
    /// Off.
    #[default]
    Disabled,
    /// Blocklist-based.
    Simple,
    /// AI-based.
    #[serde(rename = "AI")]
    Ai,
}

/// What automod does with a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AutomodBehavior {
    /// Flag for review.
    #[default]
    Flag,
    /// Refuse the message.
    Block,
}

/// Channel-type settings (api-spec/objects.md §3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelConfig {
    /// Typing indicators.
    pub typing_events: bool,
    /// Read state and `message.read`.
    pub read_events: bool,
    /// `user.watching.*` events.
    pub connect_events: bool,
    /// Custom channel events.
    pub custom_events: bool,
    /// Reactions.
    pub reactions: bool,
    /// Message search.
    pub search: bool,
    /// Threads.
    pub replies: bool,
    /// Quoted replies.
    pub quotes: bool,
    /// User mutes.
    pub mutes: bool,
    /// Uploads.
    pub uploads: bool,
    /// URL enrichment.
    pub url_enrichment: bool,
    /// Push notifications.
    pub push_notifications: bool,
    /// Unread reminders webhook.
    pub reminders: bool,
    /// Keep `message_count` on channels.
    pub count_messages: bool,
    /// Message reminders and bookmarks.
    pub user_message_reminders: bool,
    /// Pending messages.
    pub mark_messages_pending: bool,
    /// Polls.
    pub polls: bool,
    /// System messages do not move `last_message_at`.
    pub skip_last_msg_update_for_system_msgs: bool,
    /// Location sharing.
    pub shared_locations: bool,
    /// Delivery receipts.
    pub delivery_events: bool,
    /// Dynamic partition size (None = off).
    pub partition_size: Option<u32>,
    /// Dynamic partition TTL such as `2h30m` (None = off).
    pub partition_ttl: Option<String>,
    /// `infinite` or a number of days.
    pub message_retention: String,
    /// Longest message text, in characters.
    pub max_message_length: u32,
    /// Automatic moderation.
    pub automod: Automod,
    /// What automod does.
    pub automod_behavior: AutomodBehavior,
    /// Automod thresholds, kept as given.
    pub automod_thresholds: Option<serde_json::Value>,
    /// Single blocklist name.
    pub blocklist: Option<String>,
    /// `flag` or `block`.
    pub blocklist_behavior: Option<AutomodBehavior>,
    /// Several blocklists, each with its behaviour.
    pub blocklists: Vec<BlocklistRef>,
    /// Enabled slash commands (names; `all` = every command).
    pub commands: Vec<String>,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            typing_events: true,
            read_events: true,
            connect_events: true,
            custom_events: true,
            reactions: true,
            search: true,
            replies: true,
            quotes: true,
            mutes: true,
            uploads: true,
            url_enrichment: true,
            push_notifications: true,
            reminders: false,
            count_messages: false,
            user_message_reminders: false,
            mark_messages_pending: false,
            polls: false,
            skip_last_msg_update_for_system_msgs: false,
            shared_locations: false,
            delivery_events: false,
            partition_size: None,
            partition_ttl: None,
            message_retention: "infinite".into(),
            max_message_length: DEFAULT_MAX_MESSAGE_LENGTH,
            automod: Automod::Disabled,
            automod_behavior: AutomodBehavior::Flag,
            automod_thresholds: None,
            blocklist: None,
            blocklist_behavior: None,
            blocklists: Vec::new(),
            commands: Vec::new(),
        }
    }
}

/// A blocklist applied by a channel type, with what to do on a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistRef {
    /// Blocklist name.
    pub blocklist: String,
    /// `flag` or `block`.
    pub behavior: AutomodBehavior,
}

/// Per-channel overrides of the type's config (server-side only; objects.md §3.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConfigOverrides {
    /// Typing indicators.
    pub typing_events: Option<bool>,
    /// Reactions.
    pub reactions: Option<bool>,
    /// Threads.
    pub replies: Option<bool>,
    /// Quoted replies.
    pub quotes: Option<bool>,
    /// Uploads.
    pub uploads: Option<bool>,
    /// URL enrichment.
    pub url_enrichment: Option<bool>,
    /// Enabled commands.
    pub commands: Option<Vec<String>>,
    /// Longest message text.
    pub max_message_length: Option<u32>,
    /// Blocklist name.
    pub blocklist: Option<String>,
    /// Blocklist behaviour.
    pub blocklist_behavior: Option<AutomodBehavior>,
    /// Message reminders.
    pub user_message_reminders: Option<bool>,
    /// Location sharing.
    pub shared_locations: Option<bool>,
    /// `message_count`.
    pub count_messages: Option<bool>,
    /// Grant modifiers (`perm` adds, `!perm` revokes, per role).
    pub grants: Option<GrantModifiers>,
}

impl ConfigOverrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The type config with these overrides applied.
    pub fn apply(&self, base: &ChannelConfig) -> ChannelConfig {
        let mut c = base.clone();
        macro_rules! over {
            ($($f:ident),*) => {$(
                if let Some(v) = &self.$f { c.$f = v.clone(); }
            )*};
        }
        over!(
            typing_events,
            reactions,
            replies,
            quotes,
            uploads,
            url_enrichment,
            commands,
            max_message_length,
            user_message_reminders,
            shared_locations,
            count_messages
        );
        if self.blocklist.is_some() {
            c.blocklist = self.blocklist.clone();
        }
        if self.blocklist_behavior.is_some() {
            c.blocklist_behavior = self.blocklist_behavior;
        }
        c
    }
}

/// The five built-in channel types with their default config and grants.
pub fn default_channel_types(now: Timestamp) -> Vec<ChannelType> {
    let base_commands = || {
        ["giphy", "ban", "unban", "mute", "unmute"]
            .map(String::from)
            .to_vec()
    };
    let make = |name: &str, config: ChannelConfig| ChannelType {
        name: ChannelTypeName::new_unchecked(name),
        grants: default_grants(name),
        config,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    vec![
        make(
            "messaging",
            ChannelConfig {
                commands: base_commands(),
                ..ChannelConfig::default()
            },
        ),
        make(
            "team",
            ChannelConfig {
                count_messages: true,
                commands: base_commands(),
                ..ChannelConfig::default()
            },
        ),
        make(
            "livestream",
            ChannelConfig {
                url_enrichment: false,
                commands: base_commands(),
                ..ChannelConfig::default()
            },
        ),
        make(
            "commerce",
            ChannelConfig {
                commands: base_commands(),
                ..ChannelConfig::default()
            },
        ),
        make(
            "gaming",
            ChannelConfig {
                commands: base_commands(),
                ..ChannelConfig::default()
            },
        ),
    ]
}
