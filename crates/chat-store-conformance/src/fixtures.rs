//! Small builders so cases read like specs: ids from strings, rows with fixed timestamps, a
//! per-case [`Ctx`] (store + app + a fixed timestamp sequence) and a [`MessageBuilder`].
//!
//! Nothing here reads the system clock: [`t`] maps small integers to fixed instants, and
//! [`Ctx::tick`] hands out a strictly increasing sequence of them.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use chat_core::error::{StoreError, StoreResult};
use chat_core::ids::{AppId, ChannelTypeName, Cid, MessageId, UserId};
use chat_core::model::{
    default_channel_types, App, AppSettings, Channel, ChannelCounters, ChannelType, Member,
    Message, MessageType, Reaction, ThreadSummary, User,
};
use chat_core::read_state::{unread_count, MessageFlags, ReadState, ThreadRead};
use chat_core::store::{Deletion, InsertMessage, InsertedMessage, ReactionChange, Store};
use chat_core::time::Timestamp;

/// 2024-01-01T00:00:00Z, the origin of every fixture timestamp.
pub const BASE_SECS: i64 = 1_704_067_200;

/// Where [`Ctx::tick`] starts (in seconds after [`BASE_SECS`]); explicit `t(n)` values below
/// it are "before anything the context sent".
pub const TICK_START: i64 = 1_000;

/// The fixed instant `n` seconds after 2024-01-01T00:00:00Z.
pub fn t(n: i64) -> Timestamp {
    Timestamp::from_secs(BASE_SECS + n)
}

/// A user id.
pub fn uid(id: &str) -> UserId {
    UserId::parse(id).expect("fixture user id is valid")
}

/// A message id.
pub fn mid(id: &str) -> MessageId {
    MessageId::parse(id).expect("fixture message id is valid")
}

/// An app id.
pub fn app_id(id: &str) -> AppId {
    AppId::parse(id).expect("fixture app id is valid")
}

/// A channel type name.
pub fn type_name(name: &str) -> ChannelTypeName {
    ChannelTypeName::parse(name).expect("fixture channel type name is valid")
}

/// `messaging:<id>`.
pub fn cid(id: &str) -> Cid {
    Cid::parse(&format!("messaging:{id}")).expect("fixture cid is valid")
}

/// An app with key `key-<id>`, created at `t(0)`.
pub fn new_app(id: &str) -> App {
    App {
        id: app_id(id),
        api_key: format!("key-{id}"),
        api_secret: format!("secret-{id}"),
        settings: AppSettings {
            name: id.to_string(),
            ..AppSettings::default()
        },
        created_at: t(0),
        version: 0,
    }
}

/// A user with defaults, created at `t(0)`.
pub fn new_user(id: &str) -> User {
    User::new(uid(id), t(0))
}

/// A plain membership, created at `t(0)`.
pub fn new_member(cid: &Cid, user: &str) -> Member {
    Member::new(cid.clone(), uid(user), t(0))
}

/// A channel with no counters, created at `t(0)`.
pub fn new_channel(cid: &Cid, created_by: Option<&str>) -> Channel {
    Channel::new(cid.clone(), created_by.map(uid), t(0))
}

/// A channel type with `messaging`'s default config and grants, renamed.
pub fn new_channel_type(name: &str) -> ChannelType {
    let mut ty = default_channel_types(t(0))
        .into_iter()
        .next()
        .expect("core has default channel types");
    ty.name = type_name(name);
    ty
}

/// A reaction created (and updated) at `at`.
pub fn new_reaction(
    message: &MessageId,
    user: &str,
    kind: &str,
    score: u32,
    at: Timestamp,
) -> Reaction {
    Reaction {
        message_id: message.clone(),
        user_id: uid(user),
        kind: kind.to_string(),
        score,
        custom: chat_core::custom::Custom::new(),
        created_at: at,
        updated_at: at,
    }
}

/// Message ids as strings, for readable assertion diffs.
pub fn ids(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.id.to_string()).collect()
}

/// Message ids (as strings) of references.
pub fn ref_ids(messages: &[&Message]) -> Vec<String> {
    messages.iter().map(|m| m.id.to_string()).collect()
}

