//! Group commit of sends: concurrent sends share batches, each send gets its own result,
//! and a failed batch fails all of its sends and writes nothing.
//!
//! To put chosen sends into one batch without timing, a test holds a channel row lock on
//! its own connection: the committer's first batch waits on it (seen through
//! `pg_blocking_pids`), the next sends wait in the queue one by one (seen through
//! `send_stats().queued`, which also fixes their arrival order), and releasing the lock
//! lets the committer take them all as the second batch. Each case runs on a fresh schema
//! of the database at `DATABASE_URL`; an unreachable database fails, never skips.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::ids::{Cid, MessageId};
use chat_core::read_state::MessageFlags;
use chat_core::store::{InsertMessage, InsertedMessage, MemberStore, MessageStore, Store};
use chat_core::{StoreError, StoreResult};
use chat_store_conformance::fixtures::{cid, expect_duplicate, expect_not_found, mid, uid, Ctx};
use chat_store_postgres::PgStore;
use sqlx::{Connection, Executor, PgConnection};
use tokio::task::JoinHandle;

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long a test waits for the committer or the queue to reach a state before failing.
const DEADLINE: Duration = Duration::from_secs(30);

fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// A store on a fresh schema and a fixture context (app `app-1`) on it.
async fn setup() -> (Arc<PgStore>, Ctx) {
    let url = database_url();
    let store = Arc::new(PgStore::with_fresh_schema(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} must be reachable (run scripts/ensure-services.sh): {e}")
    }));
    let ctx = Ctx::new(store.clone() as Arc<dyn Store>).await;
    (store, ctx)
}

fn opts() -> InsertMessage {
    InsertMessage {
        bump_last_message_at: true,
        keep_channel_hidden: false,
    }
}

/// A transaction on its own connection that holds a channel row lock, so the committer's
/// batch that touches the channel waits.
struct Blocker {
    conn: PgConnection,
    pid: i32,
    admin: PgConnection,
    /// Backends terminated so far (they may still show as waiting for a moment).
    killed: Vec<i32>,
}

impl Blocker {
    async fn lock(store: &PgStore, cid: &Cid) -> Self {
        let schema = store.schema().expect("a fresh-schema store");
        let mut conn = PgConnection::connect(&database_url())
            .await
            .expect("connect");
        let admin = PgConnection::connect(&database_url())
            .await
            .expect("connect");
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .expect("pid");
        conn.execute("BEGIN").await.expect("begin");
        sqlx::query(&format!(
            "SELECT 1 FROM {schema}.channels WHERE app_id = 'app-1' AND cid = $1 FOR UPDATE"
        ))
        .bind(cid.as_str())
        .fetch_one(&mut conn)
        .await
        .expect("lock the channel row");
        Self {
            conn,
            pid,
            admin,
            killed: Vec::new(),
        }
    }

    /// The backend of the committer's batch, once it waits for this lock.
    async fn waiter(&mut self) -> i32 {
        let started = Instant::now();
        loop {
            let waiting: Option<i32> = sqlx::query_scalar(
                "SELECT pid FROM pg_stat_activity \
                 WHERE $1 = ANY(pg_blocking_pids(pid)) AND pid <> ALL($2) LIMIT 1",
            )
            .bind(self.pid)
            .bind(&self.killed)
            .fetch_optional(&mut self.admin)
            .await
            .expect("pg_blocking_pids");
            if let Some(pid) = waiting {
                return pid;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "the committer never waited for the lock"
            );
            tokio::task::yield_now().await;
        }
    }

    /// Kills the backend that waits for the lock: its batch fails as if the database went
    /// away.
    async fn kill_waiter(&mut self) {
        let pid = self.waiter().await;
        let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&mut self.admin)
            .await
            .expect("pg_terminate_backend");
        assert!(killed, "terminate the committer's backend");
        self.killed.push(pid);
    }

    async fn release(mut self) {
        self.conn.execute("COMMIT").await.expect("commit");
    }
}

/// Queues a send and waits until it is in the queue (`queued` reaches `queued_after`), so
/// sends queue in the order of the calls.
async fn queue(
    store: &Arc<PgStore>,
    ctx: &Ctx,
    message: chat_core::model::Message,
    opts: InsertMessage,
    queued_after: u64,
) -> JoinHandle<StoreResult<InsertedMessage>> {
    let (s, app) = (store.clone(), ctx.app.clone());
    let handle = tokio::spawn(async move { s.insert_message(&app, message, opts).await });
    let started = Instant::now();
    while store.send_stats().queued < queued_after {
        assert!(started.elapsed() < DEADLINE, "the send never queued");
        tokio::task::yield_now().await;
    }
    handle
}

