//! `MessageStore`: the atomic insert (steps 1–7), update, delete and pinned messages.
//! Pagination is in [`crate::pagination`], unread arithmetic in [`crate::reads`].

use std::sync::Arc;

use chat_core::model::{Message, ReactionSummary, ThreadSummary};
use chat_core::query::MessagePage;
use chat_core::read_state::MessageFlags;
use chat_core::store::{Deletion, Store};
use serde_json::json;

use crate::fixtures::*;

async fn channel_list(ctx: &Ctx, cid: &chat_core::ids::Cid) -> Vec<String> {
    ids(&ctx
        .store
        .channel_messages(&ctx.app, cid, &MessagePage::latest(100))
        .await
        .expect("channel_messages"))
}

/// Counted messages take `last_seq + 1` and are stored with version 1; `message_count` and
/// `last_message_at` follow; the returned channel is the stored one.
pub async fn counted_messages_take_the_next_seq(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let draft = ctx.msg(&ch.cid, "alice").text("hello").build();
    let first = ctx
        .store
        .insert_message(
            &ctx.app,
            draft.clone(),
            chat_core::store::InsertMessage {
                bump_last_message_at: true,
                keep_channel_hidden: false,
            },
        )
        .await
        .expect("insert_message");
    assert_eq!(
        first.message,
        Message {
            seq: 1,
            counted: true,
            version: 1,
            ..draft
        },
        "stored as sent, with seq 1, counted, version 1"
    );
    assert_eq!(first.parent, None);
    assert!(first.unhidden.is_empty());
    assert_eq!(first.channel.counters.last_seq, 1);
    assert_eq!(first.channel.counters.message_count, 1);
    assert_eq!(
        first.channel.counters.last_message_at,
        Some(draft.created_at)
    );
    assert_eq!(first.channel, ctx.get_channel(&ch.cid).await);

    let second = ctx.msg(&ch.cid, "bob").sent().await;
    assert_eq!((second.message.seq, second.message.counted), (2, true));
    assert_eq!(second.channel.counters.last_seq, 2);
    assert_eq!(second.channel.counters.message_count, 2);
    assert_eq!(ctx.message(&first.message.id).await, first.message);
    assert_eq!(ctx.message(&second.message.id).await, second.message);
}

/// Silent and shadowed messages keep `seq = last_seq`, `counted = false`, but count in
/// `message_count` and are in the channel list.
pub async fn silent_and_shadowed_messages_are_not_counted(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "alice").await;
    let silent = ctx.msg(&ch.cid, "alice").silent().sent().await;
    assert_eq!((silent.message.seq, silent.message.counted), (1, false));
    assert_eq!(silent.channel.counters.last_seq, 1);
    assert_eq!(silent.channel.counters.message_count, 2);
    let shadowed = ctx.msg(&ch.cid, "bob").shadowed().sent().await;
    assert_eq!((shadowed.message.seq, shadowed.message.counted), (1, false));
    assert_eq!(shadowed.channel.counters.last_seq, 1);
    assert_eq!(shadowed.channel.counters.message_count, 3);
    let next = ctx.send(&ch.cid, "bob").await;
    assert_eq!((next.seq, next.counted), (2, true));
    assert_eq!(channel_list(&ctx, &ch.cid).await.len(), 4);
}

/// System messages count like regular ones; `bump_last_message_at = false` leaves
/// `last_message_at` alone.
pub async fn system_messages_are_counted(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let system = ctx.msg(&ch.cid, "alice").system().no_bump().sent().await;
    assert_eq!((system.message.seq, system.message.counted), (2, true));
    assert_eq!(system.channel.counters.last_seq, 2);
    assert_eq!(system.channel.counters.message_count, 2);
    assert_eq!(
        system.channel.counters.last_message_at,
        Some(m1.created_at),
        "not bumped when the caller says so"
    );
    let bumped = ctx.msg(&ch.cid, "alice").system().sent().await;
    assert_eq!(
        bumped.channel.counters.last_message_at,
        Some(bumped.message.created_at)
    );
}

