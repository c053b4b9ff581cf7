//! `channel_messages` and `thread_replies` windows. Every page is compared with the
//! reference [`select_window`] over the full `(created_at, id)`-sorted list, and walks
//! with each cursor kind must cover the list with no gap and no duplicate.
//!
//! The seeded channels hold 1,000 listed messages inserted in an order unrelated to their
//! creation time, with ids whose order is unrelated to both, mixed with thread-only
//! replies and another channel's messages that must never show up.

use std::sync::Arc;

use chat_core::ids::{Cid, MessageId};
use chat_core::model::Message;
use chat_core::query::{select_window, MessageCursor, MessagePage};
use chat_core::store::Store;
use chat_core::time::Timestamp;

use crate::fixtures::*;

/// Listed messages in a seeded channel.
const N: usize = 1_000;
/// Page size of the walks (does not divide `N`).
const LIMIT: usize = 37;
/// Seconds between distinct creation times.
const GAP: i64 = 2;
/// First creation time of the seeded messages, in seconds after the fixture origin.
const START: i64 = 100_000;

/// Which list is paged.
#[derive(Clone)]
enum Source {
    Channel(Cid),
    Thread(MessageId),
}

struct Seeded {
    ctx: Ctx,
    source: Source,
    /// The candidates, `(created_at, id)` ascending.
    all: Vec<Message>,
}

impl Seeded {
    fn refs(&self) -> Vec<&Message> {
        self.all.iter().collect()
    }

    fn reference(&self, page: &MessagePage) -> Vec<String> {
        let refs = self.refs();
        let window = select_window(&refs, page).expect("reference window");
        ref_ids(&window)
    }

    async fn fetch(&self, page: &MessagePage) -> chat_core::StoreResult<Vec<Message>> {
        match &self.source {
            Source::Channel(cid) => {
                self.ctx
                    .store
                    .channel_messages(&self.ctx.app, cid, page)
                    .await
            }
            Source::Thread(parent) => {
                self.ctx
                    .store
                    .thread_replies(&self.ctx.app, parent, page)
                    .await
            }
        }
    }

    /// Fetches a page and asserts it equals the reference window.
    async fn check(&self, page: &MessagePage) -> Vec<Message> {
        let got = self
            .fetch(page)
            .await
            .unwrap_or_else(|e| panic!("page {page:?}: {e:?}"));
        assert_eq!(
            ids(&got),
            self.reference(page),
            "page {page:?} differs from select_window"
        );
        got
    }

    fn all_ids(&self) -> Vec<String> {
        ids(&self.all)
    }
}

fn page(cursor: MessageCursor, limit: usize) -> MessagePage {
    MessagePage {
        cursor,
        limit,
        created_after: None,
    }
}

/// Position `i` of the insertion order → its creation slot: a permutation of `0..N`.
fn slot(i: usize) -> usize {
    (i * 613) % N
}

/// Position `i` of the insertion order → its id: another permutation, so id order is
/// unrelated to both insertion and creation order.
fn seeded_id(i: usize) -> String {
    format!("p{:04}", (i * 379) % N)
}

/// A channel with `N` listed messages. With `ties`, creation times come in 20 groups of 50
/// equal instants, so only the id orders messages inside a group.
async fn seed_channel(store: Arc<dyn Store>, ties: bool) -> Seeded {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("paged", &["alice", "bob"]).await;
    let other = ctx.channel("noise", &["alice", "bob"]).await;
    let mut all = Vec::with_capacity(N);
    for i in 0..N {
        let at = if ties {
            t(START + (slot(i) / 50) as i64 * GAP)
        } else {
            t(START + slot(i) as i64 * GAP)
        };
        let author = if i % 3 == 0 { "bob" } else { "alice" };
        let mut b = ctx.msg(&ch.cid, author).id(&seeded_id(i)).at(at);
        if i % 11 == 0 {
            b = b.silent();
        }
        if i % 13 == 0 {
            b = b.system();
        }
        let m = b.send().await;
        if i % 97 == 0 {
            // Noise: a thread-only reply (not listed) and another channel's message at the
            // same instant.
            ctx.reply(&m, "bob").at(at).send().await;
            ctx.msg(&other.cid, "alice").at(at).send().await;
        }
        if i % 101 == 0 && i > 0 {
            // A reply shown in the channel is listed.
            all.push(
                ctx.reply(&m, "alice")
                    .show_in_channel()
                    .at(at.plus_micros(1))
                    .send()
                    .await,
            );
        }
        all.push(m);
    }
    all.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Seeded {
        ctx,
        source: Source::Channel(ch.cid),
        all,
    }
}

