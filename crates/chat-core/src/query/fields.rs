//! Filterable and sortable fields of each queryable object.
//!
//! A [`Field`] is the typed form of a filter key or sort field name. Each target (channels,
//! users, members) has its own enum; the trait tells the parser what a field's values look
//! like ([`FieldKind`]), which operators it accepts, and whether it can be sorted on.
//!
//! Name resolution, for every target:
//! * built-in names (see each enum) map to their variant;
//! * built-in object fields the query language does not support (e.g. a channel's
//!   `cooldown`, a user's `deactivated_at`) are rejected: they can never be custom keys, so
//!   treating them as custom would silently match nothing;
//! * `custom.<path>` is always custom data (the prefix is dropped), so a custom key may
//!   share a name with a built-in field;
//! * any other name, including dotted paths `a.b` into nested custom objects, is custom.
//!
//! Operator whitelists follow query-language.md §3.1–3.3. Where the spec marks something
//! DESIGN we are liberal: equality-style fields also take `$ne`/`$nin` (the spec lists them
//! as supported-but-expensive for Query Channels), and optional fields take `$exists`.
//! Operators the spec does not list for a field (`$gt` on `type`, `$autocomplete` on
//! `cid`…) are refused.

use super::Op;

/// What a field's values look like; drives operand type-checking in the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// `true`/`false`.
    Bool,
    /// Integer.
    Int,
    /// Timestamp; operands are RFC3339 strings.
    Time,
    /// Free string (ids, names, roles…).
    Str,
    /// A string restricted to the listed values (e.g. `invite`).
    Enum(&'static [&'static str]),
    /// A list of strings (`members`, `teams`, `filter_tags`…).
    StrList,
    /// Custom data: any JSON.
    Custom,
}

/// A field of a queryable object, as named in filters and sorts.
pub trait Field: Sized + Clone + std::fmt::Debug + PartialEq {
    /// Resolves a filter key or sort field name. `None` for names that cannot be queried
    /// (empty or malformed paths, operators, unsupported built-in fields).
    fn parse(name: &str) -> Option<Self>;

    /// What the field's values look like.
    fn kind(&self) -> FieldKind;

    /// The canonical name (for custom fields: the path without `custom.`).
    fn name(&self) -> &str;

    /// Whether the filter operator may be used on this field.
    fn allows(&self, op: &Op) -> bool;

    /// Whether the field may be used as a sort key.
    fn sortable(&self) -> bool;

    /// Whether an empty condition object (`{"team": {}}`) means "any value, including
    /// none". Multi-tenant apps use it to opt out of the injected team restriction.
    fn empty_means_any(&self) -> bool {
        false
    }
}

impl Op {
    /// The operator as written in JSON (`$eq`, `$in`…), for error messages and whitelists.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Eq(_) => "$eq",
            Op::Ne(_) => "$ne",
            Op::Gt(_) => "$gt",
            Op::Gte(_) => "$gte",
            Op::Lt(_) => "$lt",
            Op::Lte(_) => "$lte",
            Op::In(_) => "$in",
            Op::Nin(_) => "$nin",
            Op::Exists(_) => "$exists",
            Op::Autocomplete(_) => "$autocomplete",
            Op::Contains(_) => "$contains",
            Op::Q(_) => "$q",
        }
    }
}

/// Operator whitelists shared by several fields.
mod ops {
    /// Identifier-like strings and enums: equality and membership.
    pub const EQUALITY: &[&str] = &["$eq", "$ne", "$in", "$nin"];
    /// Equality plus presence, for optional strings.
    pub const OPTIONAL_EQUALITY: &[&str] = &["$eq", "$ne", "$in", "$nin", "$exists"];
    /// Booleans.
    pub const BOOL: &[&str] = &["$eq", "$ne"];
    /// Ordered values that are always present.
    pub const ORDERED: &[&str] = &["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"];
    /// Ordered values that may be absent.
    pub const OPTIONAL_ORDERED: &[&str] = &["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$exists"];
    /// Integers.
    pub const INT: &[&str] = &["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"];
    /// String lists (`members`, `teams`, `filter_tags`).
    pub const LIST: &[&str] = &["$eq", "$ne", "$in", "$nin", "$contains"];
    /// Names people search for.
    pub const NAME: &[&str] = &[
        "$eq",
        "$ne",
        "$in",
        "$nin",
        "$exists",
        "$autocomplete",
        "$q",
    ];
    /// Custom data (query-language.md §3.1 DESIGN).
    pub const CUSTOM: &[&str] = &[
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$nin",
        "$exists",
        "$contains",
        "$autocomplete",
    ];
    /// Sort-only fields.
    pub const NONE: &[&str] = &[];
}

