//! `MemberStore`: memberships, with their read cursors and the user → channels index.
//! Querying lives in `query.rs`.

use std::collections::HashSet;

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::Member;
use chat_core::query::MemberQuery;
use chat_core::read_state::ReadState;
use chat_core::store::MemberStore;
use chat_core::StoreResult;

use crate::state::channel_not_found;
use crate::MemoryStore;

#[async_trait]
impl MemberStore for MemoryStore {
    async fn add_members(
        &self,
        app: &AppId,
        cid: &Cid,
        members: Vec<Member>,
    ) -> StoreResult<Vec<Member>> {
        let state = self.app(app)?.ok_or_else(|| channel_not_found(cid))?;
        state.with_channel(cid, |st| {
            let mut seen = HashSet::with_capacity(members.len());
            let added: Vec<Member> = members
                .into_iter()
                .filter(|m| !st.members.contains_key(&m.user_id) && seen.insert(m.user_id.clone()))
                .map(|mut m| {
                    m.cid = cid.clone();
                    m.version = 1;
                    m
                })
                .collect();
            if added.is_empty() {
                return Ok(added);
            }
            // The only fallible step goes first.
            state.link_members(cid, added.iter().map(|m| &m.user_id))?;
            for m in &added {
                let cursor = ReadState::at_join(
                    cid.clone(),
                    m.user_id.clone(),
                    &st.channel.counters,
                    m.created_at,
                );
                st.reads.insert(m.user_id.clone(), cursor);
                st.put_member(m.clone());
            }
            let count = &mut st.channel.counters.member_count;
            *count = count.saturating_add(u32::try_from(added.len()).unwrap_or(u32::MAX));
            Ok(added)
        })
    }

    async fn remove_members(
        &self,
        app: &AppId,
        cid: &Cid,
        users: &[UserId],
    ) -> StoreResult<Vec<Member>> {
        let state = self.app(app)?.ok_or_else(|| channel_not_found(cid))?;
        state.with_channel(cid, |st| {
            let mut seen = HashSet::with_capacity(users.len());
            let present: Vec<&UserId> = users
                .iter()
                .filter(|u| st.members.contains_key(*u) && seen.insert(*u))
                .collect();
            if present.is_empty() {
                return Ok(Vec::new());
            }
            state.unlink_members(cid, present.iter().copied())?;
            let removed: Vec<Member> = present
                .into_iter()
                .filter_map(|u| st.take_member(u))
                .collect();
            let count = &mut st.channel.counters.member_count;
            *count = count.saturating_sub(u32::try_from(removed.len()).unwrap_or(u32::MAX));
            Ok(removed)
        })
    }

    async fn update_member(&self, app: &AppId, mut member: Member) -> StoreResult<Member> {
        let user = member.user_id.clone();
        let missing = || StoreError::not_found("member", &user);
        let state = self.app(app)?.ok_or_else(missing)?;
        let cid = member.cid.clone();
        state
            .try_with_channel(&cid, |st| {
                let stored = st.members.get(&member.user_id).ok_or_else(missing)?;
                if stored.version != member.version {
                    return Err(StoreError::VersionConflict {
                        what: "member",
                        id: format!("{}/{}", cid, member.user_id),
                    });
                }
                member.version += 1;
                st.put_member(member.clone());
                Ok(member.clone())
            })?
            .ok_or_else(missing)
    }

    async fn get_members(
        &self,
        app: &AppId,
        cid: &Cid,
        users: &[UserId],
    ) -> StoreResult<Vec<Member>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let found = state.try_with_channel(cid, |st| {
            let mut seen = HashSet::with_capacity(users.len());
            Ok(users
                .iter()
                .filter(|u| seen.insert(*u))
                .filter_map(|u| st.members.get(u).cloned())
                .collect())
        })?;
        Ok(found.unwrap_or_default())
    }

    async fn query_members(&self, app: &AppId, query: &MemberQuery) -> StoreResult<Vec<Member>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        crate::query::members(&state, query)
    }

    async fn member_ids(&self, app: &AppId, cid: &Cid) -> StoreResult<Vec<UserId>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let ids = state.try_with_channel(cid, |st| Ok(st.member_ids.clone()))?;
        Ok(ids.unwrap_or_default())
    }

    async fn memberships(&self, app: &AppId, user: &UserId) -> StoreResult<Vec<Member>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for cid in state.member_cids(user)? {
            if let Some(Some(m)) =
                state.try_with_channel(&cid, |st| Ok(st.members.get(user).cloned()))?
            {
                out.push(m);
            }
        }
        Ok(out)
    }
}
