//! `MessageStore`: the atomic send and delete, content updates, and message pages.

use std::collections::{BTreeSet, HashSet};

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::{Message, ReactionSummary, ThreadSummary};
use chat_core::query::MessagePage;
use chat_core::read_state::{MessageFlags, ReadState, ThreadRead};
use chat_core::store::{Deletion, InsertMessage, InsertedMessage, MessageStore};
use chat_core::StoreResult;

use crate::state::{channel_not_found, message_not_found, ChannelState};
use crate::window::page_of;
use crate::MemoryStore;

fn duplicate(id: &MessageId) -> StoreError {
    StoreError::Duplicate {
        what: "message",
        id: id.to_string(),
    }
}

/// Steps 2–7 of `insert_message`, after every check passed and the id is reserved.
/// Infallible, so the insert is all or nothing.
fn apply_insert(st: &mut ChannelState, mut m: Message, opts: &InsertMessage) -> InsertedMessage {
    m.version = 1;
    m.thread = ThreadSummary::default();
    m.reactions = ReactionSummary::default();
    let cid = st.cid().clone();

    // 2–3: sequence and channel counters.
    let c = &mut st.channel.counters;
    if m.counts_as_unread() {
        c.last_seq += 1;
        m.counted = true;
    } else {
        m.counted = false;
    }
    m.seq = c.last_seq;
    c.message_count += 1;
    let in_list = m.in_channel_list();
    if in_list && opts.bump_last_message_at {
        c.last_message_at = Some(
            c.last_message_at
                .map_or(m.created_at, |t| t.max(m.created_at)),
        );
    }

    // 4: sending reads the channel for its author.
    if in_list && st.members.contains_key(&m.user_id) {
        let counters = &st.channel.counters;
        let read = st.reads.entry(m.user_id.clone()).or_insert_with(|| {
            ReadState::at_join(cid.clone(), m.user_id.clone(), counters, m.created_at)
        });
        read.last_read_seq = read.last_read_seq.max(m.seq);
        read.last_read_at = m.created_at;
        read.last_read_message_id = Some(m.id.clone());
        read.own_after_cursor = 0;
    }

    // 5: thread summary and the author's thread cursor.
    let parent = m.parent_id.as_ref().and_then(|pid| {
        let p = st.messages.get_mut(pid)?;
        p.thread.reply_count += 1;
        p.thread.last_reply_at = Some(m.created_at);
        if !p.thread.participants.contains(&m.user_id) {
            p.thread.participants.push(m.user_id.clone());
        }
        let parent = p.clone();
        let cursor = ThreadRead {
            cid: cid.clone(),
            parent_id: pid.clone(),
            user_id: m.user_id.clone(),
            last_read_reply_count: parent.thread.reply_count,
            last_read_at: m.created_at,
        };
        st.thread_reads
            .entry(m.user_id.clone())
            .or_default()
            .insert(pid.clone(), cursor);
        Some(parent)
    });

    // 6: mention flags.
    for user in &m.mentioned_users {
        let flags = st.flags_of(user, &m.id) | MessageFlags::MENTIONED;
        st.set_flags(user, &m.id, flags);
    }

    // 7: un-hide.
    let unhidden: Vec<UserId> = if opts.keep_channel_hidden {
        Vec::new()
    } else {
        let hidden = std::mem::take(&mut st.hidden);
        for user in &hidden {
            if let Some(member) = st.members.get_mut(user) {
                member.hidden = false;
                // A stale `update_member` must not hide it again.
                member.version += 1;
            }
        }
        hidden.into_iter().collect()
    };

    st.index_message(&m);
    st.messages.insert(m.id.clone(), m.clone());
    InsertedMessage {
        message: m,
        channel: st.channel.clone(),
        parent,
        unhidden,
    }
}

/// The first deletion's counter effects (`delete_message` contract).
fn count_deletion(st: &mut ChannelState, id: &MessageId) {
    let Some(m) = st.messages.get(id) else {
        return;
    };
    let (counted, seq, author, parent) = (m.counted, m.seq, m.user_id.clone(), m.parent_id.clone());
    let c = &mut st.channel.counters;
    c.message_count = c.message_count.saturating_sub(1);
    if counted && seq > c.truncated_seq {
        if let Err(at) = c.deleted_seqs.binary_search(&seq) {
            c.deleted_seqs.insert(at, seq);
        }
        if let Some(read) = st.reads.get_mut(&author) {
            if read.last_read_seq < seq {
                read.own_after_cursor = read.own_after_cursor.saturating_sub(1);
            }
        }
    }
    if let Some(p) = parent.and_then(|pid| st.messages.get_mut(&pid)) {
        p.thread.deleted_reply_count += 1;
    }
}

