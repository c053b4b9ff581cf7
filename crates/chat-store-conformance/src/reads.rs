//! `ReadStore` cursors, checked end to end: every unread count here is
//! `unread_count(&counters, &read)` on what `user_reads` returns.

use std::sync::Arc;

use chat_core::read_state::MessageFlags;
use chat_core::store::{ReadUpTo, Store, Truncate};

use crate::fixtures::*;

/// Others' counted messages are unread; one's own are not.
pub async fn others_messages_count_own_do_not(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    ctx.send(&ch.cid, "alice").await;
    ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 2);
    assert_eq!(ctx.unread(&ch.cid, "carol").await, 2);
    assert_eq!(
        ctx.unread(&ch.cid, "alice").await,
        0,
        "own messages are read"
    );
    ctx.send(&ch.cid, "bob").await;
    assert_eq!(
        ctx.unread(&ch.cid, "bob").await,
        0,
        "sending reads the channel"
    );
    assert_eq!(ctx.unread(&ch.cid, "alice").await, 1);
    assert_eq!(ctx.unread(&ch.cid, "carol").await, 3);
    ctx.msg(&ch.cid, "alice").system().send().await;
    assert_eq!(
        ctx.unread(&ch.cid, "carol").await,
        4,
        "system messages count"
    );
}

/// Silent messages, shadowed messages and thread-only replies do not count; replies
/// shown in the channel do.
pub async fn silent_and_thread_only_replies_do_not_count(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1);
    ctx.msg(&ch.cid, "alice").silent().send().await;
    ctx.msg(&ch.cid, "alice").shadowed().send().await;
    ctx.reply(&parent, "alice").send().await;
    assert_eq!(
        ctx.unread(&ch.cid, "bob").await,
        1,
        "silent/shadowed/thread-only"
    );
    ctx.reply(&parent, "alice").show_in_channel().send().await;
    assert_eq!(
        ctx.unread(&ch.cid, "bob").await,
        2,
        "a reply shown in the channel counts"
    );
}

/// Deleting an unread message lowers the count (soft or hard); deleting a read one does
/// not.
pub async fn deleting_unread_lowers_count_deleting_read_does_not(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "alice").await;
    ctx.store
        .mark_read(
            &ctx.app,
            &ch.cid,
            &uid("bob"),
            ReadUpTo::Message(m2.id.clone()),
            ctx.tick(),
        )
        .await
        .expect("mark_read");
    let m3 = ctx.send(&ch.cid, "alice").await;
    let m4 = ctx.send(&ch.cid, "alice").await;
    let m5 = ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 3);

    ctx.soft_delete(&m1.id).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 3, "m1 was read");
    ctx.soft_delete(&m4.id).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 2, "m4 was unread");
    ctx.hard_delete(&m4.id).await;
    assert_eq!(
        ctx.unread(&ch.cid, "bob").await,
        2,
        "m4 is not subtracted twice"
    );
    ctx.hard_delete(&m5.id).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1, "m5 was unread");
    ctx.hard_delete(&m2.id).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1, "m2 was read");
    assert_eq!(ctx.unread(&ch.cid, "alice").await, 0);
    let m6 = ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 2, "m3 and m6");
    assert_eq!(m6.seq, 6, "deletions never reuse a seq");
    assert_eq!(ctx.message(&m3.id).await.seq, 3);
}

/// `mark_read(Latest)` moves the cursor to `last_seq` with `last_read_at` and
/// `own_after_cursor = 0`: nothing is unread until the next message.
pub async fn mark_read_latest_clears_everything(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    for _ in 0..4 {
        ctx.send(&ch.cid, "alice").await;
    }
    let at = ctx.tick();
    let read = ctx
        .store
        .mark_read(&ctx.app, &ch.cid, &uid("bob"), ReadUpTo::Latest, at)
        .await
        .expect("mark_read");
    assert_eq!(read.last_read_seq, 4);
    assert_eq!(read.last_read_at, at);
    assert_eq!(read.own_after_cursor, 0);
    assert_eq!(read.cid, ch.cid);
    assert_eq!(read.user_id, uid("bob"));
    assert_eq!(
        ctx.read_state(&ch.cid, "bob").await,
        read,
        "returned cursor is stored"
    );
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1);
}

