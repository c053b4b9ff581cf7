//! The fixed mapping from query fields to SQL expressions over the schema, mirroring
//! chat-core's row views (`chat_core::query::{ChannelView, UserView, MemberView}`) field
//! by field. Only names written here reach SQL; custom paths are bound parameters.
//!
//! Aliases the expressions expect: channel queries `c` (channels), `m` (the querying
//! user's membership, LEFT JOINed) and `r` (their read state, LEFT JOINed); user queries
//! `u`; member queries `m` (members) and `u` (their users, LEFT JOINed).

use chat_core::query::{ChannelField, MemberField, UserField};

use crate::sql_filter::{Bind, Column, Scalar, Sql};

fn text(expr: &str) -> Column {
    Column::Scalar(Scalar::Text, Sql::raw(format!("({expr}) COLLATE \"C\"")))
}

fn boolean(expr: &str) -> Column {
    Column::Scalar(Scalar::Bool, Sql::raw(format!("coalesce({expr}, false)")))
}

fn int(expr: &str) -> Column {
    Column::Scalar(Scalar::Int, Sql::raw(expr))
}

fn time(expr: &str) -> Column {
    Column::Scalar(Scalar::Time, Sql::raw(expr))
}

/// A time stored in `data` as microseconds.
fn data_time(alias: &str, key: &str) -> Column {
    time(&format!("({alias}.data ->> '{key}')::bigint"))
}

fn data_bool(alias: &str, key: &str) -> Column {
    boolean(&format!("({alias}.data ->> '{key}')::boolean"))
}

fn data_text(alias: &str, key: &str) -> Column {
    text(&format!("{alias}.data ->> '{key}'"))
}

/// Custom data at a dotted path: `-> key` per segment, which (unlike `#>`) never indexes
/// into arrays, as `Custom::get_path` does not.
fn custom(alias: &str, path: &str) -> Column {
    let mut sql = Sql::raw(format!("({alias}.data -> 'custom'"));
    for segment in path.split('.') {
        sql = sql
            .push(" -> CAST(")
            .push_bind(Bind::Text(segment.to_owned()))
            .push(" AS text)");
    }
    Column::Json(sql.push(")"))
}

/// `Member::invite_state` as text (NULL when not from an invite or no membership).
fn invite(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}.user_id IS NULL THEN NULL \
         WHEN ({alias}.data ->> 'invite_rejected_at') IS NOT NULL THEN 'rejected' \
         WHEN ({alias}.data ->> 'invite_accepted_at') IS NOT NULL THEN 'accepted' \
         WHEN coalesce(({alias}.data ->> 'invited')::boolean, false) THEN 'pending' END"
    )
}

/// `Member::is_joined` (false when there is no membership).
fn joined(alias: &str) -> String {
    format!(
        "{alias}.user_id IS NOT NULL AND ({alias}.data ->> 'invite_rejected_at') IS NULL \
         AND (({alias}.data ->> 'invite_accepted_at') IS NOT NULL \
         OR NOT coalesce(({alias}.data ->> 'invited')::boolean, false))"
    )
}

/// `chat_core::read_state::unread_count` over `c` and `r`; NULL without a read state.
pub(crate) const UNREAD: &str = "CASE WHEN r.user_id IS NULL THEN NULL ELSE \
     GREATEST(GREATEST(c.last_seq - GREATEST(r.last_read_seq, c.truncated_seq), 0) \
     - (SELECT count(*) FROM unnest(c.deleted_seqs) AS d(s) \
        WHERE d.s > GREATEST(r.last_read_seq, c.truncated_seq)) \
     - CASE WHEN r.last_read_seq >= c.truncated_seq THEN r.own_after_cursor ELSE 0 END, 0) END";

