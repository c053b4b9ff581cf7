//! `MemberStore` (except `query_members`, in [`crate::queries`]).

use std::sync::Arc;

use chat_core::ids::Role;
use chat_core::model::Member;
use chat_core::store::Store;
use serde_json::json;

use crate::fixtures::*;

/// `add_members` adds only the members not already present (existing ones keep their
/// row), raises `member_count` by the number added and returns those added.
pub async fn add_members_is_idempotent_and_counts_exactly(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let alice_before = ctx
        .member(&ch.cid, "alice")
        .await
        .expect("alice is a member");
    ctx.users(&["bob", "carol"]).await;

    let mut alice_again = new_member(&ch.cid, "alice");
    alice_again.channel_role = Role::new_unchecked("channel_moderator");
    let added = ctx
        .store
        .add_members(
            &ctx.app,
            &ch.cid,
            vec![
                new_member(&ch.cid, "carol"),
                alice_again,
                new_member(&ch.cid, "bob"),
            ],
        )
        .await
        .expect("add_members");
    assert_eq!(
        sorted(user_ids(added.iter().map(|m| &m.user_id))),
        strings(&["bob", "carol"]),
        "only new members are returned"
    );
    assert_eq!(ctx.counters(&ch.cid).await.member_count, 3);
    assert_eq!(
        ctx.member(&ch.cid, "alice").await,
        Some(alice_before),
        "an existing member is left as it was"
    );

    let again = ctx
        .store
        .add_members(&ctx.app, &ch.cid, vec![new_member(&ch.cid, "bob")])
        .await
        .expect("add_members again");
    assert!(again.is_empty(), "nothing new: {again:?}");
    assert_eq!(ctx.counters(&ch.cid).await.member_count, 3);

    let bob = ctx.member(&ch.cid, "bob").await.expect("bob is a member");
    let returned_bob = added
        .iter()
        .find(|m| m.user_id == uid("bob"))
        .expect("bob returned");
    assert_eq!(&bob, returned_bob, "returned member is the stored one");
}

/// A member added later gets a read cursor at the channel's current `last_seq`: earlier
/// messages are not unread for them, later ones are.
pub async fn added_member_starts_with_nothing_unread(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    for _ in 0..3 {
        ctx.send(&ch.cid, "alice").await;
    }
    ctx.users(&["bob"]).await;
    ctx.store
        .add_members(&ctx.app, &ch.cid, vec![new_member(&ch.cid, "bob")])
        .await
        .expect("add_members");
    let read = ctx.read_state(&ch.cid, "bob").await;
    assert_eq!(read.last_read_seq, 3, "cursor at last_seq");
    assert_eq!(read.own_after_cursor, 0);
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 0);
    ctx.send(&ch.cid, "alice").await;
    assert_eq!(ctx.unread(&ch.cid, "bob").await, 1);
}

/// `add_members` to a missing channel is `NotFound`.
pub async fn add_members_to_missing_channel_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.users(&["bob"]).await;
    let missing = cid("missing");
    expect_not_found(
        ctx.store
            .add_members(&ctx.app, &missing, vec![new_member(&missing, "bob")])
            .await,
        "add_members to a missing channel",
    );
    let memberships = ctx
        .store
        .memberships(&ctx.app, &uid("bob"))
        .await
        .expect("memberships");
    assert!(memberships.is_empty(), "{memberships:?}");
}

