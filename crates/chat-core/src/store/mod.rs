//! Store traits: one per aggregate, composed into [`Store`], used as `Arc<dyn Store>`.
//!
//! Contract for every implementation (checked by `chat-store-conformance`):
//! - Every method is scoped to one app; rows of different apps never meet.
//! - Writes that must be atomic are one method, documented step by step below. An
//!   implementation runs each such method as one transaction (Postgres) or under one short
//!   critical section (memory); no partial effect is ever observable.
//! - Optimistic concurrency: `update_*` methods take the row as read (its `version`), fail
//!   with [`StoreError::VersionConflict`] if the stored version differs, and otherwise store
//!   it with `version + 1` and return it. `insert_*` store version 1. Counter fields
//!   (`Channel::counters`, `Message::{seq, counted, thread, reactions}`) are never taken
//!   from the caller on update: they belong to the atomic methods.
//! - Lists come back in the documented order, deterministically. String tie-breaks (ids,
//!   cids) compare bytes (Postgres: `COLLATE "C"`). Where no order is documented, callers
//!   must not rely on one.
//! - Reads hide nothing on their own: soft-deleted messages are listed (with `deleted_at`),
//!   truncated or hidden history is excluded only through `MessagePage::created_after`,
//!   and `query_channels` applies exactly the filter it is given.
//! - Details pinned down by the conformance suite: a second soft delete succeeds and counts
//!   nothing; a reaction group whose count reaches zero disappears; caller-supplied counters
//!   are ignored on create; a new read cursor has `last_read_at` = the member's
//!   `created_at`; `mark_read(Latest)` points `last_read_message_id` at the newest undeleted
//!   channel-list message, `mark_unread` at the channel-list message just before `from`;
//!   writes that change content outside `update_*` (un-hiding, soft delete, truncate) bump
//!   `version`, so a stale update cannot undo them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::ids::ChannelTypeName;
use crate::ids::{AppId, Cid, MessageId, UserId};
use crate::model::ThreadSummary;
use crate::model::{App, Channel, ChannelCounters, ChannelType, Member, Message, Reaction, User};
use crate::query::{ChannelQuery, MemberQuery, MessagePage, SearchPage, SearchQuery, UserQuery};
use crate::read_state::{MessageFlags, ReadState, ThreadRead};
use crate::time::Timestamp;

/// Apps (tenants).
#[async_trait]
pub trait AppStore: Send + Sync {
    /// Inserts a new app; `Duplicate` if its id or api key is taken.
    async fn insert_app(&self, app: App) -> StoreResult<App>;
    /// An app by id.
    async fn get_app(&self, id: &AppId) -> StoreResult<Option<App>>;
    /// An app by api key.
    async fn get_app_by_key(&self, api_key: &str) -> StoreResult<Option<App>>;
    /// Replaces an app's settings (optimistic concurrency).
    async fn update_app(&self, app: App) -> StoreResult<App>;
    /// Every app, by id.
    async fn list_apps(&self) -> StoreResult<Vec<App>>;
}

/// Users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a new user; `Duplicate` if the id is taken.
    async fn insert_user(&self, app: &AppId, user: User) -> StoreResult<User>;
    /// Replaces a user (optimistic concurrency); `NotFound` if missing.
    async fn update_user(&self, app: &AppId, user: User) -> StoreResult<User>;
    /// The users that exist among `ids`, in the order of `ids` (duplicates collapsed).
    async fn get_users(&self, app: &AppId, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// Filter, sort (ties by id ascending), offset, limit. Deleted users are never
    /// returned; deactivated ones only with `include_deactivated`.
    async fn query_users(&self, app: &AppId, query: &UserQuery) -> StoreResult<Vec<User>>;
}

/// Channel types.
#[async_trait]
pub trait ChannelTypeStore: Send + Sync {
    /// Inserts a channel type; `Duplicate` if the name is taken.
    async fn insert_channel_type(&self, app: &AppId, ty: ChannelType) -> StoreResult<ChannelType>;
    /// Replaces a channel type (optimistic concurrency).
    async fn update_channel_type(&self, app: &AppId, ty: ChannelType) -> StoreResult<ChannelType>;
    /// A channel type by name. Shared (`Arc`): every channel command reads its type, and
    /// a type with its grant maps is too large to copy per request.
    async fn get_channel_type(
        &self,
        app: &AppId,
        name: &ChannelTypeName,
    ) -> StoreResult<Option<Arc<ChannelType>>>;
    /// All channel types, by name.
    async fn list_channel_types(&self, app: &AppId) -> StoreResult<Vec<ChannelType>>;
    /// Deletes a channel type; `NotFound` if missing. Callers check it has no channels.
    async fn delete_channel_type(&self, app: &AppId, name: &ChannelTypeName) -> StoreResult<()>;
}

