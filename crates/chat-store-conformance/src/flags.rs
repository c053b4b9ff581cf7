//! Sparse per-user message flags: `update_flags`, `flags_of`, `messages_flagged`.

use std::sync::Arc;

use chat_core::read_state::MessageFlags;
use chat_core::store::Store;

use crate::fixtures::*;

/// `update_flags` adds `set`, removes `clear` and returns the new flags.
pub async fn update_flags_sets_and_clears(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m = ctx.send(&ch.cid, "alice").await;
    let bob = uid("bob");
    let update = |set, clear| {
        let ctx = &ctx;
        let bob = bob.clone();
        let id = m.id.clone();
        async move {
            ctx.store
                .update_flags(&ctx.app, &bob, &id, set, clear)
                .await
                .expect("update_flags")
        }
    };
    assert_eq!(
        update(MessageFlags::STARRED, MessageFlags::empty()).await,
        MessageFlags::STARRED
    );
    assert_eq!(
        update(
            MessageFlags::HAS_ALERT | MessageFlags::PRIVATE,
            MessageFlags::empty()
        )
        .await,
        MessageFlags::STARRED | MessageFlags::HAS_ALERT | MessageFlags::PRIVATE
    );
    assert_eq!(
        update(
            MessageFlags::MENTIONED,
            MessageFlags::STARRED | MessageFlags::PRIVATE
        )
        .await,
        MessageFlags::HAS_ALERT | MessageFlags::MENTIONED
    );
    assert_eq!(
        update(MessageFlags::empty(), MessageFlags::MARKED_UNREAD).await,
        MessageFlags::HAS_ALERT | MessageFlags::MENTIONED,
        "clearing an unset flag changes nothing"
    );
    assert_eq!(
        ctx.flags("bob", &m.id).await,
        MessageFlags::HAS_ALERT | MessageFlags::MENTIONED
    );
    assert_eq!(
        ctx.flags("alice", &m.id).await,
        MessageFlags::empty(),
        "per user"
    );
}

/// Flags that become empty remove the row: `flags_of` and `messages_flagged` no longer
/// list the message.
pub async fn empty_flags_remove_the_row(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m = ctx.send(&ch.cid, "alice").await;
    ctx.set_flags(
        "bob",
        &m.id,
        MessageFlags::STARRED | MessageFlags::HAS_ALERT,
    )
    .await;
    let left = ctx
        .store
        .update_flags(
            &ctx.app,
            &uid("bob"),
            &m.id,
            MessageFlags::empty(),
            MessageFlags::all(),
        )
        .await
        .expect("update_flags");
    assert_eq!(left, MessageFlags::empty());
    let rows = ctx
        .store
        .flags_of(&ctx.app, &uid("bob"), std::slice::from_ref(&m.id))
        .await
        .expect("flags_of");
    assert!(rows.is_empty(), "an emptied row is removed: {rows:?}");
    let flagged = ctx
        .store
        .messages_flagged(&ctx.app, &uid("bob"), MessageFlags::empty(), 10)
        .await
        .expect("messages_flagged");
    assert!(
        flagged.is_empty(),
        "no row, not even for the empty flag set: {flagged:?}"
    );

    let none = ctx
        .store
        .update_flags(
            &ctx.app,
            &uid("alice"),
            &m.id,
            MessageFlags::empty(),
            MessageFlags::STARRED,
        )
        .await
        .expect("update_flags with nothing to do");
    assert_eq!(none, MessageFlags::empty());
    let rows = ctx
        .store
        .flags_of(&ctx.app, &uid("alice"), std::slice::from_ref(&m.id))
        .await
        .expect("flags_of");
    assert!(rows.is_empty(), "no empty row is created: {rows:?}");
}