/// Walks newest to oldest with `Latest` then `Lt(first of page)`.
async fn walk_lt(s: &Seeded, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cursor = MessageCursor::Latest;
    loop {
        let got = s.check(&page(cursor, limit)).await;
        assert!(got.len() <= limit);
        let Some(first) = got.first() else { break };
        cursor = MessageCursor::Lt(first.id.clone());
        let mut next = ids(&got);
        next.extend(out);
        out = next;
    }
    out
}

/// Walks oldest to newest with `Gt(last of page)`, starting after the first message.
async fn walk_gt(s: &Seeded, limit: usize) -> Vec<String> {
    let first = s.all.first().expect("seeded");
    let mut out = vec![first.id.to_string()];
    let mut cursor = MessageCursor::Gt(first.id.clone());
    loop {
        let got = s.check(&page(cursor, limit)).await;
        let Some(last) = got.last() else { break };
        cursor = MessageCursor::Gt(last.id.clone());
        out.extend(ids(&got));
    }
    out
}

/// Positions probed by point checks: the edges and every 23rd message.
fn probe_positions(len: usize) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..len).step_by(23).collect();
    positions.extend([1, 2, len.saturating_sub(2), len.saturating_sub(1)]);
    positions.sort_unstable();
    positions.dedup();
    positions.retain(|&p| p < len);
    positions
}

/// Instants probed by time cursors: every distinct creation time, one microsecond on
/// either side of it, and instants before and after everything.
fn probe_times(s: &Seeded, every: usize) -> Vec<Timestamp> {
    let mut times: Vec<Timestamp> = s.all.iter().map(|m| m.created_at).collect();
    times.dedup();
    let mut probes: Vec<Timestamp> = Vec::new();
    for (i, at) in times.iter().enumerate() {
        if i % every == 0 || i + 1 == times.len() {
            probes.extend([at.plus_micros(-1), *at, at.plus_micros(1)]);
        }
    }
    probes.push(t(0));
    probes.push(t(START * 10));
    probes
}

fn time_cursors(at: Timestamp) -> [MessageCursor; 5] {
    [
        MessageCursor::CreatedBefore(at),
        MessageCursor::CreatedBeforeOrEqual(at),
        MessageCursor::CreatedAfter(at),
        MessageCursor::CreatedAfterOrEqual(at),
        MessageCursor::CreatedAround(at),
    ]
}

fn assert_no_gaps(s: &Seeded, walked: Vec<String>, how: &str) {
    assert_eq!(
        walked.len(),
        s.all.len(),
        "{how}: walked {} messages",
        walked.len()
    );
    assert_eq!(
        walked,
        s.all_ids(),
        "{how}: the walk must give every message once, in order"
    );
}

/// `Latest` then `Lt(first of page)` pages through all 1,000 messages with no gap and no
/// duplicate, each page equal to `select_window`.
pub async fn latest_then_lt_walks_everything(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let walked = walk_lt(&s, LIMIT).await;
    assert_no_gaps(&s, walked, "Latest/Lt walk");
    let latest = s.check(&MessagePage::latest(LIMIT)).await;
    assert_eq!(latest.len(), LIMIT);
    assert_eq!(
        s.check(&MessagePage::latest(0)).await.len(),
        0,
        "limit 0 is empty"
    );
    let everything = s.check(&MessagePage::latest(N * 2)).await;
    assert_eq!(ids(&everything), s.all_ids());
}