/// A thread-only reply is not counted (`seq = last_seq`), counts in `message_count`, does
/// not move `last_message_at` and is not in the channel list.
pub async fn thread_only_reply_stays_out_of_the_channel(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let reply = ctx.reply(&parent, "bob").sent().await;
    assert_eq!((reply.message.seq, reply.message.counted), (1, false));
    assert_eq!(reply.channel.counters.last_seq, 1);
    assert_eq!(reply.channel.counters.message_count, 2);
    assert_eq!(
        reply.channel.counters.last_message_at,
        Some(parent.created_at),
        "a thread-only reply does not move last_message_at"
    );
    assert_eq!(channel_list(&ctx, &ch.cid).await, ids(&[parent]));
    assert_eq!(ctx.message(&reply.message.id).await, reply.message);
}

/// A reply shown in the channel is counted, moves `last_message_at` and is listed.
pub async fn show_in_channel_reply_is_counted(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let reply = ctx.reply(&parent, "bob").show_in_channel().sent().await;
    assert_eq!((reply.message.seq, reply.message.counted), (2, true));
    assert_eq!(reply.channel.counters.last_seq, 2);
    assert_eq!(
        reply.channel.counters.last_message_at,
        Some(reply.message.created_at)
    );
    assert_eq!(
        channel_list(&ctx, &ch.cid).await,
        ids(&[parent, reply.message.clone()])
    );
    let parent_after = reply.parent.expect("a reply returns its parent");
    assert_eq!(parent_after.thread.reply_count, 1);
}

/// An id already used in the app (in any channel) is `Duplicate`, and nothing changes.
pub async fn duplicate_id_is_refused(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let other = ctx.channel("other", &["alice", "bob"]).await;
    let first = ctx
        .msg(&ch.cid, "alice")
        .id("client-1")
        .text("first")
        .send()
        .await;
    let before = ctx.get_channel(&ch.cid).await;
    let other_before = ctx.get_channel(&other.cid).await;

    let again = ctx
        .msg(&ch.cid, "bob")
        .id("client-1")
        .text("second")
        .try_send()
        .await;
    expect_duplicate(again, "the same id in the same channel");
    let elsewhere = ctx
        .msg(&other.cid, "bob")
        .id("client-1")
        .mention(&["alice"])
        .try_send()
        .await;
    expect_duplicate(elsewhere, "the same id in another channel of the app");

    assert_eq!(
        ctx.message(&first.id).await,
        first,
        "the first message is kept"
    );
    assert_eq!(ctx.get_channel(&ch.cid).await, before, "no counter moved");
    assert_eq!(
        ctx.get_channel(&other.cid).await,
        other_before,
        "no counter moved"
    );
    assert_eq!(ctx.flags("alice", &first.id).await, MessageFlags::empty());
    assert_eq!(ctx.read_state(&ch.cid, "bob").await.last_read_seq, 0);
}

/// A message for a missing channel is `NotFound` and nothing is stored.
pub async fn insert_into_missing_channel_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.users(&["alice"]).await;
    let result = ctx
        .msg(&cid("missing"), "alice")
        .id("lost")
        .try_send()
        .await;
    expect_not_found(result, "insert_message into a missing channel");
    assert_eq!(ctx.try_message(&mid("lost")).await, None);
}

/// A reply whose parent is missing, or in another channel, is `NotFound` and changes
/// nothing.
pub async fn reply_to_missing_or_foreign_parent_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let other = ctx.channel("other", &["alice", "bob"]).await;
    let foreign = ctx.send(&other.cid, "alice").await;
    let before = ctx.get_channel(&ch.cid).await;

    let orphan = ctx
        .msg(&ch.cid, "bob")
        .id("orphan")
        .reply_to(&mid("no-such-parent"))
        .try_send()
        .await;
    expect_not_found(orphan, "reply to a missing parent");
    let cross = ctx
        .msg(&ch.cid, "bob")
        .id("cross")
        .reply_to(&foreign.id)
        .show_in_channel()
        .try_send()
        .await;
    expect_not_found(cross, "reply to a parent in another channel");

    assert_eq!(ctx.try_message(&mid("orphan")).await, None);
    assert_eq!(ctx.try_message(&mid("cross")).await, None);
    assert_eq!(ctx.get_channel(&ch.cid).await, before);
    assert_eq!(
        ctx.message(&foreign.id).await.thread,
        ThreadSummary::default()
    );
}

