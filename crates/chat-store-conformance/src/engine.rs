//! Engine cases: the `ChatEngine` commands over the store under test. They check what the
//! API promises end to end (permissions, duplicates, unread math through commands, events).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chat_core::engine::{
    Actor, AddMembers, ChannelData, ChannelEventInput, ChannelTarget, ChatEngine,
    GetOrCreateChannel, MemberInput, MessageInput, NewApp, ReactionInput, RoleAssignment,
    SendMessage, TruncateChannel, UserInput, UserPatch,
};
use chat_core::fanout::{Audience, EventKind};
use chat_core::ids::{AppId, ChannelTypeName, Cid, Role, UserId};
use chat_core::model::{AppSettings, Message, User};
use chat_core::query::{parse_filter, ChannelField, MessagePage};
use chat_core::store::Store;
use chat_core::time::{FixedClock, Timestamp};
use chat_core::Error;
use serde_json::json;

/// An engine on the store under test with a fixed clock, one app and some users.
pub struct World {
    /// The engine.
    pub engine: ChatEngine,
    /// Its clock (advance it between messages for distinct times).
    pub clock: Arc<FixedClock>,
    /// The app.
    pub app: Arc<chat_core::model::App>,
    /// Users by name.
    pub users: Vec<User>,
}

impl World {
    /// Creates the app and users `names`.
    pub async fn new(store: Arc<dyn Store>, names: &[&str]) -> Self {
        let clock = Arc::new(FixedClock::new(Timestamp::from_secs(1_700_000_000)));
        let engine = ChatEngine::new(store, clock.clone());
        let app = Arc::new(
            engine
                .create_app(NewApp {
                    id: AppId::parse("engine-app").unwrap(),
                    api_key: "engine-key".into(),
                    api_secret: "engine-secret".into(),
                    settings: AppSettings::default(),
                })
                .await
                .expect("create app"),
        );
        let users = engine
            .upsert_users(
                &Actor::server(app.clone()),
                names
                    .iter()
                    .map(|n| UserInput {
                        id: (*n).into(),
                        name: Some((*n).into()),
                        ..UserInput::default()
                    })
                    .collect(),
            )
            .await
            .expect("upsert users")
            .value;
        Self {
            engine,
            clock,
            app,
            users,
        }
    }

    /// Client-side actor for user `name`.
    pub fn as_user(&self, name: &str) -> Actor {
        let user = self
            .users
            .iter()
            .find(|u| u.id.as_str() == name)
            .expect("known user")
            .clone();
        Actor::user(self.app.clone(), user)
    }

    /// Server-side actor.
    pub fn server(&self) -> Actor {
        Actor::server(self.app.clone())
    }

    /// A messaging channel `id` created by `creator` with `members`.
    pub async fn channel(&self, kind: &str, id: &str, creator: &str, members: &[&str]) -> Cid {
        let cid = Cid::parse(&format!("{kind}:{id}")).unwrap();
        self.engine
            .get_or_create_channel(
                &self.as_user(creator),
                GetOrCreateChannel {
                    target: ChannelTarget::Cid(cid.clone()),
                    data: ChannelData::default(),
                    members: members
                        .iter()
                        .map(|m| MemberInput::new(UserId::parse(m).unwrap()))
                        .collect(),
                    created_by: None,
                },
            )
            .await
            .expect("create channel");
        cid
    }

    /// Sends `text` as `who`, one microsecond after the previous message.
    pub async fn send(&self, who: &str, cid: &Cid, text: &str) -> Result<Message, Error> {
        self.send_with(
            who,
            cid,
            MessageInput {
                text: text.into(),
                ..MessageInput::default()
            },
        )
        .await
    }

    /// Sends a prepared message as `who`.
    pub async fn send_with(
        &self,
        who: &str,
        cid: &Cid,
        message: MessageInput,
    ) -> Result<Message, Error> {
        self.clock.advance_micros(1);
        self.engine
            .send_message(
                &self.as_user(who),
                SendMessage {
                    cid: cid.clone(),
                    message,
                    keep_channel_hidden: false,
                    skip_push: false,
                },
            )
            .await
            .map(|o| o.value)
    }