/// `remove_members` removes the listed members that exist with their cursors, lowers
/// `member_count` by that number and returns them; repeating it removes nothing.
pub async fn remove_members_counts_exactly_and_drops_cursors(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    let bob = ctx.member(&ch.cid, "bob").await.expect("bob is a member");
    ctx.users(&["dave"]).await;

    let removed = ctx
        .store
        .remove_members(&ctx.app, &ch.cid, &[uid("bob"), uid("dave")])
        .await
        .expect("remove_members");
    assert_eq!(
        removed,
        vec![bob],
        "only existing members are removed and returned"
    );
    assert_eq!(ctx.counters(&ch.cid).await.member_count, 2);
    assert_eq!(ctx.member(&ch.cid, "bob").await, None);
    assert!(
        ctx.read_with_counters(&ch.cid, "bob").await.is_none(),
        "cursor removed"
    );
    let reads = ctx
        .store
        .channel_reads(&ctx.app, &ch.cid, 10)
        .await
        .expect("channel_reads");
    assert_eq!(
        user_ids(reads.iter().map(|r| &r.user_id)),
        strings(&["alice", "carol"])
    );

    let again = ctx
        .store
        .remove_members(&ctx.app, &ch.cid, &[uid("bob")])
        .await
        .expect("remove_members again");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(ctx.counters(&ch.cid).await.member_count, 2);
    assert_eq!(
        ctx.store
            .member_ids(&ctx.app, &ch.cid)
            .await
            .expect("member_ids"),
        vec![uid("alice"), uid("carol")]
    );
}

/// `update_member` with the current version stores it with `version + 1`; a stale version
/// is `VersionConflict`; a non-member is `NotFound`.
pub async fn update_member_is_compare_and_swap(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let v1 = ctx.member(&ch.cid, "bob").await.expect("bob is a member");
    let mut changed = v1.clone();
    changed.channel_role = Role::new_unchecked("channel_moderator");
    changed.pinned_at = Some(t(5));
    changed.custom.insert("nickname", json!("bobby"));
    let v2 = ctx
        .store
        .update_member(&ctx.app, changed.clone())
        .await
        .expect("update_member");
    assert_eq!(
        v2,
        Member {
            version: v1.version + 1,
            ..changed
        }
    );
    assert_eq!(ctx.member(&ch.cid, "bob").await, Some(v2.clone()));

    let mut stale = v1;
    stale.banned = true;
    expect_conflict(
        ctx.store.update_member(&ctx.app, stale).await,
        "update_member with the old version",
    );
    assert_eq!(ctx.member(&ch.cid, "bob").await, Some(v2));

    ctx.users(&["zed"]).await;
    let mut stranger = new_member(&ch.cid, "zed");
    stranger.version = 1;
    expect_not_found(
        ctx.store.update_member(&ctx.app, stranger).await,
        "update_member of a non-member",
    );
    assert_eq!(
        ctx.member(&ch.cid, "zed").await,
        None,
        "update_member must not create"
    );
}

/// `get_members` returns the members among the users asked, in that order.
pub async fn get_members_keeps_request_order(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    let got = ctx
        .store
        .get_members(
            &ctx.app,
            &ch.cid,
            &[uid("carol"), uid("alice"), uid("zed"), uid("bob")],
        )
        .await
        .expect("get_members");
    assert_eq!(
        user_ids(got.iter().map(|m| &m.user_id)),
        strings(&["carol", "alice", "bob"])
    );
    assert!(got.iter().all(|m| m.cid == ch.cid));
}

/// `member_ids` lists every member ascending (byte order, as `UserId` orders).
pub async fn member_ids_are_sorted_ascending(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx
        .channel("general", &["zoe", "mike", "adam", "Bob", "a_b", "a-b"])
        .await;
    let ids = ctx
        .store
        .member_ids(&ctx.app, &ch.cid)
        .await
        .expect("member_ids");
    assert_eq!(
        user_ids(&ids),
        strings(&["Bob", "a-b", "a_b", "adam", "mike", "zoe"])
    );
}

/// `memberships` lists every membership of a user, ordered by cid.
pub async fn memberships_are_ordered_by_cid(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    for id in ["c3", "a1", "b2"] {
        ctx.channel(id, &["alice", "bob"]).await;
    }
    ctx.channel("d4", &["bob"]).await;
    let got = ctx
        .store
        .memberships(&ctx.app, &uid("alice"))
        .await
        .expect("memberships");
    let cids: Vec<String> = got.iter().map(|m| m.cid.to_string()).collect();
    assert_eq!(
        cids,
        strings(&["messaging:a1", "messaging:b2", "messaging:c3"])
    );
    assert!(got.iter().all(|m| m.user_id == uid("alice")));
    let none = ctx
        .store
        .memberships(&ctx.app, &uid("nobody"))
        .await
        .expect("memberships");
    assert!(none.is_empty());
}
