//! `ReadStore`: read cursors (mark read / unread), thread cursors and per-user message
//! flags.

use std::collections::HashSet;

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::{ChannelCounters, ThreadSummary};
use chat_core::read_state::{MessageFlags, ReadState, ThreadRead};
use chat_core::store::{ReadStore, ReadUpTo};
use chat_core::time::Timestamp;
use chat_core::StoreResult;

use crate::state::{channel_not_found, message_not_found, ChannelState};
use crate::MemoryStore;

fn member_not_found(cid: &Cid, user: &UserId) -> StoreError {
    StoreError::not_found("member", format!("{cid}/{user}"))
}

impl ChannelState {
    /// The member's cursor, created at the channel's position if it were ever missing.
    fn cursor_mut(&mut self, user: &UserId, at: Timestamp) -> &mut ReadState {
        let cid = self.channel.cid.clone();
        let counters = &self.channel.counters;
        self.reads
            .entry(user.clone())
            .or_insert_with(|| ReadState::at_join(cid, user.clone(), counters, at))
    }

    /// The newest message of the channel list that is not deleted: what "read up to the
    /// latest" points at.
    fn newest_visible(&self) -> Option<MessageId> {
        self.list
            .iter()
            .rev()
            .filter_map(|(_, id)| self.messages.get(id))
            .find(|m| m.deleted_at.is_none())
            .map(|m| m.id.clone())
    }
}

#[async_trait]
impl ReadStore for MemoryStore {
    async fn mark_read(
        &self,
        app: &AppId,
        cid: &Cid,
        user: &UserId,
        up_to: ReadUpTo,
        at: Timestamp,
    ) -> StoreResult<ReadState> {
        let state = self.app(app)?.ok_or_else(|| channel_not_found(cid))?;
        state.with_channel(cid, |st| {
            if !st.members.contains_key(user) {
                return Err(member_not_found(cid, user));
            }
            let (seq, message) = match &up_to {
                ReadUpTo::Latest => (st.channel.counters.last_seq, st.newest_visible()),
                ReadUpTo::Message(id) => {
                    let m = st.messages.get(id).ok_or_else(|| message_not_found(id))?;
                    (m.seq, Some(id.clone()))
                }
            };
            if let Some(per_user) = st.flags.get_mut(user) {
                per_user.retain(|_, f| {
                    f.remove(MessageFlags::MARKED_UNREAD);
                    !f.is_empty()
                });
                if per_user.is_empty() {
                    st.flags.remove(user);
                }
            }
            let read = st.cursor_mut(user, at);
            read.last_read_seq = seq;
            read.last_read_at = at;
            read.last_read_message_id = message;
            read.own_after_cursor = 0;
            Ok(read.clone())
        })
    }

    async fn mark_unread(
        &self,
        app: &AppId,
        cid: &Cid,
        user: &UserId,
        from: &MessageId,
        at: Timestamp,
    ) -> StoreResult<ReadState> {
        let state = self.app(app)?.ok_or_else(|| channel_not_found(cid))?;
        state.with_channel(cid, |st| {
            if !st.members.contains_key(user) {
                return Err(member_not_found(cid, user));
            }
            let m = st
                .messages
                .get(from)
                .ok_or_else(|| message_not_found(from))?;
            let cursor = if m.counted {
                m.seq.saturating_sub(1)
            } else {
                m.seq
            };
            let key = (m.created_at, m.id.clone());
            // The user's own messages after the cursor were read by sending them.
            let own = st
                .counted
                .range(cursor + 1..)
                .filter_map(|(_, id)| st.messages.get(id))
                .filter(|m| &m.user_id == user && m.deleted_at.is_none())
                .count() as u64;
            // The cursor now points at the message just before `from` in the list.
            let before = st.list.range(..key).next_back().map(|(_, id)| id.clone());
            state.touch(cid, [user])?;
            let flags = st.flags_of(user, from) | MessageFlags::MARKED_UNREAD;
            st.set_flags(user, from, flags);
            let read = st.cursor_mut(user, at);
            read.last_read_seq = cursor;
            read.last_read_at = at;
            read.last_read_message_id = before;
            read.own_after_cursor = own;
            Ok(read.clone())
        })
    }