/// The values of the `invite` filter.
pub(crate) const INVITE_STATES: &[&str] = &["pending", "accepted", "rejected"];

/// Splits off custom paths: `custom.<path>` → `Some(path)` even for built-in names;
/// otherwise `None` so the caller tries built-ins first. Malformed paths yield `Err`.
fn custom_path(name: &str) -> Result<Option<&str>, ()> {
    let path = match name.strip_prefix("custom.") {
        Some(rest) => rest,
        None => return Ok(None),
    };
    if valid_path(path) {
        Ok(Some(path))
    } else {
        Err(())
    }
}

/// A usable custom path: non-empty segments, not an operator.
fn valid_path(path: &str) -> bool {
    !path.is_empty() && !path.starts_with('$') && path.split('.').all(|s| !s.is_empty())
}

/// Shared name resolution: explicit `custom.` paths, then built-ins, then refused
/// built-ins, then anything else as custom.
pub(super) fn resolve<T>(
    name: &str,
    builtin: impl Fn(&str) -> Option<T>,
    unsupported: &[&str],
    custom: impl Fn(String) -> T,
) -> Option<T> {
    if let Some(path) = custom_path(name).ok()? {
        return Some(custom(path.to_owned()));
    }
    if let Some(field) = builtin(name) {
        return Some(field);
    }
    if unsupported.contains(&name) || !valid_path(name) {
        return None;
    }
    Some(custom(name.to_owned()))
}

/// Fields of Query Channels (query-language.md §3.1). Per-user fields (`joined`, `hidden`,
/// `pinned`…) are about the querying user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelField {
    /// `cid` (`type:id`).
    Cid,
    /// `id`.
    Id,
    /// `type`.
    Type,
    /// `members`: the member user ids.
    Members,
    /// `invite`: the requester's invite state (`pending`/`accepted`/`rejected`).
    Invite,
    /// `joined`: the requester is a member that is not a pending or rejected invitee.
    Joined,
    /// `muted`: the requester muted the channel.
    Muted,
    /// `hidden`: the requester hid the channel.
    Hidden,
    /// `pinned`: the requester pinned the channel.
    Pinned,
    /// `archived`: the requester archived the channel.
    Archived,
    /// `member.user.name`: the names of the members.
    MemberUserName,
    /// `created_by_id`.
    CreatedById,
    /// `frozen`.
    Frozen,
    /// `disabled`.
    Disabled,
    /// `last_message_at`.
    LastMessageAt,
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `last_updated`: `max(last_message_at, created_at)`.
    LastUpdated,
    /// `member_count`.
    MemberCount,
    /// `team`.
    Team,
    /// `has_unread`: the requester has unread messages.
    HasUnread,
    /// `unread_count` (sort only): the requester's unread messages.
    UnreadCount,
    /// `pinned_at` (sort only): when the requester pinned the channel.
    PinnedAt,
    /// `filter_tags`.
    FilterTags,
    /// Custom data by (dotted) path; `name` and `image` are custom on channels.
    Custom(String),
}

/// Built-in channel fields that exist on the object but cannot be queried. `app_banned`
/// is a Query Channels option with its own semantics; the engine must take it out of the
/// filter before parsing.
const CHANNEL_UNSUPPORTED: &[&str] = &[
    "app_banned",
    "auto_translation_enabled",
    "auto_translation_language",
    "blocked",
    "config",
    "config_overrides",
    "cooldown",
    "created_by",
    "deleted_at",
    "message_count",
    "own_capabilities",
    "push_preferences",
    "truncated_at",
    "truncated_by",
];