/// `Lte(first of page)` pages overlap by exactly the cursor message and otherwise cover
/// everything.
pub async fn lte_walk_overlaps_by_one(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let mut out: Vec<String> = Vec::new();
    let mut cursor_id = s.all.last().expect("seeded").id.clone();
    loop {
        let got = s
            .check(&page(MessageCursor::Lte(cursor_id.clone()), LIMIT))
            .await;
        assert_eq!(
            got.last().map(|m| &m.id),
            Some(&cursor_id),
            "Lte includes its message as the newest"
        );
        let full = got.len() == LIMIT;
        let mut next = ids(&got);
        if !out.is_empty() {
            next.pop();
        }
        next.extend(out);
        out = next;
        if !full {
            break;
        }
        cursor_id = got[0].id.clone();
    }
    assert_no_gaps(&s, out, "Lte walk");
}

/// `Gt(last of page)` pages through everything with no gap and no duplicate.
pub async fn gt_walk_walks_everything(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let walked = walk_gt(&s, LIMIT).await;
    assert_no_gaps(&s, walked, "Gt walk");
}

/// `Gte(last of page)` pages overlap by exactly the cursor message and otherwise cover
/// everything.
pub async fn gte_walk_overlaps_by_one(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let mut out: Vec<String> = Vec::new();
    let mut cursor_id = s.all.first().expect("seeded").id.clone();
    loop {
        let got = s
            .check(&page(MessageCursor::Gte(cursor_id.clone()), LIMIT))
            .await;
        assert_eq!(
            got.first().map(|m| &m.id),
            Some(&cursor_id),
            "Gte includes its message as the oldest"
        );
        let full = got.len() == LIMIT;
        let mut next = ids(&got);
        if !out.is_empty() {
            next.remove(0);
        }
        out.extend(next);
        if !full {
            break;
        }
        cursor_id = got[got.len() - 1].id.clone();
    }
    assert_no_gaps(&s, out, "Gte walk");
}

/// `Around(id)` returns `(limit-1)/2` older messages, the message, and the rest newer
/// (fewer at the edges), for odd, even, 1 and 0 limits.
pub async fn around_centres_on_the_message(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    for pos in probe_positions(s.all.len()) {
        let target = &s.all[pos];
        for limit in [LIMIT, 10, 1, 0] {
            let got = s
                .check(&page(MessageCursor::Around(target.id.clone()), limit))
                .await;
            if limit == 0 {
                assert!(got.is_empty());
                continue;
            }
            let at = got
                .iter()
                .position(|m| m.id == target.id)
                .unwrap_or_else(|| panic!("Around({}) includes the message", target.id));
            assert_eq!(
                at,
                pos.min((limit - 1) / 2),
                "Around({}) limit {limit}",
                target.id
            );
        }
    }
}

/// `Latest` then `CreatedBefore(first of page)` covers everything when creation times are
/// distinct.
pub async fn created_before_walk_walks_everything(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let mut out: Vec<String> = Vec::new();
    let mut cursor = MessageCursor::Latest;
    loop {
        let got = s.check(&page(cursor, LIMIT)).await;
        let Some(first) = got.first() else { break };
        cursor = MessageCursor::CreatedBefore(first.created_at);
        let mut next = ids(&got);
        next.extend(out);
        out = next;
    }
    // Replies shown in the channel sit one microsecond after their parent; nothing else
    // shares an instant.
    assert_no_gaps(&s, out, "CreatedBefore walk");
}

/// `CreatedAfter(last of page)` from before the first message covers everything when
/// creation times are distinct.
pub async fn created_after_walk_walks_everything(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let mut out: Vec<String> = Vec::new();
    let mut cursor = MessageCursor::CreatedAfter(t(0));
    loop {
        let got = s.check(&page(cursor, LIMIT)).await;
        let Some(last) = got.last() else { break };
        cursor = MessageCursor::CreatedAfter(last.created_at);
        out.extend(ids(&got));
    }
    assert_no_gaps(&s, out, "CreatedAfter walk");
}

/// Every time cursor kind equals `select_window` at instants on, just before and just
/// after message times, and outside the range.
pub async fn time_cursors_match_reference(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    for at in probe_times(&s, 29) {
        for cursor in time_cursors(at) {
            for limit in [LIMIT, 10, 1] {
                s.check(&page(cursor.clone(), limit)).await;
            }
        }
    }
}

