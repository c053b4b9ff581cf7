//! Store benchmarks through the engine, on memory and on PostgreSQL (`DATABASE_URL`, a
//! fresh schema per case):
//!
//! * `sends/<backend>/<one|many>/<n>`: sends per second through `ChatEngine::send_message`
//!   with n concurrent senders (1, 8, 64), into one shared channel or one channel each;
//!   also `sends/postgres-store/…`, the store's `insert_message` alone (no engine);
//! * `members/<backend>/<10|10000>`: one sender's send latency in a 10- and a
//!   10,000-member channel;
//! * `query/<backend>` and `unread/<backend>`: query channels (first page of 30, 25
//!   messages and 100 members each) and unread counts for a user in 1,000 channels.
//!
//! Run: `cargo bench -p chat-benches --bench store [-- FILTER…]`; a case runs when every
//! FILTER is a substring of its name (e.g. `-- sends postgres`). `BENCH_SECS` sets the
//! seconds per send case (default 5). Prints markdown table rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_benches::world::{percentiles, send, Backend, World};
use chat_core::engine::{Actor, QueryChannels};
use chat_core::ids::{Cid, MessageId, UserId};
use chat_core::model::{Message, User};
use chat_core::query::{parse_filter, ChannelField};
use chat_core::store::InsertMessage;
use chat_core::time::{Clock, SystemClock};
use serde_json::json;

/// Concurrent sender counts of the send cases.
const SENDERS: [usize; 3] = [1, 8, 64];

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filters.iter().all(|f| name.contains(f.as_str()));
    let secs = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let duration = Duration::from_secs(secs);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "| case | sends | sends/s | p50 µs | p99 µs | max µs | batches | mean batch | largest | µs per batch | commit probe p50/p99 µs |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for backend in [Backend::Memory, Backend::Postgres] {
            for many in [false, true] {
                for n in SENDERS {
                    let shape = if many { "many" } else { "one" };
                    let name = format!("sends/{}/{shape}/{n}", backend.name());
                    if wanted(&name) {
                        sends(&name, backend, many, n, duration).await;
                    }
                }
            }
        }
        for many in [false, true] {
            for n in SENDERS {
                let shape = if many { "many" } else { "one" };
                let name = format!("sends/postgres-store/{shape}/{n}");
                if wanted(&name) {
                    store_sends(&name, many, n, duration).await;
                }
            }
        }
        println!();
        println!("| case | sends | mean µs | p50 µs | p99 µs | max µs |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for backend in [Backend::Memory, Backend::Postgres] {
            for members in [10, 10_000] {
                let name = format!("members/{}/{members}", backend.name());
                if wanted(&name) {
                    member_cost(&name, backend, members).await;
                }
            }
        }
        println!();
        println!("| case | runs | mean µs | p50 µs | p99 µs | max µs |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for backend in [Backend::Memory, Backend::Postgres] {
            let (query, unread) = (
                format!("query/{}", backend.name()),
                format!("unread/{}", backend.name()),
            );
            if wanted(&query) || wanted(&unread) {
                user_in_many_channels(backend, wanted(&query).then_some(query.as_str()), {
                    wanted(&unread).then_some(unread.as_str())
                })
                .await;
            }
        }
    });
}

/// What the send cases report.
struct Run {
    sends: u64,
    elapsed: Duration,
    latencies: Vec<u64>,
}

/// `n` users, and either one channel with all of them or one channel each (with a second
/// member, so a send has someone to count for).
async fn senders(world: &World, many: bool, n: usize) -> Vec<(Actor, Cid)> {
    let users = world.users(n + 1).await;
    let ids: Vec<UserId> = users.iter().map(|u| u.id.clone()).collect();
    let mut out = Vec::with_capacity(n);
    if many {
        for (i, user) in users.iter().take(n).enumerate() {
            let cid = world
                .channel(&format!("c{i}"), &[user.id.clone(), ids[n].clone()])
                .await;
            out.push((world.actor(user), cid));
        }
    } else {
        let cid = world.channel("shared", &ids).await;
        for user in users.iter().take(n) {
            out.push((world.actor(user), cid.clone()));
        }
    }
    out
}