    async fn channel_reads(
        &self,
        app: &AppId,
        cid: &Cid,
        limit: usize,
    ) -> StoreResult<Vec<ReadState>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let found = state.try_with_channel(cid, |st| {
            Ok(st.reads.values().take(limit).cloned().collect())
        })?;
        Ok(found.unwrap_or_default())
    }

    async fn user_reads(
        &self,
        app: &AppId,
        user: &UserId,
    ) -> StoreResult<Vec<(ReadState, ChannelCounters)>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for cid in state.member_cids(user)? {
            let found = state.try_with_channel(&cid, |st| {
                Ok(st
                    .reads
                    .get(user)
                    .map(|r| (r.clone(), st.channel.counters.clone())))
            })?;
            if let Some(Some(row)) = found {
                out.push(row);
            }
        }
        Ok(out)
    }

    async fn mark_thread_read(
        &self,
        app: &AppId,
        user: &UserId,
        parent: &MessageId,
        at: Timestamp,
    ) -> StoreResult<ThreadRead> {
        let state = self.app(app)?.ok_or_else(|| message_not_found(parent))?;
        state.with_message(parent, |st| {
            let replies = st
                .messages
                .get(parent)
                .map(|m| m.thread.reply_count)
                .ok_or_else(|| message_not_found(parent))?;
            let cid = st.channel.cid.clone();
            state.touch(&cid, [user])?;
            let cursor = ThreadRead {
                cid,
                parent_id: parent.clone(),
                user_id: user.clone(),
                last_read_reply_count: replies,
                last_read_at: at,
            };
            st.thread_reads
                .entry(user.clone())
                .or_default()
                .insert(parent.clone(), cursor.clone());
            Ok(cursor)
        })
    }

    async fn user_thread_reads(
        &self,
        app: &AppId,
        user: &UserId,
    ) -> StoreResult<Vec<(ThreadRead, ThreadSummary)>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for cid in state.touched_cids(user)? {
            let found = state.try_with_channel(&cid, |st| {
                Ok(st
                    .thread_reads
                    .get(user)
                    .into_iter()
                    .flatten()
                    .filter_map(|(pid, read)| {
                        let parent = st.messages.get(pid)?;
                        Some((read.clone(), parent.thread.clone()))
                    })
                    .collect::<Vec<_>>())
            })?;
            out.extend(found.unwrap_or_default());
        }
        Ok(out)
    }

    async fn update_flags(
        &self,
        app: &AppId,
        user: &UserId,
        message: &MessageId,
        set: MessageFlags,
        clear: MessageFlags,
    ) -> StoreResult<MessageFlags> {
        let state = self.app(app)?.ok_or_else(|| message_not_found(message))?;
        state.with_message(message, |st| {
            let new = (st.flags_of(user, message) | set) & !clear;
            if !new.is_empty() {
                state.touch(st.cid(), [user])?;
            }
            st.set_flags(user, message, new);
            Ok(new)
        })
    }

    async fn flags_of(
        &self,
        app: &AppId,
        user: &UserId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<(MessageId, MessageFlags)>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut seen = HashSet::with_capacity(messages.len());
        let mut out = Vec::new();
        for id in messages.iter().filter(|id| seen.insert(*id)) {
            let flags = state.try_with_message(id, |st| Ok(st.flags_of(user, id)))?;
            if let Some(f) = flags.filter(|f| !f.is_empty()) {
                out.push((id.clone(), f));
            }
        }
        Ok(out)
    }

    async fn messages_flagged(
        &self,
        app: &AppId,
        user: &UserId,
        flags: MessageFlags,
        limit: usize,
    ) -> StoreResult<Vec<MessageId>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut hits = Vec::new();
        for cid in state.touched_cids(user)? {
            let found = state.try_with_channel(&cid, |st| {
                Ok(st
                    .flags
                    .get(user)
                    .into_iter()
                    .flatten()
                    .filter(|(_, f)| !f.is_empty() && f.contains(flags))
                    .filter_map(|(id, _)| st.messages.get(id))
                    .map(|m| (m.created_at, m.id.clone()))
                    .collect::<Vec<_>>())
            })?;
            hits.extend(found.unwrap_or_default());
        }
        // Newest message first.
        hits.sort_unstable_by(|a, b| b.cmp(a));
        Ok(hits.into_iter().take(limit).map(|(_, id)| id).collect())
    }
}
