//! Row adapters: the model objects (plus the per-query context a filter can mention) seen
//! as [`FieldSource`]s, so stores evaluate filters and sorts with [`super::matches`] and
//! [`super::compare`] without knowing field names.

use super::eval::{FieldSource, FieldValue};
use super::fields::{ChannelField, MemberField, UserField};
use crate::custom::Custom;
use crate::ids::UserId;
use crate::model::{Channel, InviteState, Member, User};
use crate::time::Timestamp;

/// A channel as one user sees it in Query Channels.
#[derive(Debug, Clone, Copy)]
pub struct ChannelView<'a> {
    /// The channel.
    pub channel: &'a Channel,
    /// The querying user's membership, if any (`joined`, `hidden`, `pinned`…).
    pub member: Option<&'a Member>,
    /// The ids of all members (`members`).
    pub member_ids: &'a [UserId],
    /// The names of the members that have one (`member.user.name`).
    pub member_names: &'a [String],
    /// The querying user's unread count, if they have read state (`has_unread`,
    /// `unread_count`).
    pub unread: Option<u64>,
    /// The querying user muted the channel (`muted`).
    pub muted: bool,
}

/// A user in Query Users.
#[derive(Debug, Clone, Copy)]
pub struct UserView<'a> {
    /// The user.
    pub user: &'a User,
    /// Presence as the querier may see it (the caller applies `invisible`).
    pub online: bool,
}

/// A member in Query Members.
#[derive(Debug, Clone, Copy)]
pub struct MemberView<'a> {
    /// The membership.
    pub member: &'a Member,
    /// The member's user, for `name`, `last_active` and `user.<custom>`; `None` reads
    /// those as missing.
    pub user: Option<&'a User>,
}

fn time(t: Timestamp) -> FieldValue<'static> {
    FieldValue::Time(t)
}

fn opt_time(t: Option<Timestamp>) -> FieldValue<'static> {
    t.map_or(FieldValue::Missing, FieldValue::Time)
}

fn opt_str(s: Option<&str>) -> FieldValue<'_> {
    s.map_or(FieldValue::Missing, FieldValue::str)
}

fn str_list<S: AsRef<str>>(items: &[S]) -> FieldValue<'_> {
    FieldValue::List(items.iter().map(|s| FieldValue::str(s.as_ref())).collect())
}

fn custom<'a>(data: &'a Custom, path: &str) -> FieldValue<'a> {
    FieldValue::from_opt_json(data.get_path(path))
}

/// The `invite` filter's value for a membership; missing if it did not come from an invite.
fn invite(member: &Member) -> FieldValue<'static> {
    match member.invite_state() {
        Some(InviteState::Pending) => FieldValue::str("pending"),
        Some(InviteState::Accepted) => FieldValue::str("accepted"),
        Some(InviteState::Rejected) => FieldValue::str("rejected"),
        None => FieldValue::Missing,
    }
}

/// Counters are unsigned; saturate rather than wrap past `i64::MAX`.
fn count(n: u64) -> FieldValue<'static> {
    FieldValue::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

impl ChannelView<'_> {
    /// A per-user boolean; false when the querier is not a member.
    fn member_flag(&self, flag: impl Fn(&Member) -> bool) -> FieldValue<'static> {
        FieldValue::Bool(self.member.is_some_and(flag))
    }
}

impl FieldSource<ChannelField> for ChannelView<'_> {
    fn get(&self, field: &ChannelField) -> FieldValue<'_> {
        let channel = self.channel;
        match field {
            ChannelField::Cid => FieldValue::str(channel.cid.as_str()),
            ChannelField::Id => FieldValue::str(channel.cid.id().as_str()),
            ChannelField::Type => FieldValue::str(channel.cid.kind().as_str()),
            ChannelField::Members => str_list(self.member_ids),
            ChannelField::Invite => self.member.map_or(FieldValue::Missing, invite),
            ChannelField::Joined => self.member_flag(Member::is_joined),
            ChannelField::Muted => FieldValue::Bool(self.muted),
            ChannelField::Hidden => self.member_flag(|m| m.hidden),
            ChannelField::Pinned => self.member_flag(|m| m.pinned_at.is_some()),
            ChannelField::Archived => self.member_flag(|m| m.archived_at.is_some()),
            ChannelField::MemberUserName => str_list(self.member_names),
            ChannelField::CreatedById => opt_str(channel.created_by.as_ref().map(UserId::as_str)),
            ChannelField::Frozen => FieldValue::Bool(channel.frozen),
            ChannelField::Disabled => FieldValue::Bool(channel.disabled),
            ChannelField::LastMessageAt => opt_time(channel.counters.last_message_at),
            ChannelField::CreatedAt => time(channel.created_at),
            ChannelField::UpdatedAt => time(channel.updated_at),
            ChannelField::LastUpdated => time(channel.last_updated()),
            ChannelField::MemberCount => FieldValue::Int(i64::from(channel.counters.member_count)),
            ChannelField::Team => opt_str(channel.team.as_deref()),
            ChannelField::HasUnread => FieldValue::Bool(self.unread.is_some_and(|n| n > 0)),
            ChannelField::UnreadCount => self.unread.map_or(FieldValue::Missing, count),
            ChannelField::PinnedAt => opt_time(self.member.and_then(|m| m.pinned_at)),
            ChannelField::FilterTags => str_list(&channel.filter_tags),
            ChannelField::Custom(path) => custom(&channel.custom, path),
        }
    }
}

impl FieldSource<UserField> for UserView<'_> {
    fn get(&self, field: &UserField) -> FieldValue<'_> {
        let user = self.user;
        match field {
            UserField::Id => FieldValue::str(user.id.as_str()),
            UserField::Name => opt_str(user.name.as_deref()),
            UserField::Image => opt_str(user.image.as_deref()),
            UserField::Language => opt_str(user.language.as_deref()),
            UserField::Role => FieldValue::str(user.role.as_str()),
            UserField::Banned => FieldValue::Bool(user.banned),
            UserField::ShadowBanned => FieldValue::Bool(user.shadow_banned),
            UserField::LastActive => opt_time(user.last_active),
            UserField::CreatedAt => time(user.created_at),
            UserField::UpdatedAt => time(user.updated_at),
            UserField::Teams => str_list(&user.teams),
            UserField::Online => FieldValue::Bool(self.online),
            UserField::Invisible => FieldValue::Bool(user.invisible),
            UserField::Custom(path) => custom(&user.custom, path),
        }
    }
}

impl FieldSource<MemberField> for MemberView<'_> {
    fn get(&self, field: &MemberField) -> FieldValue<'_> {
        let member = self.member;
        match field {
            MemberField::Id => FieldValue::str(member.user_id.as_str()),
            MemberField::Name => opt_str(self.user.and_then(|u| u.name.as_deref())),
            MemberField::ChannelRole => FieldValue::str(member.channel_role.as_str()),
            MemberField::Banned => FieldValue::Bool(member.banned),
            MemberField::Invite => invite(member),
            MemberField::Joined => FieldValue::Bool(member.is_joined()),
            MemberField::CreatedAt => time(member.created_at),
            MemberField::UpdatedAt => time(member.updated_at),
            MemberField::LastActive => opt_time(self.user.and_then(|u| u.last_active)),
            MemberField::Cid => FieldValue::str(member.cid.as_str()),
            MemberField::UserCustom(path) => self
                .user
                .map_or(FieldValue::Missing, |u| custom(&u.custom, path)),
            MemberField::Custom(path) => custom(&member.custom, path),
        }
    }
}
