//! Model equivalence: random sequences of chat operations applied through `ChatEngine` to
//! the reference memory store and to PostgreSQL (a fresh schema per case, from
//! `DATABASE_URL`), with identical fixed clocks, must give the same observable results:
//! every operation's result or error kind, and after each step a random probe (query
//! channels/users/members with random filters, sorts and pages; message and thread pages
//! around random cursors; reactions; read states; unread summaries; flags). A final sweep
//! probes everything. An unreachable database fails the test: it never skips.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;
use std::sync::Arc;

use chat_core::engine::{
    Actor, AddMembers, ChannelData, ChannelTarget, ChatEngine, GetOrCreateChannel, MemberInput,
    MessageInput, NewApp, ReactionInput, SendMessage, UserInput, UserPatch,
};
use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::{App, AppSettings, User};
use chat_core::query::{
    parse_filter, parse_sort, ChannelField, ChannelQuery, MemberField, MemberQuery, MessageCursor,
    MessagePage, UserField, UserQuery,
};
use chat_core::read_state::MessageFlags;
use chat_core::store::Store;
use chat_core::time::{FixedClock, Timestamp};
use chat_core::Error;
use proptest::prelude::*;
use serde_json::{json, Value as Json};

/// Where the test finds PostgreSQL when `DATABASE_URL` is unset.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const USERS: &[&str] = &["ann", "bob", "cat", "dan"];
const CHANNELS: usize = 4;
const START_SECS: i64 = 1_700_000_000;

// ---------------------------------------------------------------------------------------
// Generated inputs
// ---------------------------------------------------------------------------------------

/// A custom value of any JSON type, including the awkward ones (null, arrays, objects,
/// integers and floats that compare equal).
fn custom_value() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(true)),
        Just(json!(false)),
        (-3i64..4).prop_map(|i| json!(i)),
        Just(json!(2.5)),
        Just(json!(2.0)),
        Just(json!("red")),
        Just(json!("Blue sky")),
        Just(json!("")),
        Just(json!(["red", 1])),
        Just(json!({"a": 1})),
    ]
}

/// Custom data with keys `color` and `score` (each maybe absent).
fn custom_map() -> impl Strategy<Value = serde_json::Map<String, Json>> {
    (
        proptest::option::of(custom_value()),
        proptest::option::of(custom_value()),
    )
        .prop_map(|(c, s)| {
            let mut m = serde_json::Map::new();
            if let Some(c) = c {
                m.insert("color".into(), c);
            }
            if let Some(s) = s {
                m.insert("score".into(), s);
            }
            m
        })
}

#[derive(Debug, Clone)]
enum Op {
    CreateChannel {
        ch: usize,
        team: bool,
        creator: usize,
        members: Vec<usize>,
        custom: serde_json::Map<String, Json>,
    },
    UpdateChannel {
        ch: usize,
        set: serde_json::Map<String, Json>,
        frozen: Option<bool>,
    },
    AddMembers {
        ch: usize,
        users: Vec<usize>,
        invite: bool,
        custom: serde_json::Map<String, Json>,
    },
    UpdateUser {
        user: usize,
        set: serde_json::Map<String, Json>,
        name: Option<usize>,
    },
    RemoveMembers {
        ch: usize,
        users: Vec<usize>,
    },
    AnswerInvite {
        ch: usize,
        user: usize,
        accept: bool,
    },
    Send {
        ch: usize,
        user: usize,
        parent: Option<usize>,
        show_in_channel: bool,
        silent: bool,
        mention: Option<usize>,
        pinned: bool,
    },
    React {
        user: usize,
        msg: usize,
        kind: usize,
        unique: bool,
    },
    Unreact {
        user: usize,
        msg: usize,
        kind: usize,
    },
    Delete {
        user: usize,
        msg: usize,
        hard: bool,
    },
    Update {
        user: usize,
        msg: usize,
        text: usize,
    },
    MarkRead {
        user: usize,
        ch: usize,
        msg: Option<usize>,
    },
    MarkUnread {
        user: usize,
        ch: usize,
        msg: usize,
    },
    MarkThreadRead {
        user: usize,
        ch: usize,
        parent: usize,
    },
    Hide {
        user: usize,
        ch: usize,
        clear_history: bool,
    },
    Show {
        user: usize,
        ch: usize,
    },
    Flags {
        user: usize,
        msg: usize,
        set: u8,
        clear: u8,
    },
    Truncate {
        ch: usize,
    },
    DeleteChannel {
        ch: usize,
    },
}

fn user_idx() -> impl Strategy<Value = usize> {
    0..USERS.len()
}

fn ch_idx() -> impl Strategy<Value = usize> {
    0..CHANNELS
}

/// A message by index into those sent so far (indices past the end name a missing one).
fn msg_idx() -> impl Strategy<Value = usize> {
    0usize..24
}

