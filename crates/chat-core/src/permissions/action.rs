//! Actions a subject may be granted (api-spec/permissions.md §3) and the permission ids that
//! grant them.
//!
//! A permission id is the kebab-case action name, optionally followed by `-owner` (the
//! subject must own the resource) and then `-any-team` (cross-team allowed in multi-tenant
//! apps), e.g. `delete-channel-owner-any-team`.

use std::fmt;

/// Suffix of permission ids that require the subject to own the resource.
pub const OWNER_SUFFIX: &str = "-owner";
/// Suffix of permission ids that also apply across teams (multi-tenant apps).
pub const ANY_TEAM_SUFFIX: &str = "-any-team";

/// Which grants table an action is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The `.app` scope: app-wide actions on users, flag reports and polls.
    App,
    /// The scope of the channel's type (`messaging`, `livestream`, …), with the channel's
    /// grant modifiers applied.
    ChannelType,
}

/// The kind of resource an action acts on; it fixes what "owned by the subject" means for
/// `-owner` permissions (permissions.md §3, "Ownership").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// Owned by the channel's creator.
    Channel,
    /// Owned by the message's sender.
    Message,
    /// Owned by the attachment's uploader.
    Attachment,
    /// Owned by the reaction's author. DESIGN: §3 files `DeleteReaction` under Channel, but
    /// `channel_member` has no `delete-reaction`, so only author ownership lets members
    /// remove their own reactions through the `user` role's `delete-reaction-owner`.
    Reaction,
    /// A user owns itself.
    User,
    /// Flag reports (no meaningful owner).
    FlagReport,
    /// Owned by the poll's creator.
    Poll,
}

/// Generates [`Action`] and its per-variant facts from one audit-friendly table.
macro_rules! actions {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $id:literal, $resource:ident, $scope:ident;
    )*) => {
        /// A chat-relevant action of permissions.md §3.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The kebab-case permission id granting this action (without suffixes).
            pub const fn permission_id(self) -> &'static str {
                match self { $(Action::$variant => $id),* }
            }

            /// The kind of resource acted on (defines ownership for `-owner` grants).
            pub const fn resource(self) -> ResourceKind {
                match self { $(Action::$variant => ResourceKind::$resource),* }
            }

            /// The grants scope the action is checked in.
            pub const fn scope(self) -> Scope {
                match self { $(Action::$variant => Scope::$scope),* }
            }
        }
    };
}