impl ChannelField {
    fn builtin(name: &str) -> Option<Self> {
        Some(match name {
            "cid" => Self::Cid,
            "id" => Self::Id,
            "type" => Self::Type,
            "members" => Self::Members,
            "invite" => Self::Invite,
            "joined" => Self::Joined,
            "muted" => Self::Muted,
            "hidden" => Self::Hidden,
            "pinned" => Self::Pinned,
            "archived" => Self::Archived,
            "member.user.name" => Self::MemberUserName,
            "created_by_id" => Self::CreatedById,
            "frozen" => Self::Frozen,
            "disabled" => Self::Disabled,
            "last_message_at" => Self::LastMessageAt,
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "last_updated" => Self::LastUpdated,
            "member_count" => Self::MemberCount,
            "team" => Self::Team,
            "has_unread" => Self::HasUnread,
            "unread_count" => Self::UnreadCount,
            "pinned_at" => Self::PinnedAt,
            "filter_tags" => Self::FilterTags,
            _ => return None,
        })
    }

    fn ops(&self) -> &'static [&'static str] {
        match self {
            // The spec lists only `$eq`/`$in` for these; `$ne`/`$nin` are DESIGN.
            Self::Cid | Self::Id | Self::Type | Self::Invite => ops::EQUALITY,
            Self::CreatedById | Self::Team => ops::OPTIONAL_EQUALITY,
            Self::Members | Self::FilterTags => ops::LIST,
            Self::MemberUserName => &["$eq", "$in", "$autocomplete", "$q"],
            Self::Joined
            | Self::Muted
            | Self::Hidden
            | Self::Pinned
            | Self::Archived
            | Self::Frozen
            | Self::Disabled => ops::BOOL,
            // The spec says `true` only; `false` is cheap for us, so both are accepted.
            Self::HasUnread => &["$eq"],
            Self::LastMessageAt | Self::CreatedAt => ops::OPTIONAL_ORDERED,
            Self::UpdatedAt | Self::LastUpdated => ops::ORDERED,
            Self::MemberCount => ops::INT,
            Self::UnreadCount | Self::PinnedAt => ops::NONE,
            Self::Custom(_) => ops::CUSTOM,
        }
    }
}

impl Field for ChannelField {
    fn parse(name: &str) -> Option<Self> {
        resolve(name, Self::builtin, CHANNEL_UNSUPPORTED, Self::Custom)
    }

    fn kind(&self) -> FieldKind {
        match self {
            Self::Cid | Self::Id | Self::Type | Self::CreatedById | Self::Team => FieldKind::Str,
            Self::Invite => FieldKind::Enum(INVITE_STATES),
            Self::Members | Self::MemberUserName | Self::FilterTags => FieldKind::StrList,
            Self::Joined
            | Self::Muted
            | Self::Hidden
            | Self::Pinned
            | Self::Archived
            | Self::Frozen
            | Self::Disabled
            | Self::HasUnread => FieldKind::Bool,
            Self::LastMessageAt
            | Self::CreatedAt
            | Self::UpdatedAt
            | Self::LastUpdated
            | Self::PinnedAt => FieldKind::Time,
            Self::MemberCount | Self::UnreadCount => FieldKind::Int,
            Self::Custom(_) => FieldKind::Custom,
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Cid => "cid",
            Self::Id => "id",
            Self::Type => "type",
            Self::Members => "members",
            Self::Invite => "invite",
            Self::Joined => "joined",
            Self::Muted => "muted",
            Self::Hidden => "hidden",
            Self::Pinned => "pinned",
            Self::Archived => "archived",
            Self::MemberUserName => "member.user.name",
            Self::CreatedById => "created_by_id",
            Self::Frozen => "frozen",
            Self::Disabled => "disabled",
            Self::LastMessageAt => "last_message_at",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::LastUpdated => "last_updated",
            Self::MemberCount => "member_count",
            Self::Team => "team",
            Self::HasUnread => "has_unread",
            Self::UnreadCount => "unread_count",
            Self::PinnedAt => "pinned_at",
            Self::FilterTags => "filter_tags",
            Self::Custom(path) => path,
        }
    }