/// Every channel, created first with random creators, members and data.
fn channel_setup() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        (any::<bool>(), user_idx(), users_subset(), custom_map()),
        CHANNELS,
    )
    .prop_map(|chans| {
        chans
            .into_iter()
            .enumerate()
            .map(|(ch, (team, creator, members, custom))| Op::CreateChannel {
                ch,
                team,
                creator,
                members,
                custom,
            })
            .collect()
    })
}

fn users_subset() -> impl Strategy<Value = Vec<usize>> {
    proptest::sample::subsequence((0..USERS.len()).collect::<Vec<_>>(), 1..=USERS.len())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (ch_idx(), any::<bool>(), user_idx(), users_subset(), custom_map()).prop_map(
            |(ch, team, creator, members, custom)| Op::CreateChannel { ch, team, creator, members, custom }
        ),
        1 => (ch_idx(), custom_map(), proptest::option::of(any::<bool>()))
            .prop_map(|(ch, set, frozen)| Op::UpdateChannel { ch, set, frozen }),
        1 => (ch_idx(), users_subset(), any::<bool>(), custom_map())
            .prop_map(|(ch, users, invite, custom)| Op::AddMembers { ch, users, invite, custom }),
        1 => (user_idx(), custom_map(), proptest::option::of(0usize..NAMES.len()))
            .prop_map(|(user, set, name)| Op::UpdateUser { user, set, name }),
        1 => (ch_idx(), users_subset()).prop_map(|(ch, users)| Op::RemoveMembers { ch, users }),
        1 => (ch_idx(), user_idx(), any::<bool>())
            .prop_map(|(ch, user, accept)| Op::AnswerInvite { ch, user, accept }),
        10 => (
            ch_idx(),
            user_idx(),
            proptest::option::weighted(0.3, msg_idx()),
            any::<bool>(),
            proptest::bool::weighted(0.15),
            proptest::option::weighted(0.2, user_idx()),
            proptest::bool::weighted(0.15),
        )
            .prop_map(|(ch, user, parent, show_in_channel, silent, mention, pinned)| Op::Send {
                ch, user, parent, show_in_channel, silent, mention, pinned
            }),
        3 => (user_idx(), msg_idx(), 0usize..3, any::<bool>())
            .prop_map(|(user, msg, kind, unique)| Op::React { user, msg, kind, unique }),
        1 => (user_idx(), msg_idx(), 0usize..3)
            .prop_map(|(user, msg, kind)| Op::Unreact { user, msg, kind }),
        1 => (user_idx(), msg_idx(), any::<bool>())
            .prop_map(|(user, msg, hard)| Op::Delete { user, msg, hard }),
        1 => (user_idx(), msg_idx(), 0usize..3)
            .prop_map(|(user, msg, text)| Op::Update { user, msg, text }),
        2 => (user_idx(), ch_idx(), proptest::option::of(msg_idx()))
            .prop_map(|(user, ch, msg)| Op::MarkRead { user, ch, msg }),
        1 => (user_idx(), ch_idx(), msg_idx())
            .prop_map(|(user, ch, msg)| Op::MarkUnread { user, ch, msg }),
        1 => (user_idx(), ch_idx(), msg_idx())
            .prop_map(|(user, ch, parent)| Op::MarkThreadRead { user, ch, parent }),
        1 => (user_idx(), ch_idx(), any::<bool>())
            .prop_map(|(user, ch, clear_history)| Op::Hide { user, ch, clear_history }),
        1 => (user_idx(), ch_idx()).prop_map(|(user, ch)| Op::Show { user, ch }),
        1 => (user_idx(), msg_idx(), 0u8..32, 0u8..32)
            .prop_map(|(user, msg, set, clear)| Op::Flags { user, msg, set, clear }),
        1 => ch_idx().prop_map(|ch| Op::Truncate { ch }),
        1 => ch_idx().prop_map(|ch| Op::DeleteChannel { ch }),
    ]
}

/// A JSON operand for custom-field conditions.
fn operand() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(true)),
        (-3i64..4).prop_map(|i| json!(i)),
        Just(json!(2.5)),
        Just(json!(2.0)),
        Just(json!("red")),
        Just(json!("Blue sky")),
        Just(json!("")),
    ]
}

/// A condition on a custom key (`color`/`score`, or a nested/missing path).
fn custom_cond(prefix: &'static str) -> impl Strategy<Value = Json> {
    let key = prop_oneof![
        Just("color"),
        Just("score"),
        Just("color.a"),
        Just("missing")
    ]
    .prop_map(move |k| format!("{prefix}{k}"));
    let cond = prop_oneof![
        operand(),
        operand().prop_map(|v| json!({"$ne": v})),
        operand().prop_map(|v| json!({"$gt": v})),
        operand().prop_map(|v| json!({"$gte": v})),
        operand().prop_map(|v| json!({"$lt": v})),
        operand().prop_map(|v| json!({"$lte": v})),
        proptest::collection::vec(operand(), 0..3).prop_map(|v| json!({"$in": v})),
        proptest::collection::vec(operand(), 0..3).prop_map(|v| json!({"$nin": v})),
        any::<bool>().prop_map(|b| json!({"$exists": b})),
        prop_oneof![Just("re"), Just("e"), Just("")].prop_map(|s| json!({"$contains": s})),
        operand().prop_map(|v| json!({"$contains": v})),
        prop_oneof![Just("bl"), Just("sk"), Just("RE")].prop_map(|s| json!({"$autocomplete": s})),
    ];
    (key, cond).prop_map(|(k, c)| json!({ k: c }))
}

