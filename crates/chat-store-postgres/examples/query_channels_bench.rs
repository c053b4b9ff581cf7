//! Query Channels latency on PostgreSQL: one user in 1,000 channels (of 2,000 in the app,
//! each with 10 members and 3 messages), pages of 30. Seeds a fresh schema of the database
//! at `DATABASE_URL`, then times each query shape `ITERATIONS` times and prints p50/p99.
//! With `BENCH_ANALYZE=1` the seeded tables are analysed first (the steady state); without
//! it, the planner sees statistics from before the seeding, as on a freshly filled database
//! before autovacuum has run. Results are recorded in `docs/benchmarks.md`.
//!
//! ```sh
//! cargo run --release -p chat-store-postgres --example query_channels_bench
//! BENCH_ANALYZE=1 cargo run --release -p chat-store-postgres --example query_channels_bench
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::engine::{
    Actor, ChannelData, ChannelTarget, ChatEngine, GetOrCreateChannel, MemberInput, MessageInput,
    NewApp, SendMessage, UserInput,
};
use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::AppSettings;
use chat_core::query::{parse_filter, parse_sort, ChannelQuery};
use chat_core::store::Store;
use chat_core::time::{FixedClock, Timestamp};
use serde_json::json;

const CHANNELS: usize = 2_000;
const MINE: usize = 1_000;
const OTHERS: usize = 50;
const ITERATIONS: usize = 200;

/// Analyses the tables of the schema holding the app with `key`.
async fn analyze(url: &str, key: &str) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'apps'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for schema in schemas {
        let found: Result<Option<String>, _> = sqlx::query_scalar(&format!(
            "SELECT id FROM \"{schema}\".apps WHERE api_key = $1"
        ))
        .bind(key)
        .fetch_optional(&pool)
        .await;
        if let Ok(Some(_)) = found {
            sqlx::query(&format!(
                "ANALYZE \"{schema}\".channels, \"{schema}\".members, \"{schema}\".read_states, \"{schema}\".users"
            ))
            .execute(&pool)
            .await
            .unwrap();
            println!("analysed {schema}");
            return;
        }
    }
    panic!("no schema holds this run's app");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let store: Arc<dyn Store> = Arc::new(
        chat_store_postgres::PgStore::with_fresh_schema(&url)
            .await
            .expect("PostgreSQL must be reachable"),
    );
    // Unique per run, so `analyze` finds this run's schema.
    let key = format!("bench-{}", std::process::id());
    let clock = Arc::new(FixedClock::new(Timestamp::from_secs(1_700_000_000)));
    let engine = ChatEngine::new(store.clone(), clock.clone());
    let app = Arc::new(
        engine
            .create_app(NewApp {
                id: AppId::parse("bench").unwrap(),
                api_key: key.clone(),
                api_secret: "bench-secret".into(),
                settings: AppSettings::default(),
            })
            .await
            .unwrap(),
    );
    let server = Actor::server(app.clone());
    let mut inputs = vec![UserInput {
        id: "me".into(),
        ..UserInput::default()
    }];
    inputs.extend((0..OTHERS).map(|i| UserInput {
        id: format!("u{i}"),
        ..UserInput::default()
    }));
    let users = engine.upsert_users(&server, inputs).await.unwrap().value;

    let seeding = Instant::now();
    for c in 0..CHANNELS {
        let cid = Cid::parse(&format!("messaging:c{c:05}")).unwrap();
        let mut members: Vec<MemberInput> = (0..9)
            .map(|k| MemberInput::new(UserId::parse(&format!("u{}", (c + k) % OTHERS)).unwrap()))
            .collect();
        if c < MINE {
            members.push(MemberInput::new(UserId::parse("me").unwrap()));
        }
        let creator = Actor::server_as(app.clone(), users[1 + c % OTHERS].clone());
        clock.advance_micros(1_000);
        engine
            .get_or_create_channel(
                &creator,
                GetOrCreateChannel {
                    target: ChannelTarget::Cid(cid.clone()),
                    data: ChannelData::default(),
                    members,
                    created_by: None,
                },
            )
            .await
            .unwrap();
        for m in 0..3 {
            clock.advance_micros(1_000);
            engine
                .send_message(
                    &creator,
                    SendMessage {
                        cid: cid.clone(),
                        message: MessageInput {
                            text: format!("message {m}"),
                            ..MessageInput::default()
                        },
                        keep_channel_hidden: false,
                        skip_push: false,
                    },
                )
                .await
                .unwrap();
        }
    }
    println!("seeded {CHANNELS} channels in {:?}", seeding.elapsed());
    if std::env::var_os("BENCH_ANALYZE").is_some() {
        analyze(&url, &key).await;
    }

    let shapes = [
        (
            "members $in [me], last_updated desc",
            json!({"members": {"$in": ["me"]}}),
            json!([{"field": "last_updated", "direction": -1}]),
            0,
        ),
        (
            "members $in [me], last_updated desc, page 5",
            json!({"members": {"$in": ["me"]}}),
            json!([{"field": "last_updated", "direction": -1}]),
            120,
        ),
        (
            "joined true, hidden false, has_unread desc, last_message_at desc",
            json!({"joined": true, "hidden": false}),
            json!([{"field": "has_unread", "direction": -1}, {"field": "last_message_at", "direction": -1}]),
            0,
        ),
        (
            "type messaging, members me, member_count >= 5, unread_count desc",
            json!({"type": "messaging", "members": "me", "member_count": {"$gte": 5}}),
            json!([{"field": "unread_count", "direction": -1}]),
            0,
        ),
    ];
    println!("| query | p50 | p99 |");
    println!("| --- | --- | --- |");
    for (name, filter, sort, offset) in shapes {
        let query = ChannelQuery {
            filter: parse_filter(&filter).unwrap(),
            sort: parse_sort(&sort).unwrap(),
            limit: 30,
            offset,
            user: Some(UserId::parse("me").unwrap()),
        };
        // Warm up the pool and the plan cache.
        for _ in 0..10 {
            store.query_channels(&app.id, &query).await.unwrap();
        }
        let mut times: Vec<Duration> = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let start = Instant::now();
            let page = store.query_channels(&app.id, &query).await.unwrap();
            times.push(start.elapsed());
            assert_eq!(page.len(), 30);
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!("| {name} | {:.2?} | {:.2?} |", at(0.50), at(0.99));
    }
}