/// User ids as strings.
pub fn user_ids<'a>(ids: impl IntoIterator<Item = &'a UserId>) -> Vec<String> {
    ids.into_iter().map(ToString::to_string).collect()
}

/// Strings, from string slices.
pub fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

/// Sorted copy.
pub fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values
}

/// Asserts `Duplicate`.
#[track_caller]
pub fn expect_duplicate<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::Duplicate { .. }) => {}
        other => panic!("{what}: expected StoreError::Duplicate, got {other:?}"),
    }
}

/// Asserts `NotFound`.
#[track_caller]
pub fn expect_not_found<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("{what}: expected StoreError::NotFound, got {other:?}"),
    }
}

/// Asserts `VersionConflict`.
#[track_caller]
pub fn expect_conflict<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::VersionConflict { .. }) => {}
        other => panic!("{what}: expected StoreError::VersionConflict, got {other:?}"),
    }
}

/// One case's world: a store, an app in it (with the `messaging` channel type) and a
/// fixed, strictly increasing timestamp sequence.
pub struct Ctx {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// The app every row of this context belongs to.
    pub app: AppId,
    clock: AtomicI64,
    next_id: AtomicU64,
}

impl Ctx {
    /// A context on app `app-1`.
    pub async fn new(store: Arc<dyn Store>) -> Self {
        Self::for_app(store, "app-1").await
    }

    /// A context on a new app `app` (inserted, with the `messaging` channel type).
    pub async fn for_app(store: Arc<dyn Store>, app: &str) -> Self {
        store
            .insert_app(new_app(app))
            .await
            .expect("fixture: insert_app");
        let app = app_id(app);
        match store
            .insert_channel_type(&app, new_channel_type("messaging"))
            .await
        {
            Ok(_) | Err(StoreError::Duplicate { .. }) => {}
            Err(e) => panic!("fixture: insert_channel_type messaging: {e:?}"),
        }
        Self {
            store,
            app,
            clock: AtomicI64::new(TICK_START),
            next_id: AtomicU64::new(1),
        }
    }

    /// The next instant of the fixed sequence `t(1000)`, `t(1001)`, ….
    pub fn tick(&self) -> Timestamp {
        t(self.clock.fetch_add(1, Ordering::SeqCst))
    }

    /// The next generated message id, `m00001`, `m00002`, ….
    pub fn next_message_id(&self) -> MessageId {
        let n = self.next_id.fetch_add(1, Ordering::SeqCst);
        mid(&format!("m{n:05}"))
    }

    /// Inserts a user (or returns the existing one).
    pub async fn user(&self, id: &str) -> User {
        match self.store.insert_user(&self.app, new_user(id)).await {
            Ok(user) => user,
            Err(StoreError::Duplicate { .. }) => self
                .store
                .get_users(&self.app, &[uid(id)])
                .await
                .expect("fixture: get_users")
                .into_iter()
                .next()
                .expect("fixture: duplicate user exists"),
            Err(e) => panic!("fixture: insert_user {id}: {e:?}"),
        }
    }

    /// Inserts users (existing ones are kept).
    pub async fn users(&self, ids: &[&str]) {
        for id in ids {
            self.user(id).await;
        }
    }

    /// Creates `messaging:<id>` with these members (users are created as needed); the first
    /// member is the creator.
    pub async fn channel(&self, id: &str, members: &[&str]) -> Channel {
        let cid = cid(id);
        self.channel_from(new_channel(&cid, members.first().copied()), members)
            .await
    }

    /// Creates the given channel with these members (users are created as needed).
    pub async fn channel_from(&self, channel: Channel, members: &[&str]) -> Channel {
        self.users(members).await;
        if let Some(by) = &channel.created_by {
            self.user(by.as_str()).await;
        }
        let cid = channel.cid.clone();
        let members = members.iter().map(|u| new_member(&cid, u)).collect();
        match self
            .store
            .create_channel(&self.app, channel, members)
            .await
            .expect("fixture: create_channel")
        {
            chat_core::store::Created::New(channel, _) => channel,
            chat_core::store::Created::Existing(_) => panic!("fixture: {cid} already existed"),
        }
    }

