//! `ChannelStore` (except `query_channels`, in [`crate::queries`]; concurrent creation is
//! in [`crate::concurrency`]).

use std::sync::Arc;

use chat_core::model::{Channel, ChannelCounters};
use chat_core::query::MessagePage;
use chat_core::read_state::MessageFlags;
use chat_core::store::{Created, Store, Truncate};
use serde_json::json;

use crate::fixtures::*;

/// A new cid: the channel is stored with `member_count` = number of members and every
/// other counter zero (whatever the caller passed), the members are stored, and each has a
/// read cursor at sequence 0.
pub async fn create_new_stores_members_and_counters(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.users(&["alice", "bob"]).await;
    let cid = cid("general");
    let mut channel = new_channel(&cid, Some("alice"));
    channel.custom.insert("name", json!("General"));
    channel.filter_tags = strings(&["public"]);
    channel.counters = ChannelCounters {
        member_count: 40,
        message_count: 7,
        last_message_at: Some(t(9)),
        last_seq: 12,
        truncated_seq: 3,
        deleted_seqs: vec![4, 5],
    };
    let members = vec![new_member(&cid, "bob"), new_member(&cid, "alice")];
    let created = ctx
        .store
        .create_channel(&ctx.app, channel.clone(), members)
        .await
        .expect("create_channel");
    let Created::New(stored, stored_members) = created else {
        panic!("a new cid must give Created::New, got {created:?}");
    };
    assert_eq!(
        stored.counters,
        ChannelCounters {
            member_count: 2,
            ..ChannelCounters::default()
        },
        "member_count = members, the rest zero"
    );
    assert_eq!(stored.custom, channel.custom);
    assert_eq!(stored.filter_tags, channel.filter_tags);
    assert_eq!(stored.created_by, Some(uid("alice")));
    assert_eq!(
        ctx.get_channel(&cid).await,
        stored,
        "get_channels returns it as created"
    );
    let mut returned: Vec<String> = user_ids(stored_members.iter().map(|m| &m.user_id));
    returned.sort();
    assert_eq!(returned, strings(&["alice", "bob"]));
    assert_eq!(
        ctx.store
            .member_ids(&ctx.app, &cid)
            .await
            .expect("member_ids"),
        vec![uid("alice"), uid("bob")]
    );
    let reads = ctx
        .store
        .channel_reads(&ctx.app, &cid, 10)
        .await
        .expect("channel_reads");
    assert_eq!(reads.len(), 2, "one cursor per member: {reads:?}");
    for read in &reads {
        assert_eq!(read.last_read_seq, 0, "cursor at 0: {read:?}");
        assert_eq!(read.own_after_cursor, 0);
    }
    let got = ctx
        .store
        .get_members(&ctx.app, &cid, &[uid("alice"), uid("bob")])
        .await
        .expect("get_members");
    let mut sorted_returned = stored_members.clone();
    sorted_returned.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    assert_eq!(
        got, sorted_returned,
        "get_members returns the members as created"
    );
}

/// An existing cid: `Existing` with the stored channel; nothing is written (content,
/// members and counters untouched).
pub async fn create_existing_returns_it_untouched(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let original = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&original.cid, "alice").await;
    let before = ctx.get_channel(&original.cid).await;

    ctx.users(&["carol"]).await;
    let mut again = new_channel(&original.cid, Some("carol"));
    again.frozen = true;
    again.custom.insert("name", json!("Taken over"));
    let created = ctx
        .store
        .create_channel(&ctx.app, again, vec![new_member(&original.cid, "carol")])
        .await
        .expect("create_channel of an existing cid");
    assert_eq!(created, Created::Existing(before.clone()));
    assert_eq!(ctx.get_channel(&original.cid).await, before);
    assert_eq!(
        ctx.store
            .member_ids(&ctx.app, &original.cid)
            .await
            .expect("member_ids"),
        vec![uid("alice"), uid("bob")],
        "carol was not added"
    );
    assert!(ctx
        .read_with_counters(&original.cid, "carol")
        .await
        .is_none());
}

/// `get_channels` returns the channels that exist, in the order asked.
pub async fn get_channels_keeps_request_order(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    for id in ["a", "b", "c"] {
        ctx.channel(id, &["alice"]).await;
    }
    let got = ctx
        .store
        .get_channels(&ctx.app, &[cid("c"), cid("missing"), cid("a"), cid("b")])
        .await
        .expect("get_channels");
    let got: Vec<String> = got.iter().map(|c| c.cid.to_string()).collect();
    assert_eq!(got, strings(&["messaging:c", "messaging:a", "messaging:b"]));
}