/// Runs `one` from `n` tasks until `duration` has passed; every call's latency is kept.
async fn run_for<F, Fut>(targets: Vec<(Actor, Cid)>, duration: Duration, one: F) -> Run
where
    F: Fn(Actor, Cid) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for (actor, cid) in targets {
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                one(actor.clone(), cid.clone()).await;
                latencies.push(micros(t.elapsed()));
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("sender task"));
    }
    Run {
        sends: latencies.len() as u64,
        elapsed: started.elapsed(),
        latencies,
    }
}

async fn sends(name: &str, backend: Backend, many: bool, n: usize, duration: Duration) {
    let world = World::new(backend).await;
    let targets = senders(&world, many, n).await;
    world.analyze().await;
    let probe = world.commit_probe().await;
    let engine = world.engine.clone();
    let run = run_for(targets, duration, move |actor, cid| {
        let engine = engine.clone();
        async move { send(&engine, &actor, &cid).await }
    })
    .await;
    report_sends(name, run, &world, probe);
}

/// The store's `insert_message` alone, no engine: what the store reaches by itself.
async fn store_sends(name: &str, many: bool, n: usize, duration: Duration) {
    let world = World::new(Backend::Postgres).await;
    let targets = senders(&world, many, n).await;
    world.analyze().await;
    let probe = world.commit_probe().await;
    let store = world.engine.store().clone();
    let app = world.app.id.clone();
    let run = run_for(targets, duration, move |actor, cid| {
        let (store, app) = (store.clone(), app.clone());
        async move {
            let author = actor.user_id().cloned().expect("a user actor");
            let message = Message::new(MessageId::generate(), cid, author, SystemClock.now());
            let opts = InsertMessage {
                bump_last_message_at: true,
                keep_channel_hidden: false,
            };
            store
                .insert_message(&app, message, opts)
                .await
                .expect("insert_message");
        }
    })
    .await;
    report_sends(name, run, &world, probe);
}

fn report_sends(name: &str, mut run: Run, world: &World, probe: Option<(u64, u64)>) {
    let (p50, p99, max) = percentiles(&mut run.latencies);
    let rate = run.sends as f64 / run.elapsed.as_secs_f64();
    let batches = match world.pg.as_ref().map(|pg| pg.send_stats()) {
        Some(s) if s.batches > 0 => format!(
            "{} | {:.1} | {} | {:.0}",
            s.batches,
            s.sends as f64 / s.batches as f64,
            s.largest_batch,
            s.busy_micros as f64 / s.batches as f64
        ),
        _ => "– | – | – | –".to_owned(),
    };
    let probe = match probe {
        Some((p50, p99)) => format!("{p50}/{p99}"),
        None => "–".to_owned(),
    };
    println!(
        "| `{name}` | {} | {rate:.0} | {p50} | {p99} | {max} | {batches} | {probe} |",
        run.sends
    );
}

/// One sender, sequential sends into a channel of `members` members.
async fn member_cost(name: &str, backend: Backend, members: usize) {
    const WARM_UP: usize = 200;
    const SENDS: usize = 2_000;
    let world = World::new(backend).await;
    let users = world.users(members).await;
    let ids: Vec<UserId> = users.iter().map(|u| u.id.clone()).collect();
    let cid = world.channel("big", &ids).await;
    world.analyze().await;
    let actor = world.actor(&users[0]);
    for _ in 0..WARM_UP {
        world.send(&actor, &cid).await;
    }
    let mut latencies = Vec::with_capacity(SENDS);
    for _ in 0..SENDS {
        let t = Instant::now();
        world.send(&actor, &cid).await;
        latencies.push(micros(t.elapsed()));
    }
    report_latencies(name, &mut latencies);
}