/// `last_message_at = max(last_message_at, created_at)`: an older message (clock skew)
/// never moves it back.
pub async fn last_message_at_only_moves_forward(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.msg(&ch.cid, "alice").at(t(500)).send().await;
    let older = ctx.msg(&ch.cid, "bob").at(t(400)).sent().await;
    assert_eq!(older.channel.counters.last_message_at, Some(t(500)));
    assert_eq!(older.channel.counters.last_seq, 2, "still counted");
    let newer = ctx.msg(&ch.cid, "bob").at(t(600)).sent().await;
    assert_eq!(newer.channel.counters.last_message_at, Some(t(600)));
}

/// The author's cursor moves to `max(cursor, seq)` (with `last_read_at`,
/// `last_read_message_id`, `own_after_cursor = 0`) only for channel-list messages and
/// only when the author is a member.
pub async fn author_cursor_moves_only_for_channel_messages(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let read = ctx.read_state(&ch.cid, "alice").await;
    assert_eq!(read.last_read_seq, 1);
    assert_eq!(read.last_read_at, m1.created_at);
    assert_eq!(read.last_read_message_id, Some(m1.id.clone()));
    assert_eq!(read.own_after_cursor, 0);
    assert_eq!(
        ctx.read_state(&ch.cid, "bob").await.last_read_seq,
        0,
        "others stay"
    );

    let m2 = ctx.send(&ch.cid, "bob").await;
    ctx.reply(&m2, "alice").send().await;
    let read = ctx.read_state(&ch.cid, "alice").await;
    assert_eq!(
        read.last_read_seq, 1,
        "a thread-only reply does not move the cursor"
    );
    assert_eq!(read.last_read_message_id, Some(m1.id.clone()));

    let silent = ctx.msg(&ch.cid, "alice").silent().send().await;
    let read = ctx.read_state(&ch.cid, "alice").await;
    assert_eq!(
        read.last_read_seq, 2,
        "silent message: cursor to its seq (= last_seq)"
    );
    assert_eq!(read.last_read_message_id, Some(silent.id.clone()));
    assert_eq!(read.last_read_at, silent.created_at);

    ctx.users(&["outsider"]).await;
    ctx.send(&ch.cid, "outsider").await;
    let outsider_reads = ctx
        .store
        .user_reads(&ctx.app, &uid("outsider"))
        .await
        .expect("user_reads");
    assert!(
        outsider_reads.is_empty(),
        "a non-member gets no cursor: {outsider_reads:?}"
    );
    assert_eq!(ctx.counters(&ch.cid).await.member_count, 2);
}

/// A reply bumps the parent's `reply_count`, sets `last_reply_at`, appends new
/// participants in order of first reply, and moves the author's thread cursor to the new
/// `reply_count`; the parent's own counters stay.
pub async fn replies_update_parent_and_thread_cursor(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let r1 = ctx.reply(&parent, "bob").sent().await;
    let r2 = ctx.reply(&parent, "carol").sent().await;
    let r3 = ctx.reply(&parent, "bob").sent().await;
    let after = r3.parent.clone().expect("a reply returns its parent");
    assert_eq!(
        after.thread,
        ThreadSummary {
            reply_count: 3,
            deleted_reply_count: 0,
            participants: vec![uid("bob"), uid("carol")],
            last_reply_at: Some(r3.message.created_at),
        }
    );
    assert_eq!(r1.parent.expect("parent").thread.reply_count, 1);
    assert_eq!(r2.parent.expect("parent").thread.participants.len(), 2);
    assert_eq!(
        ctx.message(&parent.id).await,
        after,
        "returned parent is the stored one"
    );
    assert_eq!((after.seq, after.counted), (parent.seq, parent.counted));

    let (bob, summary) = ctx.thread_read("bob", &parent.id).await;
    assert_eq!(bob.last_read_reply_count, 3);
    assert_eq!(bob.cid, ch.cid);
    assert_eq!(summary, after.thread);
    let (carol, _) = ctx.thread_read("carol", &parent.id).await;
    assert_eq!(
        carol.last_read_reply_count, 2,
        "carol has not seen bob's second reply"
    );
}

