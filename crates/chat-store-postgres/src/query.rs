//! Query Users, Query Channels and Query Members.
//!
//! The filter and sort are translated to SQL by `sql_filter.rs` over the field mapping in
//! `sql_fields.rs`. When the whole filter translates exactly and every sort key
//! translates, the query runs entirely in SQL: `WHERE` filter, `ORDER BY` keys then the
//! documented tie-breaker (cid, user id), `LIMIT`/`OFFSET`. Otherwise SQL narrows the
//! candidates with what did translate (a necessary condition), and chat-core's reference
//! evaluator (`chat_core::query::{matches, compare}`) filters, sorts and pages them exactly
//! as the memory store does. A custom-field sort also falls back when a matching row holds
//! a value SQL cannot order like the evaluator (an array, a number beyond ±2^53); the
//! pushed-down query reports that with a window flag, so no second query runs otherwise.
//!
//! Channel queries also keep their structural narrowing (the channels of the users a
//! `members` condition names, named cids, the querying user's memberships for per-user
//! conditions such as `joined: true`), which lets the planner start from the
//! `members_by_user` index.

use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::{Channel, Member, User};
use chat_core::query::{
    compare, matches, ChannelField, ChannelQuery, ChannelView, Filter, MemberQuery, MemberView, Op,
    Sort, UserQuery, UserView, Value,
};
use chat_core::read_state::unread_count;
use chat_core::StoreResult;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use crate::error::DbResult;
use crate::reads::prefixed_channel;
use crate::rows::{count, MemberRow, ReadRow, CHANNEL_COLS};
use crate::sql_fields;
use crate::sql_filter::{order_by, translate, Column, OrderBy, Tr};
use crate::users::user_of;
use crate::PgStore;

/// Applies offset and limit to sorted rows.
fn page<T>(rows: Vec<T>, offset: usize, limit: usize) -> impl Iterator<Item = T> {
    rows.into_iter().skip(offset).take(limit)
}

/// How one query runs: the translated filter, and the sort when it is pushed down.
struct Plan {
    filter: Tr,
    /// `Some` when the filter is exact and every sort key translated: SQL filters, sorts
    /// and pages.
    pushed: Option<OrderBy>,
}

impl Plan {
    fn new<F>(filter: &Filter<F>, sort: &[Sort<F>], column: impl Fn(&F) -> Option<Column>) -> Self {
        let filter = translate(filter, &column);
        let pushed = match filter {
            Tr::Exact(_) => order_by(sort, &column),
            _ => None,
        };
        Self { filter, pushed }
    }

    /// The same query evaluated in Rust after SQL narrows it (the fallback).
    fn narrowing_only(mut self) -> Self {
        self.pushed = None;
        self
    }

    /// `, bool_or(<inexact>) OVER () AS inexact` when a pushed sort needs the check.
    fn push_inexact_column(&self, q: &mut QueryBuilder<'_, Postgres>) {
        if let Some(inexact) = self.pushed.as_ref().and_then(|o| o.inexact.clone()) {
            q.push(", bool_or(");
            inexact.build_into(q);
            q.push(") OVER () AS inexact");
        }
    }

    /// ` AND (<filter>)` when something translated.
    fn push_where(&self, q: &mut QueryBuilder<'_, Postgres>) {
        if let Some(sql) = self.filter.sql() {
            q.push(" AND (");
            sql.clone().build_into(q);
            q.push(")");
        }
    }

    /// ` ORDER BY <keys>, <tie> LIMIT … OFFSET …` when pushed down.
    fn push_order_and_page(
        &self,
        q: &mut QueryBuilder<'_, Postgres>,
        tie: &str,
        limit: usize,
        offset: usize,
    ) {
        if let Some(order) = &self.pushed {
            q.push(" ORDER BY ");
            for key in &order.keys {
                key.clone().build_into(q);
                q.push(", ");
            }
            q.push(tie)
                .push(" LIMIT ")
                .push_bind(count(limit))
                .push(" OFFSET ")
                .push_bind(count(offset));
        }
    }