/// `update_channel` replaces content fields, bumps the version and keeps the counters.
pub async fn update_replaces_content_and_keeps_counters(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "bob").await;
    ctx.soft_delete(&m2.id).await;
    let current = ctx.get_channel(&ch.cid).await;

    let mut changed = current.clone();
    changed.frozen = true;
    changed.cooldown = Some(30);
    changed.custom.insert("name", json!("Renamed"));
    changed.filter_tags = strings(&["x"]);
    changed.updated_at = t(77);
    changed.counters = ChannelCounters {
        member_count: 999,
        ..ChannelCounters::default()
    };
    let updated = ctx
        .store
        .update_channel(&ctx.app, changed.clone())
        .await
        .expect("update_channel");
    assert_eq!(
        updated,
        Channel {
            version: current.version + 1,
            counters: current.counters.clone(),
            ..changed
        },
        "content replaced, counters kept, version + 1"
    );
    assert_eq!(ctx.get_channel(&ch.cid).await, updated);
}

/// `update_channel` with a stale version is `VersionConflict` and changes nothing.
pub async fn update_with_stale_version_conflicts(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let v1 = ctx.channel("general", &["alice"]).await;
    let mut first = v1.clone();
    first.frozen = true;
    let v2 = ctx
        .store
        .update_channel(&ctx.app, first)
        .await
        .expect("update_channel");
    let mut stale = v1;
    stale.disabled = true;
    expect_conflict(
        ctx.store.update_channel(&ctx.app, stale).await,
        "update_channel with the old version",
    );
    assert_eq!(ctx.get_channel(&v2.cid).await, v2);
}

/// `delete_channel` returns the channel as it was and removes its members, read cursors,
/// messages, reactions, flags and thread cursors; other channels are untouched and the
/// cid can be created afresh.
pub async fn delete_cascades_to_everything_in_it(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("doomed", &["alice", "bob"]).await;
    let other = ctx.channel("kept", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let r1 = ctx.reply(&m1, "bob").send().await;
    let m2 = ctx.msg(&ch.cid, "alice").mention(&["bob"]).send().await;
    ctx.react(&m1.id, "bob", "like").await;
    ctx.set_flags("bob", &m1.id, MessageFlags::STARRED).await;
    let kept = ctx.send(&other.cid, "alice").await;
    ctx.set_flags("bob", &kept.id, MessageFlags::STARRED).await;
    let before = ctx.get_channel(&ch.cid).await;

    let deleted = ctx
        .store
        .delete_channel(&ctx.app, &ch.cid)
        .await
        .expect("delete_channel");
    assert_eq!(
        deleted, before,
        "delete_channel returns the channel as it was"
    );

    let got = ctx
        .store
        .get_channels(&ctx.app, std::slice::from_ref(&ch.cid))
        .await
        .expect("get_channels");
    assert!(got.is_empty(), "channel gone: {got:?}");
    let msgs = ctx
        .store
        .get_messages(&ctx.app, &[m1.id.clone(), r1.id.clone(), m2.id.clone()])
        .await
        .expect("get_messages");
    assert!(msgs.is_empty(), "messages gone: {msgs:?}");
    for user in ["alice", "bob"] {
        let memberships = ctx
            .store
            .memberships(&ctx.app, &uid(user))
            .await
            .expect("memberships");
        let cids: Vec<String> = memberships.iter().map(|m| m.cid.to_string()).collect();
        assert_eq!(cids, strings(&["messaging:kept"]), "{user}'s memberships");
        assert!(
            ctx.read_with_counters(&ch.cid, user).await.is_none(),
            "{user}'s cursor gone"
        );
        let threads = ctx
            .store
            .user_thread_reads(&ctx.app, &uid(user))
            .await
            .expect("user_thread_reads");
        assert!(
            threads.iter().all(|(r, _)| r.cid != ch.cid),
            "{user}'s thread cursors in the channel gone: {threads:?}"
        );
    }
    let flags = ctx
        .store
        .flags_of(&ctx.app, &uid("bob"), &[m1.id.clone(), m2.id.clone()])
        .await
        .expect("flags_of");
    assert!(flags.is_empty(), "flags gone: {flags:?}");
    let starred = ctx
        .store
        .messages_flagged(&ctx.app, &uid("bob"), MessageFlags::STARRED, 10)
        .await
        .expect("messages_flagged");
    assert_eq!(starred, vec![kept.id.clone()]);
    let reactions = ctx
        .store
        .user_reactions(&ctx.app, std::slice::from_ref(&m1.id), &uid("bob"))
        .await
        .expect("user_reactions");
    assert!(reactions.is_empty(), "reactions gone: {reactions:?}");

    assert_eq!(
        ctx.message(&kept.id).await.id,
        kept.id,
        "other channel untouched"
    );
    assert_eq!(ctx.counters(&other.cid).await.message_count, 1);

    let again = ctx.channel("doomed", &["carol"]).await;
    assert_eq!(
        again.counters,
        ChannelCounters {
            member_count: 1,
            ..ChannelCounters::default()
        }
    );
    let page = ctx
        .store
        .channel_messages(&ctx.app, &ch.cid, &MessagePage::latest(10))
        .await
        .expect("channel_messages");
    assert!(
        page.is_empty(),
        "no old messages in the re-created channel: {page:?}"
    );
    assert_eq!(
        ctx.store
            .member_ids(&ctx.app, &ch.cid)
            .await
            .expect("member_ids"),
        vec![uid("carol")]
    );
}

/// `delete_channel` of a missing cid is `NotFound`.
pub async fn delete_missing_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    expect_not_found(
        ctx.store.delete_channel(&ctx.app, &cid("missing")).await,
        "delete_channel of a missing cid",
    );
}