/// `mark_read(Message)` puts the cursor at that message's seq, records its id, and may
/// move the cursor back.
pub async fn mark_read_up_to_a_message_may_move_back(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let mut sent = Vec::new();
    for _ in 0..5 {
        sent.push(ctx.send(&ch.cid, "alice").await);
    }
    let read = ctx
        .store
        .mark_read(
            &ctx.app,
            &ch.cid,
            &uid("bob"),
            ReadUpTo::Message(sent[2].id.clone()),
            ctx.tick(),
        )
        .await
        .expect("mark_read m3");
    assert_eq!(read.last_read_seq, 3);
    assert_eq!(read.last_read_message_id, Some(sent[2].id.clone()));
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 2);

    ctx.store
        .mark_read(&ctx.app, &ch.cid, &uid("bob"), ReadUpTo::Latest, ctx.tick())
        .await
        .expect("mark_read latest");
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    let back = ctx
        .store
        .mark_read(
            &ctx.app,
            &ch.cid,
            &uid("bob"),
            ReadUpTo::Message(sent[0].id.clone()),
            ctx.tick(),
        )
        .await
        .expect("mark_read m1");
    assert_eq!(
        back.last_read_seq, 1,
        "naming an older message moves the cursor back"
    );
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 4);
}

/// `mark_read` by a non-member, or naming a message of another channel (or a missing
/// one), is `NotFound`.
pub async fn mark_read_errors(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let other = ctx.channel("other", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "alice").await;
    let elsewhere = ctx.send(&other.cid, "alice").await;
    ctx.users(&["zed"]).await;
    expect_not_found(
        ctx.store
            .mark_read(&ctx.app, &ch.cid, &uid("zed"), ReadUpTo::Latest, ctx.tick())
            .await,
        "mark_read by a non-member",
    );
    expect_not_found(
        ctx.store
            .mark_read(
                &ctx.app,
                &ch.cid,
                &uid("bob"),
                ReadUpTo::Message(elsewhere.id),
                ctx.tick(),
            )
            .await,
        "mark_read naming another channel's message",
    );
    expect_not_found(
        ctx.store
            .mark_read(
                &ctx.app,
                &ch.cid,
                &uid("bob"),
                ReadUpTo::Message(mid("missing")),
                ctx.tick(),
            )
            .await,
        "mark_read naming a missing message",
    );
    assert_eq!(
        ctx.unread(&ch.cid, "bob").await,
        1,
        "failed calls changed nothing"
    );
    assert!(ctx.read_with_counters(&ch.cid, "zed").await.is_none());
}

/// `mark_unread(from)` puts the cursor before `from`: everything from it on is unread
/// except the user's own messages; the next own message reads everything again.
pub async fn mark_unread_counts_from_message_excluding_own(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "alice").await;
    ctx.send(&ch.cid, "bob").await;
    let a3 = ctx.send(&ch.cid, "alice").await;
    ctx.send(&ch.cid, "bob").await;
    ctx.send(&ch.cid, "alice").await;
    ctx.msg(&ch.cid, "bob").silent().send().await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);

    let at = ctx.tick();
    let read = ctx
        .store
        .mark_unread(&ctx.app, &ch.cid, &uid("bob"), &a3.id, at)
        .await
        .expect("mark_unread");
    assert_eq!(read.last_read_seq, 2, "just before a3");
    assert_eq!(read.own_after_cursor, 1, "bob's own b4 is after the cursor");
    assert_eq!(read.last_read_at, at);
    assert_eq!(ctx.read_state(&ch.cid, "bob").await, read);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 2, "a3 and a5");
    assert_eq!(ctx.flags("bob", &a3.id).await, MessageFlags::MARKED_UNREAD);

    ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 3);
    ctx.send(&ch.cid, "bob").await;
    assert_eq!(
        ctx.unread(&ch.cid, "bob").await,
        0,
        "an own message reads everything"
    );
    let read = ctx.read_state(&ch.cid, "bob").await;
    assert_eq!((read.last_read_seq, read.own_after_cursor), (7, 0));

    ctx.store
        .mark_unread(&ctx.app, &ch.cid, &uid("bob"), &a3.id, ctx.tick())
        .await
        .expect("mark_unread again");
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 3, "a3, a5, a6");
    ctx.store
        .mark_read(&ctx.app, &ch.cid, &uid("bob"), ReadUpTo::Latest, ctx.tick())
        .await
        .expect("mark_read");
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    assert_eq!(
        ctx.flags("bob", &a3.id).await,
        MessageFlags::empty(),
        "mark_read clears MARKED_UNREAD"
    );
}