async fn join(
    handles: Vec<JoinHandle<StoreResult<InsertedMessage>>>,
) -> Vec<StoreResult<InsertedMessage>> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("send task panicked"));
    }
    out
}

/// 64 concurrent sends into one channel: the 63 that queue behind the first commit as one
/// batch, seqs are 1..=64 in arrival order, each send sees the channel right after it, and
/// the counters, cursors and mention flags are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_into_one_channel_share_a_batch_with_contiguous_seqs() {
    let (store, ctx) = setup().await;
    let ch = ctx
        .channel("general", &["alice", "bob", "carol", "dave"])
        .await;
    let n = 64_u64;
    let messages: Vec<_> = (0..n)
        .map(|k| {
            let author = if k % 2 == 0 { "alice" } else { "bob" };
            let b = ctx.msg(&ch.cid, author);
            // Every 8th mentions carol (twice: one flag row all the same).
            if k % 8 == 0 {
                b.mention(&["carol", "carol"]).build()
            } else {
                b.build()
            }
        })
        .collect();

    let blocker = Blocker::lock(&store, &ch.cid).await;
    let mut blocker = blocker;
    let mut handles = Vec::new();
    let mut messages = messages.into_iter();
    let first = messages.next().expect("a first message");
    let (s, app) = (store.clone(), ctx.app.clone());
    handles.push(tokio::spawn(async move {
        s.insert_message(&app, first, opts()).await
    }));
    blocker.waiter().await;
    for (queued, m) in (1..).zip(messages.by_ref()) {
        handles.push(queue(&store, &ctx, m, opts(), queued).await);
    }
    blocker.release().await;
    let results = join(handles).await;

    let stats = store.send_stats();
    assert_eq!(
        (stats.batches, stats.sends, stats.largest_batch),
        (2, n, n - 1)
    );
    let sent: Vec<InsertedMessage> = results
        .into_iter()
        .map(|r| r.expect("every send succeeds"))
        .collect();
    for (k, s) in (1_u64..).zip(&sent) {
        assert_eq!(s.message.seq, k, "seq in arrival order");
        assert!(s.message.counted);
        assert_eq!(
            s.channel.counters.last_seq, k,
            "channel right after send {k}"
        );
        assert_eq!(s.channel.counters.message_count, k);
        assert_eq!(
            s.channel.counters.last_message_at,
            Some(s.message.created_at)
        );
        assert!(s.unhidden.is_empty());
    }
    let last = sent.last().expect("sends");
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!((counters.last_seq, counters.message_count), (n, n));
    assert_eq!(counters.last_message_at, Some(last.message.created_at));

    // Cursors: each author's moved once, to their last message.
    let alice_last = &sent[(n - 2) as usize].message;
    let alice = ctx.read_state(&ch.cid, "alice").await;
    assert_eq!(alice.last_read_seq, n - 1);
    assert_eq!(alice.last_read_message_id.as_ref(), Some(&alice_last.id));
    assert_eq!(alice.last_read_at, alice_last.created_at);
    assert_eq!(ctx.read_state(&ch.cid, "bob").await.last_read_seq, n);
    assert_eq!(ctx.unread(&ch.cid, "alice").await, 1);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    assert_eq!(ctx.unread(&ch.cid, "carol").await, n);

    // Mention flags for the mentioned user only.
    for (k, s) in sent.iter().enumerate() {
        let carol = ctx.flags("carol", &s.message.id).await;
        assert_eq!(
            carol.contains(MessageFlags::MENTIONED),
            k % 8 == 0,
            "send {k}"
        );
        assert_eq!(
            ctx.flags("dave", &s.message.id).await,
            MessageFlags::empty()
        );
    }
    let stored = store
        .get_messages(&ctx.app, std::slice::from_ref(&last.message.id))
        .await
        .expect("get_messages");
    assert_eq!(stored, vec![last.message.clone()]);
}