#[async_trait]
impl MessageStore for MemoryStore {
    async fn insert_message(
        &self,
        app: &AppId,
        message: Message,
        opts: InsertMessage,
    ) -> StoreResult<InsertedMessage> {
        let cid = message.cid.clone();
        let state = self.app(app)?.ok_or_else(|| channel_not_found(&cid))?;
        state.with_channel(&cid, |st| {
            if state.message_cid(&message.id)?.is_some() {
                return Err(duplicate(&message.id));
            }
            if let Some(parent) = &message.parent_id {
                if !st.messages.contains_key(parent) {
                    return Err(message_not_found(parent));
                }
            }
            // Hints first: they may over-approximate, never miss a row.
            let mut touched: Vec<&UserId> = message.mentioned_users.iter().collect();
            if message.parent_id.is_some() {
                touched.push(&message.user_id);
            }
            if !touched.is_empty() {
                state.touch(&cid, touched)?;
            }
            // Reserving the id under this channel's mutex makes two concurrent sends of one
            // id create one message, whichever channels they target.
            if !state.message_index.reserve(&message.id, &cid)? {
                return Err(duplicate(&message.id));
            }
            Ok(apply_insert(st, message, &opts))
        })
    }

    async fn get_messages(&self, app: &AppId, ids: &[MessageId]) -> StoreResult<Vec<Message>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut seen = HashSet::with_capacity(ids.len());
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.iter().filter(|id| seen.insert(*id)) {
            if let Some(Some(m)) =
                state.try_with_message(id, |st| Ok(st.messages.get(id).cloned()))?
            {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn update_message(&self, app: &AppId, mut message: Message) -> StoreResult<Message> {
        let id = message.id.clone();
        let state = self.app(app)?.ok_or_else(|| message_not_found(&id))?;
        state.with_message(&id, |st| {
            let stored = st.messages.get(&id).ok_or_else(|| message_not_found(&id))?;
            if stored.version != message.version {
                return Err(StoreError::VersionConflict {
                    what: "message",
                    id: id.to_string(),
                });
            }
            message.cid = stored.cid.clone();
            message.user_id = stored.user_id.clone();
            message.parent_id = stored.parent_id.clone();
            message.created_at = stored.created_at;
            message.seq = stored.seq;
            message.counted = stored.counted;
            message.thread = stored.thread.clone();
            message.reactions = stored.reactions.clone();
            message.version += 1;
            // `show_in_channel` and `pinned` are content and may move the message between
            // indexes.
            let old = stored.clone();
            st.unindex_message(&old);
            st.index_message(&message);
            st.messages.insert(id.clone(), message.clone());
            Ok(message)
        })
    }

    async fn delete_message(
        &self,
        app: &AppId,
        id: &MessageId,
        how: Deletion,
    ) -> StoreResult<Message> {
        let state = self.app(app)?.ok_or_else(|| message_not_found(id))?;
        state.with_message(id, |st| {
            let mut index = match how {
                Deletion::Hard => Some(state.message_index.lock_shard(id)?),
                Deletion::Soft(_) => None,
            };
            let first = st.messages.get(id).is_some_and(|m| m.deleted_at.is_none());
            if first {
                count_deletion(st, id);
            }
            match how {
                Deletion::Soft(at) => {
                    let m = st
                        .messages
                        .get_mut(id)
                        .ok_or_else(|| message_not_found(id))?;
                    if first {
                        m.deleted_at = Some(at);
                        // `deleted_at` is content: a stale `update_message` must not revive it.
                        m.version += 1;
                    }
                    Ok(m.clone())
                }
                Deletion::Hard => {
                    let m = st.remove_message(id).ok_or_else(|| message_not_found(id))?;
                    if let Some(index) = index.as_mut() {
                        if index.get(id) == Some(&m.cid) {
                            index.remove(id);
                        }
                    }
                    Ok(m)
                }
            }
        })
    }

    async fn channel_messages(
        &self,
        app: &AppId,
        cid: &Cid,
        page: &MessagePage,
    ) -> StoreResult<Vec<Message>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let found = state.try_with_channel(cid, |st| page_of(&st.list, &st.messages, page))?;
        Ok(found.unwrap_or_default())
    }

    async fn thread_replies(
        &self,
        app: &AppId,
        parent: &MessageId,
        page: &MessagePage,
    ) -> StoreResult<Vec<Message>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let empty = BTreeSet::new();
        let found = state.try_with_message(parent, |st| {
            let keys = st.replies.get(parent).unwrap_or(&empty);
            page_of(keys, &st.messages, page)
        })?;
        Ok(found.unwrap_or_default())
    }

    async fn pinned_messages(
        &self,
        app: &AppId,
        cid: &Cid,
        limit: usize,
    ) -> StoreResult<Vec<Message>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let found = state.try_with_channel(cid, |st| {
            let mut pinned: Vec<&Message> = st
                .pinned
                .iter()
                .filter_map(|id| st.messages.get(id))
                .filter(|m| m.pinned && m.deleted_at.is_none())
                .collect();
            // Most recently pinned first; then newest message first, for determinism.
            pinned.sort_by(|a, b| {
                b.pinned_at
                    .cmp(&a.pinned_at)
                    .then_with(|| b.order_key().cmp(&a.order_key()))
            });
            Ok(pinned.into_iter().take(limit).cloned().collect())
        })?;
        Ok(found.unwrap_or_default())
    }
}