/// A reader (`u0`) in 1,000 channels of 100 members and 25 messages each (sent by other
/// members, so all are unread); then query channels (first page of 30 with 25 messages
/// and 100 members each) and unread counts, timed.
async fn user_in_many_channels(backend: Backend, query: Option<&str>, unread: Option<&str>) {
    const CHANNELS: usize = 1_000;
    const MEMBERS: usize = 100;
    const MESSAGES: usize = 25;
    const POOL: usize = 2_000;
    let world = Arc::new(World::new(backend).await);
    let setup = Instant::now();
    let users = world.users(POOL).await;
    let reader = users[0].clone();
    // Channel i: the reader and 99 distinct others from the pool.
    let member_lists: Vec<Vec<UserId>> = (0..CHANNELS)
        .map(|i| {
            std::iter::once(reader.id.clone())
                .chain((0..MEMBERS - 1).map(|j| users[(i * 37 + j) % (POOL - 1) + 1].id.clone()))
                .collect()
        })
        .collect();
    let cids = in_parallel(8, member_lists.clone(), {
        let world = world.clone();
        move |(i, members): (usize, Vec<UserId>)| {
            let world = world.clone();
            async move { world.channel(&format!("c{i:04}"), &members).await }
        }
    })
    .await;
    let writers: Vec<(Actor, Cid)> = cids
        .iter()
        .zip(&member_lists)
        .flat_map(|(cid, members)| {
            (0..MESSAGES).map(|k| {
                let author = &users_by_id(&users, &members[1 + k % 5]);
                (world.actor(author), cid.clone())
            })
        })
        .collect();
    in_parallel(64, writers, {
        let world = world.clone();
        move |(_, (actor, cid)): (usize, (Actor, Cid))| {
            let world = world.clone();
            async move { world.send(&actor, &cid).await }
        }
    })
    .await;
    world.analyze().await;
    eprintln!(
        "{}: 1,000 channels × 100 members × 25 messages set up in {:.1} s",
        backend.name(),
        setup.elapsed().as_secs_f64()
    );
    let actor = world.actor(&reader);
    if let Some(name) = query {
        let filter =
            parse_filter::<ChannelField>(&json!({"members": {"$in": [reader.id.as_str()]}}))
                .expect("filter");
        let input = QueryChannels {
            filter,
            sort: Vec::new(),
            limit: Some(30),
            offset: 0,
            message_limit: Some(25),
            member_limit: Some(100),
            user_id: None,
        };
        let mut latencies = Vec::new();
        for i in 0..220 {
            let t = Instant::now();
            let page = world
                .engine
                .query_channels(&actor, input.clone())
                .await
                .expect("query channels");
            if i >= 20 {
                latencies.push(micros(t.elapsed()));
            }
            assert_eq!(page.len(), 30, "a full page");
        }
        report_latencies(name, &mut latencies);
    }
    if let Some(name) = unread {
        let mut latencies = Vec::new();
        for i in 0..1_100 {
            let t = Instant::now();
            let summary = world
                .engine
                .unread_counts(&world.app.id, &reader.id)
                .await
                .expect("unread counts");
            if i >= 100 {
                latencies.push(micros(t.elapsed()));
            }
            assert_eq!(summary.total_unread_count, (CHANNELS * MESSAGES) as u64);
        }
        report_latencies(name, &mut latencies);
    }
}

fn users_by_id(users: &[User], id: &UserId) -> User {
    // Users are `u<i>`, created in order.
    let i: usize = id.as_str()[1..].parse().expect("u<i>");
    users[i].clone()
}

/// Runs `f` over `items` with at most `width` at a time; results in item order.
async fn in_parallel<T, R, F, Fut>(width: usize, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn((usize, T)) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = R> + Send,
{
    let items = Arc::new(std::sync::Mutex::new(
        items
            .into_iter()
            .enumerate()
            .collect::<std::collections::VecDeque<_>>(),
    ));
    let mut tasks = Vec::new();
    for _ in 0..width {
        let (items, f) = (items.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = items.lock().expect("queue").pop_front();
                let Some((i, item)) = next else { break };
                done.push((i, f((i, item)).await));
            }
            done
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("worker"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

fn report_latencies(name: &str, latencies: &mut [u64]) {
    let n = latencies.len();
    let mean = latencies.iter().sum::<u64>() as f64 / n.max(1) as f64;
    let (p50, p99, max) = percentiles(latencies);
    println!("| `{name}` | {n} | {mean:.0} | {p50} | {p99} | {max} |");
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