/// A channel field in a channel query.
pub(crate) fn channel(field: &ChannelField) -> Option<Column> {
    Some(match field {
        ChannelField::Cid => text("c.cid"),
        ChannelField::Id => text("substr(c.cid, strpos(c.cid, ':') + 1)"),
        ChannelField::Type => Column::CidType("c.cid"),
        ChannelField::Members => Column::List {
            source: "FROM members x WHERE x.app_id = c.app_id AND x.cid = c.cid",
            element: "x.user_id",
        },
        ChannelField::Invite => text(&invite("m")),
        ChannelField::Joined => boolean(&joined("m")),
        // Mutes are not stored: `muted` reads false, as in the reference view.
        ChannelField::Muted => boolean("false"),
        ChannelField::Hidden => boolean("m.hidden"),
        ChannelField::Pinned => boolean("(m.data ->> 'pinned_at') IS NOT NULL"),
        ChannelField::Archived => boolean("(m.data ->> 'archived_at') IS NOT NULL"),
        ChannelField::MemberUserName => Column::List {
            source: "FROM members x JOIN users n ON n.app_id = x.app_id AND n.id = x.user_id \
                     WHERE x.app_id = c.app_id AND x.cid = c.cid",
            element: "(n.data ->> 'name')",
        },
        ChannelField::CreatedById => data_text("c", "created_by"),
        ChannelField::Frozen => data_bool("c", "frozen"),
        ChannelField::Disabled => data_bool("c", "disabled"),
        ChannelField::LastMessageAt => time("c.last_message_at"),
        ChannelField::CreatedAt => data_time("c", "created_at"),
        ChannelField::UpdatedAt => data_time("c", "updated_at"),
        // GREATEST ignores NULL: no message means created_at.
        ChannelField::LastUpdated => {
            time("GREATEST(c.last_message_at, (c.data ->> 'created_at')::bigint)")
        }
        ChannelField::MemberCount => int("c.member_count"),
        ChannelField::Team => data_text("c", "team"),
        ChannelField::HasUnread => boolean(&format!("({UNREAD}) > 0")),
        ChannelField::UnreadCount => int(&format!("({UNREAD})")),
        ChannelField::PinnedAt => data_time("m", "pinned_at"),
        ChannelField::FilterTags => Column::List {
            source: "FROM jsonb_array_elements_text(c.data -> 'filter_tags') AS t(el) WHERE true",
            element: "t.el",
        },
        ChannelField::Custom(path) => custom("c", path),
    })
}

/// A user field in a user query.
pub(crate) fn user(field: &UserField) -> Option<Column> {
    Some(match field {
        UserField::Id => text("u.id"),
        UserField::Name => data_text("u", "name"),
        UserField::Image => data_text("u", "image"),
        UserField::Language => data_text("u", "language"),
        UserField::Role => data_text("u", "role"),
        UserField::Banned => data_bool("u", "banned"),
        UserField::ShadowBanned => data_bool("u", "shadow_banned"),
        UserField::LastActive => data_time("u", "last_active"),
        UserField::CreatedAt => data_time("u", "created_at"),
        UserField::UpdatedAt => data_time("u", "updated_at"),
        UserField::Teams => Column::List {
            source: "FROM jsonb_array_elements_text(u.data -> 'teams') AS t(el) WHERE true",
            element: "t.el",
        },
        // Presence is not stored: `online` reads false, as in the reference view.
        UserField::Online => boolean("false"),
        UserField::Invisible => data_bool("u", "invisible"),
        UserField::Custom(path) => custom("u", path),
    })
}

/// A member field in a member query.
pub(crate) fn member(field: &MemberField) -> Option<Column> {
    Some(match field {
        MemberField::Id => text("m.user_id"),
        MemberField::Name => data_text("u", "name"),
        MemberField::ChannelRole => data_text("m", "channel_role"),
        MemberField::Banned => data_bool("m", "banned"),
        MemberField::Invite => text(&invite("m")),
        MemberField::Joined => boolean(&joined("m")),
        MemberField::CreatedAt => data_time("m", "created_at"),
        MemberField::UpdatedAt => data_time("m", "updated_at"),
        MemberField::LastActive => data_time("u", "last_active"),
        MemberField::Cid => text("m.cid"),
        MemberField::UserCustom(path) => custom("u", path),
        MemberField::Custom(path) => custom("m", path),
    })
}