    /// `who`'s unread count in `cid` (0 when not listed).
    pub async fn unread(&self, who: &str, cid: &Cid) -> u64 {
        let s = self
            .engine
            .unread_counts(&self.app.id, &UserId::parse(who).unwrap())
            .await
            .expect("unread");
        s.channels
            .iter()
            .find(|c| &c.cid == cid)
            .map_or(0, |c| c.unread_messages)
    }
}

fn reply_to(parent: &Message, text: &str, show: bool) -> MessageInput {
    MessageInput {
        text: text.into(),
        parent_id: Some(parent.id.clone()),
        show_in_channel: show,
        ..MessageInput::default()
    }
}

/// A member sends; watchers are addressed; a non-member of a messaging channel is refused.
pub async fn send_and_permissions(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob", "eve"]).await;
    let cid = w
        .channel("messaging", "room", "alice", &["alice", "bob"])
        .await;
    let out = w
        .engine
        .send_message(
            &w.as_user("bob"),
            SendMessage {
                cid: cid.clone(),
                message: MessageInput {
                    text: "hi".into(),
                    ..MessageInput::default()
                },
                keep_channel_hidden: false,
                skip_push: false,
            },
        )
        .await
        .expect("member sends");
    assert!(
        matches!(&out.events[0].kind, EventKind::MessageNew { message } if message.text == "hi")
    );
    assert_eq!(out.events[0].audience, Audience::Channel);
    let denied = w.send("eve", &cid, "let me in").await;
    assert!(
        matches!(denied, Err(Error::PermissionDenied(_))),
        "{denied:?}"
    );
    let read = w
        .engine
        .channel_access(&w.as_user("eve"), &cid)
        .await
        .unwrap()
        .require_read(&w.as_user("eve"));
    assert!(read.is_err(), "non-members cannot read a messaging channel");
}

/// Livestream channels need no membership to read or write.
pub async fn livestream_open(store: Arc<dyn Store>) {
    let w = World::new(store, &["host", "viewer"]).await;
    let cid = w.channel("livestream", "show", "host", &["host"]).await;
    w.send("viewer", &cid, "hello stream")
        .await
        .expect("users write to livestream without joining");
}

/// A repeated client message id is refused and never creates a second message.
pub async fn duplicate_client_id(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let cid = w
        .channel("messaging", "dup", "alice", &["alice", "bob"])
        .await;
    let msg = MessageInput {
        id: Some("client-1".into()),
        text: "once".into(),
        ..MessageInput::default()
    };
    w.send_with("alice", &cid, msg.clone())
        .await
        .expect("first send");
    let again = w.send_with("alice", &cid, msg).await;
    assert!(
        matches!(again, Err(Error::AlreadyExists { .. })),
        "{again:?}"
    );
    let page = w
        .engine
        .store()
        .channel_messages(&w.app.id, &cid, &MessagePage::latest(10))
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(w.unread("bob", &cid).await, 1);
}