    fn allows(&self, op: &Op) -> bool {
        self.ops().contains(&op.name())
    }

    fn sortable(&self) -> bool {
        matches!(
            self,
            Self::LastUpdated
                | Self::LastMessageAt
                | Self::UpdatedAt
                | Self::CreatedAt
                | Self::MemberCount
                | Self::UnreadCount
                | Self::HasUnread
                | Self::PinnedAt
                | Self::Custom(_)
        )
    }

    fn empty_means_any(&self) -> bool {
        matches!(self, Self::Team)
    }
}

/// Fields of Query Users (query-language.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserField {
    /// `id`.
    Id,
    /// `name` (stored in `User::name`).
    Name,
    /// `image` (stored in `User::image`).
    Image,
    /// `language`.
    Language,
    /// `role`: the app-level role.
    Role,
    /// `banned`: the app-level ban flag.
    Banned,
    /// `shadow_banned`.
    ShadowBanned,
    /// `last_active`.
    LastActive,
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `teams`.
    Teams,
    /// `online`: presence as others see it.
    Online,
    /// `invisible`.
    Invisible,
    /// Custom data by (dotted) path (e.g. `username`, `email`).
    Custom(String),
}

/// Built-in user fields that exist on the object but cannot be queried.
const USER_UNSUPPORTED: &[&str] = &[
    "avg_response_time",
    "ban_expires",
    "blocked_user_ids",
    "channel_mutes",
    "deactivated_at",
    "deleted_at",
    "devices",
    "mutes",
    "privacy_settings",
    "push_preferences",
    "revoke_tokens_issued_before",
    "teams_role",
];

impl UserField {
    fn builtin(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "image" => Self::Image,
            "language" => Self::Language,
            "role" => Self::Role,
            "banned" => Self::Banned,
            "shadow_banned" => Self::ShadowBanned,
            "last_active" => Self::LastActive,
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "teams" => Self::Teams,
            "online" => Self::Online,
            "invisible" => Self::Invisible,
            _ => return None,
        })
    }

    fn ops(&self) -> &'static [&'static str] {
        match self {
            // Ids are what people type into user pickers, so they autocomplete too.
            Self::Id => &["$eq", "$ne", "$in", "$nin", "$autocomplete"],
            Self::Name => ops::NAME,
            Self::Image | Self::Language => ops::OPTIONAL_EQUALITY,
            Self::Role => ops::EQUALITY,
            Self::Banned | Self::ShadowBanned | Self::Online | Self::Invisible => ops::BOOL,
            Self::LastActive => ops::OPTIONAL_ORDERED,
            Self::CreatedAt | Self::UpdatedAt => ops::ORDERED,
            Self::Teams => ops::LIST,
            Self::Custom(_) => ops::CUSTOM,
        }
    }
}

impl Field for UserField {
    fn parse(name: &str) -> Option<Self> {
        resolve(name, Self::builtin, USER_UNSUPPORTED, Self::Custom)
    }

    fn kind(&self) -> FieldKind {
        match self {
            Self::Id | Self::Name | Self::Image | Self::Language | Self::Role => FieldKind::Str,
            Self::Banned | Self::ShadowBanned | Self::Online | Self::Invisible => FieldKind::Bool,
            Self::LastActive | Self::CreatedAt | Self::UpdatedAt => FieldKind::Time,
            Self::Teams => FieldKind::StrList,
            Self::Custom(_) => FieldKind::Custom,
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::Image => "image",
            Self::Language => "language",
            Self::Role => "role",
            Self::Banned => "banned",
            Self::ShadowBanned => "shadow_banned",
            Self::LastActive => "last_active",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Teams => "teams",
            Self::Online => "online",
            Self::Invisible => "invisible",
            Self::Custom(path) => path,
        }
    }

    fn allows(&self, op: &Op) -> bool {
        self.ops().contains(&op.name())
    }

    fn sortable(&self) -> bool {
        // `name` is custom-like on the wire (objects.md §2), and custom fields sort.
        matches!(
            self,
            Self::Id
                | Self::Name
                | Self::CreatedAt
                | Self::UpdatedAt
                | Self::LastActive
                | Self::Custom(_)
        )
    }