/// A soft truncate sets `truncated_at`/`truncated_by`, `truncated_seq = last_seq`, clears
/// `deleted_seqs` and `last_message_at`, and keeps the messages (hiding them is the
/// reader's `created_after`).
pub async fn soft_truncate_resets_counters_and_keeps_messages(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "alice").await;
    let m3 = ctx.send(&ch.cid, "alice").await;
    ctx.soft_delete(&m2.id).await;
    assert_eq!(ctx.counters(&ch.cid).await.deleted_seqs, vec![2]);

    let at = ctx.tick();
    let truncated = ctx
        .store
        .truncate_channel(
            &ctx.app,
            &ch.cid,
            Truncate {
                at,
                by: Some(uid("alice")),
                hard: false,
            },
        )
        .await
        .expect("truncate_channel");
    assert_eq!(truncated.truncated_at, Some(at));
    assert_eq!(truncated.truncated_by, Some(uid("alice")));
    assert_eq!(truncated.counters.truncated_seq, 3);
    assert_eq!(truncated.counters.last_seq, 3);
    assert!(truncated.counters.deleted_seqs.is_empty());
    assert_eq!(truncated.counters.last_message_at, None);
    assert_eq!(truncated.counters.member_count, 2);
    assert_eq!(ctx.get_channel(&ch.cid).await, truncated);

    let kept = ctx
        .store
        .get_messages(&ctx.app, &[m1.id.clone(), m3.id.clone()])
        .await
        .expect("get_messages");
    assert_eq!(
        ids(&kept),
        ids(&[m1.clone(), m3.clone()]),
        "soft truncate keeps rows"
    );
    let page = ctx
        .store
        .channel_messages(&ctx.app, &ch.cid, &MessagePage::latest(10))
        .await
        .expect("channel_messages");
    let page = ids(&page);
    assert!(
        page.contains(&m1.id.to_string()) && page.contains(&m3.id.to_string()),
        "without created_after the store hides nothing: {page:?}"
    );

    let m4 = ctx.send(&ch.cid, "alice").await;
    let after = ctx.counters(&ch.cid).await;
    assert_eq!(after.last_message_at, Some(m4.created_at));
    assert_eq!(after.last_seq, 4);
}

/// A hard truncate also removes the messages created at or before `at` with their
/// reactions and flags; later messages stay.
pub async fn hard_truncate_removes_old_messages_reactions_and_flags(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "alice").await;
    let m3 = ctx.send(&ch.cid, "bob").await;
    ctx.react(&m1.id, "bob", "like").await;
    ctx.react(&m3.id, "alice", "like").await;
    ctx.set_flags("bob", &m1.id, MessageFlags::STARRED).await;
    ctx.set_flags("bob", &m2.id, MessageFlags::STARRED).await;
    ctx.set_flags("bob", &m3.id, MessageFlags::STARRED).await;

    let truncated = ctx
        .store
        .truncate_channel(
            &ctx.app,
            &ch.cid,
            Truncate {
                at: m2.created_at,
                by: None,
                hard: true,
            },
        )
        .await
        .expect("truncate_channel");
    assert_eq!(truncated.counters.truncated_seq, 3);
    assert_eq!(truncated.truncated_at, Some(m2.created_at));

    let left = ctx
        .store
        .get_messages(&ctx.app, &[m1.id.clone(), m2.id.clone(), m3.id.clone()])
        .await
        .expect("get_messages");
    assert_eq!(
        ids(&left),
        ids(std::slice::from_ref(&m3)),
        "messages at or before `at` removed"
    );
    let page = ctx
        .store
        .channel_messages(&ctx.app, &ch.cid, &MessagePage::latest(10))
        .await
        .expect("channel_messages");
    assert_eq!(ids(&page), ids(std::slice::from_ref(&m3)));
    let reactions = ctx
        .store
        .user_reactions(&ctx.app, &[m1.id.clone(), m3.id.clone()], &uid("bob"))
        .await
        .expect("user_reactions");
    assert!(
        reactions.is_empty(),
        "m1's reactions removed: {reactions:?}"
    );
    assert_eq!(ctx.message(&m3.id).await.reactions.groups["like"].count, 1);
    let starred = ctx
        .store
        .messages_flagged(&ctx.app, &uid("bob"), MessageFlags::STARRED, 10)
        .await
        .expect("messages_flagged");
    assert_eq!(
        starred,
        vec![m3.id.clone()],
        "flags of removed messages removed"
    );
}
