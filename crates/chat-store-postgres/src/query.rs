//! Query Users, Query Channels and Query Members.
//!
//! SQL narrows the candidates: the app; ids or cids that every match must carry (an
//! `id`/`cid` condition with `$eq`, `$in` or `$contains`); the channels of the users a
//! `members` condition names; the querying user's memberships when a per-user condition
//! (`joined: true`, `hidden: true`, `invite: …`) can only hold for members. The filter and
//! sort are then evaluated in Rust with chat-core's reference evaluator
//! (`chat_core::query::{matches, compare}`), exactly as the memory store does, followed by
//! the documented tie-breaker, offset and limit. Translating the operators themselves to
//! SQL (with the evaluator as the property-test oracle) is the next step.

use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::{Channel, Member, User};
use chat_core::query::{
    compare, matches, ChannelField, ChannelQuery, ChannelView, Filter, MemberQuery, MemberView, Op,
    UserField, UserQuery, UserView, Value,
};
use chat_core::read_state::unread_count;
use chat_core::StoreResult;
use sqlx::{Postgres, QueryBuilder, Row};

use crate::error::DbResult;
use crate::reads::prefixed_channel;
use crate::rows::{MemberRow, ReadRow, CHANNEL_COLS};
use crate::users::user_of;
use crate::PgStore;

/// Applies offset and limit to sorted rows.
fn page<T>(rows: Vec<T>, offset: usize, limit: usize) -> impl Iterator<Item = T> {
    rows.into_iter().skip(offset).take(limit)
}

/// The string operands of an equality-like condition (`$eq`, `$in`, `$contains`): a row
/// can only match if its field holds one of them. `None` when the condition is not one.
fn required_strings(op: &Op) -> Option<Vec<String>> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    match op {
        Op::Eq(v) | Op::Contains(v) => one(v).map(|s| vec![s]),
        // Non-string operands can never equal a string, so they add nothing.
        Op::In(vs) => Some(vs.iter().filter_map(one).collect()),
        _ => None,
    }
}

/// Id sets from `id` conditions that every match must satisfy (all of them).
fn user_candidates(filter: &Filter<UserField>, out: &mut Vec<Vec<String>>) {
    match filter {
        Filter::Cond(UserField::Id, op) => out.extend(required_strings(op)),
        Filter::And(parts) => parts.iter().for_each(|p| user_candidates(p, out)),
        _ => {}
    }
}

/// Whether a filter mentions a field anywhere.
fn mentions<F: PartialEq>(filter: &Filter<F>, field: &F) -> bool {
    match filter {
        Filter::All => false,
        Filter::And(parts) | Filter::Or(parts) | Filter::Nor(parts) => {
            parts.iter().any(|p| mentions(p, field))
        }
        Filter::Cond(f, _) => f == field,
    }
}

/// `UserStore::query_users`.
pub(crate) async fn users(
    store: &PgStore,
    app: &AppId,
    query: &UserQuery,
) -> StoreResult<Vec<User>> {
    let mut q: QueryBuilder<'_, Postgres> =
        QueryBuilder::new("SELECT id, data, version FROM users WHERE app_id = ");
    q.push_bind(app.to_string()).push(" AND deleted_at IS NULL");
    if !query.include_deactivated {
        q.push(" AND deactivated_at IS NULL");
    }
    let mut sets = Vec::new();
    user_candidates(&query.filter, &mut sets);
    for ids in sets {
        q.push(" AND id = ANY(").push_bind(ids).push(")");
    }
    let rows: Vec<(String, serde_json::Value, i64)> =
        q.build_query_as().fetch_all(&store.pool).await.db()?;
    let users: Vec<User> = rows
        .into_iter()
        .map(|(id, data, v)| user_of(id, data, v))
        .collect::<StoreResult<_>>()?;
    // Presence is not stored: `online` reads as false here.
    fn view(user: &User) -> UserView<'_> {
        UserView {
            user,
            online: false,
        }
    }
    let mut rows: Vec<&User> = users
        .iter()
        .filter(|u| matches(&query.filter, &view(u)))
        .collect();
    rows.sort_by(|a, b| compare(&query.sort, &view(a), &view(b)).then_with(|| a.id.cmp(&b.id)));
    Ok(page(rows, query.offset, query.limit).cloned().collect())
}

