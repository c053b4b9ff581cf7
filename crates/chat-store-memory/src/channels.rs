//! `ChannelStore`: create (get-or-create), read, update, delete and truncate channels.
//! Querying lives in `query.rs`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, Cid};
use chat_core::model::{Channel, ChannelCounters, Member};
use chat_core::query::ChannelQuery;
use chat_core::read_state::ReadState;
use chat_core::store::{ChannelStore, Created, Truncate};
use chat_core::StoreResult;

use crate::lock::{lock, write};
use crate::state::{channel_not_found, ChannelState};
use crate::MemoryStore;

/// A new channel's state: counters reset (`member_count` aside), members de-duplicated by
/// user id (first wins), everything at version 1, each member's cursor at sequence 0.
fn build_channel(mut channel: Channel, members: Vec<Member>) -> (ChannelState, Vec<Member>) {
    channel.version = 1;
    channel.counters = ChannelCounters::default();
    let mut seen = HashSet::with_capacity(members.len());
    let members: Vec<Member> = members
        .into_iter()
        .filter(|m| seen.insert(m.user_id.clone()))
        .map(|mut m| {
            m.cid = channel.cid.clone();
            m.version = 1;
            m
        })
        .collect();
    channel.counters.member_count = u32::try_from(members.len()).unwrap_or(u32::MAX);
    let mut state = ChannelState::new(channel);
    for m in &members {
        let cursor = ReadState::at_join(
            m.cid.clone(),
            m.user_id.clone(),
            &state.channel.counters,
            m.created_at,
        );
        state.reads.insert(m.user_id.clone(), cursor);
        state.put_member(m.clone());
    }
    (state, members)
}

#[async_trait]
impl ChannelStore for MemoryStore {
    async fn create_channel(
        &self,
        app: &AppId,
        channel: Channel,
        members: Vec<Member>,
    ) -> StoreResult<Created> {
        let state = self.app_or_create(app)?;
        let cid = channel.cid.clone();
        let (built, members) = build_channel(channel, members);
        let mut built = Some(built);
        loop {
            if let Some(chan) = state.channel_ref(&cid)? {
                let existing = lock(&chan, "channel")?;
                if !existing.deleted {
                    return Ok(Created::Existing(existing.channel.clone()));
                }
                // A delete unpublishes the channel before releasing its mutex, so the map
                // no longer holds this one: look again.
                continue;
            }
            let mut map = write(&state.channels, "channels")?;
            if map.contains_key(&cid) {
                // Lost a race with a concurrent create; return what it made.
                continue;
            }
            let Some(new) = built.take() else {
                // Unreachable: we only get here once, as we return right after.
                return Err(channel_not_found(&cid));
            };
            let channel = new.channel.clone();
            // Index before publishing, so nobody can observe the channel without it.
            state.link_members(&cid, new.members.keys())?;
            map.insert(cid, Arc::new(Mutex::new(new)));
            return Ok(Created::New(channel, members));
        }
    }

    async fn get_channels(&self, app: &AppId, cids: &[Cid]) -> StoreResult<Vec<Channel>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut seen = HashSet::with_capacity(cids.len());
        let mut out = Vec::with_capacity(cids.len());
        for cid in cids.iter().filter(|c| seen.insert(*c)) {
            if let Some(c) = state.try_with_channel(cid, |st| Ok(st.channel.clone()))? {
                out.push(c);
            }
        }
        Ok(out)
    }

    async fn update_channel(&self, app: &AppId, mut channel: Channel) -> StoreResult<Channel> {
        let cid = channel.cid.clone();
        let state = self.app(app)?.ok_or_else(|| channel_not_found(&cid))?;
        state.with_channel(&cid, |st| {
            if st.channel.version != channel.version {
                return Err(StoreError::VersionConflict {
                    what: "channel",
                    id: cid.to_string(),
                });
            }
            channel.counters = st.channel.counters.clone();
            channel.version += 1;
            st.channel = channel.clone();
            Ok(channel)
        })
    }

    async fn delete_channel(&self, app: &AppId, cid: &Cid) -> StoreResult<Channel> {
        let state = self.app(app)?.ok_or_else(|| channel_not_found(cid))?;
        let chan = state
            .channel_ref(cid)?
            .ok_or_else(|| channel_not_found(cid))?;
        let mut st = lock(&chan, "channel")?;
        if st.deleted {
            return Err(channel_not_found(cid));
        }
        // Everything that can fail first, in lock order; then the infallible cleanup.
        let mut map = write(&state.channels, "channels")?;
        let mut links = write(&state.user_links, "user links")?;
        let mut index = state.message_index.lock_all()?;
        st.deleted = true;
        for id in st.messages.keys() {
            index.remove(id, Some(cid));
        }
        let users = st
            .members
            .keys()
            .chain(st.flags.keys())
            .chain(st.thread_reads.keys());
        for user in users {
            if let Some(l) = links.get_mut(user) {
                l.member_of.remove(cid);
                l.touched.remove(cid);
            }
        }
        if map.get(cid).is_some_and(|c| Arc::ptr_eq(c, &chan)) {
            map.remove(cid);
        }
        let channel = st.channel.clone();
        // Free the detached state now rather than when the last in-flight `Arc` drops.
        let detached = ChannelState::new(channel.clone());
        *st = ChannelState {
            deleted: true,
            ..detached
        };
        Ok(channel)
    }

    async fn truncate_channel(
        &self,
        app: &AppId,
        cid: &Cid,
        spec: Truncate,
    ) -> StoreResult<Channel> {
        let state = self.app(app)?.ok_or_else(|| channel_not_found(cid))?;
        state.with_channel(cid, |st| {
            let doomed: HashSet<_> = if spec.hard {
                st.messages
                    .values()
                    .filter(|m| m.created_at <= spec.at)
                    .map(|m| m.id.clone())
                    .collect()
            } else {
                HashSet::new()
            };
            let mut index = if doomed.is_empty() {
                None
            } else {
                Some(state.message_index.lock_all()?)
            };
            let c = &mut st.channel;
            c.truncated_at = Some(spec.at);
            c.truncated_by = spec.by.clone();
            c.counters.truncated_seq = c.counters.last_seq;
            c.counters.deleted_seqs.clear();
            c.counters.last_message_at = None;
            // `truncated_at` hides messages: a stale `update_channel` must not undo it.
            c.version += 1;
            st.remove_messages(&doomed);
            if let Some(index) = index.as_mut() {
                for id in &doomed {
                    index.remove(id, None);
                }
            }
            Ok(st.channel.clone())
        })
    }

    async fn query_channels(&self, app: &AppId, query: &ChannelQuery) -> StoreResult<Vec<Channel>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        crate::query::channels(&state, query)
    }
}