fn time_operand() -> impl Strategy<Value = Json> {
    (0i64..60).prop_map(|s| {
        let t = Timestamp::from_micros((START_SECS + s) * 1_000_000 / 1000 * 1000);
        json!(t.to_rfc3339())
    })
}

fn user_name() -> impl Strategy<Value = Json> {
    proptest::sample::select(USERS.to_vec()).prop_map(|u| json!(u))
}

fn channel_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!({})),
        prop_oneof![Just("messaging"), Just("team")].prop_map(|t| json!({"type": t})),
        user_name().prop_map(|u| json!({"members": u})),
        proptest::collection::vec(user_name(), 0..3).prop_map(|u| json!({"members": {"$in": u}})),
        user_name().prop_map(|u| json!({"members": {"$nin": [u]}})),
        any::<bool>().prop_map(|b| json!({"joined": b})),
        any::<bool>().prop_map(|b| json!({"hidden": b})),
        any::<bool>().prop_map(|b| json!({"pinned": b})),
        any::<bool>().prop_map(|b| json!({"frozen": b})),
        any::<bool>().prop_map(|b| json!({"has_unread": b})),
        prop_oneof![Just("pending"), Just("accepted"), Just("rejected")]
            .prop_map(|s| json!({"invite": s})),
        (0i64..5).prop_map(|n| json!({"member_count": {"$gte": n}})),
        proptest::collection::vec(0i64..5, 0..3).prop_map(|n| json!({"member_count": {"$in": n}})),
        any::<bool>().prop_map(|b| json!({"last_message_at": {"$exists": b}})),
        time_operand().prop_map(|t| json!({"last_message_at": {"$gt": t}})),
        time_operand().prop_map(|t| json!({"last_updated": {"$lte": t}})),
        time_operand().prop_map(|t| json!({"created_at": {"$gte": t}})),
        user_name().prop_map(|u| json!({"created_by_id": u})),
        any::<bool>().prop_map(|b| json!({"team": {"$exists": b}})),
        (0..CHANNELS).prop_map(
            |c| json!({"cid": {"$in": [format!("messaging:c{c}"), format!("team:c{c}")]}})
        ),
        (0..CHANNELS).prop_map(|c| json!({"id": format!("c{c}")})),
        prop_oneof![Just("an"), Just("B"), Just("x")]
            .prop_map(|s| json!({"member.user.name": {"$autocomplete": s}})),
        user_name().prop_map(|u| json!({"member.user.name": u})),
        custom_cond(""),
    ]
}

fn combine(leaf: BoxedStrategy<Json>) -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => leaf.clone(),
        1 => (leaf.clone(), leaf.clone()).prop_map(|(a, b)| json!({"$and": [a, b]})),
        1 => (leaf.clone(), leaf.clone()).prop_map(|(a, b)| json!({"$or": [a, b]})),
        1 => (leaf.clone(), leaf).prop_map(|(a, b)| json!({"$nor": [a, b]})),
    ]
}

fn sort_of(fields: &'static [&'static str]) -> impl Strategy<Value = Json> {
    proptest::collection::vec(
        (
            proptest::sample::select(fields),
            prop_oneof![Just(1), Just(-1)],
        ),
        0..3,
    )
    .prop_map(|keys| {
        Json::Array(
            keys.into_iter()
                .map(|(f, d)| json!({"field": f, "direction": d}))
                .collect(),
        )
    })
}

const CHANNEL_SORTS: &[&str] = &[
    "last_updated",
    "last_message_at",
    "created_at",
    "updated_at",
    "member_count",
    "unread_count",
    "has_unread",
    "pinned_at",
    "color",
    "score",
];
const USER_SORTS: &[&str] = &[
    "id",
    "name",
    "created_at",
    "updated_at",
    "last_active",
    "color",
    "score",
];
const MEMBER_SORTS: &[&str] = &[
    "id",
    "name",
    "created_at",
    "updated_at",
    "user.score",
    "color",
];