/// Each mentioned user gets `MENTIONED` on the message; others get nothing.
pub async fn mentioned_users_get_the_mentioned_flag(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx
        .channel("general", &["alice", "bob", "carol", "dave"])
        .await;
    let m = ctx
        .msg(&ch.cid, "alice")
        .mention(&["bob", "carol"])
        .send()
        .await;
    assert_eq!(ctx.flags("bob", &m.id).await, MessageFlags::MENTIONED);
    assert_eq!(ctx.flags("carol", &m.id).await, MessageFlags::MENTIONED);
    assert_eq!(ctx.flags("dave", &m.id).await, MessageFlags::empty());
    assert_eq!(ctx.flags("alice", &m.id).await, MessageFlags::empty());

    ctx.set_flags("bob", &m.id, MessageFlags::STARRED).await;
    let parent = ctx.send(&ch.cid, "dave").await;
    let reply = ctx.reply(&parent, "alice").mention(&["bob"]).send().await;
    assert_eq!(ctx.flags("bob", &reply.id).await, MessageFlags::MENTIONED);
    assert_eq!(
        ctx.flags("bob", &m.id).await,
        MessageFlags::MENTIONED | MessageFlags::STARRED
    );
    let mentioned = ctx
        .store
        .messages_flagged(&ctx.app, &uid("bob"), MessageFlags::MENTIONED, 10)
        .await
        .expect("messages_flagged");
    assert_eq!(mentioned, vec![reply.id, m.id]);
}

/// A new message un-hides members who hid the channel and lists them, unless
/// `keep_channel_hidden`.
pub async fn new_message_unhides_members(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx
        .channel("general", &["alice", "bob", "carol", "dave"])
        .await;
    for user in ["bob", "carol"] {
        let mut m = ctx.member(&ch.cid, user).await.expect("member");
        m.hidden = true;
        ctx.store
            .update_member(&ctx.app, m)
            .await
            .expect("update_member");
    }
    let kept = ctx.msg(&ch.cid, "alice").keep_hidden().sent().await;
    assert!(
        kept.unhidden.is_empty(),
        "keep_channel_hidden: {:?}",
        kept.unhidden
    );
    assert!(ctx.member(&ch.cid, "bob").await.expect("bob").hidden);

    let sent = ctx.msg(&ch.cid, "alice").sent().await;
    assert_eq!(sorted(user_ids(&sent.unhidden)), strings(&["bob", "carol"]));
    for user in ["bob", "carol", "dave"] {
        let m = ctx.member(&ch.cid, user).await.expect("member");
        assert!(!m.hidden, "{user} is visible again");
    }
    let again = ctx.msg(&ch.cid, "alice").sent().await;
    assert!(
        again.unhidden.is_empty(),
        "nobody hidden any more: {:?}",
        again.unhidden
    );
}

/// `get_messages` returns the messages that exist, in the order asked.
pub async fn get_messages_keeps_request_order(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let a = ctx.send(&ch.cid, "alice").await;
    let b = ctx.send(&ch.cid, "alice").await;
    let c = ctx.reply(&a, "alice").send().await;
    let got = ctx
        .store
        .get_messages(
            &ctx.app,
            &[c.id.clone(), mid("missing"), a.id.clone(), b.id.clone()],
        )
        .await
        .expect("get_messages");
    assert_eq!(ids(&got), ids(&[c, a, b]));
}

/// `update_message` replaces content and bumps the version, keeping `cid`, `user_id`,
/// `parent_id`, `created_at`, `seq`, `counted`, `thread` and `reactions` from the store.
pub async fn update_keeps_store_owned_fields_and_bumps_version(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let other = ctx.channel("other", &["alice", "bob"]).await;
    let m = ctx.send(&ch.cid, "alice").await;
    ctx.reply(&m, "bob").send().await;
    ctx.react(&m.id, "bob", "like").await;
    let current = ctx.message(&m.id).await;

    let mut edit = current.clone();
    edit.text = "edited".into();
    edit.custom.insert("edited", json!(true));
    edit.message_text_updated_at = Some(t(9000));
    edit.pinned = true;
    edit.pinned_at = Some(t(9000));
    edit.cid = other.cid.clone();
    edit.user_id = uid("bob");
    edit.parent_id = Some(mid("elsewhere"));
    edit.created_at = t(1);
    edit.seq = 99;
    edit.counted = false;
    edit.thread = ThreadSummary::default();
    edit.reactions = ReactionSummary::default();
    let updated = ctx
        .store
        .update_message(&ctx.app, edit.clone())
        .await
        .expect("update_message");
    let expected = Message {
        cid: current.cid.clone(),
        user_id: current.user_id.clone(),
        parent_id: current.parent_id.clone(),
        created_at: current.created_at,
        seq: current.seq,
        counted: current.counted,
        thread: current.thread.clone(),
        reactions: current.reactions.clone(),
        version: current.version + 1,
        ..edit
    };
    assert_eq!(updated, expected);
    assert_eq!(ctx.message(&m.id).await, expected);
    assert_eq!(channel_list(&ctx, &ch.cid).await, ids(&[m]));
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!((counters.last_seq, counters.message_count), (1, 2));
}