/// A condition every matching channel must meet, found in the filter.
enum Narrow {
    /// Has one of these users as a member.
    Members(Vec<String>),
    /// Is one of these cids.
    Cids(Vec<String>),
    /// The querying user is a member.
    Mine,
}

/// The narrowing conditions of the filter's top-level conjunction.
fn channel_narrowing(filter: &Filter<ChannelField>, out: &mut Vec<Narrow>) {
    match filter {
        Filter::Cond(ChannelField::Members, op) => {
            out.extend(required_strings(op).map(Narrow::Members));
        }
        Filter::Cond(ChannelField::Cid, op) => {
            out.extend(required_strings(op).map(|cids| {
                Narrow::Cids(cids.into_iter().filter(|c| Cid::parse(c).is_ok()).collect())
            }));
        }
        // These are false for non-members, so `true` (or any invite state) implies that
        // the querying user is a member.
        Filter::Cond(
            ChannelField::Joined
            | ChannelField::Hidden
            | ChannelField::Pinned
            | ChannelField::Archived
            | ChannelField::HasUnread,
            Op::Eq(Value::Bool(true)),
        )
        | Filter::Cond(ChannelField::Invite, Op::Eq(Value::Str(_)) | Op::In(_)) => {
            out.push(Narrow::Mine);
        }
        Filter::And(parts) => parts.iter().for_each(|p| channel_narrowing(p, out)),
        _ => {}
    }
}

/// A candidate channel with what its view needs.
struct ChannelRow {
    channel: Channel,
    member: Option<Member>,
    member_ids: Vec<UserId>,
    member_names: Vec<String>,
    unread: Option<u64>,
}

impl ChannelRow {
    fn view(&self) -> ChannelView<'_> {
        ChannelView {
            channel: &self.channel,
            member: self.member.as_ref(),
            member_ids: &self.member_ids,
            member_names: &self.member_names,
            unread: self.unread,
            muted: false,
        }
    }
}