fn user_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!({})),
        proptest::collection::vec(user_name(), 0..3).prop_map(|u| json!({"id": {"$in": u}})),
        user_name().prop_map(|u| json!({"id": {"$ne": u}})),
        prop_oneof![
            Just("a"),
            Just("B"),
            Just("an"),
            Just("émi"),
            Just("ray b"),
            Just("-r")
        ]
        .prop_map(|s| json!({"name": {"$autocomplete": s}})),
        prop_oneof![Just("zola"), Just("bell an"), Just("X")]
            .prop_map(|s| json!({"name": {"$q": s}})),
        user_name().prop_map(|u| json!({"name": {"$gt": u}})),
        prop_oneof![Just("a"), Just("Bo")].prop_map(|s| json!({"id": {"$autocomplete": s}})),
        prop_oneof![Just("user"), Just("admin")].prop_map(|r| json!({"role": r})),
        prop_oneof![Just("t1"), Just("t2")].prop_map(|t| json!({"teams": t})),
        any::<bool>().prop_map(|b| json!({"language": {"$exists": b}})),
        Just(json!({"language": {"$in": ["en", "fr"]}})),
        any::<bool>().prop_map(|b| json!({"banned": b})),
        custom_cond(""),
    ]
}

fn member_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!({})),
        proptest::collection::vec(user_name(), 0..3).prop_map(|u| json!({"id": {"$in": u}})),
        prop_oneof![Just("a"), Just("B"), Just("émi"), Just("ray")]
            .prop_map(|s| json!({"name": {"$autocomplete": s}})),
        user_name().prop_map(|u| json!({"name": u})),
        prop_oneof![Just("channel_member"), Just("owner")].prop_map(|r| json!({"channel_role": r})),
        prop_oneof![Just("pending"), Just("accepted"), Just("rejected")]
            .prop_map(|s| json!({"invite": s})),
        any::<bool>().prop_map(|b| json!({"joined": b})),
        any::<bool>().prop_map(|b| json!({"banned": b})),
        time_operand().prop_map(|t| json!({"created_at": {"$gt": t}})),
        custom_cond("user."),
        custom_cond(""),
    ]
}

/// What to look at after a step.
#[derive(Debug, Clone)]
enum Probe {
    Channels {
        filter: Json,
        sort: Json,
        user: Option<usize>,
        limit: usize,
        offset: usize,
    },
    Users {
        filter: Json,
        sort: Json,
        limit: usize,
        offset: usize,
    },
    Members {
        ch: usize,
        filter: Json,
        sort: Json,
        limit: usize,
        offset: usize,
    },
    Messages {
        ch: usize,
        cursor: usize,
        msg: usize,
        secs: i64,
        limit: usize,
    },
    Thread {
        parent: usize,
        cursor: usize,
        msg: usize,
        limit: usize,
    },
    Reactions {
        msg: usize,
        limit: usize,
        offset: usize,
    },
    Reads {
        user: usize,
        ch: usize,
    },
}

fn probe() -> impl Strategy<Value = Probe> {
    prop_oneof![
        4 => (combine(channel_leaf().boxed()), sort_of(CHANNEL_SORTS), proptest::option::of(user_idx()), 0usize..6, 0usize..3)
            .prop_map(|(filter, sort, user, limit, offset)| Probe::Channels { filter, sort, user, limit, offset }),
        2 => (combine(user_leaf().boxed()), sort_of(USER_SORTS), 0usize..5, 0usize..3)
            .prop_map(|(filter, sort, limit, offset)| Probe::Users { filter, sort, limit, offset }),
        2 => (ch_idx(), combine(member_leaf().boxed()), sort_of(MEMBER_SORTS), 0usize..5, 0usize..3)
            .prop_map(|(ch, filter, sort, limit, offset)| Probe::Members { ch, filter, sort, limit, offset }),
        2 => (ch_idx(), 0usize..11, msg_idx(), 0i64..60, 0usize..6)
            .prop_map(|(ch, cursor, msg, secs, limit)| Probe::Messages { ch, cursor, msg, secs, limit }),
        1 => (msg_idx(), 0usize..6, msg_idx(), 0usize..6)
            .prop_map(|(parent, cursor, msg, limit)| Probe::Thread { parent, cursor, msg, limit }),
        1 => (msg_idx(), 0usize..5, 0usize..3)
            .prop_map(|(msg, limit, offset)| Probe::Reactions { msg, limit, offset }),
        2 => (user_idx(), ch_idx()).prop_map(|(user, ch)| Probe::Reads { user, ch }),
    ]
}

/// Users' starting data.
fn user_setup() -> impl Strategy<Value = Vec<(serde_json::Map<String, Json>, bool, u8)>> {
    proptest::collection::vec((custom_map(), any::<bool>(), 0u8..3), USERS.len())
}

// ---------------------------------------------------------------------------------------
// The two worlds
// ---------------------------------------------------------------------------------------

/// One engine over one store.
struct World {
    engine: ChatEngine,
    clock: Arc<FixedClock>,
    app: Arc<App>,
    /// The users as last written (actors carry them).
    users: std::sync::Mutex<Vec<User>>,
}

