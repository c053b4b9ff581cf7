//! Embedding example: link `chat-core` and the memory store, no server, no network.
//! Creates an app, three users and a channel, sends messages and a thread reply, and
//! prints each member's unread counts as they change.
//!
//! Run: `cargo run -p example-embedded`

use std::sync::Arc;

use chat_core::engine::{
    Actor, ChannelData, ChannelTarget, ChatEngine, GetOrCreateChannel, MemberInput, MessageInput,
    NewApp, SendMessage, UserInput,
};
use chat_core::fanout::Event;
use chat_core::ids::{AppId, ChannelTypeName, UserId};
use chat_core::model::{AppSettings, User};
use chat_core::time::SystemClock;
use chat_store_memory::MemoryStore;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let engine = ChatEngine::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
    let app = Arc::new(
        engine
            .create_app(NewApp {
                id: AppId::parse("demo")?,
                api_key: "demo-key".into(),
                api_secret: "demo-secret".into(),
                settings: AppSettings::default(),
            })
            .await?,
    );
    let server = Actor::server(app.clone());

    let names = ["alice", "bob", "carol"];
    let users = engine
        .upsert_users(
            &server,
            names
                .iter()
                .map(|n| UserInput {
                    id: (*n).into(),
                    name: Some(n.to_uppercase()),
                    ..UserInput::default()
                })
                .collect(),
        )
        .await?
        .value;
    let as_user = |u: &User| Actor::user(app.clone(), u.clone());
    let (alice, bob, carol) = (as_user(&users[0]), as_user(&users[1]), as_user(&users[2]));

    let channel = engine
        .get_or_create_channel(
            &alice,
            GetOrCreateChannel {
                target: ChannelTarget::Distinct(ChannelTypeName::parse("messaging")?),
                data: ChannelData::default(),
                members: names
                    .iter()
                    .map(|n| Ok(MemberInput::new(UserId::parse(n)?)))
                    .collect::<Result<_>>()?,
                created_by: None,
            },
        )
        .await?;
    let cid = channel.value.0.channel.cid.clone();
    println!(
        "created {cid} with {} members",
        channel.value.0.channel.counters.member_count
    );
    print_events(&channel.events);

    let send = |text: &str, parent| SendMessage {
        cid: cid.clone(),
        message: MessageInput {
            text: text.into(),
            parent_id: parent,
            ..MessageInput::default()
        },
        keep_channel_hidden: false,
        skip_push: false,
    };
    let first = engine
        .send_message(&alice, send("hello from alice", None))
        .await?;
    print_events(&first.events);
    engine.send_message(&bob, send("hi alice!", None)).await?;
    let reply = engine
        .send_message(&carol, send("a thread reply", Some(first.value.id.clone())))
        .await?;
    println!(
        "carol replied in thread {}",
        reply.value.parent_id.as_ref().map_or("-", |p| p.as_str())
    );

    println!("\nunread counts:");
    for user in &users {
        let summary = engine.unread_counts(&app.id, &user.id).await?;
        println!(
            "  {:<6} total={} channels={} threads={}",
            user.id, summary.total_unread_count, summary.unread_channels, summary.unread_threads
        );
    }

    engine.mark_read(&carol, &cid, None, None).await?;
    let carol_after = engine.unread_counts(&app.id, &users[2].id).await?;
    println!(
        "\ncarol marked the channel read: total={}",
        carol_after.total_unread_count
    );
    Ok(())
}

fn print_events(events: &[Event]) {
    for e in events {
        println!("  event {} -> {:?}", e.kind.name(), e.audience);
    }
}