/// `ChannelStore::query_channels`.
pub(crate) async fn channels(
    store: &PgStore,
    app: &AppId,
    query: &ChannelQuery,
) -> StoreResult<Vec<Channel>> {
    let sorts_by = |f: &ChannelField| query.sort.iter().any(|s| &s.field == f);
    let need_ids =
        mentions(&query.filter, &ChannelField::Members) || sorts_by(&ChannelField::Members);
    let need_names = mentions(&query.filter, &ChannelField::MemberUserName)
        || sorts_by(&ChannelField::MemberUserName);
    let user = query.user.as_ref().map(ToString::to_string);

    let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT ");
    for (i, col) in CHANNEL_COLS.split(", ").enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(format!("c.{col} AS c_{col}"));
    }
    q.push(
        ", m.cid AS m_cid, m.user_id AS m_user_id, m.hidden AS m_hidden, m.data AS m_data, \
         m.version AS m_version, r.cid AS r_cid, r.user_id AS r_user_id, \
         r.last_read_seq, r.last_read_at, r.last_read_message_id, r.own_after_cursor",
    );
    if need_ids {
        q.push(
            ", ARRAY(SELECT x.user_id FROM members x WHERE x.app_id = c.app_id \
             AND x.cid = c.cid ORDER BY x.user_id) AS member_ids",
        );
    }
    if need_names {
        q.push(
            ", ARRAY(SELECT u.data ->> 'name' FROM members x JOIN users u \
             ON u.app_id = x.app_id AND u.id = x.user_id \
             WHERE x.app_id = c.app_id AND x.cid = c.cid AND u.data ->> 'name' IS NOT NULL \
             ORDER BY x.user_id) AS member_names",
        );
    }
    q.push(" FROM channels c LEFT JOIN members m ON m.app_id = c.app_id AND m.cid = c.cid AND m.user_id = ")
        .push_bind(user.clone())
        .push(" LEFT JOIN read_states r ON r.app_id = c.app_id AND r.cid = c.cid AND r.user_id = ")
        .push_bind(user.clone())
        .push(" WHERE c.app_id = ")
        .push_bind(app.to_string());
    let mut narrowing = Vec::new();
    channel_narrowing(&query.filter, &mut narrowing);
    for n in narrowing {
        match n {
            Narrow::Members(users) => {
                q.push(" AND c.cid IN (SELECT cid FROM members WHERE app_id = ")
                    .push_bind(app.to_string())
                    .push(" AND user_id = ANY(")
                    .push_bind(users)
                    .push("))");
            }
            Narrow::Cids(cids) => {
                q.push(" AND c.cid = ANY(").push_bind(cids).push(")");
            }
            Narrow::Mine => {
                q.push(if user.is_some() {
                    " AND m.user_id IS NOT NULL"
                } else {
                    " AND false"
                });
            }
        }
    }
    let fetched = q.build().fetch_all(&store.pool).await.db()?;

    let mut rows = Vec::new();
    for r in &fetched {
        let channel = prefixed_channel(r)?;
        let counters = channel.counters()?;
        let channel = channel.into_channel()?;
        let member = match r.try_get::<Option<String>, _>("m_user_id").db()? {
            Some(user_id) => Some(
                MemberRow {
                    cid: r.try_get("m_cid").db()?,
                    user_id,
                    hidden: r.try_get("m_hidden").db()?,
                    data: r.try_get("m_data").db()?,
                    version: r.try_get("m_version").db()?,
                }
                .into_member()?,
            ),
            None => None,
        };
        let unread = match r.try_get::<Option<String>, _>("r_user_id").db()? {
            Some(user_id) => {
                let read = ReadRow {
                    cid: r.try_get("r_cid").db()?,
                    user_id,
                    last_read_seq: r.try_get("last_read_seq").db()?,
                    last_read_at: r.try_get("last_read_at").db()?,
                    last_read_message_id: r.try_get("last_read_message_id").db()?,
                    own_after_cursor: r.try_get("own_after_cursor").db()?,
                }
                .into_read()?;
                Some(unread_count(&counters, &read))
            }
            None => None,
        };
        let member_ids: Vec<UserId> = if need_ids {
            r.try_get::<Vec<String>, _>("member_ids")
                .db()?
                .into_iter()
                .map(UserId::new_unchecked)
                .collect()
        } else {
            Vec::new()
        };
        let member_names: Vec<String> = if need_names {
            r.try_get("member_names").db()?
        } else {
            Vec::new()
        };
        let row = ChannelRow {
            channel,
            member,
            member_ids,
            member_names,
            unread,
        };
        if matches(&query.filter, &row.view()) {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| {
        compare(&query.sort, &a.view(), &b.view())
            .then_with(|| a.channel.cid.as_str().cmp(b.channel.cid.as_str()))
    });
    Ok(page(rows, query.offset, query.limit)
        .map(|r| r.channel)
        .collect())
}

/// `MemberStore::query_members`.
pub(crate) async fn members(
    store: &PgStore,
    app: &AppId,
    query: &MemberQuery,
) -> StoreResult<Vec<Member>> {
    let fetched = sqlx::query(
        "SELECT m.cid, m.user_id, m.hidden, m.data, m.version, \
         u.id AS u_id, u.data AS u_data, u.version AS u_version \
         FROM members m LEFT JOIN users u ON u.app_id = m.app_id AND u.id = m.user_id \
         WHERE m.app_id = $1 AND m.cid = $2",
    )
    .bind(app.as_str())
    .bind(query.cid.as_str())
    .fetch_all(&store.pool)
    .await
    .db()?;
    let mut pairs: Vec<(Member, Option<User>)> = Vec::with_capacity(fetched.len());
    for r in &fetched {
        let member = <MemberRow as sqlx::FromRow<'_, _>>::from_row(r)
            .db()?
            .into_member()?;
        let user = match r.try_get::<Option<String>, _>("u_id").db()? {
            Some(id) => Some(user_of(
                id,
                r.try_get("u_data").db()?,
                r.try_get("u_version").db()?,
            )?),
            None => None,
        };
        pairs.push((member, user));
    }
    let mut rows: Vec<MemberView<'_>> = pairs
        .iter()
        .map(|(member, user)| MemberView {
            member,
            user: user.as_ref(),
        })
        .filter(|v| matches(&query.filter, v))
        .collect();
    rows.sort_by(|a, b| {
        compare(&query.sort, a, b).then_with(|| a.member.user_id.cmp(&b.member.user_id))
    });
    Ok(page(rows, query.offset, query.limit)
        .map(|v| v.member.clone())
        .collect())
}