/// The same client id sent concurrently from many tasks yields exactly one message.
pub async fn concurrent_duplicate_sends(store: Arc<dyn Store>) {
    let w = Arc::new(World::new(store, &["alice", "bob"]).await);
    let cid = w
        .channel("messaging", "race", "alice", &["alice", "bob"])
        .await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (w, cid) = (w.clone(), cid.clone());
            tokio::spawn(async move {
                w.send_with(
                    "alice",
                    &cid,
                    MessageInput {
                        id: Some("same".into()),
                        text: "x".into(),
                        ..MessageInput::default()
                    },
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::AlreadyExists { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(w.unread("bob", &cid).await, 1);
}

/// Unread math through commands: others' messages count, own don't, thread-only replies
/// don't, show_in_channel replies do, read/unread/delete move the count.
pub async fn unread_math(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let cid = w
        .channel("messaging", "math", "alice", &["alice", "bob"])
        .await;
    let m1 = w.send("alice", &cid, "1").await.unwrap();
    let m2 = w.send("alice", &cid, "2").await.unwrap();
    w.send("alice", &cid, "3").await.unwrap();
    assert_eq!(
        (w.unread("alice", &cid).await, w.unread("bob", &cid).await),
        (0, 3)
    );
    w.send_with("alice", &cid, reply_to(&m1, "thread only", false))
        .await
        .unwrap();
    assert_eq!(
        w.unread("bob", &cid).await,
        3,
        "thread-only replies are not channel unread"
    );
    w.send_with("alice", &cid, reply_to(&m1, "also in channel", true))
        .await
        .unwrap();
    assert_eq!(w.unread("bob", &cid).await, 4);
    w.engine
        .mark_read(&w.as_user("bob"), &cid, None, None)
        .await
        .unwrap();
    assert_eq!(w.unread("bob", &cid).await, 0);
    let (_, n) = w
        .engine
        .mark_unread(&w.as_user("bob"), &cid, &m2.id)
        .await
        .unwrap()
        .value;
    assert_eq!(n, 3, "m2, m3 and the shown reply");
    assert_eq!(w.unread("bob", &cid).await, 3);
    w.engine
        .delete_message(&w.as_user("alice"), &m2.id, false)
        .await
        .unwrap();
    assert_eq!(
        w.unread("bob", &cid).await,
        2,
        "a deleted unread message stops counting"
    );
    w.send("bob", &cid, "my own").await.unwrap();
    assert_eq!(
        w.unread("bob", &cid).await,
        0,
        "sending marks the channel read"
    );
    let silent = MessageInput {
        text: "psst".into(),
        silent: true,
        ..MessageInput::default()
    };
    w.send_with("alice", &cid, silent).await.unwrap();
    assert_eq!(
        w.unread("bob", &cid).await,
        0,
        "silent messages are not unread"
    );
}

/// Unread totals add up across channels; truncation clears a channel's count.
pub async fn unread_totals_and_truncate(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let a = w
        .channel("messaging", "a", "alice", &["alice", "bob"])
        .await;
    let b = w.channel("team", "b", "alice", &["alice", "bob"]).await;
    for _ in 0..3 {
        w.send("alice", &a, "x").await.unwrap();
    }
    w.send("alice", &b, "y").await.unwrap();
    let s = w
        .engine
        .unread_counts(&w.app.id, &UserId::parse("bob").unwrap())
        .await
        .unwrap();
    assert_eq!((s.total_unread_count, s.unread_channels), (4, 2));
    assert_eq!(s.channels[0].cid, b, "newest channel first");
    w.engine
        .truncate_channel(
            &w.server(),
            TruncateChannel {
                cid: a.clone(),
                hard: false,
                truncated_at: None,
            },
        )
        .await
        .unwrap();
    let s = w
        .engine
        .unread_counts(&w.app.id, &UserId::parse("bob").unwrap())
        .await
        .unwrap();
    assert_eq!((s.total_unread_count, s.unread_channels), (1, 1));
    let state = w
        .engine
        .load_state(
            &w.as_user("bob"),
            w.engine
                .channel_access(&w.as_user("bob"), &a)
                .await
                .unwrap(),
            &Default::default(),
        )
        .await
        .unwrap();
    assert!(state.messages.is_empty(), "truncated messages are hidden");
}

/// Threads: reply_count and participants exact; replies to replies refused; thread unread.
pub async fn threads(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob", "carol"]).await;
    let cid = w
        .channel("messaging", "threads", "alice", &["alice", "bob", "carol"])
        .await;
    let parent = w.send("alice", &cid, "parent").await.unwrap();
    let r1 = w
        .send_with("bob", &cid, reply_to(&parent, "r1", false))
        .await
        .unwrap();
    w.send_with("carol", &cid, reply_to(&parent, "r2", false))
        .await
        .unwrap();
    w.send_with("bob", &cid, reply_to(&parent, "r3", false))
        .await
        .unwrap();
    let p = w
        .engine
        .get_message(&w.as_user("alice"), &parent.id)
        .await
        .unwrap();
    assert_eq!(p.thread.reply_count, 3);
    assert_eq!(
        p.thread.participants,
        vec![
            UserId::parse("bob").unwrap(),
            UserId::parse("carol").unwrap()
        ]
    );
    let nested = w
        .send_with("alice", &cid, reply_to(&r1, "nested", false))
        .await;
    assert!(matches!(nested, Err(Error::NestedReply)), "{nested:?}");
    let replies = w
        .engine
        .get_replies(&w.as_user("carol"), &parent.id, MessagePage::latest(2))
        .await
        .unwrap();
    assert_eq!(
        replies.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["r2", "r3"]
    );
    let carol = w
        .engine
        .unread_counts(&w.app.id, &UserId::parse("carol").unwrap())
        .await
        .unwrap();
    assert_eq!(carol.unread_threads, 1, "bob replied after carol");
    w.engine
        .mark_read(&w.as_user("carol"), &cid, None, Some(parent.id.clone()))
        .await
        .unwrap();
    let carol = w
        .engine
        .unread_counts(&w.app.id, &UserId::parse("carol").unwrap())
        .await
        .unwrap();
    assert_eq!(carol.unread_threads, 0);
}

/// Edit and delete rights: authors edit their own; others cannot; moderators delete any.
pub async fn message_ownership(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob", "mod"]).await;
    let cid = w
        .channel("messaging", "own", "alice", &["alice", "bob", "mod"])
        .await;
    let m = w.send("alice", &cid, "original").await.unwrap();
    let edit = MessageInput {
        text: "edited".into(),
        ..MessageInput::default()
    };
    let denied = w
        .engine
        .update_message(&w.as_user("bob"), &m.id, edit.clone())
        .await;
    assert!(
        matches!(denied, Err(Error::PermissionDenied(_))),
        "{denied:?}"
    );
    let edited = w
        .engine
        .update_message(&w.as_user("alice"), &m.id, edit)
        .await
        .unwrap()
        .value;
    assert_eq!(edited.text, "edited");
    assert!(edited.message_text_updated_at.is_some());
    assert!(matches!(
        w.engine
            .delete_message(&w.as_user("bob"), &m.id, false)
            .await,
        Err(Error::PermissionDenied(_))
    ));
    w.engine
        .set_member_roles(
            &w.server(),
            &cid,
            vec![RoleAssignment {
                user_id: UserId::parse("mod").unwrap(),
                channel_role: Role::parse("channel_moderator").unwrap(),
            }],
        )
        .await
        .unwrap();
    let deleted = w
        .engine
        .delete_message(&w.as_user("mod"), &m.id, false)
        .await
        .unwrap()
        .value;
    assert!(deleted.deleted_at.is_some());
}

/// Partial message updates, pinning needs PinMessage; set+unset of one key is refused.
pub async fn partial_update_message(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let cid = w
        .channel("messaging", "partial", "alice", &["alice", "bob"])
        .await;
    let m = w.send("alice", &cid, "x").await.unwrap();
    let set = json!({"color": "red", "pinned": true})
        .as_object()
        .unwrap()
        .clone();
    let out = w
        .engine
        .partial_update_message(&w.as_user("alice"), &m.id, set, vec![])
        .await
        .unwrap()
        .value;
    assert_eq!(out.custom.get("color"), Some(&json!("red")));
    assert!(out.pinned && out.pinned_at.is_some());
    let both = w
        .engine
        .partial_update_message(
            &w.as_user("alice"),
            &m.id,
            json!({"color": "blue"}).as_object().unwrap().clone(),
            vec!["color".into()],
        )
        .await;
    assert!(matches!(both, Err(Error::Invalid { .. })), "{both:?}");
    let out = w
        .engine
        .partial_update_message(
            &w.as_user("alice"),
            &m.id,
            Default::default(),
            vec!["color".into()],
        )
        .await
        .unwrap()
        .value;
    assert!(out.custom.get("color").is_none());
}

/// Reactions: one per type, enforce_unique replaces, counts exact, frozen refuses.
pub async fn reactions(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let cid = w
        .channel("messaging", "react", "alice", &["alice", "bob"])
        .await;
    let m = w.send("alice", &cid, "react to me").await.unwrap();
    let like = || ReactionInput {
        kind: "like".into(),
        score: None,
        custom: Default::default(),
    };
    let out = w
        .engine
        .send_reaction(&w.as_user("bob"), &m.id, like(), false)
        .await
        .unwrap();
    assert!(matches!(
        out.events.last().map(|e| &e.kind),
        Some(EventKind::ReactionNew { .. })
    ));
    let again = w
        .engine
        .send_reaction(&w.as_user("bob"), &m.id, like(), false)
        .await
        .unwrap();
    assert!(matches!(
        again.events.last().map(|e| &e.kind),
        Some(EventKind::ReactionUpdated { .. })
    ));
    let love = ReactionInput {
        kind: "love".into(),
        score: Some(3),
        custom: Default::default(),
    };
    let (msg, _) = w
        .engine
        .send_reaction(&w.as_user("bob"), &m.id, love, true)
        .await
        .unwrap()
        .value;
    assert_eq!(msg.reactions.groups.keys().collect::<Vec<_>>(), ["love"]);
    assert_eq!(msg.reactions.groups["love"].sum_scores, 3);
    let denied = w
        .engine
        .delete_reaction(
            &w.as_user("alice"),
            &m.id,
            "love",
            Some(UserId::parse("bob").unwrap()),
        )
        .await;
    assert!(
        matches!(denied, Err(Error::PermissionDenied(_))),
        "{denied:?}"
    );
    w.engine
        .freeze_channel(&w.server(), &cid, true)
        .await
        .unwrap();
    let frozen = w
        .engine
        .send_reaction(&w.as_user("bob"), &m.id, like(), false)
        .await;
    assert!(
        matches!(frozen, Err(Error::PermissionDenied(_))),
        "{frozen:?}"
    );
    assert!(matches!(
        w.send("bob", &cid, "frozen?").await,
        Err(Error::PermissionDenied(_))
    ));
}

/// Distinct channels: the member set names the channel, whatever the order.
pub async fn distinct_channels(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let make = |order: [&'static str; 2]| GetOrCreateChannel {
        target: ChannelTarget::Distinct(ChannelTypeName::parse("messaging").unwrap()),
        data: ChannelData::default(),
        members: order
            .iter()
            .map(|m| MemberInput::new(UserId::parse(m).unwrap()))
            .collect(),
        created_by: None,
    };
    let one = w
        .engine
        .get_or_create_channel(&w.as_user("alice"), make(["alice", "bob"]))
        .await
        .unwrap();
    let two = w
        .engine
        .get_or_create_channel(&w.as_user("bob"), make(["bob", "alice"]))
        .await
        .unwrap();
    assert!(one.value.1 && !two.value.1, "created once, then found");
    assert_eq!(one.value.0.channel.cid, two.value.0.channel.cid);
    assert!(one
        .value
        .0
        .channel
        .cid
        .id()
        .as_str()
        .starts_with("!members-"));
    let add = w
        .engine
        .add_members(
            &w.server(),
            AddMembers {
                cid: one.value.0.channel.cid.clone(),
                members: vec![MemberInput::new(UserId::parse("alice").unwrap())],
                hide_history_before: None,
                invite: false,
            },
        )
        .await;
    assert!(matches!(add, Err(Error::Invalid { .. })), "{add:?}");
}

/// Bad input changes nothing: long text, too many attachments, server create without creator.
pub async fn validation(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice"]).await;
    let cid = w.channel("messaging", "valid", "alice", &["alice"]).await;
    let long = w.send("alice", &cid, &"x".repeat(5_001)).await;
    assert!(
        matches!(long, Err(Error::MessageTooLong { max: 5_000, .. })),
        "{long:?}"
    );
    let many = MessageInput {
        attachments: vec![Default::default(); 31],
        ..MessageInput::default()
    };
    assert!(matches!(
        w.send_with("alice", &cid, many).await,
        Err(Error::Invalid { .. })
    ));
    let create = w
        .engine
        .get_or_create_channel(
            &w.server(),
            GetOrCreateChannel {
                target: ChannelTarget::Cid(Cid::parse("messaging:nobody").unwrap()),
                data: ChannelData::default(),
                members: vec![],
                created_by: None,
            },
        )
        .await;
    match create {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "data.created_by"),
        other => panic!("{other:?}"),
    }
    let unknown_type = w
        .engine
        .get_or_create_channel(
            &w.as_user("alice"),
            GetOrCreateChannel {
                target: ChannelTarget::Cid(Cid::parse("nosuchtype:x").unwrap()),
                data: ChannelData::default(),
                members: vec![],
                created_by: None,
            },
        )
        .await;
    assert!(
        matches!(unknown_type, Err(Error::NotFound { .. })),
        "{unknown_type:?}"
    );
    let page = w
        .engine
        .store()
        .channel_messages(&w.app.id, &cid, &MessagePage::latest(10))
        .await
        .unwrap();
    assert!(page.is_empty(), "nothing was stored");
}

/// Hidden channels leave query results until a new message brings them back.
pub async fn hide_show_and_query(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let a = w
        .channel("messaging", "qa", "alice", &["alice", "bob"])
        .await;
    let b = w
        .channel("messaging", "qb", "alice", &["alice", "bob"])
        .await;
    w.send("alice", &a, "older").await.unwrap();
    w.send("alice", &b, "newer").await.unwrap();
    let query = |w: &World| {
        let filter = parse_filter::<ChannelField>(&json!({"members": {"$in": ["bob"]}})).unwrap();
        let engine = w.engine.clone();
        let bob = w.as_user("bob");
        async move {
            engine
                .query_channels(
                    &bob,
                    chat_core::engine::QueryChannels {
                        filter,
                        sort: vec![],
                        limit: None,
                        offset: 0,
                        message_limit: None,
                        member_limit: None,
                        user_id: None,
                    },
                )
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.access.channel.cid)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        query(&w).await,
        vec![b.clone(), a.clone()],
        "last_updated desc"
    );
    w.engine
        .hide_channel(&w.as_user("bob"), &b, false)
        .await
        .unwrap();
    assert_eq!(query(&w).await, vec![a.clone()]);
    let sent = w
        .engine
        .send_message(
            &w.as_user("alice"),
            SendMessage {
                cid: b.clone(),
                message: MessageInput {
                    text: "back".into(),
                    ..MessageInput::default()
                },
                keep_channel_hidden: false,
                skip_push: false,
            },
        )
        .await
        .unwrap();
    assert!(sent
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::ChannelVisible { user } if user.as_str() == "bob")));
    assert_eq!(query(&w).await, vec![b, a]);
}

/// Users: partial updates, clients cannot change their own role.
pub async fn users(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice"]).await;
    let patch = UserPatch {
        id: "alice".into(),
        set: json!({"name": "Alice", "prefs.theme": "dark"})
            .as_object()
            .unwrap()
            .clone(),
        unset: vec![],
    };
    let u = w
        .engine
        .partial_update_users(&w.as_user("alice"), vec![patch])
        .await
        .unwrap()
        .value
        .remove(0);
    assert_eq!(u.name.as_deref(), Some("Alice"));
    assert_eq!(u.custom.get_path("prefs.theme"), Some(&json!("dark")));
    let role = UserPatch {
        id: "alice".into(),
        set: json!({"role": "admin"}).as_object().unwrap().clone(),
        unset: vec![],
    };
    assert!(matches!(
        w.engine
            .partial_update_users(&w.as_user("alice"), vec![role])
            .await,
        Err(Error::PermissionDenied(_))
    ));
    let other = UserInput {
        id: "mallory".into(),
        ..UserInput::default()
    };
    assert!(matches!(
        w.engine
            .upsert_users(&w.as_user("alice"), vec![other])
            .await,
        Err(Error::PermissionDenied(_))
    ));
}

/// A batch of partial user updates with one bad entry writes nothing.
pub async fn user_batches_are_all_or_nothing(store: Arc<dyn Store>) {
    let w = World::new(store, &["ann", "ben"]).await;
    let good = UserPatch {
        id: "ann".into(),
        set: json!({"name": "Ann B."}).as_object().unwrap().clone(),
        unset: vec![],
    };
    let bad = UserPatch {
        id: "ben".into(),
        set: json!({"invisible": "not a bool"})
            .as_object()
            .unwrap()
            .clone(),
        unset: vec![],
    };
    let out = w
        .engine
        .partial_update_users(&w.server(), vec![good, bad])
        .await;
    assert!(matches!(out, Err(Error::Invalid { .. })), "{out:?}");
    let ann = w
        .engine
        .store()
        .get_users(&w.app.id, &[UserId::parse("ann").unwrap()])
        .await
        .unwrap();
    assert_eq!(
        ann[0].name.as_deref(),
        Some("ann"),
        "the valid entry was not written either"
    );
}

/// Typing needs typing_events; custom event types with a dot are not allowed.
pub async fn events(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let cid = w
        .channel("messaging", "ev", "alice", &["alice", "bob"])
        .await;
    let typing = ChannelEventInput {
        event_type: "typing.start".into(),
        parent_id: None,
        custom: Default::default(),
    };
    let out = w
        .engine
        .send_event(&w.as_user("bob"), &cid, typing)
        .await
        .unwrap();
    assert!(
        matches!(&out.events[0].kind, EventKind::TypingStart { user, .. } if user.as_str() == "bob")
    );
    let bad = ChannelEventInput {
        event_type: "message.new".into(),
        parent_id: None,
        custom: Default::default(),
    };
    assert!(matches!(
        w.engine.send_event(&w.as_user("bob"), &cid, bad).await,
        Err(Error::EventNotSupported(_))
    ));
    let custom = ChannelEventInput {
        event_type: "friendship_request".into(),
        parent_id: None,
        custom: Default::default(),
    };
    w.engine
        .send_event(&w.as_user("bob"), &cid, custom)
        .await
        .unwrap();
}

/// Members added with hidden history do not see older messages; removal notifies.
pub async fn members(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob", "carol"]).await;
    let cid = w
        .channel("messaging", "mem", "alice", &["alice", "bob"])
        .await;
    w.send("alice", &cid, "before carol").await.unwrap();
    w.clock.advance_micros(10);
    let now = w.engine.clock().now();
    let added = w
        .engine
        .add_members(
            &w.as_user("alice"),
            AddMembers {
                cid: cid.clone(),
                members: vec![MemberInput::new(UserId::parse("carol").unwrap())],
                hide_history_before: Some(now),
                invite: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(added.value.len(), 1);
    assert!(
        matches!(&added.events[0].kind, EventKind::MemberAdded { member } if member.user_id.as_str() == "carol")
    );
    w.send("bob", &cid, "after carol").await.unwrap();
    assert_eq!(
        w.unread("carol", &cid).await,
        1,
        "only messages after joining are unread"
    );
    let carol = w.as_user("carol");
    let state = w
        .engine
        .load_state(
            &carol,
            w.engine.channel_access(&carol, &cid).await.unwrap(),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        state
            .messages
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        ["after carol"]
    );
    assert!(state.own_capabilities.contains(&"send-message"));
    let removed = w
        .engine
        .remove_members(
            &w.as_user("carol"),
            &cid,
            vec![UserId::parse("carol").unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(removed.value.len(), 1, "members may leave");
    assert!(matches!(
        w.send("carol", &cid, "still here?").await,
        Err(Error::PermissionDenied(_))
    ));
}

/// Invites: a pending invitee is not a member until it accepts; a second answer is refused.
pub async fn invites(store: Arc<dyn Store>) {
    let w = World::new(store, &["alice", "bob"]).await;
    let cid = w.channel("messaging", "inv", "alice", &["alice"]).await;
    let out = w
        .engine
        .add_members(
            &w.as_user("alice"),
            AddMembers {
                cid: cid.clone(),
                members: vec![MemberInput::new(UserId::parse("bob").unwrap())],
                hide_history_before: None,
                invite: true,
            },
        )
        .await
        .unwrap();
    assert!(out.value[0].invited);
    assert!(out
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::NotificationInvited { member } if member.user_id.as_str() == "bob")));
    assert!(matches!(
        w.send("bob", &cid, "early").await,
        Err(Error::PermissionDenied(_))
    ));
    let accepted = w
        .engine
        .answer_invite(&w.as_user("bob"), &cid, true)
        .await
        .unwrap();
    assert!(accepted.value.invite_accepted_at.is_some());
    w.send("bob", &cid, "joined")
        .await
        .expect("an accepted invitee is a member");
    let twice = w.engine.answer_invite(&w.as_user("bob"), &cid, false).await;
    assert!(matches!(twice, Err(Error::Invalid { .. })), "{twice:?}");
}
