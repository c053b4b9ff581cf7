//! Atomicity under contention: many tasks (`tokio::spawn`, then join — never sleeps) hit
//! the same row at once and the outcome must be as if the calls ran one after another.

use std::collections::BTreeSet;
use std::sync::Arc;

use chat_core::error::StoreError;
use chat_core::ids::distinct_channel_id;
use chat_core::ids::Cid;
use chat_core::model::{ChannelCounters, Message};
use chat_core::query::MessagePage;
use chat_core::store::{Created, InsertMessage, Store};
use serde_json::json;
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

use crate::fixtures::*;

/// Tasks per contention case.
const TASKS: usize = 16;

async fn join_all<T: Send + 'static>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task panicked"));
    }
    out
}

/// Concurrent `create_channel` calls for one distinct (member-set) cid create it once:
/// exactly one `New`, the others `Existing` with the winner's content, and the members are
/// the set.
pub async fn concurrent_create_channel_creates_once(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let people = ["alice", "bob", "carol"];
    ctx.users(&people).await;
    let member_ids: Vec<_> = people.iter().map(|p| uid(p)).collect();
    let cid = Cid::new(type_name("messaging"), distinct_channel_id(&member_ids));
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let store = ctx.store.clone();
        let app = ctx.app.clone();
        let cid = cid.clone();
        let barrier = barrier.clone();
        // Each caller lists the members in its own order and tags its content.
        let mut order = people.to_vec();
        order.rotate_left(i % people.len());
        handles.push(tokio::spawn(async move {
            let mut channel = new_channel(&cid, Some(order[0]));
            channel.distinct = true;
            channel.custom.insert("creator_task", json!(i));
            let members = order.iter().map(|u| new_member(&cid, u)).collect();
            barrier.wait().await;
            store.create_channel(&app, channel, members).await
        }));
    }
    let results = join_all(handles).await;
    let mut new = Vec::new();
    let mut existing = Vec::new();
    for r in results {
        match r.expect("create_channel") {
            Created::New(c, m) => new.push((c, m)),
            Created::Existing(c) => existing.push(c),
        }
    }
    assert_eq!(new.len(), 1, "exactly one call creates the channel");
    let (winner, members) = &new[0];
    for c in &existing {
        assert_eq!(c, winner, "Existing returns the stored (winning) channel");
    }
    assert_eq!(ctx.get_channel(&cid).await, *winner);
    assert_eq!(
        winner.counters,
        ChannelCounters {
            member_count: 3,
            ..ChannelCounters::default()
        }
    );
    assert_eq!(
        sorted(user_ids(members.iter().map(|m| &m.user_id))),
        strings(&people)
    );
    assert_eq!(
        ctx.store
            .member_ids(&ctx.app, &cid)
            .await
            .expect("member_ids"),
        member_ids
    );
    let reads = ctx
        .store
        .channel_reads(&ctx.app, &cid, 10)
        .await
        .expect("channel_reads");
    assert_eq!(reads.len(), 3, "one cursor per member: {reads:?}");
}

/// Concurrent sends of one client-chosen id, spread over several channels of the app
/// and released together by a barrier, for several rounds: each round exactly one `Ok`,
/// all others `Duplicate`; one message stored and counted once per round.
pub async fn concurrent_sends_of_one_id_store_once(store: Arc<dyn Store>) {
    const ROUNDS: usize = 50;
    let ctx = Ctx::new(store).await;
    let mut channels = Vec::new();
    for id in ["c0", "c1", "c2", "c3"] {
        channels.push(ctx.channel(id, &["alice", "bob"]).await.cid);
    }
    for round in 0..ROUNDS {
        let id = format!("retried-{round:02}");
        let barrier = Arc::new(Barrier::new(TASKS));
        let mut handles = Vec::new();
        for i in 0..TASKS {
            let store = ctx.store.clone();
            let app = ctx.app.clone();
            let barrier = barrier.clone();
            let message = ctx
                .msg(
                    &channels[(i + round) % channels.len()],
                    ["alice", "bob"][i % 2],
                )
                .id(&id)
                .text(&format!("attempt {i}"))
                .mention(&["bob"])
                .build();
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                store
                    .insert_message(
                        &app,
                        message,
                        InsertMessage {
                            bump_last_message_at: true,
                            keep_channel_hidden: false,
                        },
                    )
                    .await
            }));
        }
        let mut ok = Vec::new();
        for r in join_all(handles).await {
            match r {
                Ok(inserted) => ok.push(inserted.message),
                Err(StoreError::Duplicate { .. }) => {}
                Err(e) => panic!("round {round}: expected Ok or Duplicate, got {e:?}"),
            }
        }
        assert_eq!(ok.len(), 1, "round {round}: exactly one send succeeds");
        assert_eq!(ctx.message(&mid(&id)).await, ok[0], "round {round}");
    }
    let mut listed = Vec::new();
    let mut total = 0;
    for cid in &channels {
        let counters = ctx.counters(cid).await;
        let page = ctx
            .store
            .channel_messages(&ctx.app, cid, &MessagePage::latest(100))
            .await
            .expect("channel_messages");
        assert_eq!(counters.message_count, page.len() as u64, "{cid}");
        assert_eq!(counters.last_seq, page.len() as u64, "{cid}");
        total += counters.message_count;
        listed.extend(ids(&page));
    }
    assert_eq!(
        total, ROUNDS as u64,
        "one message per round in all channels together"
    );
    let expected: Vec<String> = (0..ROUNDS).map(|r| format!("retried-{r:02}")).collect();
    assert_eq!(sorted(listed), expected, "each id listed once");
}

