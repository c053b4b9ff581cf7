//! `own_capabilities` of a channel for the requesting user (api-spec/objects.md §15).
//!
//! The derivation is DESIGN (permissions.md §5: "UNKNOWN from clean sources"); this module
//! is the one place that encodes the mapping table, one line per capability.

use crate::model::ChannelConfig;

use super::action::Action;
use super::check::{allows, Resource, Subject};
use super::grants::Grants;

/// Capability names. Those marked "unconfirmed" follow the confirmed naming pattern but
/// are not attested by a clean source (objects.md §15).
pub mod names {
    /// Ban channel members.
    pub const BAN_CHANNEL_MEMBERS: &str = "ban-channel-members";
    /// Vote in polls (unconfirmed).
    pub const CAST_POLL_VOTE: &str = "cast-poll-vote";
    /// Presence events are on.
    pub const CONNECT_EVENTS: &str = "connect-events";
    /// Start a call.
    pub const CREATE_CALL: &str = "create-call";
    /// Delete others' messages.
    pub const DELETE_ANY_MESSAGE: &str = "delete-any-message";
    /// Delete the channel.
    pub const DELETE_CHANNEL: &str = "delete-channel";
    /// Delete own messages.
    pub const DELETE_OWN_MESSAGE: &str = "delete-own-message";
    /// Delivery receipts are on (unconfirmed).
    pub const DELIVERY_EVENTS: &str = "delivery-events";
    /// Flag messages.
    pub const FLAG_MESSAGE: &str = "flag-message";
    /// Freeze the channel.
    pub const FREEZE_CHANNEL: &str = "freeze-channel";
    /// Join a call.
    pub const JOIN_CALL: &str = "join-call";
    /// Join the channel.
    pub const JOIN_CHANNEL: &str = "join-channel";
    /// Leave the channel.
    pub const LEAVE_CHANNEL: &str = "leave-channel";
    /// Mute the channel.
    pub const MUTE_CHANNEL: &str = "mute-channel";
    /// Pin messages.
    pub const PIN_MESSAGE: &str = "pin-message";
    /// List poll votes (unconfirmed).
    pub const QUERY_POLL_VOTES: &str = "query-poll-votes";
    /// Quote messages.
    pub const QUOTE_MESSAGE: &str = "quote-message";
    /// Read events are on.
    pub const READ_EVENTS: &str = "read-events";
    /// Search messages.
    pub const SEARCH_MESSAGES: &str = "search-messages";
    /// Send custom events.
    pub const SEND_CUSTOM_EVENTS: &str = "send-custom-events";
    /// Send links.
    pub const SEND_LINKS: &str = "send-links";
    /// Send messages.
    pub const SEND_MESSAGE: &str = "send-message";
    /// Send polls (unconfirmed).
    pub const SEND_POLL: &str = "send-poll";
    /// Add reactions.
    pub const SEND_REACTION: &str = "send-reaction";
    /// Reply in threads.
    pub const SEND_REPLY: &str = "send-reply";
    /// Send restricted-visibility messages (unconfirmed).
    pub const SEND_RESTRICTED_VISIBILITY_MESSAGE: &str = "send-restricted-visibility-message";
    /// Send typing events.
    pub const SEND_TYPING_EVENTS: &str = "send-typing-events";
    /// Set slow mode.
    pub const SET_CHANNEL_COOLDOWN: &str = "set-channel-cooldown";
    /// Share locations (unconfirmed).
    pub const SHARE_LOCATION: &str = "share-location";
    /// Ignore slow mode.
    pub const SKIP_SLOW_MODE: &str = "skip-slow-mode";
    /// Slow mode is on (a state flag, not a permission).
    pub const SLOW_MODE: &str = "slow-mode";
    /// Typing events are on.
    pub const TYPING_EVENTS: &str = "typing-events";
    /// Edit others' messages.
    pub const UPDATE_ANY_MESSAGE: &str = "update-any-message";
    /// Update the channel (unconfirmed).
    pub const UPDATE_CHANNEL: &str = "update-channel";
    /// Manage members (unconfirmed).
    pub const UPDATE_CHANNEL_MEMBERS: &str = "update-channel-members";
    /// Edit own messages (unconfirmed).
    pub const UPDATE_OWN_MESSAGE: &str = "update-own-message";
    /// Upload files (unconfirmed).
    pub const UPLOAD_FILE: &str = "upload-file";
}