/// `flags_of` returns the user's non-empty flags on the asked messages only.
pub async fn flags_of_lists_only_the_users_non_empty_flags(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&ch.cid, "alice").await;
    let m3 = ctx.send(&ch.cid, "alice").await;
    let m4 = ctx.send(&ch.cid, "alice").await;
    ctx.set_flags("bob", &m1.id, MessageFlags::STARRED).await;
    ctx.set_flags("bob", &m3.id, MessageFlags::HAS_ALERT).await;
    ctx.set_flags("bob", &m4.id, MessageFlags::STARRED).await;
    ctx.set_flags("alice", &m2.id, MessageFlags::STARRED).await;
    let mut rows = ctx
        .store
        .flags_of(
            &ctx.app,
            &uid("bob"),
            &[m1.id.clone(), m2.id.clone(), m3.id.clone(), mid("missing")],
        )
        .await
        .expect("flags_of");
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rows,
        vec![
            (m1.id.clone(), MessageFlags::STARRED),
            (m3.id.clone(), MessageFlags::HAS_ALERT)
        ]
    );
    let none = ctx
        .store
        .flags_of(&ctx.app, &uid("bob"), &[])
        .await
        .expect("flags_of");
    assert!(none.is_empty());
}

/// `messages_flagged` lists messages where the user has all of the flags, newest message
/// first, at most `limit`.
pub async fn messages_flagged_newest_first_with_all_flags(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let other = ctx.channel("other", &["alice", "bob"]).await;
    let m1 = ctx.send(&ch.cid, "alice").await;
    let m2 = ctx.send(&other.cid, "alice").await;
    let m3 = ctx.send(&ch.cid, "alice").await;
    let m4 = ctx.send(&ch.cid, "alice").await;
    let m5 = ctx.send(&other.cid, "alice").await;
    let m6 = ctx.send(&ch.cid, "alice").await;
    // Flag out of time order so insertion order cannot stand in for message order.
    ctx.set_flags(
        "bob",
        &m4.id,
        MessageFlags::STARRED | MessageFlags::MENTIONED,
    )
    .await;
    ctx.set_flags("bob", &m1.id, MessageFlags::STARRED).await;
    ctx.set_flags("bob", &m5.id, MessageFlags::STARRED).await;
    ctx.set_flags(
        "bob",
        &m2.id,
        MessageFlags::STARRED | MessageFlags::HAS_ALERT,
    )
    .await;
    ctx.set_flags("bob", &m3.id, MessageFlags::MENTIONED).await;
    ctx.set_flags("alice", &m6.id, MessageFlags::STARRED).await;
    let flagged = |flags, limit| {
        let ctx = &ctx;
        async move {
            ctx.store
                .messages_flagged(&ctx.app, &uid("bob"), flags, limit)
                .await
                .expect("messages_flagged")
        }
    };
    assert_eq!(
        flagged(MessageFlags::STARRED, 10).await,
        vec![m5.id.clone(), m4.id.clone(), m2.id.clone(), m1.id.clone()]
    );
    assert_eq!(
        flagged(MessageFlags::STARRED, 2).await,
        vec![m5.id.clone(), m4.id.clone()]
    );
    assert_eq!(
        flagged(MessageFlags::STARRED | MessageFlags::MENTIONED, 10).await,
        vec![m4.id.clone()],
        "all of the flags"
    );
    assert_eq!(
        flagged(MessageFlags::MENTIONED, 10).await,
        vec![m4.id.clone(), m3.id.clone()]
    );
    assert!(flagged(MessageFlags::PRIVATE, 10).await.is_empty());
}

/// `update_flags` on a missing message is `NotFound` and stores nothing.
pub async fn update_flags_of_missing_message_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.channel("general", &["alice", "bob"]).await;
    expect_not_found(
        ctx.store
            .update_flags(
                &ctx.app,
                &uid("bob"),
                &mid("missing"),
                MessageFlags::STARRED,
                MessageFlags::empty(),
            )
            .await,
        "update_flags on a missing message",
    );
    let flagged = ctx
        .store
        .messages_flagged(&ctx.app, &uid("bob"), MessageFlags::STARRED, 10)
        .await
        .expect("messages_flagged");
    assert!(flagged.is_empty());
}