    /// The stored channel.
    pub async fn get_channel(&self, cid: &Cid) -> Channel {
        self.store
            .get_channels(&self.app, std::slice::from_ref(cid))
            .await
            .expect("get_channels")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("channel {cid} should exist"))
    }

    /// The stored channel's counters.
    pub async fn counters(&self, cid: &Cid) -> ChannelCounters {
        self.get_channel(cid).await.counters
    }

    /// A message builder for `user` in `cid`, with the next id and tick.
    pub fn msg(&self, cid: &Cid, user: &str) -> MessageBuilder<'_> {
        let message = Message::new(self.next_message_id(), cid.clone(), uid(user), self.tick());
        MessageBuilder {
            ctx: self,
            message,
            opts: InsertMessage {
                bump_last_message_at: true,
                keep_channel_hidden: false,
            },
        }
    }

    /// A thread-reply builder for `user` under `parent`.
    pub fn reply(&self, parent: &Message, user: &str) -> MessageBuilder<'_> {
        self.msg(&parent.cid, user).reply_to(&parent.id)
    }

    /// Sends a plain message and returns it as stored.
    pub async fn send(&self, cid: &Cid, user: &str) -> Message {
        self.msg(cid, user).send().await
    }

    /// The stored message, if any.
    pub async fn try_message(&self, id: &MessageId) -> Option<Message> {
        self.store
            .get_messages(&self.app, std::slice::from_ref(id))
            .await
            .expect("get_messages")
            .into_iter()
            .next()
    }

    /// The stored message.
    pub async fn message(&self, id: &MessageId) -> Message {
        self.try_message(id)
            .await
            .unwrap_or_else(|| panic!("message {id} should exist"))
    }

    /// The stored membership, if any.
    pub async fn member(&self, cid: &Cid, user: &str) -> Option<Member> {
        self.store
            .get_members(&self.app, cid, &[uid(user)])
            .await
            .expect("get_members")
            .into_iter()
            .next()
    }

    /// The user's cursor in `cid` with the channel's counters, from `user_reads`.
    pub async fn read_with_counters(
        &self,
        cid: &Cid,
        user: &str,
    ) -> Option<(ReadState, ChannelCounters)> {
        self.store
            .user_reads(&self.app, &uid(user))
            .await
            .expect("user_reads")
            .into_iter()
            .find(|(read, _)| &read.cid == cid)
    }

    /// The user's cursor in `cid`.
    pub async fn read_state(&self, cid: &Cid, user: &str) -> ReadState {
        self.read_with_counters(cid, user)
            .await
            .unwrap_or_else(|| panic!("{user} should have a read cursor in {cid}"))
            .0
    }

    /// The user's unread count in `cid`, computed end to end: `user_reads` then
    /// `unread_count`.
    pub async fn unread(&self, cid: &Cid, user: &str) -> u64 {
        let (read, counters) = self
            .read_with_counters(cid, user)
            .await
            .unwrap_or_else(|| panic!("{user} should have a read cursor in {cid}"));
        unread_count(&counters, &read)
    }

    /// The user's thread cursor on `parent` with the parent's summary, from
    /// `user_thread_reads`.
    pub async fn try_thread_read(
        &self,
        user: &str,
        parent: &MessageId,
    ) -> Option<(ThreadRead, ThreadSummary)> {
        self.store
            .user_thread_reads(&self.app, &uid(user))
            .await
            .expect("user_thread_reads")
            .into_iter()
            .find(|(read, _)| &read.parent_id == parent)
    }

    /// The user's thread cursor on `parent` with the parent's summary.
    pub async fn thread_read(&self, user: &str, parent: &MessageId) -> (ThreadRead, ThreadSummary) {
        self.try_thread_read(user, parent)
            .await
            .unwrap_or_else(|| panic!("{user} should have a thread cursor on {parent}"))
    }

    /// The user's flags on a message (empty when no row).
    pub async fn flags(&self, user: &str, message: &MessageId) -> MessageFlags {
        let rows = self
            .store
            .flags_of(&self.app, &uid(user), std::slice::from_ref(message))
            .await
            .expect("flags_of");
        assert!(
            rows.len() <= 1,
            "flags_of returned several rows for one message: {rows:?}"
        );
        rows.into_iter()
            .find(|(id, _)| id == message)
            .map_or(MessageFlags::empty(), |(_, f)| f)
    }

    /// Sets flags of `user` on a message.
    pub async fn set_flags(&self, user: &str, message: &MessageId, flags: MessageFlags) {
        self.store
            .update_flags(&self.app, &uid(user), message, flags, MessageFlags::empty())
            .await
            .expect("update_flags");
    }

    /// `user` reacts with `kind` (score 1) at the next tick.
    pub async fn react(&self, message: &MessageId, user: &str, kind: &str) -> ReactionChange {
        self.react_scored(message, user, kind, 1).await
    }

    /// `user` reacts with `kind` and `score` at the next tick.
    pub async fn react_scored(
        &self,
        message: &MessageId,
        user: &str,
        kind: &str,
        score: u32,
    ) -> ReactionChange {
        self.store
            .upsert_reaction(
                &self.app,
                new_reaction(message, user, kind, score, self.tick()),
                false,
            )
            .await
            .expect("upsert_reaction")
    }

    /// Soft-deletes a message at the next tick.
    pub async fn soft_delete(&self, id: &MessageId) -> Message {
        self.store
            .delete_message(&self.app, id, Deletion::Soft(self.tick()))
            .await
            .expect("soft delete_message")
    }

    /// Hard-deletes a message.
    pub async fn hard_delete(&self, id: &MessageId) -> Message {
        self.store
            .delete_message(&self.app, id, Deletion::Hard)
            .await
            .expect("hard delete_message")
    }
}