    fn empty_means_any(&self) -> bool {
        matches!(self, Self::Teams)
    }
}

/// Fields of Query Members (query-language.md §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberField {
    /// `id` (also `user_id`, `user.id`): the member's user id.
    Id,
    /// `name` (also `user.name`): the member's user name.
    Name,
    /// `channel_role`.
    ChannelRole,
    /// `banned`: the channel-level ban flag.
    Banned,
    /// `invite`: `pending`/`accepted`/`rejected`.
    Invite,
    /// `joined`: not a pending or rejected invitee.
    Joined,
    /// `created_at`: when the membership started.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `last_active` (also `user.last_active`): the user's last activity.
    LastActive,
    /// `cid`.
    Cid,
    /// `user.<path>`: the user's custom data (e.g. `user.email`).
    UserCustom(String),
    /// Member custom data by (dotted) path.
    Custom(String),
}

/// Built-in member fields that exist on the object but cannot be queried.
const MEMBER_UNSUPPORTED: &[&str] = &[
    "archived_at",
    "ban_expires",
    "invite_accepted_at",
    "invite_rejected_at",
    "invited",
    "is_moderator",
    "notifications_muted",
    "pinned_at",
    "role",
    "shadow_banned",
    "status",
    "user",
];

impl MemberField {
    fn builtin(name: &str) -> Option<Self> {
        Some(match name {
            "id" | "user_id" | "user.id" => Self::Id,
            "name" | "user.name" => Self::Name,
            "channel_role" => Self::ChannelRole,
            "banned" => Self::Banned,
            "invite" => Self::Invite,
            "joined" => Self::Joined,
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "last_active" | "user.last_active" => Self::LastActive,
            "cid" => Self::Cid,
            _ => return None,
        })
    }

    /// `user.<x>`: user custom data, unless `x` is a built-in user field (those other than
    /// id, name and last_active are not member filters, so they are refused).
    fn user_path(name: &str) -> Option<Option<Self>> {
        let rest = name.strip_prefix("user.")?;
        let path = rest.strip_prefix("custom.").unwrap_or(rest);
        if !valid_path(path) {
            return Some(None);
        }
        let builtin = rest == path && UserField::builtin(path).is_some();
        let refused = rest == path && USER_UNSUPPORTED.contains(&path);
        Some((!builtin && !refused).then(|| Self::UserCustom(path.to_owned())))
    }

    fn ops(&self) -> &'static [&'static str] {
        match self {
            Self::Id => &["$eq", "$ne", "$in", "$nin", "$autocomplete"],
            Self::Name => ops::NAME,
            Self::ChannelRole | Self::Invite => ops::EQUALITY,
            Self::Cid => &["$eq", "$in"],
            Self::Banned | Self::Joined => ops::BOOL,
            Self::CreatedAt | Self::UpdatedAt => ops::ORDERED,
            Self::LastActive => ops::OPTIONAL_ORDERED,
            Self::UserCustom(_) | Self::Custom(_) => ops::CUSTOM,
        }
    }
}

impl Field for MemberField {
    fn parse(name: &str) -> Option<Self> {
        if let Some(field) = Self::builtin(name) {
            return Some(field);
        }
        if let Some(user) = Self::user_path(name) {
            return user;
        }
        resolve(name, |_| None, MEMBER_UNSUPPORTED, Self::Custom)
    }

    fn kind(&self) -> FieldKind {
        match self {
            Self::Id | Self::Name | Self::ChannelRole | Self::Cid => FieldKind::Str,
            Self::Banned | Self::Joined => FieldKind::Bool,
            Self::Invite => FieldKind::Enum(INVITE_STATES),
            Self::CreatedAt | Self::UpdatedAt | Self::LastActive => FieldKind::Time,
            Self::UserCustom(_) | Self::Custom(_) => FieldKind::Custom,
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::ChannelRole => "channel_role",
            Self::Banned => "banned",
            Self::Invite => "invite",
            Self::Joined => "joined",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::LastActive => "last_active",
            Self::Cid => "cid",
            Self::UserCustom(path) | Self::Custom(path) => path,
        }
    }