actions! {
    // [Channel] actions: checked in the channel type's scope; owner = channel creator.
    /// Create a channel.
    CreateChannel = "create-channel", Channel, ChannelType;
    /// Read a channel (query, watch, message lists).
    ReadChannel = "read-channel", Channel, ChannelType;
    /// Read a channel's member list.
    ReadChannelMembers = "read-channel-members", Channel, ChannelType;
    /// Update a channel's data.
    UpdateChannel = "update-channel", Channel, ChannelType;
    /// Add, remove, invite members.
    UpdateChannelMembers = "update-channel-members", Channel, ChannelType;
    /// Freeze or unfreeze.
    UpdateChannelFrozen = "update-channel-frozen", Channel, ChannelType;
    /// Set slow mode.
    UpdateChannelCooldown = "update-channel-cooldown", Channel, ChannelType;
    /// Delete a channel.
    DeleteChannel = "delete-channel", Channel, ChannelType;
    /// Truncate a channel's history.
    TruncateChannel = "truncate-channel", Channel, ChannelType;
    /// Re-create a deleted channel.
    RecreateChannel = "recreate-channel", Channel, ChannelType;
    /// Send a message.
    CreateMessage = "create-message", Channel, ChannelType;
    /// Send a `system` message.
    CreateSystemMessage = "create-system-message", Channel, ChannelType;
    /// Send a message with attachments.
    CreateAttachment = "create-attachment", Channel, ChannelType;
    /// Mention users.
    CreateMention = "create-mention", Channel, ChannelType;
    /// Send links.
    AddLinks = "add-links", Channel, ChannelType;
    /// Add a reaction.
    CreateReaction = "create-reaction", Channel, ChannelType;
    /// Remove a reaction.
    DeleteReaction = "delete-reaction", Reaction, ChannelType;
    /// Pin or unpin a message.
    PinMessage = "pin-message", Channel, ChannelType;
    /// Flag a message.
    FlagMessage = "flag-message", Channel, ChannelType;
    /// Mute a channel.
    MuteChannel = "mute-channel", Channel, ChannelType;
    /// Ban a member from the channel.
    BanChannelMember = "ban-channel-member", Channel, ChannelType;
    /// Send a custom event.
    SendCustomEvent = "send-custom-event", Channel, ChannelType;
    /// Ignore slow mode.
    SkipChannelCooldown = "skip-channel-cooldown", Channel, ChannelType;
    /// Bypass message moderation.
    SkipMessageModeration = "skip-message-moderation", Channel, ChannelType;
    /// Upload a file or image.
    UploadAttachment = "upload-attachment", Channel, ChannelType;
    /// Write in a frozen channel.
    UseFrozenChannel = "use-frozen-channel", Channel, ChannelType;
    /// Join a channel (become a member).
    AddOwnChannelMembership = "add-own-channel-membership", Channel, ChannelType;
    /// Leave a channel.
    RemoveOwnChannelMembership = "remove-own-channel-membership", Channel, ChannelType;
    /// Read the flags of messages.
    ReadMessageFlags = "read-message-flags", Channel, ChannelType;
    /// Create a distinct channel the subject is not a member of.
    CreateDistinctChannelForOthers = "create-distinct-channel-for-others", Channel, ChannelType;
    /// Start a call.
    CreateCall = "create-call", Channel, ChannelType;
    /// Join a call.
    JoinCall = "join-call", Channel, ChannelType;
    /// Send a poll.
    SendPoll = "send-poll", Channel, ChannelType;
    /// Vote in a poll.
    CastVote = "cast-vote", Channel, ChannelType;
    /// List poll votes.
    QueryVotes = "query-votes", Channel, ChannelType;

    // [Message] and [Attachment] actions: owner = sender / uploader.
    /// Edit a message.
    UpdateMessage = "update-message", Message, ChannelType;
    /// Delete a message.
    DeleteMessage = "delete-message", Message, ChannelType;
    /// Run a message action (e.g. giphy shuffle).
    RunMessageAction = "run-message-action", Message, ChannelType;
    /// Release a message blocked by moderation.
    UnblockMessage = "unblock-message", Message, ChannelType;
    /// Delete an uploaded file.
    DeleteAttachment = "delete-attachment", Attachment, ChannelType;

    // [User] actions filed by §3 under User but checked inside a channel: they appear in the
    // channel-type tables (`ban-user` is part of the "full set").
    /// Ban a user.
    BanUser = "ban-user", User, ChannelType;
    /// Read a disabled channel.
    ReadDisabledChannel = "read-disabled-channel", User, ChannelType;
    /// Send a message visible only to some members.
    CreateRestrictedVisibilityMessage = "create-restricted-visibility-message", User, ChannelType;
    /// See messages of restricted visibility.
    ReadRestrictedVisibilityMessage = "read-restricted-visibility-message", User, ChannelType;

    // `.app` scope: users, flag reports, polls. Owner = the user itself / poll creator.
    /// Update a user (`update-user-owner`: oneself, except role and teams).
    UpdateUser = "update-user", User, App;
    /// Change a user's role.
    UpdateUserRole = "update-user-role", User, App;
    /// Change a user's teams.
    UpdateUserTeams = "update-user-teams", User, App;
    /// Query users.
    SearchUser = "search-user", User, App;
    /// Flag a user.
    FlagUser = "flag-user", User, App;
    /// Mute a user.
    MuteUser = "mute-user", User, App;
    /// Read flag reports.
    ReadFlagReports = "read-flag-reports", FlagReport, App;
    /// Review a flag report.
    UpdateFlagReport = "update-flag-report", FlagReport, App;
    /// Create a poll.
    CreatePoll = "create-poll", Poll, App;
    /// Update a poll.
    UpdatePoll = "update-poll", Poll, App;
    /// Delete a poll.
    DeletePoll = "delete-poll", Poll, App;
    /// Close a poll.
    ClosePoll = "close-poll", Poll, App;
    /// Query polls.
    QueryPolls = "query-polls", Poll, App;
}

impl Action {
    /// The action granted by a suffix-free permission id, e.g. `create-message`.
    pub fn from_permission_id(id: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.permission_id() == id)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.permission_id())
    }
}

/// A permission id split into its action and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission {
    /// The action granted.
    pub action: Action,
    /// `-owner`: only on resources the subject owns.
    pub owner: bool,
    /// `-any-team`: also on resources of other teams.
    pub any_team: bool,
}

impl Permission {
    /// Parses a permission id; `None` for ids naming no known action (custom permissions).
    pub fn parse(id: &str) -> Option<Permission> {
        let parts = split_id(id);
        Some(Permission {
            action: Action::from_permission_id(parts.base)?,
            owner: parts.owner,
            any_team: parts.any_team,
        })
    }

    /// The permission id, e.g. `delete-channel-owner-any-team`.
    pub fn id(&self) -> String {
        let mut id = self.action.permission_id().to_owned();
        if self.owner {
            id.push_str(OWNER_SUFFIX);
        }
        if self.any_team {
            id.push_str(ANY_TEAM_SUFFIX);
        }
        id
    }
}

/// A permission id split without allocating or resolving the action.
pub(crate) struct IdParts<'a> {
    /// The action part.
    pub(crate) base: &'a str,
    /// Had `-owner`.
    pub(crate) owner: bool,
    /// Had `-any-team`.
    pub(crate) any_team: bool,
}

/// Splits `base[-owner][-any-team]`. No action id ends in `-owner` or `-any-team`, so
/// stripping the suffixes is unambiguous (checked by a test).
pub(crate) fn split_id(id: &str) -> IdParts<'_> {
    let (rest, any_team) = match id.strip_suffix(ANY_TEAM_SUFFIX) {
        Some(rest) => (rest, true),
        None => (id, false),
    };
    let (base, owner) = match rest.strip_suffix(OWNER_SUFFIX) {
        Some(base) => (base, true),
        None => (rest, false),
    };
    IdParts {
        base,
        owner,
        any_team,
    }
}
