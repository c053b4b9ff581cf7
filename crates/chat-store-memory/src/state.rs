//! The in-memory data layout: per-app state, per-channel state and the app-wide indexes.
//!
//! Everything that one atomic store method changes lives in one [`ChannelState`] behind one
//! mutex: the channel row, its members and read cursors, its messages, their reactions,
//! per-user flags and thread cursors. The app-wide maps beside it are either the rows of
//! other aggregates (users, channel types) or indexes (message id → cid, user → cids) whose
//! truth is re-checked under the channel lock, so that a reader never needs two locks of
//! equal rank at once. See the crate docs for the lock order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use chat_core::error::StoreError;
use chat_core::ids::{ChannelTypeName, Cid, MessageId, UserId};
use chat_core::model::{Channel, ChannelType, Member, Message, Reaction, User};
use chat_core::read_state::{MessageFlags, ReadState, ThreadRead};
use chat_core::time::Timestamp;
use chat_core::StoreResult;

use crate::lock::{lock, read, write};

/// The position of a message in channel and thread order: `(created_at, id)`.
pub(crate) type OrderKey = (Timestamp, MessageId);

/// One channel, shared between the channel map and operations in flight.
pub(crate) type ChannelRef = Arc<Mutex<ChannelState>>;

/// Everything stored for one app.
#[derive(Default)]
pub(crate) struct AppState {
    /// Users by id (id order doubles as the query tie-breaker).
    pub users: RwLock<BTreeMap<UserId, User>>,
    /// Channel types by name.
    pub channel_types: RwLock<BTreeMap<ChannelTypeName, Arc<ChannelType>>>,
    /// Channels. Never held while a channel mutex is being acquired.
    pub channels: RwLock<HashMap<Cid, ChannelRef>>,
    /// Message id → channel, for id uniqueness and lookups by id. Written only under the
    /// owning channel's mutex.
    pub message_index: crate::message_index::MessageIndex,
    /// User → channels, for memberships and per-user lookups. Written only under the
    /// channel's mutex (or, for a brand-new channel, before it is published).
    pub user_links: RwLock<HashMap<UserId, UserLinks>>,
}

/// Where a user has rows inside channel states.
#[derive(Default, Debug)]
pub(crate) struct UserLinks {
    /// Channels the user is a member of (exact).
    pub member_of: BTreeSet<Cid>,
    /// Channels where the user may have message flags or thread cursors. A superset: it is
    /// extended before such a row is written and pruned only when the channel goes, so
    /// readers always re-check the channel state.
    pub touched: BTreeSet<Cid>,
}

/// All reactions on one message, with the order `latest` and listings use.
#[derive(Default, Debug, Clone)]
pub(crate) struct Reactions {
    /// By (user, type), the uniqueness key.
    pub by_key: BTreeMap<(UserId, String), Reaction>,
    /// Newest first: (created_at descending, user id, type).
    pub order: BTreeSet<(std::cmp::Reverse<Timestamp>, UserId, String)>,
}

/// One channel and everything that belongs to it.
pub(crate) struct ChannelState {
    /// The channel row.
    pub channel: Channel,
    /// Set (under this mutex) by `delete_channel` before the channel leaves the map, so
    /// operations that fetched the `Arc` earlier report `NotFound` instead of writing into
    /// a detached state.
    pub deleted: bool,
    /// Members by user id.
    pub members: BTreeMap<UserId, Member>,
    /// `members`' keys, ascending: the slice query views borrow and `member_ids` returns,
    /// kept in step by `put_member`/`take_member` rather than rebuilt per query.
    pub member_ids: Vec<UserId>,
    /// Members with `hidden` set, so un-hiding on send does not scan every member.
    pub hidden: BTreeSet<UserId>,
    /// Read cursors by user id (one per member).
    pub reads: BTreeMap<UserId, ReadState>,
    /// Messages by id.
    pub messages: HashMap<MessageId, Message>,
    /// Messages of the channel list (`in_channel_list`), in order.
    pub list: BTreeSet<OrderKey>,
    /// Replies per parent, in order.
    pub replies: HashMap<MessageId, BTreeSet<OrderKey>>,
    /// Counted messages by `seq` (for mark-unread's count of own messages).
    pub counted: BTreeMap<u64, MessageId>,
    /// Pinned messages (deleted or not).
    pub pinned: BTreeSet<MessageId>,
    /// Reactions per message.
    pub reactions: HashMap<MessageId, Reactions>,
    /// Non-empty per-user flags: user → message → flags.
    pub flags: HashMap<UserId, HashMap<MessageId, MessageFlags>>,
    /// Thread cursors: user → parent → cursor.
    pub thread_reads: HashMap<UserId, BTreeMap<MessageId, ThreadRead>>,
}

impl ChannelState {
    /// A fresh state for `channel` with no members.
    pub fn new(channel: Channel) -> Self {
        Self {
            channel,
            deleted: false,
            members: BTreeMap::new(),
            member_ids: Vec::new(),
            hidden: BTreeSet::new(),
            reads: BTreeMap::new(),
            messages: HashMap::new(),
            list: BTreeSet::new(),
            replies: HashMap::new(),
            counted: BTreeMap::new(),
            pinned: BTreeSet::new(),
            reactions: HashMap::new(),
            flags: HashMap::new(),
            thread_reads: HashMap::new(),
        }
    }