use names::*;

/// Every capability of the §5 table, sorted.
pub const ALL_CAPABILITIES: &[&str] = &[
    BAN_CHANNEL_MEMBERS,
    CAST_POLL_VOTE,
    CONNECT_EVENTS,
    CREATE_CALL,
    DELETE_ANY_MESSAGE,
    DELETE_CHANNEL,
    DELETE_OWN_MESSAGE,
    DELIVERY_EVENTS,
    FLAG_MESSAGE,
    FREEZE_CHANNEL,
    JOIN_CALL,
    JOIN_CHANNEL,
    LEAVE_CHANNEL,
    MUTE_CHANNEL,
    PIN_MESSAGE,
    QUERY_POLL_VOTES,
    QUOTE_MESSAGE,
    READ_EVENTS,
    SEARCH_MESSAGES,
    SEND_CUSTOM_EVENTS,
    SEND_LINKS,
    SEND_MESSAGE,
    SEND_POLL,
    SEND_REACTION,
    SEND_REPLY,
    SEND_RESTRICTED_VISIBILITY_MESSAGE,
    SEND_TYPING_EVENTS,
    SET_CHANNEL_COOLDOWN,
    SHARE_LOCATION,
    SKIP_SLOW_MODE,
    SLOW_MODE,
    TYPING_EVENTS,
    UPDATE_ANY_MESSAGE,
    UPDATE_CHANNEL,
    UPDATE_CHANNEL_MEMBERS,
    UPDATE_OWN_MESSAGE,
    UPLOAD_FILE,
];

/// Everything `own_capabilities` depends on, for one channel and one requester.
#[derive(Debug, Clone, Copy)]
pub struct CapabilityContext<'a> {
    /// Effective grants: the channel type's grants with the channel's modifiers applied
    /// ([`Grants::with_modifiers`]).
    pub grants: &'a Grants,
    /// The requester; membership is `subject.channel_role.is_some()`.
    pub subject: Subject<'a>,
    /// The requester created the channel (ownership for channel `-owner` grants).
    pub created_channel: bool,
    /// The channel is in one of the requester's teams (`true` without multi-tenancy).
    pub same_team: bool,
    /// Effective config (type config with the channel's overrides).
    pub config: &'a ChannelConfig,
    /// Channel `frozen`.
    pub frozen: bool,
    /// Channel `cooldown` in seconds.
    pub cooldown: Option<u32>,
    /// Channel `disabled`.
    pub disabled: bool,
    /// App `disable_permissions_checks`.
    pub permissions_disabled: bool,
}

impl CapabilityContext<'_> {
    /// Whether the requester may perform `action` on a resource they (don't) own.
    fn can(&self, action: Action, owned: bool) -> bool {
        let resource = Resource {
            owned_by_subject: owned,
            same_team: self.same_team,
        };
        allows(
            self.grants,
            &self.subject,
            action,
            &resource,
            self.permissions_disabled,
        )
    }

    /// `action` on the channel itself, owned when the requester created it.
    fn can_on_channel(&self, action: Action) -> bool {
        self.can(action, self.created_channel)
    }

    fn slow_mode(&self) -> bool {
        self.cooldown.is_some_and(|c| c > 0)
    }
}