/// `mark_unread` from an uncounted message puts the cursor at its seq (the counted
/// message before it stays read).
pub async fn mark_unread_from_uncounted_message(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "alice").await;
    let silent = ctx.msg(&ch.cid, "alice").silent().send().await;
    ctx.send(&ch.cid, "alice").await;
    ctx.store
        .mark_read(&ctx.app, &ch.cid, &uid("bob"), ReadUpTo::Latest, ctx.tick())
        .await
        .expect("mark_read");
    let read = ctx
        .store
        .mark_unread(&ctx.app, &ch.cid, &uid("bob"), &silent.id, ctx.tick())
        .await
        .expect("mark_unread");
    assert_eq!(read.last_read_seq, 1, "an uncounted message's seq");
    assert_eq!(read.own_after_cursor, 0);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1);
}

/// `mark_unread` leaves the user's own deleted messages out of `own_after_cursor` (they
/// are already in `deleted_seqs`).
pub async fn mark_unread_ignores_deleted_own_messages(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "bob").await;
    let a2 = ctx.send(&ch.cid, "alice").await;
    let b3 = ctx.send(&ch.cid, "bob").await;
    ctx.send(&ch.cid, "bob").await;
    ctx.msg(&ch.cid, "bob").silent().send().await;
    ctx.soft_delete(&b3.id).await;
    let read = ctx
        .store
        .mark_unread(&ctx.app, &ch.cid, &uid("bob"), &a2.id, ctx.tick())
        .await
        .expect("mark_unread");
    assert_eq!(read.last_read_seq, 1);
    assert_eq!(
        read.own_after_cursor, 1,
        "only b4: b3 is deleted and the silent message is not counted"
    );
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1, "only a2");
}

/// Deleting one's own message after a mark-unread lowers `own_after_cursor`, so the count
/// stays right.
pub async fn deleting_own_message_after_mark_unread(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "bob").await;
    let a2 = ctx.send(&ch.cid, "alice").await;
    let b3 = ctx.send(&ch.cid, "bob").await;
    let b4 = ctx.send(&ch.cid, "bob").await;
    ctx.store
        .mark_unread(&ctx.app, &ch.cid, &uid("bob"), &a2.id, ctx.tick())
        .await
        .expect("mark_unread");
    assert_eq!(ctx.read_state(&ch.cid, "bob").await.own_after_cursor, 2);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1, "only a2");

    ctx.soft_delete(&b3.id).await;
    assert_eq!(ctx.read_state(&ch.cid, "bob").await.own_after_cursor, 1);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1, "still only a2");
    ctx.hard_delete(&b4.id).await;
    assert_eq!(ctx.read_state(&ch.cid, "bob").await.own_after_cursor, 0);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1);
    ctx.hard_delete(&b3.id).await;
    assert_eq!(
        ctx.read_state(&ch.cid, "bob").await.own_after_cursor,
        0,
        "not below 0"
    );
    ctx.soft_delete(&a2.id).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    assert_eq!(ctx.unread(&ch.cid, "alice").await, 0);
}

/// After a truncate nothing is unread for anyone; later messages count again, and a
/// member added afterwards starts at zero.
pub async fn truncate_clears_unread(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    for _ in 0..3 {
        ctx.send(&ch.cid, "alice").await;
    }
    let m4 = ctx.send(&ch.cid, "alice").await;
    ctx.soft_delete(&m4.id).await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 3);
    ctx.store
        .truncate_channel(
            &ctx.app,
            &ch.cid,
            Truncate {
                at: ctx.tick(),
                by: Some(uid("alice")),
                hard: false,
            },
        )
        .await
        .expect("truncate_channel");
    for user in ["alice", "bob", "carol"] {
        assert_eq!(ctx.unread(&ch.cid, user).await, 0, "{user} after truncate");
    }
    ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1);
    ctx.users(&["dave"]).await;
    ctx.store
        .add_members(&ctx.app, &ch.cid, vec![new_member(&ch.cid, "dave")])
        .await
        .expect("add_members");
    assert_eq!(ctx.unread(&ch.cid, "dave").await, 0);
    ctx.send(&ch.cid, "bob").await;
    assert_eq!(ctx.unread(&ch.cid, "dave").await, 1);
    assert_eq!(ctx.unread(&ch.cid, "carol").await, 2);
}

/// `channel_reads` lists members' cursors by user id, at most `limit`.
pub async fn channel_reads_by_user_id_with_limit(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx
        .channel("general", &["dave", "bob", "carol", "alice"])
        .await;
    ctx.send(&ch.cid, "carol").await;
    let all = ctx
        .store
        .channel_reads(&ctx.app, &ch.cid, 10)
        .await
        .expect("channel_reads");
    assert_eq!(
        user_ids(all.iter().map(|r| &r.user_id)),
        strings(&["alice", "bob", "carol", "dave"])
    );
    assert!(all.iter().all(|r| r.cid == ch.cid));
    assert_eq!(all[2].last_read_seq, 1, "carol read her own message");
    assert_eq!(all[0].last_read_seq, 0);
    let two = ctx
        .store
        .channel_reads(&ctx.app, &ch.cid, 2)
        .await
        .expect("channel_reads");
    assert_eq!(two, all[..2].to_vec());
}