/// With many equal creation times, id cursors order and split ties by id: `Lt` and `Gt`
/// walks cover everything, `Lte`/`Gte`/`Around` equal the reference.
pub async fn equal_timestamps_break_ties_by_id(store: Arc<dyn Store>) {
    let s = seed_channel(store, true).await;
    let everything = s.check(&MessagePage::latest(N * 2)).await;
    assert_eq!(ids(&everything), s.all_ids(), "sorted by (created_at, id)");
    let walked = walk_lt(&s, LIMIT).await;
    assert_no_gaps(&s, walked, "Lt walk over ties");
    let walked = walk_gt(&s, 50).await;
    assert_no_gaps(&s, walked, "Gt walk over ties");
    for pos in probe_positions(s.all.len()) {
        let id = s.all[pos].id.clone();
        for cursor in [
            MessageCursor::Lte(id.clone()),
            MessageCursor::Gte(id.clone()),
            MessageCursor::Around(id.clone()),
        ] {
            s.check(&page(cursor, LIMIT)).await;
        }
    }
}

/// With many equal creation times, every time cursor kind equals the reference (a cursor
/// instant takes or leaves a whole group of ties).
pub async fn equal_timestamps_time_cursors_match_reference(store: Arc<dyn Store>) {
    let s = seed_channel(store, true).await;
    for at in probe_times(&s, 1) {
        for cursor in time_cursors(at) {
            for limit in [LIMIT, 50, 7] {
                s.check(&page(cursor.clone(), limit)).await;
            }
        }
    }
}

/// `created_after` hides older messages from every cursor kind; an id cursor on a hidden
/// message is `NotFound`.
pub async fn created_after_hides_older_messages(store: Arc<dyn Store>) {
    let s = seed_channel(store, false).await;
    let cut = s.all[N / 3].created_at;
    let visible: Vec<String> = s
        .all
        .iter()
        .filter(|m| m.created_at > cut)
        .map(|m| m.id.to_string())
        .collect();
    let with_cut = |cursor: MessageCursor, limit: usize| MessagePage {
        cursor,
        limit,
        created_after: Some(cut),
    };

    // Walk back from the latest: stops at the cut.
    let mut out: Vec<String> = Vec::new();
    let mut cursor = MessageCursor::Latest;
    loop {
        let got = s.check(&with_cut(cursor, LIMIT)).await;
        let Some(first) = got.first() else { break };
        cursor = MessageCursor::Lt(first.id.clone());
        let mut next = ids(&got);
        next.extend(out);
        out = next;
    }
    assert_eq!(out, visible, "the walk ends at created_after");

    let some_visible = s.all[N / 2].id.clone();
    for cursor in [
        MessageCursor::Lt(some_visible.clone()),
        MessageCursor::Lte(some_visible.clone()),
        MessageCursor::Gt(some_visible.clone()),
        MessageCursor::Gte(some_visible.clone()),
        MessageCursor::Around(some_visible),
        MessageCursor::CreatedBefore(s.all[N / 2].created_at),
        MessageCursor::CreatedAfter(t(0)),
        MessageCursor::CreatedAfterOrEqual(cut),
        MessageCursor::CreatedAround(cut),
        MessageCursor::CreatedAround(s.all[N / 3 + 5].created_at),
    ] {
        let got = s.check(&with_cut(cursor, LIMIT)).await;
        assert!(
            got.iter().all(|m| m.created_at > cut),
            "nothing at or before the cut"
        );
    }
    let hidden = s.all[N / 3].id.clone();
    expect_not_found(
        s.fetch(&with_cut(MessageCursor::Around(hidden.clone()), LIMIT))
            .await,
        "Around a message hidden by created_after",
    );
    expect_not_found(
        s.fetch(&with_cut(MessageCursor::Lt(hidden), LIMIT)).await,
        "Lt a message hidden by created_after",
    );
}

