//! Message search on PostgreSQL: seeds a corpus into a fresh schema through the store
//! (up to 8 distinct words a message from a skewed 20,000-word vocabulary), then times
//! `search_messages` (pages of 100) for a few query shapes and prints the plan of the
//! narrowing SQL for a rare word. Drops the schema at the end.
//!
//! ```sh
//! cargo run -p chat-store-postgres --example search_bench [-- <messages> <channels>]
//! ```
//!
//! `DATABASE_URL` defaults to `postgres://postgres@127.0.0.1:5432/postgres`. Figures go to
//! `docs/benchmarks.md`; nothing asserts them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::ids::{AppId, ChannelTypeName, Cid, MessageId, UserId};
use chat_core::model::{default_channel_types, App, AppSettings, Channel, Member, Message};
use chat_core::query::{
    parse_filter, parse_sort, MessageField, SearchPosition, SearchQuery, SearchScope,
};
use chat_core::store::{InsertMessage, Store};
use chat_core::time::Timestamp;
use chat_store_postgres::PgStore;
use serde_json::json;
use sqlx::{Connection, Executor};

const WORDS: usize = 20_000;
const WORDS_PER_MESSAGE: usize = 8;
const WRITERS: usize = 4;
const RUNS: usize = 15;

/// A deterministic pseudo-random sequence.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A word index, skewed so low indexes are common (about Zipf-like).
    fn word(&mut self) -> usize {
        let r = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((WORDS as f64).powf(r) as usize).min(WORDS - 1)
    }
}