    /// The cid.
    pub fn cid(&self) -> &Cid {
        &self.channel.cid
    }

    /// Stores a member row (new or replacing), keeping `hidden` and `member_ids` in step.
    pub fn put_member(&mut self, member: Member) {
        if member.hidden {
            self.hidden.insert(member.user_id.clone());
        } else {
            self.hidden.remove(&member.user_id);
        }
        if let Err(at) = self.member_ids.binary_search(&member.user_id) {
            self.member_ids.insert(at, member.user_id.clone());
        }
        self.members.insert(member.user_id.clone(), member);
    }

    /// Removes a member row and its read cursor.
    pub fn take_member(&mut self, user: &UserId) -> Option<Member> {
        self.hidden.remove(user);
        self.reads.remove(user);
        if let Ok(at) = self.member_ids.binary_search(user) {
            self.member_ids.remove(at);
        }
        self.members.remove(user)
    }

    /// Adds a stored message to the order indexes.
    pub fn index_message(&mut self, m: &Message) {
        let key = (m.created_at, m.id.clone());
        if m.in_channel_list() {
            self.list.insert(key.clone());
        }
        if let Some(parent) = &m.parent_id {
            self.replies.entry(parent.clone()).or_default().insert(key);
        }
        if m.counted {
            self.counted.insert(m.seq, m.id.clone());
        }
        if m.pinned {
            self.pinned.insert(m.id.clone());
        }
    }

    /// Removes a message from the order indexes (inverse of `index_message`).
    pub fn unindex_message(&mut self, m: &Message) {
        let key = (m.created_at, m.id.clone());
        self.list.remove(&key);
        if let Some(parent) = &m.parent_id {
            if let Some(set) = self.replies.get_mut(parent) {
                set.remove(&key);
                if set.is_empty() {
                    self.replies.remove(parent);
                }
            }
        }
        if m.counted && self.counted.get(&m.seq) == Some(&m.id) {
            self.counted.remove(&m.seq);
        }
        self.pinned.remove(&m.id);
    }

    /// Removes a message row with everything hanging off it: order keys, reactions, every
    /// user's flags on it, and thread cursors when it was a parent. Returns the row.
    pub fn remove_message(&mut self, id: &MessageId) -> Option<Message> {
        let m = self.detach_row(id)?;
        self.drop_user_rows(|m| m == id);
        Some(m)
    }

    /// Removes many messages like `remove_message`, sweeping per-user rows once.
    pub fn remove_messages(&mut self, ids: &HashSet<MessageId>) {
        for id in ids {
            self.detach_row(id);
        }
        self.drop_user_rows(|m| ids.contains(m));
    }

    /// Removes a message row, its order keys and its reactions.
    fn detach_row(&mut self, id: &MessageId) -> Option<Message> {
        let m = self.messages.remove(id)?;
        self.unindex_message(&m);
        self.reactions.remove(id);
        Some(m)
    }

    /// Drops every user's flags and thread cursors on the messages `gone` selects.
    fn drop_user_rows(&mut self, gone: impl Fn(&MessageId) -> bool) {
        self.flags.retain(|_, per_user| {
            per_user.retain(|m, _| !gone(m));
            !per_user.is_empty()
        });
        self.thread_reads.retain(|_, per_user| {
            per_user.retain(|m, _| !gone(m));
            !per_user.is_empty()
        });
    }

    /// The user's flags on a message (empty when no row).
    pub fn flags_of(&self, user: &UserId, message: &MessageId) -> MessageFlags {
        self.flags
            .get(user)
            .and_then(|m| m.get(message))
            .copied()
            .unwrap_or_default()
    }

    /// Sets the user's flags on a message; an empty value removes the row.
    pub fn set_flags(&mut self, user: &UserId, message: &MessageId, flags: MessageFlags) {
        if flags.is_empty() {
            if let Some(per_user) = self.flags.get_mut(user) {
                per_user.remove(message);
                if per_user.is_empty() {
                    self.flags.remove(user);
                }
            }
        } else {
            self.flags
                .entry(user.clone())
                .or_default()
                .insert(message.clone(), flags);
        }
    }
}

/// `NotFound` for a channel.
pub(crate) fn channel_not_found(cid: &Cid) -> StoreError {
    StoreError::not_found("channel", cid)
}

/// `NotFound` for a message.
pub(crate) fn message_not_found(id: &MessageId) -> StoreError {
    StoreError::not_found("message", id)
}

impl AppState {
    /// The channel's shared state, if it exists.
    pub fn channel_ref(&self, cid: &Cid) -> StoreResult<Option<ChannelRef>> {
        Ok(read(&self.channels, "channels")?.get(cid).cloned())
    }

    /// Every channel's shared state (cheap `Arc` clones; the map lock is released at once).
    pub fn all_channel_refs(&self) -> StoreResult<Vec<ChannelRef>> {
        Ok(read(&self.channels, "channels")?
            .values()
            .cloned()
            .collect())
    }