/// `user_reads` lists the user's cursor in every channel they are a member of, with the
/// channel's current counters.
pub async fn user_reads_counters_match_channel(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let a = ctx.channel("a", &["alice", "bob"]).await;
    let b = ctx.channel("b", &["alice", "bob"]).await;
    ctx.channel("c", &["alice"]).await;
    ctx.send(&a.cid, "alice").await;
    ctx.send(&b.cid, "alice").await;
    let gone = ctx.send(&b.cid, "alice").await;
    ctx.soft_delete(&gone.id).await;
    let mut reads = ctx
        .store
        .user_reads(&ctx.app, &uid("bob"))
        .await
        .expect("user_reads");
    reads.sort_by(|x, y| x.0.cid.cmp(&y.0.cid));
    let cids: Vec<String> = reads.iter().map(|(r, _)| r.cid.to_string()).collect();
    assert_eq!(cids, strings(&["messaging:a", "messaging:b"]));
    for (read, counters) in &reads {
        assert_eq!(read.user_id, uid("bob"));
        assert_eq!(
            counters,
            &ctx.counters(&read.cid).await,
            "counters of {}",
            read.cid
        );
    }
    assert_eq!(ctx.unread(&a.cid, "bob").await, 1);
    assert_eq!(ctx.unread(&b.cid, "bob").await, 1);
}

/// Thread cursors: replying or `mark_thread_read` moves the user's cursor to the parent's
/// `reply_count` (creating it if missing); `user_thread_reads` returns each with the
/// parent's summary.
pub async fn thread_reads_track_reply_count(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    let parent = ctx.send(&ch.cid, "alice").await;
    let other = ctx.send(&ch.cid, "alice").await;
    ctx.reply(&parent, "bob").send().await;
    ctx.reply(&parent, "carol").send().await;
    ctx.reply(&other, "carol").send().await;

    let (bob, summary) = ctx.thread_read("bob", &parent.id).await;
    assert_eq!(bob.last_read_reply_count, 1);
    assert_eq!(summary, ctx.message(&parent.id).await.thread);
    assert_eq!(
        summary.reply_count - bob.last_read_reply_count,
        1,
        "one unread reply"
    );

    let at = ctx.tick();
    let read = ctx
        .store
        .mark_thread_read(&ctx.app, &uid("bob"), &parent.id, at)
        .await
        .expect("mark_thread_read");
    assert_eq!(read.last_read_reply_count, 2);
    assert_eq!(read.last_read_at, at);
    assert_eq!(
        (read.cid.clone(), read.parent_id.clone()),
        (ch.cid.clone(), parent.id.clone())
    );
    assert_eq!(ctx.thread_read("bob", &parent.id).await.0, read);

    let created = ctx
        .store
        .mark_thread_read(&ctx.app, &uid("alice"), &parent.id, ctx.tick())
        .await
        .expect("mark_thread_read creates a cursor");
    assert_eq!(created.last_read_reply_count, 2);
    assert_eq!(created.user_id, uid("alice"));

    let mut carol = ctx
        .store
        .user_thread_reads(&ctx.app, &uid("carol"))
        .await
        .expect("user_thread_reads");
    carol.sort_by(|x, y| x.0.parent_id.cmp(&y.0.parent_id));
    let parents: Vec<String> = carol.iter().map(|(r, _)| r.parent_id.to_string()).collect();
    assert_eq!(
        parents,
        sorted(vec![parent.id.to_string(), other.id.to_string()])
    );
    for (read, summary) in &carol {
        assert_eq!(summary, &ctx.message(&read.parent_id).await.thread);
    }
    assert!(
        ctx.try_thread_read("bob", &other.id).await.is_none(),
        "bob never replied to or read the other thread"
    );
}

/// `mark_thread_read` on a missing parent is `NotFound`.
pub async fn mark_thread_read_of_missing_parent_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.channel("general", &["alice"]).await;
    expect_not_found(
        ctx.store
            .mark_thread_read(&ctx.app, &uid("alice"), &mid("missing"), ctx.tick())
            .await,
        "mark_thread_read of a missing parent",
    );
    let reads = ctx
        .store
        .user_thread_reads(&ctx.app, &uid("alice"))
        .await
        .expect("user_thread_reads");
    assert!(reads.is_empty());
}