/// What `create_channel` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// The channel was new; it and its initial members were stored.
    New(Channel, Vec<Member>),
    /// A channel with that cid already existed; nothing was written.
    Existing(Channel),
}

/// How a truncate works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncate {
    /// Messages created at or before this are gone for everyone.
    pub at: Timestamp,
    /// Who truncated.
    pub by: Option<UserId>,
    /// Remove the messages (else they stay stored but hidden).
    pub hard: bool,
}

/// Channels.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Atomic get-or-create: if `channel.cid` exists, returns it untouched; else stores the
    /// channel (counters: `member_count` = number of members, the rest zero) and the
    /// members, each with a read cursor at sequence 0. Concurrent calls for one cid create
    /// it once.
    async fn create_channel(
        &self,
        app: &AppId,
        channel: Channel,
        members: Vec<Member>,
    ) -> StoreResult<Created>;
    /// The channels that exist among `cids`, in the order of `cids`.
    async fn get_channels(&self, app: &AppId, cids: &[Cid]) -> StoreResult<Vec<Channel>>;
    /// Replaces a channel's content fields (optimistic concurrency); counters are kept.
    async fn update_channel(&self, app: &AppId, channel: Channel) -> StoreResult<Channel>;
    /// Removes a channel with its members, read cursors, messages, reactions and flags.
    /// Returns it as it was; `NotFound` if missing.
    async fn delete_channel(&self, app: &AppId, cid: &Cid) -> StoreResult<Channel>;
    /// Atomically: sets `truncated_at`/`truncated_by`, `counters.truncated_seq =
    /// last_seq`, clears `deleted_seqs`, sets `last_message_at` to none; with `hard`,
    /// removes messages created at or before `at` (and their reactions and flags).
    async fn truncate_channel(
        &self,
        app: &AppId,
        cid: &Cid,
        spec: Truncate,
    ) -> StoreResult<Channel>;
    /// Filter, sort (ties by cid ascending), offset, limit, as seen by `query.user`.
    async fn query_channels(&self, app: &AppId, query: &ChannelQuery) -> StoreResult<Vec<Channel>>;
}

/// Memberships.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Atomically adds the members not already present (existing ones are left as they
    /// are), raises `member_count` by the number added and gives each a read cursor at the
    /// channel's current `last_seq`. Returns those added; `NotFound` if no channel.
    async fn add_members(
        &self,
        app: &AppId,
        cid: &Cid,
        members: Vec<Member>,
    ) -> StoreResult<Vec<Member>>;
    /// Atomically removes the listed members that exist, with their read cursors, and
    /// lowers `member_count`. Returns those removed.
    async fn remove_members(
        &self,
        app: &AppId,
        cid: &Cid,
        users: &[UserId],
    ) -> StoreResult<Vec<Member>>;
    /// Replaces a member (optimistic concurrency); `NotFound` if missing.
    async fn update_member(&self, app: &AppId, member: Member) -> StoreResult<Member>;
    /// The members among `users`, in the order of `users`.
    async fn get_members(
        &self,
        app: &AppId,
        cid: &Cid,
        users: &[UserId],
    ) -> StoreResult<Vec<Member>>;
    /// Filter, sort (ties by user id ascending), offset, limit over one channel's members.
    async fn query_members(&self, app: &AppId, query: &MemberQuery) -> StoreResult<Vec<Member>>;
    /// Every member's user id (fan-out), ascending.
    async fn member_ids(&self, app: &AppId, cid: &Cid) -> StoreResult<Vec<UserId>>;
    /// Every membership of a user, by cid.
    async fn memberships(&self, app: &AppId, user: &UserId) -> StoreResult<Vec<Member>>;
}

/// Options of an atomic message insert.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InsertMessage {
    /// Move the channel's `last_message_at` (false for system messages when the type says so).
    pub bump_last_message_at: bool,
    /// Leave members who hid the channel hidden.
    pub keep_channel_hidden: bool,
}

/// What `insert_message` stored.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertedMessage {
    /// The message with `seq`, `counted` set.
    pub message: Message,
    /// The channel after the insert.
    pub channel: Channel,
    /// The thread parent after the insert, for replies.
    pub parent: Option<Message>,
    /// Members whose hidden channel became visible.
    pub unhidden: Vec<UserId>,
}

/// How to delete a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Keep the row with `deleted_at` set.
    Soft(Timestamp),
    /// Remove the row, its reactions and flags.
    Hard,
}

