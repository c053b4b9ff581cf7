//! Engine over the memory store: the cost of a send must not grow with the member count,
//! and filter evaluation of a typical channel query.
//! Run: `cargo bench -p chat-benches --bench engine`

use std::sync::Arc;

use chat_core::engine::{
    Actor, AddMembers, ChannelData, ChannelTarget, ChatEngine, GetOrCreateChannel, MemberInput,
    MessageInput, NewApp, SendMessage, UserInput,
};
use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::{AppSettings, Channel, Member};
use chat_core::query::{matches, parse_filter, ChannelField, ChannelView};
use chat_core::time::{SystemClock, Timestamp};
use chat_store_memory::MemoryStore;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::json;

fn setup(rt: &tokio::runtime::Runtime, members: usize) -> (ChatEngine, Actor, Cid) {
    rt.block_on(async {
        let engine = ChatEngine::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
        let app = Arc::new(
            engine
                .create_app(NewApp {
                    id: AppId::parse("bench").expect("id"),
                    api_key: "k".into(),
                    api_secret: "s".into(),
                    settings: AppSettings::default(),
                })
                .await
                .expect("app"),
        );
        let server = Actor::server(app.clone());
        let ids: Vec<String> = (0..members).map(|i| format!("u{i}")).collect();
        for chunk in ids.chunks(100) {
            let users = chunk
                .iter()
                .map(|id| UserInput {
                    id: id.clone(),
                    ..UserInput::default()
                })
                .collect();
            engine.upsert_users(&server, users).await.expect("users");
        }
        let cid = Cid::parse("messaging:bench").expect("cid");
        let sender = UserId::parse("u0").expect("user");
        engine
            .get_or_create_channel(
                &server,
                GetOrCreateChannel {
                    target: ChannelTarget::Cid(cid.clone()),
                    data: ChannelData::default(),
                    members: vec![MemberInput::new(sender.clone())],
                    created_by: Some(sender.clone()),
                },
            )
            .await
            .expect("channel");
        for chunk in ids[1..].chunks(100) {
            let members = chunk
                .iter()
                .map(|id| MemberInput::new(UserId::new_unchecked(id.as_str())))
                .collect();
            engine
                .add_members(
                    &server,
                    AddMembers {
                        cid: cid.clone(),
                        members,
                        hide_history_before: None,
                        invite: false,
                    },
                )
                .await
                .expect("members");
        }
        let user = engine
            .store()
            .get_users(&app.id, &[sender])
            .await
            .expect("load")
            .remove(0);
        (engine, Actor::user(app, user), cid)
    })
}

fn send_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("send_message");
    for members in [10usize, 10_000] {
        let (engine, actor, cid) = setup(&rt, members);
        group.bench_with_input(BenchmarkId::from_parameter(members), &members, |b, _| {
            b.iter(|| {
                let cmd = SendMessage {
                    cid: cid.clone(),
                    message: MessageInput {
                        text: "hello".into(),
                        ..MessageInput::default()
                    },
                    keep_channel_hidden: false,
                    skip_push: false,
                };
                rt.block_on(engine.send_message(&actor, cmd)).expect("sent")
            })
        });
    }
    group.finish();
}

fn filter_eval(c: &mut Criterion) {
    let filter = parse_filter::<ChannelField>(&json!({
        "type": "messaging",
        "members": {"$in": ["u7"]},
        "last_message_at": {"$gt": "2020-01-01T00:00:00Z"},
        "$or": [{"frozen": false}, {"color": {"$in": ["red", "blue"]}}],
    }))
    .expect("filter");
    let cid = Cid::parse("messaging:x").expect("cid");
    let mut channel = Channel::new(cid.clone(), None, Timestamp::from_secs(1_700_000_000));
    channel.counters.last_message_at = Some(Timestamp::from_secs(1_700_000_100));
    let member_ids: Vec<UserId> = (0..100)
        .map(|i| UserId::new_unchecked(format!("u{i}")))
        .collect();
    let member = Member::new(cid, UserId::new_unchecked("u7"), Timestamp::default());
    let view = ChannelView {
        channel: &channel,
        member: Some(&member),
        member_ids: &member_ids,
        member_names: &[],
        unread: Some(3),
        muted: false,
    };
    c.bench_function("filter_eval/channel_4_conditions_100_members", |b| {
        b.iter(|| matches(black_box(&filter), &view))
    });
}

criterion_group!(benches, send_cost, filter_eval);
criterion_main!(benches);