/// A repeated id fails only its own send: inside one batch (the first occurrence is
/// written) and across batches; the batch's other sends take contiguous seqs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_id_fails_only_its_own_send() {
    let (store, ctx) = setup().await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let earlier = ctx
        .msg(&ch.cid, "bob")
        .id("earlier")
        .text("first")
        .send()
        .await;
    assert_eq!(earlier.seq, 1);

    let mut blocker = Blocker::lock(&store, &ch.cid).await;
    let first = ctx.msg(&ch.cid, "alice").build();
    let (s, app) = (store.clone(), ctx.app.clone());
    let mut handles = vec![tokio::spawn(async move {
        s.insert_message(&app, first, opts()).await
    })];
    blocker.waiter().await;
    let batch = [
        ctx.msg(&ch.cid, "alice").id("x").text("original").build(),
        ctx.msg(&ch.cid, "bob").id("y").build(),
        ctx.msg(&ch.cid, "bob")
            .id("x")
            .text("repeat in the batch")
            .build(),
        ctx.msg(&ch.cid, "alice")
            .id("earlier")
            .text("repeat of a stored id")
            .build(),
        ctx.msg(&ch.cid, "alice").id("z").build(),
    ];
    for (queued, m) in (1..).zip(batch) {
        handles.push(queue(&store, &ctx, m, opts(), queued).await);
    }
    blocker.release().await;
    let mut results = join(handles).await.into_iter();
    assert_eq!(store.send_stats().largest_batch, 5);

    let first = results.next().expect("first").expect("first send");
    assert_eq!(first.message.seq, 2);
    let x = results.next().expect("x").expect("x is new");
    let y = results.next().expect("y").expect("y is new");
    expect_duplicate(results.next().expect("x again"), "x repeated in the batch");
    expect_duplicate(results.next().expect("earlier again"), "a stored id");
    let z = results.next().expect("z").expect("z is new");
    let seqs = [x.message.seq, y.message.seq, z.message.seq];
    assert_eq!(seqs, [3, 4, 5], "no seq lost to a refused send");
    assert_eq!(z.channel.counters.message_count, 5);
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!((counters.last_seq, counters.message_count), (5, 5));
    assert_eq!(ctx.message(&mid("x")).await.text, "original");
    assert_eq!(ctx.message(&mid("earlier")).await.text, "first");

    // Across batches: a lone repeat later is refused and changes nothing.
    let again = ctx.msg(&ch.cid, "bob").id("y").try_send().await;
    expect_duplicate(again, "a repeat in a later batch");
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!((counters.last_seq, counters.message_count), (5, 5));
}