impl World {
    async fn new(
        store: Arc<dyn Store>,
        setup: &[(serde_json::Map<String, Json>, bool, u8)],
    ) -> Self {
        let clock = Arc::new(FixedClock::new(Timestamp::from_secs(START_SECS)));
        let engine = ChatEngine::new(store, clock.clone());
        let app = Arc::new(
            engine
                .create_app(NewApp {
                    id: AppId::parse("equiv").unwrap(),
                    api_key: "equiv-key".into(),
                    api_secret: "equiv-secret".into(),
                    settings: AppSettings::default(),
                })
                .await
                .expect("create app"),
        );
        let mut users = Vec::new();
        for (i, (custom, admin, team)) in setup.iter().enumerate() {
            clock.advance_micros(1_000);
            let name = USERS[i];
            let mut input = UserInput {
                id: name.into(),
                // Names differ from ids in case, so autocomplete folding matters.
                name: Some(format!("{}{} Smith", name[..1].to_uppercase(), &name[1..])),
                role: admin.then(|| "admin".to_owned()),
                language: (i % 2 == 0).then(|| "en".to_owned()),
                teams: match team {
                    0 => None,
                    1 => Some(vec!["t1".into()]),
                    _ => Some(vec!["t1".into(), "t2".into()]),
                },
                ..UserInput::default()
            };
            input.custom = chat_core::custom::Custom::from_map(custom.clone());
            let out = engine
                .upsert_users(&Actor::server(app.clone()), vec![input])
                .await
                .expect("upsert user")
                .value;
            users.extend(out);
        }
        Self {
            engine,
            clock,
            app,
            users: std::sync::Mutex::new(users),
        }
    }

    fn user(&self, i: usize) -> User {
        self.users.lock().unwrap()[i].clone()
    }

    fn as_user(&self, i: usize) -> Actor {
        Actor::user(self.app.clone(), self.user(i))
    }

    fn server_as(&self, i: usize) -> Actor {
        Actor::server_as(self.app.clone(), self.user(i))
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.engine.store()
    }
}