/// Concurrent sends of distinct messages take distinct sequences `1..=n`; counters are
/// exact.
pub async fn concurrent_sends_take_distinct_seqs(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    let per_task = 8;
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let store = ctx.store.clone();
        let app = ctx.app.clone();
        let author = ["alice", "bob"][i % 2];
        let messages: Vec<Message> = (0..per_task)
            .map(|_| ctx.msg(&ch.cid, author).build())
            .collect();
        handles.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for m in messages {
                let inserted = store
                    .insert_message(
                        &app,
                        m,
                        InsertMessage {
                            bump_last_message_at: true,
                            keep_channel_hidden: false,
                        },
                    )
                    .await
                    .expect("insert_message");
                seqs.push(inserted.message.seq);
            }
            seqs
        }));
    }
    let seqs: Vec<u64> = join_all(handles).await.into_iter().flatten().collect();
    let n = (TASKS * per_task) as u64;
    let distinct: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(distinct, (1..=n).collect(), "every seq taken exactly once");
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!((counters.last_seq, counters.message_count), (n, n));
    assert_eq!(ctx.unread(&ch.cid, "carol").await, n);
}

/// Concurrent replies to one parent: `reply_count` exact, each participant listed once.
pub async fn concurrent_replies_count_exactly(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let people = ["alice", "bob", "carol", "dave"];
    let ch = ctx.channel("general", &people).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let store = ctx.store.clone();
        let app = ctx.app.clone();
        let reply = ctx.reply(&parent, people[i % people.len()]).build();
        handles.push(tokio::spawn(async move {
            store
                .insert_message(&app, reply, InsertMessage::default())
                .await
                .expect("insert reply")
        }));
    }
    join_all(handles).await;
    let after = ctx.message(&parent.id).await;
    assert_eq!(after.thread.reply_count, TASKS as u32);
    assert_eq!(
        sorted(user_ids(&after.thread.participants)),
        strings(&people),
        "each participant once"
    );
    let page = ctx
        .store
        .thread_replies(&ctx.app, &parent.id, &MessagePage::latest(100))
        .await
        .expect("thread_replies");
    assert_eq!(page.len(), TASKS);
    assert_eq!(ctx.counters(&ch.cid).await.message_count, TASKS as u64 + 1);
}