/// Builds a message and sends it through `insert_message`.
pub struct MessageBuilder<'a> {
    ctx: &'a Ctx,
    message: Message,
    opts: InsertMessage,
}

impl MessageBuilder<'_> {
    /// A client-chosen id.
    pub fn id(mut self, id: &str) -> Self {
        self.message.id = mid(id);
        self
    }

    /// The text.
    pub fn text(mut self, text: &str) -> Self {
        self.message.text = text.to_string();
        self
    }

    /// Created (and updated) at `at` instead of the next tick.
    pub fn at(mut self, at: Timestamp) -> Self {
        self.message.created_at = at;
        self.message.updated_at = at;
        self
    }

    /// Silent: does not count as unread.
    pub fn silent(mut self) -> Self {
        self.message.silent = true;
        self
    }

    /// Shadowed (shadow-banned author).
    pub fn shadowed(mut self) -> Self {
        self.message.shadowed = true;
        self
    }

    /// A system message.
    pub fn system(mut self) -> Self {
        self.message.kind = MessageType::System;
        self
    }

    /// A thread reply to `parent`.
    pub fn reply_to(mut self, parent: &MessageId) -> Self {
        self.message.parent_id = Some(parent.clone());
        self.message.kind = MessageType::Reply;
        self
    }

    /// A reply also shown in the channel.
    pub fn show_in_channel(mut self) -> Self {
        self.message.show_in_channel = true;
        self
    }

    /// Mentions these users.
    pub fn mention(mut self, users: &[&str]) -> Self {
        self.message.mentioned_users = users.iter().map(|u| uid(u)).collect();
        self
    }

    /// Pinned at `at`.
    pub fn pinned_at(mut self, at: Timestamp) -> Self {
        self.message.pinned = true;
        self.message.pinned_at = Some(at);
        self
    }

    /// Does not move the channel's `last_message_at`.
    pub fn no_bump(mut self) -> Self {
        self.opts.bump_last_message_at = false;
        self
    }

    /// Leaves members who hid the channel hidden.
    pub fn keep_hidden(mut self) -> Self {
        self.opts.keep_channel_hidden = true;
        self
    }

    /// The message as it would be sent.
    pub fn build(self) -> Message {
        self.message
    }

    /// Sends it and returns the store's result.
    pub async fn try_send(self) -> StoreResult<InsertedMessage> {
        self.ctx
            .store
            .insert_message(&self.ctx.app, self.message, self.opts)
            .await
    }

    /// Sends it and returns everything `insert_message` reported.
    pub async fn sent(self) -> InsertedMessage {
        let id = self.message.id.clone();
        self.try_send()
            .await
            .unwrap_or_else(|e| panic!("insert_message {id}: {e:?}"))
    }

    /// Sends it and returns the message as stored.
    pub async fn send(self) -> Message {
        self.sent().await.message
    }
}