/// An error's kind (its variant, and the store error's variant), which must match across
/// stores; messages may differ.
fn kind(e: &Error) -> String {
    let debug = format!("{e:?}");
    let cut = |s: &str| -> String {
        s.split(['(', ' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    match e {
        Error::Store(inner) => format!("Store::{}", cut(&format!("{inner:?}"))),
        _ => cut(&debug),
    }
}

fn outcome<T>(r: Result<T, Error>) -> Result<T, String> {
    r.map_err(|e| kind(&e))
}

fn cid(ch: usize) -> Cid {
    // Even channels are `messaging`, odd ones `team`: types differ for `type` filters.
    let kind = if ch % 2 == 0 { "messaging" } else { "team" };
    Cid::parse(&format!("{kind}:c{ch}")).unwrap()
}

fn mid(n: usize) -> MessageId {
    MessageId::parse(&format!("m{n:03}")).unwrap()
}

/// Message `i` of those sent so far; the top indices name one not sent yet.
fn pick(i: usize, sent: usize) -> MessageId {
    if i >= 22 || sent == 0 {
        mid(sent)
    } else {
        mid(i % sent)
    }
}

fn uid(i: usize) -> UserId {
    UserId::parse(USERS[i]).unwrap()
}

/// Names an update may give (case and word starts matter to `$autocomplete`).
const NAMES: &[&str] = &["Anna Bell", "bob", "Émile Zola", "x-ray Bo"];

const REACTIONS: &[&str] = &["like", "love", "wow"];
const TEXTS: &[&str] = &["edited", "hello @bob", "bye"];

/// Applies one operation to one world; the comparable result.
async fn apply(w: &World, op: &Op, sent: usize, tick: bool) -> Result<String, String> {
    // Some steps share an instant, so ties in every time order are exercised.
    if tick {
        w.clock.advance_micros(1_000);
    }
    let msg = |i: usize| pick(i, sent);
    let dbg = |v: &dyn Debug| format!("{v:?}");
    match op {
        Op::CreateChannel {
            ch,
            team,
            creator,
            members,
            custom,
        } => outcome(
            w.engine
                .get_or_create_channel(
                    &w.as_user(*creator),
                    GetOrCreateChannel {
                        target: ChannelTarget::Cid(cid(*ch)),
                        data: ChannelData {
                            team: team.then(|| "t1".to_owned()),
                            custom: chat_core::custom::Custom::from_map(custom.clone()),
                            ..ChannelData::default()
                        },
                        members: members.iter().map(|u| MemberInput::new(uid(*u))).collect(),
                        created_by: None,
                    },
                )
                .await,
        )
        .map(|o| dbg(&(&o.value.0.channel, &o.value.0.member, o.value.1))),
        Op::UpdateChannel { ch, set, frozen } => {
            let mut set = set.clone();
            if let Some(f) = frozen {
                set.insert("frozen".into(), json!(f));
            }
            outcome(
                w.engine
                    .partial_update_channel(&w.server_as(0), &cid(*ch), set, Vec::new())
                    .await,
            )
            .map(|o| dbg(&o.value))
        }
        Op::AddMembers {
            ch,
            users,
            invite,
            custom,
        } => outcome(
            w.engine
                .add_members(
                    &w.server_as(0),
                    AddMembers {
                        cid: cid(*ch),
                        members: users
                            .iter()
                            .map(|u| MemberInput {
                                custom: chat_core::custom::Custom::from_map(custom.clone()),
                                ..MemberInput::new(uid(*u))
                            })
                            .collect(),
                        hide_history_before: None,
                        invite: *invite,
                    },
                )
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::RemoveMembers { ch, users } => outcome(
            w.engine
                .remove_members(
                    &w.server_as(0),
                    &cid(*ch),
                    users.iter().map(|u| uid(*u)).collect(),
                )
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::AnswerInvite { ch, user, accept } => outcome(
            w.engine
                .answer_invite(&w.as_user(*user), &cid(*ch), *accept)
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::Send {
            ch,
            user,
            parent,
            show_in_channel,
            silent,
            mention,
            pinned,
        } => outcome(
            w.engine
                .send_message(
                    &w.as_user(*user),
                    SendMessage {
                        cid: cid(*ch),
                        message: MessageInput {
                            id: Some(mid(sent).to_string()),
                            text: format!("message {sent}"),
                            parent_id: parent.map(msg),
                            show_in_channel: *show_in_channel && parent.is_some(),
                            silent: *silent,
                            mentioned_users: mention.map(uid).into_iter().collect(),
                            pinned: *pinned,
                            ..MessageInput::default()
                        },
                        keep_channel_hidden: false,
                        skip_push: false,
                    },
                )
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::React {
            user,
            msg: m,
            kind,
            unique,
        } => outcome(
            w.engine
                .send_reaction(
                    &w.as_user(*user),
                    &msg(*m),
                    ReactionInput {
                        kind: REACTIONS[*kind].into(),
                        score: None,
                        custom: chat_core::custom::Custom::new(),
                    },
                    *unique,
                )
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::Unreact { user, msg: m, kind } => outcome(
            w.engine
                .delete_reaction(&w.as_user(*user), &msg(*m), REACTIONS[*kind], None)
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::Delete { user, msg: m, hard } => outcome(
            w.engine
                .delete_message(&w.as_user(*user), &msg(*m), *hard)
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::Update { user, msg: m, text } => outcome(
            w.engine
                .update_message(
                    &w.as_user(*user),
                    &msg(*m),
                    MessageInput {
                        text: TEXTS[*text].into(),
                        ..MessageInput::default()
                    },
                )
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::MarkRead { user, ch, msg: m } => outcome(
            w.engine
                .mark_read(&w.as_user(*user), &cid(*ch), m.map(msg), None)
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::MarkUnread { user, ch, msg: m } => outcome(
            w.engine
                .mark_unread(&w.as_user(*user), &cid(*ch), &msg(*m))
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::MarkThreadRead { user, ch, parent } => outcome(
            w.engine
                .mark_read(&w.as_user(*user), &cid(*ch), None, Some(msg(*parent)))
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::Hide {
            user,
            ch,
            clear_history,
        } => outcome(
            w.engine
                .hide_channel(&w.as_user(*user), &cid(*ch), *clear_history)
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::Show { user, ch } => outcome(w.engine.show_channel(&w.as_user(*user), &cid(*ch)).await)
            .map(|o| dbg(&o.value)),
        Op::Flags {
            user,
            msg: m,
            set,
            clear,
        } => w
            .store()
            .update_flags(
                &w.app.id,
                &uid(*user),
                &msg(*m),
                MessageFlags::from_bits_truncate(u32::from(*set)),
                MessageFlags::from_bits_truncate(u32::from(*clear)),
            )
            .await
            .map(|f| dbg(&f))
            .map_err(|e| kind(&Error::Store(e))),
        Op::Truncate { ch } => outcome(
            w.engine
                .truncate_channel(
                    &w.server_as(0),
                    chat_core::engine::TruncateChannel {
                        cid: cid(*ch),
                        hard: false,
                        truncated_at: None,
                    },
                )
                .await,
        )
        .map(|o| dbg(&o.value)),
        Op::UpdateUser { user, set, name } => {
            let mut set = set.clone();
            if let Some(n) = name {
                set.insert("name".into(), json!(NAMES[*n]));
            }
            let out = outcome(
                w.engine
                    .partial_update_users(
                        &Actor::server(w.app.clone()),
                        vec![UserPatch {
                            id: USERS[*user].into(),
                            set,
                            unset: Vec::new(),
                        }],
                    )
                    .await,
            )?;
            // Later actors act as the updated user.
            let mut users = w.users.lock().unwrap();
            for u in &out.value {
                if let Some(slot) = users.iter_mut().find(|x| x.id == u.id) {
                    *slot = u.clone();
                }
            }
            Ok(dbg(&out.value))
        }
        Op::DeleteChannel { ch } => {
            outcome(w.engine.delete_channel(&w.server_as(0), &cid(*ch)).await)
                .map(|o| dbg(&o.value))
        }
    }
}

/// The operation's name, for statistics.
fn op_name(op: &Op) -> String {
    format!("{op:?}")
        .split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn cursor(n: usize, id: MessageId, at: Timestamp) -> MessageCursor {
    match n {
        0 => MessageCursor::Latest,
        1 => MessageCursor::Lt(id),
        2 => MessageCursor::Lte(id),
        3 => MessageCursor::Gt(id),
        4 => MessageCursor::Gte(id),
        5 => MessageCursor::Around(id),
        6 => MessageCursor::CreatedBefore(at),
        7 => MessageCursor::CreatedBeforeOrEqual(at),
        8 => MessageCursor::CreatedAfter(at),
        9 => MessageCursor::CreatedAfterOrEqual(at),
        _ => MessageCursor::CreatedAround(at),
    }
}

/// Looks at one thing in one world; the comparable result.
async fn look(w: &World, probe: &Probe, sent: usize) -> Result<String, String> {
    let app = &w.app.id;
    let store = w.store();
    let msg = |i: usize| pick(i, sent);
    let s = |r: chat_core::StoreResult<String>| r.map_err(|e| kind(&Error::Store(e)));
    match probe {
        Probe::Channels {
            filter,
            sort,
            user,
            limit,
            offset,
        } => {
            let query = ChannelQuery {
                filter: parse_filter::<ChannelField>(filter).map_err(|e| kind(&e))?,
                sort: parse_sort::<ChannelField>(sort).map_err(|e| kind(&e))?,
                limit: *limit,
                offset: *offset,
                user: user.map(uid),
            };
            s(store
                .query_channels(app, &query)
                .await
                .map(|cs| format!("{cs:?}")))
        }
        Probe::Users {
            filter,
            sort,
            limit,
            offset,
        } => {
            let query = UserQuery {
                filter: parse_filter::<UserField>(filter).map_err(|e| kind(&e))?,
                sort: parse_sort::<UserField>(sort).map_err(|e| kind(&e))?,
                limit: *limit,
                offset: *offset,
                include_deactivated: false,
            };
            s(store
                .query_users(app, &query)
                .await
                .map(|us| format!("{us:?}")))
        }
        Probe::Members {
            ch,
            filter,
            sort,
            limit,
            offset,
        } => {
            let query = MemberQuery {
                cid: cid(*ch),
                filter: parse_filter::<MemberField>(filter).map_err(|e| kind(&e))?,
                sort: parse_sort::<MemberField>(sort).map_err(|e| kind(&e))?,
                limit: *limit,
                offset: *offset,
            };
            s(store
                .query_members(app, &query)
                .await
                .map(|ms| format!("{ms:?}")))
        }
        Probe::Messages {
            ch,
            cursor: c,
            msg: m,
            secs,
            limit,
        } => {
            let at = Timestamp::from_micros(START_SECS * 1_000_000 + secs * 1_000);
            let page = MessagePage {
                cursor: cursor(*c, msg(*m), at),
                limit: *limit,
                created_after: None,
            };
            let messages = store.channel_messages(app, &cid(*ch), &page).await;
            let pinned = store.pinned_messages(app, &cid(*ch), 3).await;
            s(messages.and_then(|a| pinned.map(|b| format!("{a:?} {b:?}"))))
        }
        Probe::Thread {
            parent,
            cursor: c,
            msg: m,
            limit,
        } => {
            let page = MessagePage {
                cursor: cursor(*c, msg(*m), Timestamp::from_secs(START_SECS)),
                limit: *limit,
                created_after: None,
            };
            s(store
                .thread_replies(app, &msg(*parent), &page)
                .await
                .map(|r| format!("{r:?}")))
        }
        Probe::Reactions {
            msg: m,
            limit,
            offset,
        } => {
            let list = store.list_reactions(app, &msg(*m), *limit, *offset).await;
            let ids: Vec<MessageId> = (0..=sent).map(mid).collect();
            let mine = store.user_reactions(app, &ids, &uid(0)).await;
            s(list.and_then(|a| mine.map(|b| format!("{a:?} {b:?}"))))
        }
        Probe::Reads { user, ch } => {
            let summary = outcome(w.engine.unread_counts(app, &uid(*user)).await)?;
            let reads = store.channel_reads(app, &cid(*ch), 10).await;
            let user_reads = store.user_reads(app, &uid(*user)).await;
            let threads = store.user_thread_reads(app, &uid(*user)).await;
            let memberships = store.memberships(app, &uid(*user)).await;
            let ids: Vec<MessageId> = (0..=sent).map(mid).collect();
            let flags = store.flags_of(app, &uid(*user), &ids).await;
            let flagged = store
                .messages_flagged(app, &uid(*user), MessageFlags::MENTIONED, 5)
                .await;
            s((|| {
                Ok(format!(
                    "{summary:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                    reads?, user_reads?, threads?, memberships?, flags?, flagged?
                ))
            })())
        }
    }
}

/// Every probe worth making at the end of a case.
fn sweep(sent: usize) -> Vec<Probe> {
    let mut probes = Vec::new();
    let all = json!({});
    for (user, name) in USERS.iter().enumerate() {
        probes.push(Probe::Reads {
            user,
            ch: user % CHANNELS,
        });
        probes.push(Probe::Channels {
            filter: json!({"members": {"$in": [name]}}),
            sort: json!([{"field": "last_updated", "direction": -1}]),
            user: Some(user),
            limit: 30,
            offset: 0,
        });
    }
    for ch in 0..CHANNELS {
        probes.push(Probe::Members {
            ch,
            filter: all.clone(),
            sort: json!([]),
            limit: 30,
            offset: 0,
        });
        probes.push(Probe::Messages {
            ch,
            cursor: 0,
            msg: 0,
            secs: 0,
            limit: 100,
        });
    }
    for m in 0..sent {
        probes.push(Probe::Thread {
            parent: m,
            cursor: 0,
            msg: 0,
            limit: 100,
        });
        probes.push(Probe::Reactions {
            msg: m,
            limit: 100,
            offset: 0,
        });
    }
    probes
}

async fn pg_store() -> Arc<dyn Store> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let store = chat_store_postgres::PgStore::with_fresh_schema(&url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} must be reachable (run scripts/ensure-services.sh): {e}")
        });
    Arc::new(store)
}

/// How much of a case did something (printed with `EQUIVALENCE_STATS=1`, to keep the
/// generators honest).
#[derive(Debug, Default)]
struct Stats {
    ops: usize,
    ops_ok: usize,
    errors: std::collections::BTreeMap<String, usize>,
    probes: usize,
    probes_nonempty: usize,
}

/// Runs one case; the first divergence as an error.
async fn run_case(
    setup: &[(serde_json::Map<String, Json>, bool, u8)],
    channels: &[Op],
    steps: &[(Op, Probe, bool)],
) -> Result<(), String> {
    let memory = World::new(Arc::new(chat_store_memory::MemoryStore::new()), setup).await;
    let postgres = World::new(pg_store().await, setup).await;
    {
        let (a, b) = (memory.users.lock().unwrap(), postgres.users.lock().unwrap());
        if *a != *b {
            return Err(format!("users differ: {a:?} vs {b:?}"));
        }
    }
    for op in channels {
        let a = apply(&memory, op, 0, true).await;
        let b = apply(&postgres, op, 0, true).await;
        if a != b {
            return Err(format!(
                "setup {op:?} differs:\n memory:   {a:?}\n postgres: {b:?}"
            ));
        }
    }
    let mut sent = 0;
    let mut stats = Stats::default();
    for (i, (op, probe, tick)) in steps.iter().enumerate() {
        let a = apply(&memory, op, sent, *tick).await;
        stats.ops += 1;
        match &a {
            Ok(_) => stats.ops_ok += 1,
            Err(e) => {
                *stats
                    .errors
                    .entry(format!("{}:{e}", op_name(op)))
                    .or_default() += 1
            }
        }
        let b = apply(&postgres, op, sent, *tick).await;
        if a != b {
            return Err(format!(
                "step {i} {op:?} differs:\n memory:   {a:?}\n postgres: {b:?}"
            ));
        }
        if matches!(op, Op::Send { .. }) && a.is_ok() {
            sent += 1;
        }
        let a = look(&memory, probe, sent).await;
        let b = look(&postgres, probe, sent).await;
        stats.probes += 1;
        if a.as_ref().is_ok_and(|s| !s.starts_with("[]")) {
            stats.probes_nonempty += 1;
        }
        if a != b {
            return Err(format!(
                "after step {i} {op:?}, probe {probe:?} differs:\n memory:   {a:?}\n postgres: {b:?}"
            ));
        }
    }
    for probe in sweep(sent) {
        let a = look(&memory, &probe, sent).await;
        let b = look(&postgres, &probe, sent).await;
        if a != b {
            return Err(format!(
                "final probe {probe:?} differs:\n memory:   {a:?}\n postgres: {b:?}"
            ));
        }
    }
    if std::env::var_os("EQUIVALENCE_STATS").is_some() {
        eprintln!("{stats:?}, messages sent: {sent}");
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("EQUIVALENCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(28)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn memory_and_postgres_agree(
        setup in user_setup(),
        channels in channel_setup(),
        steps in proptest::collection::vec((op(), probe(), proptest::bool::weighted(0.7)), 10..=40),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        if let Err(e) = rt.block_on(run_case(&setup, &channels, &steps)) {
            prop_assert!(false, "{}", e);
        }
    }
}