    /// The channel a message id belongs to, per the index.
    pub fn message_cid(&self, id: &MessageId) -> StoreResult<Option<Cid>> {
        self.message_index.get(id)
    }

    /// Runs `f` under the channel's mutex; `None` if the channel does not exist.
    pub fn try_with_channel<R>(
        &self,
        cid: &Cid,
        f: impl FnOnce(&mut ChannelState) -> StoreResult<R>,
    ) -> StoreResult<Option<R>> {
        let Some(chan) = self.channel_ref(cid)? else {
            return Ok(None);
        };
        let mut state = lock(&chan, "channel")?;
        if state.deleted {
            return Ok(None);
        }
        f(&mut state).map(Some)
    }

    /// Runs `f` under the channel's mutex; `NotFound` if the channel does not exist.
    pub fn with_channel<R>(
        &self,
        cid: &Cid,
        f: impl FnOnce(&mut ChannelState) -> StoreResult<R>,
    ) -> StoreResult<R> {
        self.try_with_channel(cid, f)?
            .ok_or_else(|| channel_not_found(cid))
    }

    /// Runs `f` under the mutex of the channel holding message `id`, which is present in
    /// the state when `f` runs. `None` if the message does not exist.
    ///
    /// The index is read without the channel lock, so the message may move (hard-deleted,
    /// then re-sent with the same id elsewhere) before the lock is taken; the index is then
    /// re-read under the lock and the lookup retried.
    pub fn try_with_message<R>(
        &self,
        id: &MessageId,
        f: impl FnOnce(&mut ChannelState) -> StoreResult<R>,
    ) -> StoreResult<Option<R>> {
        let mut cid = match self.message_cid(id)? {
            Some(c) => c,
            None => return Ok(None),
        };
        // `f` runs at most once, on the attempt that finds the message.
        let mut f = Some(f);
        loop {
            let Some(chan) = self.channel_ref(&cid)? else {
                // Deleted channels leave the index before the map; re-check it.
                match self.message_cid(id)? {
                    Some(c) if c != cid => {
                        cid = c;
                        continue;
                    }
                    _ => return Ok(None),
                }
            };
            let mut state = lock(&chan, "channel")?;
            if !state.deleted && state.messages.contains_key(id) {
                let f = f.take().ok_or_else(|| message_not_found(id))?;
                return f(&mut state).map(Some);
            }
            // Lock order allows reading the index while holding the channel.
            match self.message_cid(id)? {
                Some(c) if c != cid => cid = c,
                _ => return Ok(None),
            }
        }
    }

    /// Like `try_with_message`, `NotFound` if the message does not exist.
    pub fn with_message<R>(
        &self,
        id: &MessageId,
        f: impl FnOnce(&mut ChannelState) -> StoreResult<R>,
    ) -> StoreResult<R> {
        self.try_with_message(id, f)?
            .ok_or_else(|| message_not_found(id))
    }

    /// Records that `users` are members of `cid`.
    pub fn link_members<'a>(
        &self,
        cid: &Cid,
        users: impl IntoIterator<Item = &'a UserId>,
    ) -> StoreResult<()> {
        let mut links = write(&self.user_links, "user links")?;
        for u in users {
            links
                .entry(u.clone())
                .or_default()
                .member_of
                .insert(cid.clone());
        }
        Ok(())
    }

    /// Records that `users` are no longer members of `cid`.
    pub fn unlink_members<'a>(
        &self,
        cid: &Cid,
        users: impl IntoIterator<Item = &'a UserId>,
    ) -> StoreResult<()> {
        let mut links = write(&self.user_links, "user links")?;
        for u in users {
            if let Some(l) = links.get_mut(u) {
                l.member_of.remove(cid);
            }
        }
        Ok(())
    }

    /// Records that `users` may get flags or thread cursors in `cid` (before writing them).
    pub fn touch<'a>(
        &self,
        cid: &Cid,
        users: impl IntoIterator<Item = &'a UserId>,
    ) -> StoreResult<()> {
        let mut links = write(&self.user_links, "user links")?;
        for u in users {
            let l = links.entry(u.clone()).or_default();
            if !l.touched.contains(cid) {
                l.touched.insert(cid.clone());
            }
        }
        Ok(())
    }

    /// The channels the user is a member of, by cid.
    pub fn member_cids(&self, user: &UserId) -> StoreResult<Vec<Cid>> {
        let mut cids: Vec<Cid> = read(&self.user_links, "user links")?
            .get(user)
            .map(|l| l.member_of.iter().cloned().collect())
            .unwrap_or_default();
        cids.sort_by(crate::query::by_cid_text);
        Ok(cids)
    }

    /// The channels where the user may have flags or thread cursors, by cid.
    pub fn touched_cids(&self, user: &UserId) -> StoreResult<Vec<Cid>> {
        let mut cids: Vec<Cid> = read(&self.user_links, "user links")?
            .get(user)
            .map(|l| l.touched.iter().cloned().collect())
            .unwrap_or_default();
        cids.sort_by(crate::query::by_cid_text);
        Ok(cids)
    }
}