    fn allows(&self, op: &Op) -> bool {
        self.ops().contains(&op.name())
    }

    fn sortable(&self) -> bool {
        matches!(
            self,
            Self::Id
                | Self::Name
                | Self::CreatedAt
                | Self::UpdatedAt
                | Self::LastActive
                | Self::UserCustom(_)
                | Self::Custom(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Value;

    #[test]
    fn channel_names_resolve() {
        assert_eq!(ChannelField::parse("type"), Some(ChannelField::Type));
        assert_eq!(
            ChannelField::parse("member.user.name"),
            Some(ChannelField::MemberUserName)
        );
        assert_eq!(
            ChannelField::parse("name"),
            Some(ChannelField::Custom("name".into()))
        );
        assert_eq!(
            ChannelField::parse("custom.type"),
            Some(ChannelField::Custom("type".into()))
        );
        assert_eq!(
            ChannelField::parse("a.b.c"),
            Some(ChannelField::Custom("a.b.c".into()))
        );
        for bad in [
            "",
            "a..b",
            ".a",
            "a.",
            "custom.",
            "custom..x",
            "$eq",
            "cooldown",
            "app_banned",
        ] {
            assert_eq!(ChannelField::parse(bad), None, "{bad}");
        }
        // Built-in variants round-trip through their names.
        for name in [
            "cid",
            "joined",
            "last_updated",
            "unread_count",
            "filter_tags",
        ] {
            let field = ChannelField::parse(name).unwrap();
            assert_eq!(field.name(), name);
            assert_ne!(field.kind(), FieldKind::Custom);
        }
    }

    #[test]
    fn user_and_member_names_resolve() {
        assert_eq!(UserField::parse("name"), Some(UserField::Name));
        assert_eq!(
            UserField::parse("username"),
            Some(UserField::Custom("username".into()))
        );
        assert_eq!(UserField::parse("deactivated_at"), None);
        assert_eq!(MemberField::parse("user_id"), Some(MemberField::Id));
        assert_eq!(MemberField::parse("user.name"), Some(MemberField::Name));
        assert_eq!(
            MemberField::parse("user.email"),
            Some(MemberField::UserCustom("email".into()))
        );
        assert_eq!(
            MemberField::parse("user.custom.role"),
            Some(MemberField::UserCustom("role".into()))
        );
        assert_eq!(MemberField::parse("user.role"), None);
        assert_eq!(MemberField::parse("user.devices"), None);
        assert_eq!(MemberField::parse("user"), None);
        assert_eq!(MemberField::parse("user..x"), None);
        assert_eq!(
            MemberField::parse("custom.user"),
            Some(MemberField::Custom("user".into()))
        );
        assert_eq!(MemberField::parse("pinned_at"), None);
    }

    #[test]
    fn whitelists() {
        let eq = Op::Eq(Value::Null);
        let gt = Op::Gt(Value::Null);
        assert!(ChannelField::Type.allows(&eq));
        assert!(!ChannelField::Type.allows(&gt));
        assert!(ChannelField::CreatedAt.allows(&gt));
        assert!(!ChannelField::UnreadCount.allows(&eq));
        assert!(ChannelField::Custom("x".into()).allows(&Op::Autocomplete("a".into())));
        assert!(!ChannelField::Custom("x".into()).allows(&Op::Q("a".into())));
        assert!(UserField::Name.allows(&Op::Q("a".into())));
        assert!(MemberField::UserCustom("email".into()).allows(&Op::Autocomplete("a".into())));
        assert!(!MemberField::Cid.allows(&Op::Nin(vec![])));
        assert!(ChannelField::PinnedAt.sortable());
        assert!(!ChannelField::Type.sortable());
        assert!(!UserField::Role.sortable());
        assert!(MemberField::Id.sortable());
        assert!(ChannelField::Team.empty_means_any());
        assert!(UserField::Teams.empty_means_any());
        assert!(!MemberField::Cid.empty_means_any());
    }
}
