//! Query Users, Query Channels and Query Members, evaluated with chat-core's reference
//! evaluator (`chat_core::query::{matches, compare}`): filter, sort by the keys then the
//! documented tie-breaker, then offset and limit.
//!
//! Channel queries lock one channel at a time and keep only the channels that match, so a
//! query never clones whole channel states. When the filter pins the result to some users'
//! channels (`members: u`, `members: {$in: […]}`, per-user flags such as `joined: true`)
//! or to named cids, only those channels are visited.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chat_core::ids::{Cid, UserId};
use chat_core::model::{Channel, Member, User};
use chat_core::query::{
    compare, matches, ChannelField, ChannelQuery, ChannelView, Filter, MemberQuery, MemberView, Op,
    UserField, UserQuery, UserView, Value,
};
use chat_core::read_state::unread_count;
use chat_core::StoreResult;

use crate::lock::read;
use crate::state::{AppState, ChannelState};

/// Applies offset and limit to sorted rows.
fn page<T>(rows: Vec<T>, offset: usize, limit: usize) -> impl Iterator<Item = T> {
    rows.into_iter().skip(offset).take(limit)
}

/// The string operands of an equality-like condition (`$eq`, `$in`, `$contains`): a row
/// can only match if its field holds one of them. `None` when the condition is not one.
fn required_strings(op: &Op) -> Option<Vec<&str>> {
    fn one(v: &Value) -> Option<&str> {
        match v {
            Value::Str(s) => Some(s.as_str()),
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

/// Users listed by an `id` condition that every match must satisfy.
fn user_candidates(filter: &Filter<UserField>) -> Option<Vec<UserId>> {
    match filter {
        Filter::Cond(UserField::Id, op) => {
            required_strings(op).map(|ids| ids.into_iter().map(UserId::new_unchecked).collect())
        }
        Filter::And(parts) => parts
            .iter()
            .filter_map(user_candidates)
            .min_by_key(Vec::len),
        _ => None,
    }
}

/// Where every channel matching `filter` must be, if the filter says: a set of cids to
/// visit instead of every channel.
pub(crate) fn channel_candidates(
    state: &AppState,
    filter: &Filter<ChannelField>,
    user: Option<&UserId>,
) -> StoreResult<Option<BTreeSet<Cid>>> {
    Ok(match filter {
        Filter::Cond(ChannelField::Members, op) => match required_strings(op) {
            Some(users) => {
                let mut cids = BTreeSet::new();
                for u in users {
                    cids.extend(state.member_cids(&UserId::new_unchecked(u))?);
                }
                Some(cids)
            }
            None => None,
        },
        Filter::Cond(ChannelField::Cid, op) => required_strings(op).map(|cids| {
            cids.into_iter()
                .filter_map(|c| Cid::parse(c).ok())
                .collect()
        }),
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
        | Filter::Cond(ChannelField::Invite, Op::Eq(Value::Str(_)) | Op::In(_)) => match user {
            Some(u) => Some(state.member_cids(u)?.into_iter().collect()),
            None => Some(BTreeSet::new()),
        },
        Filter::And(parts) => {
            let mut best: Option<BTreeSet<Cid>> = None;
            for part in parts {
                if let Some(set) = channel_candidates(state, part, user)? {
                    if best.as_ref().is_none_or(|b| set.len() < b.len()) {
                        best = Some(set);
                    }
                }
            }
            best
        }
        _ => None,
    })
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

/// A channel that matched, owned so it can be sorted after its lock is released. Member
/// ids and names are copied only when the sort reads them.
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

/// What a channel query needs beyond the channel row.
struct Needs {
    names_in_filter: bool,
    names_in_sort: bool,
    ids_in_sort: bool,
}

/// Evaluates the filter on one channel; the owned row if it matches.
fn channel_row(
    state: &AppState,
    st: &ChannelState,
    query: &ChannelQuery,
    needs: &Needs,
) -> StoreResult<Option<ChannelRow>> {
    let member = query.user.as_ref().and_then(|u| st.members.get(u));
    let unread = query
        .user
        .as_ref()
        .and_then(|u| st.reads.get(u))
        .map(|r| unread_count(&st.channel.counters, r));
    let names: Vec<String> = if needs.names_in_filter || needs.names_in_sort {
        // Lock order: a channel, then users.
        let users = read(&state.users, "users")?;
        st.member_ids
            .iter()
            .filter_map(|id| users.get(id)?.name.clone())
            .collect()
    } else {
        Vec::new()
    };
    let view = ChannelView {
        channel: &st.channel,
        member,
        member_ids: &st.member_ids,
        member_names: &names,
        unread,
        muted: false,
    };
    if !matches(&query.filter, &view) {
        return Ok(None);
    }
    Ok(Some(ChannelRow {
        channel: st.channel.clone(),
        member: member.cloned(),
        member_ids: if needs.ids_in_sort {
            st.member_ids.clone()
        } else {
            Vec::new()
        },
        member_names: if needs.names_in_sort {
            names
        } else {
            Vec::new()
        },
        unread,
    }))
}

/// `ChannelStore::query_channels`.
pub(crate) fn channels(state: &AppState, query: &ChannelQuery) -> StoreResult<Vec<Channel>> {
    let sorts_by = |f: &ChannelField| query.sort.iter().any(|s| &s.field == f);
    let needs = Needs {
        names_in_filter: mentions(&query.filter, &ChannelField::MemberUserName),
        names_in_sort: sorts_by(&ChannelField::MemberUserName),
        ids_in_sort: sorts_by(&ChannelField::Members),
    };
    let mut rows = Vec::new();
    match channel_candidates(state, &query.filter, query.user.as_ref())? {
        Some(cids) => {
            for cid in cids {
                if let Some(Some(row)) =
                    state.try_with_channel(&cid, |st| channel_row(state, st, query, &needs))?
                {
                    rows.push(row);
                }
            }
        }
        None => {
            for chan in state.all_channel_refs()? {
                let st = crate::lock::lock(&chan, "channel")?;
                if st.deleted {
                    continue;
                }
                if let Some(row) = channel_row(state, &st, query, &needs)? {
                    rows.push(row);
                }
            }
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

/// `UserStore::query_users`.
pub(crate) fn users(state: &AppState, query: &UserQuery) -> StoreResult<Vec<User>> {
    let users = read(&state.users, "users")?;
    let visible = |u: &&User| {
        u.deleted_at.is_none() && (query.include_deactivated || u.deactivated_at.is_none())
    };
    // Presence is not stored: `online` reads as false here.
    fn view(user: &User) -> UserView<'_> {
        UserView {
            user,
            online: false,
        }
    }
    let wanted = |u: &&User| visible(u) && matches(&query.filter, &view(u));
    let mut rows: Vec<&User> = match user_candidates(&query.filter) {
        Some(ids) => {
            let ids: BTreeSet<UserId> = ids.into_iter().collect();
            ids.iter()
                .filter_map(|id| users.get(id))
                .filter(wanted)
                .collect()
        }
        None => users.values().filter(wanted).collect(),
    };
    rows.sort_by(|a, b| compare(&query.sort, &view(a), &view(b)).then_with(|| a.id.cmp(&b.id)));
    Ok(page(rows, query.offset, query.limit).cloned().collect())
}

/// `MemberStore::query_members`.
pub(crate) fn members(state: &AppState, query: &MemberQuery) -> StoreResult<Vec<Member>> {
    let found = state.try_with_channel(&query.cid, |st| {
        // Lock order: a channel, then users.
        let users = read(&state.users, "users")?;
        let mut rows: Vec<MemberView<'_>> = st
            .members
            .values()
            .map(|m| MemberView {
                member: m,
                user: users.get(&m.user_id),
            })
            .filter(|v| matches(&query.filter, v))
            .collect();
        rows.sort_by(|a, b| {
            compare(&query.sort, a, b).then_with(|| a.member.user_id.cmp(&b.member.user_id))
        });
        let page: Vec<Member> = page(rows, query.offset, query.limit)
            .map(|v| v.member.clone())
            .collect();
        Ok(page)
    })?;
    Ok(found.unwrap_or_default())
}

/// Orders cids as text, the order "by cid" means (the derived `Ord` compares type, then
/// id, which differs for types that are prefixes of others).
pub(crate) fn by_cid_text(a: &Cid, b: &Cid) -> Ordering {
    a.as_str().cmp(b.as_str())
}
