//! Snapshot-style tests of the wire format: exact JSON for fixed domain values.

mod decode;
mod encode;
mod events;

use std::collections::HashMap;

use chat_core::custom::Custom;
use chat_core::engine::ChannelAccess;
use chat_core::ids::{Cid, MessageId, Role, UserId};
use chat_core::model::{default_channel_types, Channel, Member, Message, Reaction, User};
use chat_core::time::Timestamp;
use serde_json::{json, Value};

use super::Ctx;

/// 2024-01-01T00:00:00Z.
pub(super) const T0: i64 = 1_704_067_200;

/// `T0 + secs`.
pub(super) fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

/// RFC3339 of `t(secs)`.
pub(super) fn ts(secs: i64) -> String {
    t(secs).to_rfc3339()
}

pub(super) fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

pub(super) fn mid(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

pub(super) fn cid() -> Cid {
    Cid::parse("messaging:general").unwrap()
}

pub(super) fn custom(v: Value) -> Custom {
    Custom::from_map(v.as_object().unwrap().clone())
}

/// Alice: named, with an avatar, a language and custom data.
pub(super) fn alice() -> User {
    let mut u = User::new(uid("alice"), t(0));
    u.name = Some("Alice".into());
    u.image = Some("https://img.example/a.png".into());
    u.language = Some("en".into());
    u.last_active = Some(t(5));
    u.custom = custom(json!({ "color": "blue" }));
    u
}

/// Bob: all defaults.
pub(super) fn bob() -> User {
    User::new(uid("bob"), t(0))
}

/// Root: an app admin.
pub(super) fn root() -> User {
    let mut u = User::new(uid("root"), t(0));
    u.role = Role::parse("admin").unwrap();
    u
}

/// `messaging:general`, created by alice at T0 with one message and two members.
pub(super) fn access(member: Option<Member>) -> ChannelAccess {
    let ty = default_channel_types(t(0)).into_iter().next().unwrap();
    let mut channel = Channel::new(cid(), Some(uid("alice")), t(0));
    channel.custom = custom(json!({ "name": "General" }));
    channel.counters.member_count = 2;
    channel.counters.message_count = 7;
    channel.counters.last_message_at = Some(t(60));
    let config = channel.effective_config(&ty.config);
    ChannelAccess {
        channel,
        channel_type: std::sync::Arc::new(ty),
        config,
        member,
    }
}

pub(super) fn member(user: &str) -> Member {
    Member::new(cid(), uid(user), t(10))
}

pub(super) fn message(id: &str, user: &str, text: &str) -> Message {
    let mut m = Message::new(mid(id), cid(), uid(user), t(20));
    m.text = text.into();
    m
}

pub(super) fn reaction(message: &str, user: &str, kind: &str, score: u32, at: i64) -> Reaction {
    Reaction {
        message_id: mid(message),
        user_id: uid(user),
        kind: kind.into(),
        score,
        custom: Custom::new(),
        created_at: t(at),
        updated_at: t(at),
    }
}

/// Owned lookups behind a [`Ctx`].
#[derive(Default)]
pub(super) struct Fixture {
    pub(super) users: HashMap<UserId, User>,
    pub(super) messages: HashMap<MessageId, Message>,
    pub(super) own: HashMap<MessageId, Vec<Reaction>>,
    pub(super) online: Vec<UserId>,
    pub(super) viewer: Option<UserId>,
}

impl Fixture {
    /// Alice (online), Bob and Root loaded; no viewer.
    pub(super) fn new() -> Self {
        let mut f = Self::default();
        for u in [alice(), bob(), root()] {
            f.users.insert(u.id.clone(), u);
        }
        f.online.push(uid("alice"));
        f
    }

    pub(super) fn with<R>(&self, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        let online = |u: &UserId| self.online.contains(u);
        let ctx = Ctx {
            users: &self.users,
            messages: &self.messages,
            own_reactions: &self.own,
            online: &online,
            viewer: self.viewer.as_ref(),
        };
        f(&ctx)
    }
}

/// The encoded user objects of the fixture users.
pub(super) fn alice_json() -> Value {
    json!({
        "id": "alice",
        "role": "user",
        "name": "Alice",
        "image": "https://img.example/a.png",
        "teams": [],
        "language": "en",
        "online": true,
        "invisible": false,
        "banned": false,
        "last_active": ts(5),
        "created_at": ts(0),
        "updated_at": ts(0),
        "privacy_settings": {
            "typing_indicators": { "enabled": true },
            "read_receipts": { "enabled": true },
            "delivery_receipts": { "enabled": true },
        },
        "color": "blue",
    })
}

pub(super) fn bob_json() -> Value {
    json!({
        "id": "bob",
        "role": "user",
        "teams": [],
        "online": false,
        "invisible": false,
        "banned": false,
        "created_at": ts(0),
        "updated_at": ts(0),
        "privacy_settings": {
            "typing_indicators": { "enabled": true },
            "read_receipts": { "enabled": true },
            "delivery_receipts": { "enabled": true },
        },
    })
}

/// The field an `Invalid` error names.
pub(super) fn field_of<T: std::fmt::Debug>(r: Result<T, chat_core::Error>) -> String {
    match r {
        Err(chat_core::Error::Invalid { field, .. }) => field.into_owned(),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}