/// Messages.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Atomically, all or nothing:
    /// 1. the channel must exist (`NotFound`), the id must be new in the app (`Duplicate`),
    ///    and for a reply the parent must exist in the same channel (`NotFound`);
    /// 2. if `message.counts_as_unread()`: `last_seq += 1` and the message gets
    ///    `seq = last_seq`, `counted = true`; else `seq = last_seq`, `counted = false`;
    /// 3. `message_count += 1`; if the message is in the channel list and
    ///    `bump_last_message_at`, `last_message_at = max(last_message_at, created_at)`;
    /// 4. if the author is a member and the message is in the channel list, the author's
    ///    cursor moves to `max(cursor, seq)` with `last_read_at = created_at`,
    ///    `last_read_message_id = id`, `own_after_cursor = 0`;
    /// 5. for a reply: the parent's `reply_count += 1`, `last_reply_at = created_at`, the
    ///    author is appended to `participants` if new, and the author's thread cursor
    ///    (created if missing) moves to the new `reply_count`;
    /// 6. each mentioned user gets `MENTIONED` added to their flags on the message;
    /// 7. unless `keep_channel_hidden`, members with `hidden` set are un-hidden and listed.
    async fn insert_message(
        &self,
        app: &AppId,
        message: Message,
        opts: InsertMessage,
    ) -> StoreResult<InsertedMessage>;
    /// The messages that exist among `ids`, in the order of `ids`.
    async fn get_messages(&self, app: &AppId, ids: &[MessageId]) -> StoreResult<Vec<Message>>;
    /// Replaces a message's content (optimistic concurrency). Kept from the stored row:
    /// `cid`, `user_id`, `parent_id`, `created_at`, `seq`, `counted`, `thread`, `reactions`.
    async fn update_message(&self, app: &AppId, message: Message) -> StoreResult<Message>;
    /// Atomically deletes a message; `NotFound` if missing. The first deletion (soft, or
    /// hard of a live message) does: `message_count -= 1`; if `counted` and
    /// `seq > truncated_seq`, `seq` joins `deleted_seqs`, and if the author's cursor is
    /// below `seq`, the author's `own_after_cursor` is lowered by one (not below zero);
    /// for a reply, the parent's `deleted_reply_count += 1`. Hard deletion also removes the
    /// row, its reactions and flags. Returns the message as deleted (soft: `deleted_at`
    /// set; hard: as it was).
    async fn delete_message(
        &self,
        app: &AppId,
        id: &MessageId,
        how: Deletion,
    ) -> StoreResult<Message>;
    /// A page of the channel's list (messages with `in_channel_list()`), oldest first,
    /// windowed exactly as [`crate::query::select_window`].
    async fn channel_messages(
        &self,
        app: &AppId,
        cid: &Cid,
        page: &MessagePage,
    ) -> StoreResult<Vec<Message>>;
    /// A page of a thread's replies, oldest first, windowed as `select_window`.
    async fn thread_replies(
        &self,
        app: &AppId,
        parent: &MessageId,
        page: &MessagePage,
    ) -> StoreResult<Vec<Message>>;
    /// Pinned, not deleted messages of a channel, most recently pinned first.
    async fn pinned_messages(
        &self,
        app: &AppId,
        cid: &Cid,
        limit: usize,
    ) -> StoreResult<Vec<Message>>;
}

/// What `upsert_reaction` did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactionChange {
    /// The reaction as stored.
    pub reaction: Reaction,
    /// The message with updated aggregates.
    pub message: Message,
    /// Whether a reaction of that (user, type) existed and was replaced.
    pub updated: bool,
    /// Other reactions of the user removed by `enforce_unique`.
    pub removed: Vec<Reaction>,
}

/// Reactions.
#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Atomically stores the reaction, unique per (message, user, type) (an existing one
    /// is replaced, keeping its `created_at`); with `enforce_unique`, removes the user's
    /// other reactions on the message. Keeps the message's `reactions` summary exact:
    /// groups (count, sum of scores, first/last time) and `latest` (newest first, ≤10).
    /// `NotFound` if the message is missing.
    async fn upsert_reaction(
        &self,
        app: &AppId,
        reaction: Reaction,
        enforce_unique: bool,
    ) -> StoreResult<ReactionChange>;
    /// Atomically removes a reaction and updates the summary. Returns it and the message;
    /// `NotFound` if either is missing.
    async fn delete_reaction(
        &self,
        app: &AppId,
        message: &MessageId,
        user: &UserId,
        kind: &str,
    ) -> StoreResult<(Reaction, Message)>;
    /// A message's reactions, newest first (ties by user id, then type).
    async fn list_reactions(
        &self,
        app: &AppId,
        message: &MessageId,
        limit: usize,
        offset: usize,
    ) -> StoreResult<Vec<Reaction>>;
    /// The user's reactions on any of `messages`.
    async fn user_reactions(
        &self,
        app: &AppId,
        messages: &[MessageId],
        user: &UserId,
    ) -> StoreResult<Vec<Reaction>>;
}