/// Word `i` as letters (`w0` → `ba`…), so every word is one token.
fn word(mut i: usize) -> String {
    let mut s = String::from("w");
    loop {
        s.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let messages = arg(1, 100_000);
    let channels = arg(2, 100);
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let pg = PgStore::with_fresh_schema(&url).await?;
    let schema = pg.schema().unwrap_or_default().to_owned();
    let store: Arc<dyn Store> = Arc::new(pg);
    let app = AppId::parse("bench")?;
    let t0 = Timestamp::from_secs(1_704_067_200);
    store
        .insert_app(App {
            id: app.clone(),
            api_key: "bench-key".into(),
            api_secret: "bench-secret".into(),
            settings: AppSettings::default(),
            created_at: t0,
            version: 0,
        })
        .await?;
    for ty in default_channel_types(t0) {
        store.insert_channel_type(&app, ty).await?;
    }
    let users: Vec<UserId> = (0..20)
        .map(|i| UserId::new_unchecked(format!("u{i}")))
        .collect();
    for u in &users {
        store
            .insert_user(&app, chat_core::model::User::new(u.clone(), t0))
            .await?;
    }
    let cids: Vec<Cid> = (0..channels)
        .map(|i| {
            Cid::new(
                ChannelTypeName::new_unchecked("messaging"),
                chat_core::ids::ChannelId::new_unchecked(format!("c{i}")),
            )
        })
        .collect();
    for cid in &cids {
        let members = users
            .iter()
            .map(|u| Member::new(cid.clone(), u.clone(), t0))
            .collect();
        store
            .create_channel(&app, Channel::new(cid.clone(), None, t0), members)
            .await?;
    }

    let seeding = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        let (app, cids, users) = (app.clone(), cids.clone(), users.clone());
        writers.push(tokio::spawn(async move {
            let mut rng = Lcg(w as u64 + 1);
            let mut seen: HashMap<usize, usize> = HashMap::new();
            for i in (w..messages).step_by(WRITERS) {
                let cid = cids[i % cids.len()].clone();
                let user = users[i % users.len()].clone();
                let at = t0.plus_micros(i as i64 * 1_000);
                let id = MessageId::new_unchecked(format!("m{i:07}"));
                let mut m = Message::new(id, cid, user, at);
                let picked: BTreeSet<usize> = (0..WORDS_PER_MESSAGE).map(|_| rng.word()).collect();
                for w in &picked {
                    *seen.entry(*w).or_insert(0) += 1;
                }
                m.text = picked
                    .iter()
                    .map(|w| word(*w))
                    .collect::<Vec<_>>()
                    .join(" ");
                let opts = InsertMessage {
                    bump_last_message_at: true,
                    keep_channel_hidden: true,
                };
                store.insert_message(&app, m, opts).await?;
            }
            Ok::<_, chat_core::StoreError>(seen)
        }));
    }
    let mut frequency: HashMap<usize, usize> = HashMap::new();
    for w in writers {
        for (word, n) in w.await?? {
            *frequency.entry(word).or_insert(0) += n;
        }
    }
    let seeded = seeding.elapsed();
    println!(
        "seeded {messages} messages in {channels} channels in {:.1} s ({:.0}/s, {WRITERS} writers)",
        seeded.as_secs_f64(),
        messages as f64 / seeded.as_secs_f64()
    );
    // The word whose message count is closest to `n`.
    let near = |n: usize| -> String {
        let best = frequency
            .iter()
            .min_by_key(|(w, c)| (c.abs_diff(n), **w))
            .map_or(0, |(w, _)| *w);
        word(best)
    };
    let rare = near(10);
    let mid = near(messages / 100);
    let common = near(messages);

    let mut conn = sqlx::PgConnection::connect(&url).await?;
    conn.execute(format!("SET search_path = {schema}").as_str())
        .await?;
    conn.execute("ANALYZE messages").await?;

    let relevance = json!([{"field": "relevance", "direction": -1}]);
    let newest = json!([{"field": "created_at", "direction": -1}]);
    let shapes = [
        ("rare word", json!({"text": {"$q": rare}}), &relevance),
        ("1% word", json!({"text": {"$q": mid}}), &relevance),
        ("common word", json!({"text": {"$q": common}}), &relevance),
        (
            "common word, newest first",
            json!({"text": {"$q": common}}),
            &newest,
        ),
        (
            "two words",
            json!({"text": {"$q": format!("{common} {mid}")}}),
            &relevance,
        ),
        (
            "autocomplete",
            json!({"text": {"$autocomplete": format!("{common} wb")}}),
            &relevance,
        ),
        ("author, no text", json!({"user.id": "u3"}), &newest),
        (
            "common word in an $or (reference path)",
            json!({"$or": [{"text": {"$q": common}}]}),
            &relevance,
        ),
    ];
    let scopes: Vec<SearchScope> = cids
        .iter()
        .map(|cid| SearchScope {
            cid: cid.clone(),
            created_after: None,
        })
        .collect();
    println!("| query | matches | median | p95 |");
    println!("| --- | --- | --- | --- |");
    for (name, filter, sort) in &shapes {
        let query = SearchQuery {
            scopes: scopes.clone(),
            viewer: None,
            filter: parse_filter::<MessageField>(filter)?,
            sort: parse_sort(sort)?,
            limit: 100,
            position: SearchPosition::Offset(0),
        };
        let all = SearchQuery {
            limit: usize::MAX,
            ..query.clone()
        };
        let matches = store.search_messages(&app, &all).await?.results.len();
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            store.search_messages(&app, &query).await?;
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {matches} | {:.2} ms | {:.2} ms |",
            times[RUNS / 2].as_secs_f64() * 1e3,
            times[RUNS * 95 / 100].as_secs_f64() * 1e3
        );
    }

    let plan: Vec<(String,)> = sqlx::query_as(
        "EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM messages WHERE app_id = 'bench' \
         AND cid = ANY($1) AND deleted_at IS NULL AND search_tsv @@ $2::tsquery",
    )
    .bind(cids.iter().map(|c| c.to_string()).collect::<Vec<_>>())
    .bind(format!("'{rare}'"))
    .fetch_all(&mut conn)
    .await?;
    println!("\nplan of the narrowing for the rare word ({rare}):");
    for (line,) in plan {
        println!("    {line}");
    }
    conn.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await?;
    Ok(())
}