/// `update_message` with a stale version is `VersionConflict` and changes nothing.
pub async fn update_with_stale_version_conflicts(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let v1 = ctx.send(&ch.cid, "alice").await;
    let mut first = v1.clone();
    first.text = "first".into();
    let v2 = ctx
        .store
        .update_message(&ctx.app, first)
        .await
        .expect("update_message");
    let mut stale = v1;
    stale.text = "stale".into();
    expect_conflict(
        ctx.store.update_message(&ctx.app, stale).await,
        "update_message with the old version",
    );
    assert_eq!(ctx.message(&v2.id).await, v2);
}

/// The first soft deletion sets `deleted_at`, lowers `message_count` and adds the seq to
/// `deleted_seqs`; a second soft delete and a later hard delete count nothing again.
pub async fn soft_delete_counts_once(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "alice").await;
    let at = ctx.tick();
    let deleted = ctx
        .store
        .delete_message(&ctx.app, &m2.id, Deletion::Soft(at))
        .await
        .expect("soft delete");
    assert_eq!(deleted.deleted_at, Some(at));
    assert_eq!(deleted.id, m2.id);
    assert_eq!(deleted.seq, m2.seq);
    let stored = ctx.message(&m2.id).await;
    assert_eq!(stored.deleted_at, Some(at), "the row stays with deleted_at");
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!(counters.message_count, 1);
    assert_eq!(counters.deleted_seqs, vec![2]);
    assert_eq!(counters.last_seq, 2, "last_seq never goes back");

    ctx.soft_delete(&m2.id).await;
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!(
        (counters.message_count, counters.deleted_seqs.clone()),
        (1, vec![2]),
        "a second soft delete counts nothing"
    );
    ctx.hard_delete(&m2.id).await;
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!(
        (counters.message_count, counters.deleted_seqs.clone()),
        (1, vec![2]),
        "a hard delete of a soft-deleted message counts nothing"
    );
    assert_eq!(
        ctx.try_message(&m2.id).await,
        None,
        "hard delete removes the row"
    );
    expect_not_found(
        ctx.store
            .delete_message(&ctx.app, &m2.id, Deletion::Hard)
            .await,
        "deleting a removed message",
    );
    assert_eq!(ctx.message(&m1.id).await, m1);
}

/// A hard delete of a live message counts once and removes the row, its reactions and
/// its flags; it returns the message as it was.
pub async fn hard_delete_removes_row_reactions_and_flags(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.msg(&ch.cid, "alice").mention(&["bob"]).send().await;
    ctx.react(&m2.id, "bob", "like").await;
    ctx.set_flags("bob", &m2.id, MessageFlags::STARRED).await;
    let before = ctx.message(&m2.id).await;

    let deleted = ctx.hard_delete(&m2.id).await;
    assert_eq!(deleted, before, "hard delete returns the message as it was");
    assert_eq!(ctx.try_message(&m2.id).await, None);
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!(counters.message_count, 1);
    assert_eq!(counters.deleted_seqs, vec![2]);
    assert_eq!(ctx.flags("bob", &m2.id).await, MessageFlags::empty());
    let flagged = ctx
        .store
        .messages_flagged(&ctx.app, &uid("bob"), MessageFlags::MENTIONED, 10)
        .await
        .expect("messages_flagged");
    assert!(flagged.is_empty(), "{flagged:?}");
    let reactions = ctx
        .store
        .user_reactions(&ctx.app, std::slice::from_ref(&m2.id), &uid("bob"))
        .await
        .expect("user_reactions");
    assert!(reactions.is_empty(), "{reactions:?}");
    assert_eq!(channel_list(&ctx, &ch.cid).await, ids(&[m1]));
}