/// One batch with sends into three channels, a missing channel, a reply to a missing
/// parent and a real reply: each channel is numbered on its own, each failure is its
/// send's alone, and the channel un-hides for the first send that asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_writes_several_channels() {
    let (store, ctx) = setup().await;
    let a = ctx.channel("a", &["alice", "bob"]).await;
    let b = ctx.channel("b", &["alice", "carol"]).await;
    let c = ctx.channel("c", &["bob", "carol"]).await;
    let parent = ctx.send(&b.cid, "carol").await;
    let mut hidden = ctx.member(&c.cid, "carol").await.expect("carol in c");
    hidden.hidden = true;
    store
        .update_member(&ctx.app, hidden)
        .await
        .expect("hide c for carol");

    let mut blocker = Blocker::lock(&store, &a.cid).await;
    let first = ctx.msg(&a.cid, "alice").build();
    let (s, app) = (store.clone(), ctx.app.clone());
    let mut handles = vec![tokio::spawn(async move {
        s.insert_message(&app, first, opts()).await
    })];
    blocker.waiter().await;
    let keep_hidden = InsertMessage {
        bump_last_message_at: true,
        keep_channel_hidden: true,
    };
    let batch = [
        (ctx.msg(&a.cid, "bob").build(), opts()),
        (ctx.msg(&c.cid, "bob").build(), keep_hidden),
        (ctx.msg(&b.cid, "alice").build(), opts()),
        (ctx.msg(&cid("missing"), "alice").build(), opts()),
        (ctx.msg(&c.cid, "bob").build(), opts()),
        (ctx.reply(&parent, "alice").build(), opts()),
        (
            ctx.msg(&b.cid, "alice").reply_to(&mid("nope")).build(),
            opts(),
        ),
        (ctx.msg(&a.cid, "alice").silent().build(), opts()),
        (ctx.msg(&c.cid, "carol").build(), opts()),
    ];
    for (queued, (m, o)) in (1..).zip(batch) {
        handles.push(queue(&store, &ctx, m, o, queued).await);
    }
    blocker.release().await;
    let mut results = join(handles).await.into_iter();
    let mut next = || results.next().expect("a result per send");
    assert_eq!(store.send_stats().largest_batch, 9);

    assert_eq!(next().expect("a, first").message.seq, 1);
    let a2 = next().expect("a, bob");
    assert_eq!((a2.message.seq, a2.channel.counters.last_seq), (2, 2));
    let c1 = next().expect("c, kept hidden");
    assert_eq!(c1.message.seq, 1);
    assert!(
        c1.unhidden.is_empty(),
        "keep_channel_hidden leaves carol hidden"
    );
    let b2 = next().expect("b, alice");
    assert_eq!(b2.message.seq, 2, "b had the parent already");
    expect_not_found(next(), "a send into a missing channel");
    let c2 = next().expect("c, un-hides");
    assert_eq!(c2.message.seq, 2);
    assert_eq!(c2.unhidden, vec![uid("carol")]);
    let reply = next().expect("a reply");
    assert!(!reply.message.counted, "a thread-only reply does not count");
    assert_eq!(
        reply.message.seq, 2,
        "a reply takes the channel's current seq"
    );
    let thread = reply.parent.expect("the parent after the reply").thread;
    assert_eq!(thread.reply_count, 1);
    assert_eq!(thread.participants, vec![uid("alice")]);
    expect_not_found(next(), "a reply to a missing parent");
    let silent = next().expect("a silent send");
    assert!(!silent.message.counted);
    assert_eq!(silent.message.seq, 2);
    assert_eq!(silent.channel.counters.message_count, 3);
    let c3 = next().expect("c, carol");
    assert_eq!(c3.message.seq, 3);
    assert!(
        c3.unhidden.is_empty(),
        "un-hidden once, by the first send that asked"
    );

    let (ca, cb, cc) = (
        ctx.counters(&a.cid).await,
        ctx.counters(&b.cid).await,
        ctx.counters(&c.cid).await,
    );
    assert_eq!((ca.last_seq, ca.message_count), (2, 3));
    assert_eq!((cb.last_seq, cb.message_count), (2, 3));
    assert_eq!((cc.last_seq, cc.message_count), (3, 3));
    assert!(!ctx.member(&c.cid, "carol").await.expect("carol").hidden);
    let (cursor, summary) = ctx.thread_read("alice", &parent.id).await;
    assert_eq!((cursor.last_read_reply_count, summary.reply_count), (1, 1));
    assert!(ctx.try_message(&mid("nope")).await.is_none());
}

/// A batch that fails (its connection dies) fails every send in it and writes none of
/// them; the next batch goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_fails_all_its_sends_and_writes_nothing() {
    let (store, ctx) = setup().await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;

    let mut blocker = Blocker::lock(&store, &ch.cid).await;
    let first = ctx.msg(&ch.cid, "alice").build();
    let first_id = first.id.clone();
    let (s, app) = (store.clone(), ctx.app.clone());
    let mut handles = vec![tokio::spawn(async move {
        s.insert_message(&app, first, opts()).await
    })];
    blocker.waiter().await;
    let mut ids: Vec<MessageId> = Vec::new();
    for queued in 1..=4 {
        let m = ctx.msg(&ch.cid, "bob").build();
        ids.push(m.id.clone());
        handles.push(queue(&store, &ctx, m, opts(), queued).await);
    }
    // The first batch (one send) dies; the second (four sends) then waits for the lock
    // too, and dies as well.
    blocker.kill_waiter().await;
    blocker.kill_waiter().await;
    blocker.release().await;
    for result in join(handles).await {
        match result {
            Err(StoreError::Unavailable(_)) => {}
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
    let stats = store.send_stats();
    assert_eq!((stats.batches, stats.largest_batch), (2, 4));
    ids.push(first_id);
    let stored = store
        .get_messages(&ctx.app, &ids)
        .await
        .expect("get_messages");
    assert!(stored.is_empty(), "nothing of a failed batch is written");
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!((counters.last_seq, counters.message_count), (0, 0));

    let after = ctx.send(&ch.cid, "alice").await;
    assert_eq!(after.seq, 1);
}