/// Concurrent reactions by many users (and repeats of the same one): group counts and
/// sums exact, `latest` at most 10.
pub async fn concurrent_reactions_count_exactly(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let users: Vec<String> = (0..TASKS).map(|i| format!("u{i:02}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let ch = ctx.channel("general", &names).await;
    let m = ctx.send(&ch.cid, "u00").await;
    let mut handles = Vec::new();
    for (i, user) in names.iter().enumerate() {
        for _ in 0..2 {
            let store = ctx.store.clone();
            let app = ctx.app.clone();
            let reaction = new_reaction(&m.id, user, "like", 2, t(10 + i as i64));
            handles.push(tokio::spawn(async move {
                store
                    .upsert_reaction(&app, reaction, false)
                    .await
                    .expect("upsert_reaction")
            }));
        }
    }
    let changes = join_all(handles).await;
    let updated = changes.iter().filter(|c| c.updated).count();
    assert_eq!(updated, TASKS, "the second of each pair replaces the first");
    let msg = ctx.message(&m.id).await;
    let like = msg.reactions.groups["like"];
    assert_eq!(
        (like.count, like.sum_scores),
        (TASKS as u32, 2 * TASKS as u64)
    );
    assert_eq!(msg.reactions.latest.len(), 10);
    let listed = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 100, 0)
        .await
        .expect("list_reactions");
    assert_eq!(listed.len(), TASKS);
}

/// Concurrent `add_members` of overlapping sets: each user added once, `member_count`
/// exact.
pub async fn concurrent_add_members_count_exactly(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["owner"]).await;
    let users: Vec<String> = (0..TASKS).map(|i| format!("u{i:02}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    ctx.users(&names).await;
    let mut handles = Vec::new();
    for i in 0..TASKS {
        let store = ctx.store.clone();
        let app = ctx.app.clone();
        let cid = ch.cid.clone();
        // Task i adds u(i) and u(i+1): every user is offered twice.
        let members = vec![
            new_member(&cid, names[i]),
            new_member(&cid, names[(i + 1) % TASKS]),
        ];
        handles.push(tokio::spawn(async move {
            store
                .add_members(&app, &cid, members)
                .await
                .expect("add_members")
        }));
    }
    let added: Vec<String> = join_all(handles)
        .await
        .into_iter()
        .flatten()
        .map(|m| m.user_id.to_string())
        .collect();
    assert_eq!(
        sorted(added),
        users,
        "each user reported added exactly once"
    );
    assert_eq!(ctx.counters(&ch.cid).await.member_count, TASKS as u32 + 1);
    let ids = ctx
        .store
        .member_ids(&ctx.app, &ch.cid)
        .await
        .expect("member_ids");
    assert_eq!(ids.len(), TASKS + 1);
}

/// Concurrent updates from the same read version: exactly one wins, the rest get
/// `VersionConflict` (users, channels, members and messages alike).
pub async fn concurrent_updates_one_version_wins(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let user = ctx.user("alice").await;
    let member = ctx.member(&ch.cid, "bob").await.expect("bob is a member");
    let message = ctx.send(&ch.cid, "alice").await;
    let ch = ctx.get_channel(&ch.cid).await;

    fn tally<T>(results: Vec<chat_core::StoreResult<T>>, what: &str) {
        let mut ok = 0;
        for r in results {
            match r {
                Ok(_) => ok += 1,
                Err(StoreError::VersionConflict { .. }) => {}
                Err(e) => panic!("{what}: expected Ok or VersionConflict, got {e:?}"),
            }
        }
        assert_eq!(ok, 1, "{what}: exactly one update from one version wins");
    }

    let mut users = Vec::new();
    let mut channels = Vec::new();
    let mut members = Vec::new();
    let mut messages = Vec::new();
    for i in 0..TASKS {
        let (store, app) = (ctx.store.clone(), ctx.app.clone());
        let mut u = user.clone();
        u.custom.insert("writer", json!(i));
        users.push(tokio::spawn(
            async move { store.update_user(&app, u).await },
        ));

        let (store, app) = (ctx.store.clone(), ctx.app.clone());
        let mut c = ch.clone();
        c.custom.insert("writer", json!(i));
        channels.push(tokio::spawn(
            async move { store.update_channel(&app, c).await },
        ));

        let (store, app) = (ctx.store.clone(), ctx.app.clone());
        let mut m = member.clone();
        m.custom.insert("writer", json!(i));
        members.push(tokio::spawn(
            async move { store.update_member(&app, m).await },
        ));

        let (store, app) = (ctx.store.clone(), ctx.app.clone());
        let mut msg = message.clone();
        msg.text = format!("edit {i}");
        messages.push(tokio::spawn(async move {
            store.update_message(&app, msg).await
        }));
    }
    tally(join_all(users).await, "update_user");
    tally(join_all(channels).await, "update_channel");
    tally(join_all(members).await, "update_member");
    tally(join_all(messages).await, "update_message");
    assert_eq!(ctx.get_channel(&ch.cid).await.version, ch.version + 1);
    assert_eq!(ctx.message(&message.id).await.version, message.version + 1);
}