/// Deleting a reply raises the parent's `deleted_reply_count` once; `reply_count` keeps
/// counting deleted replies; `deleted_seqs` is untouched for an uncounted reply.
pub async fn deleting_a_reply_counts_on_the_parent(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let r1 = ctx.reply(&parent, "bob").send().await;
    let r2 = ctx.reply(&parent, "bob").show_in_channel().send().await;
    ctx.soft_delete(&r1.id).await;
    ctx.soft_delete(&r1.id).await;
    let p = ctx.message(&parent.id).await;
    assert_eq!((p.thread.reply_count, p.thread.deleted_reply_count), (2, 1));
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!(counters.message_count, 2);
    assert!(counters.deleted_seqs.is_empty(), "r1 was not counted");

    ctx.hard_delete(&r2.id).await;
    let p = ctx.message(&parent.id).await;
    assert_eq!((p.thread.reply_count, p.thread.deleted_reply_count), (2, 2));
    let counters = ctx.counters(&ch.cid).await;
    assert_eq!(counters.message_count, 1);
    assert_eq!(counters.deleted_seqs, vec![r2.seq], "r2 was counted");
}

/// Deleting an uncounted message, or one at or before the truncation, leaves
/// `deleted_seqs` alone (but still lowers `message_count`).
pub async fn deleting_uncounted_or_truncated_messages_keeps_deleted_seqs(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let old = ctx.send(&ch.cid, "alice").await;
    ctx.store
        .truncate_channel(
            &ctx.app,
            &ch.cid,
            chat_core::store::Truncate {
                at: old.created_at,
                by: None,
                hard: false,
            },
        )
        .await
        .expect("truncate_channel");
    let silent = ctx.msg(&ch.cid, "alice").silent().send().await;
    let counted = ctx.send(&ch.cid, "alice").await;
    let before = ctx.counters(&ch.cid).await;

    ctx.soft_delete(&old.id).await;
    ctx.soft_delete(&silent.id).await;
    let after = ctx.counters(&ch.cid).await;
    assert!(after.deleted_seqs.is_empty(), "{:?}", after.deleted_seqs);
    assert_eq!(after.message_count, before.message_count - 2);
    ctx.soft_delete(&counted.id).await;
    assert_eq!(ctx.counters(&ch.cid).await.deleted_seqs, vec![counted.seq]);
}

/// Deleting a missing message is `NotFound`.
pub async fn delete_missing_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.channel("general", &["alice"]).await;
    expect_not_found(
        ctx.store
            .delete_message(&ctx.app, &mid("missing"), Deletion::Soft(t(1)))
            .await,
        "soft delete of a missing message",
    );
    expect_not_found(
        ctx.store
            .delete_message(&ctx.app, &mid("missing"), Deletion::Hard)
            .await,
        "hard delete of a missing message",
    );
}

/// `pinned_messages` lists pinned, undeleted messages of the channel, most recently
/// pinned first, at most `limit`.
pub async fn pinned_messages_most_recently_pinned_first(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let other = ctx.channel("other", &["alice"]).await;
    let m1 = ctx.msg(&ch.cid, "alice").pinned_at(t(10)).send().await;
    let m2 = ctx.msg(&ch.cid, "alice").pinned_at(t(30)).send().await;
    let m3 = ctx.msg(&ch.cid, "alice").pinned_at(t(20)).send().await;
    ctx.send(&ch.cid, "alice").await;
    let gone = ctx.msg(&ch.cid, "alice").pinned_at(t(50)).send().await;
    ctx.soft_delete(&gone.id).await;
    ctx.msg(&other.cid, "alice").pinned_at(t(60)).send().await;
    let late = ctx.send(&ch.cid, "alice").await;
    let mut pin = late.clone();
    pin.pinned = true;
    pin.pinned_at = Some(t(40));
    pin.pinned_by = Some(uid("alice"));
    ctx.store
        .update_message(&ctx.app, pin)
        .await
        .expect("update_message to pin");
    let mut unpin = ctx.message(&m1.id).await;
    unpin.pinned = false;
    unpin.pinned_at = None;
    ctx.store
        .update_message(&ctx.app, unpin)
        .await
        .expect("update_message to unpin");

    let pinned = ctx
        .store
        .pinned_messages(&ctx.app, &ch.cid, 10)
        .await
        .expect("pinned_messages");
    assert_eq!(ids(&pinned), ids(&[late.clone(), m2.clone(), m3.clone()]));
    let two = ctx
        .store
        .pinned_messages(&ctx.app, &ch.cid, 2)
        .await
        .expect("pinned_messages");
    assert_eq!(ids(&two), ids(&[late, m2]));
}