/// An id cursor naming a message that is not a candidate (missing, in another channel, a
/// thread-only reply) is `NotFound`, as in `select_window`.
pub async fn unknown_cursor_id_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let other = ctx.channel("other", &["alice", "bob"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    ctx.send(&ch.cid, "bob").await;
    let thread_only = ctx.reply(&parent, "bob").send().await;
    let elsewhere = ctx.send(&other.cid, "alice").await;
    for (id, what) in [
        (mid("missing"), "a missing message"),
        (thread_only.id.clone(), "a thread-only reply"),
        (elsewhere.id.clone(), "another channel's message"),
    ] {
        for cursor in [
            MessageCursor::Lt(id.clone()),
            MessageCursor::Lte(id.clone()),
            MessageCursor::Gt(id.clone()),
            MessageCursor::Gte(id.clone()),
            MessageCursor::Around(id.clone()),
        ] {
            let result = ctx
                .store
                .channel_messages(&ctx.app, &ch.cid, &page(cursor.clone(), 10))
                .await;
            expect_not_found(result, &format!("channel_messages {cursor:?} on {what}"));
        }
    }
    let result = ctx
        .store
        .thread_replies(
            &ctx.app,
            &parent.id,
            &page(MessageCursor::Around(parent.id.clone()), 10),
        )
        .await;
    expect_not_found(result, "thread_replies around the parent itself");
}

/// Soft-deleted messages and replies are still stored rows of the list and stay in pages
/// (with `deleted_at` set); hard-deleted ones are gone.
pub async fn soft_deleted_messages_stay_in_pages(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "bob").await;
    let m3 = ctx.send(&ch.cid, "alice").await;
    let r1 = ctx.reply(&m1, "bob").send().await;
    let r2 = ctx.reply(&m1, "alice").send().await;
    ctx.soft_delete(&m2.id).await;
    ctx.soft_delete(&r1.id).await;
    ctx.hard_delete(&m3.id).await;
    let got = ctx
        .store
        .channel_messages(&ctx.app, &ch.cid, &MessagePage::latest(10))
        .await
        .expect("channel_messages");
    assert_eq!(ids(&got), ids(&[m1.clone(), m2.clone()]));
    assert!(
        got[1].deleted_at.is_some(),
        "the soft-deleted message is marked"
    );
    let replies = ctx
        .store
        .thread_replies(&ctx.app, &m1.id, &MessagePage::latest(10))
        .await
        .expect("thread_replies");
    assert_eq!(ids(&replies), ids(&[r1, r2]));
    assert!(replies[0].deleted_at.is_some());
}

/// `thread_replies` pages one parent's replies (thread-only and shown in channel alike),
/// oldest first, exactly as `select_window`; other threads never show up.
pub async fn thread_replies_pages_match_reference(store: Arc<dyn Store>) {
    const REPLIES: usize = 300;
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let other_parent = ctx.send(&ch.cid, "bob").await;
    let mut all = Vec::with_capacity(REPLIES);
    for i in 0..REPLIES {
        let at = t(START + ((i * 7) % REPLIES) as i64 * GAP);
        let author = ["alice", "bob", "carol"][i % 3];
        let mut b = ctx
            .msg(&ch.cid, author)
            .id(&format!("r{:04}", (i * 131) % REPLIES))
            .reply_to(&parent.id)
            .at(at);
        if i % 7 == 0 {
            b = b.show_in_channel();
        }
        all.push(b.send().await);
        if i % 50 == 0 {
            ctx.reply(&other_parent, "carol").at(at).send().await;
            ctx.msg(&ch.cid, "bob").at(at).send().await;
        }
    }
    all.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    assert_eq!(
        ctx.message(&parent.id).await.thread.reply_count,
        REPLIES as u32
    );
    let s = Seeded {
        ctx,
        source: Source::Thread(parent.id.clone()),
        all,
    };
    let walked = walk_lt(&s, 23).await;
    assert_no_gaps(&s, walked, "thread Lt walk");
    let walked = walk_gt(&s, 23).await;
    assert_no_gaps(&s, walked, "thread Gt walk");
    for pos in probe_positions(s.all.len()) {
        let id = s.all[pos].id.clone();
        for cursor in [
            MessageCursor::Lte(id.clone()),
            MessageCursor::Gte(id.clone()),
            MessageCursor::Around(id.clone()),
        ] {
            s.check(&page(cursor, 23)).await;
        }
    }
    for at in probe_times(&s, 37) {
        for cursor in time_cursors(at) {
            s.check(&page(cursor, 23)).await;
        }
    }
    let cut = s.all[REPLIES / 2].created_at;
    s.check(&MessagePage {
        cursor: MessageCursor::Latest,
        limit: REPLIES,
        created_after: Some(cut),
    })
    .await;
}