    /// Whether a pushed-down result holds a row SQL may have ordered differently from the
    /// evaluator, so the query must run again with the evaluator sorting.
    fn must_redo(&self, rows: &[PgRow]) -> StoreResult<bool> {
        if self.pushed.as_ref().is_some_and(|o| o.inexact.is_some()) {
            for r in rows {
                if r.try_get::<Option<bool>, _>("inexact").db()? == Some(true) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// `UserStore::query_users`.
pub(crate) async fn users(
    store: &PgStore,
    app: &AppId,
    query: &UserQuery,
) -> StoreResult<Vec<User>> {
    let mut plan = Plan::new(&query.filter, &query.sort, sql_fields::user);
    loop {
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT u.id, u.data, u.version");
        plan.push_inexact_column(&mut q);
        q.push(" FROM users u WHERE u.app_id = ")
            .push_bind(app.to_string())
            .push(" AND u.deleted_at IS NULL");
        if !query.include_deactivated {
            q.push(" AND u.deactivated_at IS NULL");
        }
        plan.push_where(&mut q);
        plan.push_order_and_page(&mut q, "u.id", query.limit, query.offset);
        let rows = q.build().fetch_all(&store.pool).await.db()?;
        if plan.must_redo(&rows)? {
            plan = plan.narrowing_only();
            continue;
        }
        let mut users = Vec::with_capacity(rows.len());
        for r in &rows {
            users.push(user_of(
                r.try_get("id").db()?,
                r.try_get("data").db()?,
                r.try_get("version").db()?,
            )?);
        }
        if plan.pushed.is_some() {
            return Ok(users);
        }
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
        return Ok(page(rows, query.offset, query.limit).cloned().collect());
    }
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
    let mut plan = Plan::new(&query.filter, &query.sort, sql_fields::channel);
    loop {
        let fetched = fetch_channels(store, app, query, &plan).await?;
        if plan.must_redo(&fetched)? {
            plan = plan.narrowing_only();
            continue;
        }
        let pushed = plan.pushed.is_some();
        let mut rows = Vec::with_capacity(fetched.len());
        for r in &fetched {
            let row = channel_row(r, !pushed)?;
            if pushed || matches(&query.filter, &row.view()) {
                rows.push(row);
            }
        }
        if pushed {
            return Ok(rows.into_iter().map(|r| r.channel).collect());
        }
        rows.sort_by(|a, b| {
            compare(&query.sort, &a.view(), &b.view())
                .then_with(|| a.channel.cid.as_str().cmp(b.channel.cid.as_str()))
        });
        return Ok(page(rows, query.offset, query.limit)
            .map(|r| r.channel)
            .collect());
    }
}

/// Runs the channel query as `plan` says: candidates only, or the finished page.
async fn fetch_channels(
    store: &PgStore,
    app: &AppId,
    query: &ChannelQuery,
    plan: &Plan,
) -> StoreResult<Vec<PgRow>> {
    // The evaluator reads member ids and names; a pushed-down query does not need them.
    let evaluating = plan.pushed.is_none();
    let sorts_by = |f: &ChannelField| query.sort.iter().any(|s| &s.field == f);
    let need_ids = evaluating
        && (mentions(&query.filter, &ChannelField::Members) || sorts_by(&ChannelField::Members));
    let need_names = evaluating
        && (mentions(&query.filter, &ChannelField::MemberUserName)
            || sorts_by(&ChannelField::MemberUserName));
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
    q.push(if need_ids {
        ", ARRAY(SELECT x.user_id FROM members x WHERE x.app_id = c.app_id \
         AND x.cid = c.cid ORDER BY x.user_id) AS member_ids"
    } else {
        ", NULL::text[] AS member_ids"
    });
    q.push(if need_names {
        ", ARRAY(SELECT n.data ->> 'name' FROM members x JOIN users n \
         ON n.app_id = x.app_id AND n.id = x.user_id \
         WHERE x.app_id = c.app_id AND x.cid = c.cid AND n.data ->> 'name' IS NOT NULL \
         ORDER BY x.user_id) AS member_names"
    } else {
        ", NULL::text[] AS member_names"
    });
    plan.push_inexact_column(&mut q);
    // The querying user's membership and cursor are primary-key lookups per channel. The
    // LIMIT keeps the planner from flattening them into joins whose plan, on a table it has
    // not analysed yet, can rescan every membership of the user for each channel.
    q.push(
        " FROM channels c LEFT JOIN LATERAL (SELECT * FROM members mm \
         WHERE mm.app_id = c.app_id AND mm.cid = c.cid AND mm.user_id = ",
    )
    .push_bind(user.clone())
    .push(
        " LIMIT 1) m ON true LEFT JOIN LATERAL (SELECT * FROM read_states rr \
         WHERE rr.app_id = c.app_id AND rr.cid = c.cid AND rr.user_id = ",
    )
    .push_bind(user.clone())
    .push(" LIMIT 1) r ON true WHERE c.app_id = ")
    .push_bind(app.to_string());
    let mut narrowing = Vec::new();
    channel_narrowing(&query.filter, &mut narrowing);
    for n in narrowing {
        match n {
            // A pushed-down filter holds this condition as a semi-join already.
            Narrow::Members(_) if !evaluating => {}
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
            // As a semi-join on `members_by_user`, so the user's channels drive the query.
            Narrow::Mine => match &user {
                Some(u) => {
                    q.push(" AND c.cid IN (SELECT cid FROM members WHERE app_id = ")
                        .push_bind(app.to_string())
                        .push(" AND user_id = ")
                        .push_bind(u.clone())
                        .push(")");
                }
                None => {
                    q.push(" AND false");
                }
            },
        }
    }
    plan.push_where(&mut q);
    plan.push_order_and_page(&mut q, "c.cid", query.limit, query.offset);
    q.build().fetch_all(&store.pool).await.db()
}

/// Decodes a fetched channel row; member ids and names only when `with_lists`.
fn channel_row(r: &PgRow, with_lists: bool) -> StoreResult<ChannelRow> {
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
    let list = |name: &str| -> StoreResult<Vec<String>> {
        Ok(if with_lists {
            r.try_get::<Option<Vec<String>>, _>(name)
                .db()?
                .unwrap_or_default()
        } else {
            Vec::new()
        })
    };
    Ok(ChannelRow {
        channel,
        member,
        member_ids: list("member_ids")?
            .into_iter()
            .map(UserId::new_unchecked)
            .collect(),
        member_names: list("member_names")?,
        unread,
    })
}

/// `MemberStore::query_members`.
pub(crate) async fn members(
    store: &PgStore,
    app: &AppId,
    query: &MemberQuery,
) -> StoreResult<Vec<Member>> {
    let mut plan = Plan::new(&query.filter, &query.sort, sql_fields::member);
    loop {
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT m.cid, m.user_id, m.hidden, m.data, m.version, \
             u.id AS u_id, u.data AS u_data, u.version AS u_version",
        );
        plan.push_inexact_column(&mut q);
        q.push(
            " FROM members m LEFT JOIN users u ON u.app_id = m.app_id AND u.id = m.user_id \
             WHERE m.app_id = ",
        )
        .push_bind(app.to_string())
        .push(" AND m.cid = ")
        .push_bind(query.cid.to_string());
        plan.push_where(&mut q);
        plan.push_order_and_page(&mut q, "m.user_id", query.limit, query.offset);
        let fetched = q.build().fetch_all(&store.pool).await.db()?;
        if plan.must_redo(&fetched)? {
            plan = plan.narrowing_only();
            continue;
        }
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
        if plan.pushed.is_some() {
            return Ok(pairs.into_iter().map(|(m, _)| m).collect());
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
        return Ok(page(rows, query.offset, query.limit)
            .map(|v| v.member.clone())
            .collect());
    }
}