/// The channel's `own_capabilities` for the requester, sorted and de-duplicated
/// (permissions.md §5 mapping).
///
/// * Server-side requests get every capability (DESIGN), except `slow-mode`, which reports
///   channel state rather than a right and so only appears when a cooldown is set.
/// * Disabled channels give client users nothing (DESIGN).
pub fn own_capabilities(ctx: &CapabilityContext<'_>) -> Vec<&'static str> {
    if ctx.subject.is_server {
        return ALL_CAPABILITIES
            .iter()
            .copied()
            .filter(|c| *c != SLOW_MODE || ctx.slow_mode())
            .collect();
    }
    if ctx.disabled {
        return Vec::new();
    }
    let c = ctx.config;
    let is_member = ctx.subject.is_member();
    // Frozen channels refuse new messages and reactions, except to `UseFrozenChannel`.
    let writable = !ctx.frozen || ctx.can_on_channel(Action::UseFrozenChannel);
    let send_message = writable && ctx.can_on_channel(Action::CreateMessage);
    let read = ctx.can_on_channel(Action::ReadChannel);
    let polls = |action| c.polls && ctx.can_on_channel(action);

    let table = [
        (send_message, SEND_MESSAGE),
        (send_message && c.replies, SEND_REPLY),
        (send_message && c.quotes, QUOTE_MESSAGE),
        (
            writable && c.reactions && ctx.can_on_channel(Action::CreateReaction),
            SEND_REACTION,
        ),
        (ctx.can_on_channel(Action::AddLinks), SEND_LINKS),
        (
            c.uploads && ctx.can_on_channel(Action::UploadAttachment),
            UPLOAD_FILE,
        ),
        (c.typing_events && read, SEND_TYPING_EVENTS),
        (c.typing_events, TYPING_EVENTS),
        (c.read_events, READ_EVENTS),
        (c.connect_events, CONNECT_EVENTS),
        (c.delivery_events, DELIVERY_EVENTS),
        (c.search && read, SEARCH_MESSAGES),
        (
            c.custom_events && ctx.can_on_channel(Action::SendCustomEvent),
            SEND_CUSTOM_EVENTS,
        ),
        // Message rights: "own" = on a message the requester sent, "any" = on others'.
        (ctx.can(Action::UpdateMessage, true), UPDATE_OWN_MESSAGE),
        (ctx.can(Action::UpdateMessage, false), UPDATE_ANY_MESSAGE),
        (ctx.can(Action::DeleteMessage, true), DELETE_OWN_MESSAGE),
        (ctx.can(Action::DeleteMessage, false), DELETE_ANY_MESSAGE),
        (ctx.can_on_channel(Action::PinMessage), PIN_MESSAGE),
        (ctx.can_on_channel(Action::FlagMessage), FLAG_MESSAGE),
        (
            is_member && ctx.can_on_channel(Action::MuteChannel),
            MUTE_CHANNEL,
        ),
        (
            ctx.can_on_channel(Action::BanChannelMember),
            BAN_CHANNEL_MEMBERS,
        ),
        (
            ctx.can_on_channel(Action::UpdateChannelFrozen),
            FREEZE_CHANNEL,
        ),
        (
            ctx.can_on_channel(Action::UpdateChannelCooldown),
            SET_CHANNEL_COOLDOWN,
        ),
        (
            ctx.can_on_channel(Action::SkipChannelCooldown),
            SKIP_SLOW_MODE,
        ),
        (ctx.slow_mode(), SLOW_MODE),
        (
            !is_member && ctx.can_on_channel(Action::AddOwnChannelMembership),
            JOIN_CHANNEL,
        ),
        (
            is_member && ctx.can_on_channel(Action::RemoveOwnChannelMembership),
            LEAVE_CHANNEL,
        ),
        (ctx.can_on_channel(Action::UpdateChannel), UPDATE_CHANNEL),
        (
            ctx.can_on_channel(Action::UpdateChannelMembers),
            UPDATE_CHANNEL_MEMBERS,
        ),
        (ctx.can_on_channel(Action::DeleteChannel), DELETE_CHANNEL),
        (ctx.can_on_channel(Action::CreateCall), CREATE_CALL),
        (ctx.can_on_channel(Action::JoinCall), JOIN_CALL),
        (polls(Action::SendPoll), SEND_POLL),
        (polls(Action::CastVote), CAST_POLL_VOTE),
        (polls(Action::QueryVotes), QUERY_POLL_VOTES),
        (c.shared_locations, SHARE_LOCATION),
        (
            ctx.can_on_channel(Action::CreateRestrictedVisibilityMessage),
            SEND_RESTRICTED_VISIBILITY_MESSAGE,
        ),
    ];
    let mut caps: Vec<&'static str> = table
        .into_iter()
        .filter_map(|(granted, name)| granted.then_some(name))
        .collect();
    caps.sort_unstable();
    caps.dedup();
    caps
}