/// Where a mark-read stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadUpTo {
    /// Everything so far.
    Latest,
    /// Up to and including this message (its `seq`).
    Message(MessageId),
}

/// Read cursors and per-user message flags.
#[async_trait]
pub trait ReadStore: Send + Sync {
    /// Atomically moves the member's cursor to `last_seq` (or the message's `seq`) — it
    /// may move back when a message is named —, sets `last_read_at = at`, the message id,
    /// `own_after_cursor = 0`, and clears `MARKED_UNREAD` flags of the user in the channel.
    /// `NotFound` if not a member (or the message is not in the channel).
    async fn mark_read(
        &self,
        app: &AppId,
        cid: &Cid,
        user: &UserId,
        up_to: ReadUpTo,
        at: Timestamp,
    ) -> StoreResult<ReadState>;
    /// Atomically puts the cursor just before `from` (its `seq - 1` if counted, else its
    /// `seq`), counts the user's own counted, undeleted messages after it into
    /// `own_after_cursor`, sets `last_read_at = at` and flags `from` `MARKED_UNREAD`.
    async fn mark_unread(
        &self,
        app: &AppId,
        cid: &Cid,
        user: &UserId,
        from: &MessageId,
        at: Timestamp,
    ) -> StoreResult<ReadState>;
    /// Read cursors of a channel's members, by user id, at most `limit`.
    async fn channel_reads(
        &self,
        app: &AppId,
        cid: &Cid,
        limit: usize,
    ) -> StoreResult<Vec<ReadState>>;
    /// The user's cursor in every channel they are a member of, with its counters.
    async fn user_reads(
        &self,
        app: &AppId,
        user: &UserId,
    ) -> StoreResult<Vec<(ReadState, ChannelCounters)>>;
    /// Atomically marks a thread read: the user's thread cursor (created if missing) moves
    /// to the parent's `reply_count`. `NotFound` if the parent is missing.
    async fn mark_thread_read(
        &self,
        app: &AppId,
        user: &UserId,
        parent: &MessageId,
        at: Timestamp,
    ) -> StoreResult<ThreadRead>;
    /// The user's thread cursors with each parent's thread summary.
    async fn user_thread_reads(
        &self,
        app: &AppId,
        user: &UserId,
    ) -> StoreResult<Vec<(ThreadRead, ThreadSummary)>>;
    /// Atomically sets and clears flags of the user on a message; a row whose flags become
    /// empty is removed. Returns the new flags; `NotFound` if the message is missing.
    async fn update_flags(
        &self,
        app: &AppId,
        user: &UserId,
        message: &MessageId,
        set: MessageFlags,
        clear: MessageFlags,
    ) -> StoreResult<MessageFlags>;
    /// The user's non-empty flags on any of `messages`.
    async fn flags_of(
        &self,
        app: &AppId,
        user: &UserId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<(MessageId, MessageFlags)>>;
    /// Messages where the user has all of `flags`, newest message first, at most `limit`.
    async fn messages_flagged(
        &self,
        app: &AppId,
        user: &UserId,
        flags: MessageFlags,
        limit: usize,
    ) -> StoreResult<Vec<MessageId>>;
}

/// Message search.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// The page [`SearchQuery::page`] computes over every message of the query's scoped
    /// channels, exactly: same messages, same order, same cursors. A store may narrow the
    /// candidates first (a full-text index over [`crate::query::text`] tokens, kept current
    /// by every insert, update and delete), but never drop a message that matches.
    /// Channels of the scopes that do not exist contribute nothing.
    async fn search_messages(&self, app: &AppId, query: &SearchQuery) -> StoreResult<SearchPage>;
}

/// Everything a backend provides.
pub trait Store:
    AppStore
    + UserStore
    + ChannelTypeStore
    + ChannelStore
    + MemberStore
    + MessageStore
    + ReactionStore
    + ReadStore
    + SearchStore
{
}

impl<T> Store for T where
    T: AppStore
        + UserStore
        + ChannelTypeStore
        + ChannelStore
        + MemberStore
        + MessageStore
        + ReactionStore
        + ReadStore
        + SearchStore
{
}
