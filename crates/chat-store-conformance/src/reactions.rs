//! `ReactionStore`: uniqueness per (message, user, type), the exact summary on the message
//! (groups and `latest`), listing.

use std::sync::Arc;

use chat_core::model::{Message, Reaction, ReactionGroup, LATEST_REACTIONS};
use chat_core::store::Store;
use serde_json::json;

use crate::fixtures::*;

fn group(message: &Message, kind: &str) -> Option<ReactionGroup> {
    message.reactions.groups.get(kind).copied()
}

fn latest_keys(message: &Message) -> Vec<(String, String)> {
    message
        .reactions
        .latest
        .iter()
        .map(|r| (r.user_id.to_string(), r.kind.clone()))
        .collect()
}

async fn setup(store: Arc<dyn Store>) -> (Ctx, Message) {
    let ctx = Ctx::new(store).await;
    let ch = ctx
        .channel("general", &["alice", "bob", "carol", "dave"])
        .await;
    let m = ctx.send(&ch.cid, "alice").await;
    (ctx, m)
}

/// A first reaction is stored as given, `updated = false`, and the summary gets a group
/// (count 1, sum = score, first = last = its time) and a `latest` entry.
pub async fn first_reaction_creates_group(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    let at = ctx.tick();
    let mut reaction = new_reaction(&m.id, "bob", "love", 3, at);
    reaction.custom.insert("emoji", json!("❤"));
    let change = ctx
        .store
        .upsert_reaction(&ctx.app, reaction.clone(), false)
        .await
        .expect("upsert_reaction");
    assert_eq!(change.reaction, reaction);
    assert!(!change.updated);
    assert!(change.removed.is_empty());
    assert_eq!(
        group(&change.message, "love"),
        Some(ReactionGroup {
            count: 1,
            sum_scores: 3,
            first_reaction_at: at,
            last_reaction_at: at,
        })
    );
    assert_eq!(change.message.reactions.latest, vec![reaction.clone()]);
    assert_eq!(change.message.reactions.groups.len(), 1);
    let stored = ctx.message(&m.id).await;
    assert_eq!(stored, change.message, "returned message is the stored one");
    assert_eq!(
        (stored.text, stored.seq),
        (m.text, m.seq),
        "content untouched"
    );
    let listed = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 10, 0)
        .await
        .expect("list_reactions");
    assert_eq!(listed, vec![reaction]);
}

/// The same (user, type) again replaces the reaction, keeping its `created_at`, and
/// reports `updated`; the group still counts one, with the new score.
pub async fn same_user_and_type_replaces_keeping_created_at(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    let first_at = ctx.tick();
    ctx.store
        .upsert_reaction(
            &ctx.app,
            new_reaction(&m.id, "bob", "like", 1, first_at),
            false,
        )
        .await
        .expect("upsert_reaction");
    let second_at = ctx.tick();
    let mut second = new_reaction(&m.id, "bob", "like", 5, second_at);
    second.custom.insert("v", json!(2));
    let change = ctx
        .store
        .upsert_reaction(&ctx.app, second.clone(), false)
        .await
        .expect("upsert_reaction again");
    assert!(
        change.updated,
        "an existing (user, type) is reported as updated"
    );
    assert_eq!(change.reaction.created_at, first_at, "created_at is kept");
    assert_eq!(change.reaction.score, 5);
    assert_eq!(change.reaction.custom, second.custom);
    let g = group(&change.message, "like").expect("like group");
    assert_eq!((g.count, g.sum_scores), (1, 5));
    assert_eq!(g.first_reaction_at, first_at);
    assert_eq!(change.message.reactions.latest.len(), 1);
    assert_eq!(change.message.reactions.latest[0].score, 5);
    let listed = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 10, 0)
        .await
        .expect("list_reactions");
    assert_eq!(listed, vec![change.reaction.clone()]);
}

/// Groups count reactions and sum scores exactly per type, with first/last times.
pub async fn groups_count_and_sum_exactly(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    let a = ctx.react_scored(&m.id, "bob", "like", 1).await.reaction;
    ctx.react_scored(&m.id, "carol", "like", 2).await;
    let c = ctx.react_scored(&m.id, "dave", "like", 4).await.reaction;
    let d = ctx.react_scored(&m.id, "bob", "wow", 7).await.reaction;
    let e = ctx.react_scored(&m.id, "carol", "wow", 10).await;
    let msg = e.message;
    assert_eq!(
        group(&msg, "like"),
        Some(ReactionGroup {
            count: 3,
            sum_scores: 7,
            first_reaction_at: a.created_at,
            last_reaction_at: c.created_at,
        })
    );
    assert_eq!(
        group(&msg, "wow"),
        Some(ReactionGroup {
            count: 2,
            sum_scores: 17,
            first_reaction_at: d.created_at,
            last_reaction_at: e.reaction.created_at,
        })
    );
    assert_eq!(msg.reactions.groups.len(), 2);
    assert_eq!(msg.reactions.latest.len(), 5);
}

/// With `enforce_unique`, the user's other reactions on the message are removed and
/// reported; other users' stay; emptied groups disappear.
pub async fn enforce_unique_removes_other_kinds(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    let bob_like = ctx.react(&m.id, "bob", "like").await.reaction;
    let bob_wow = ctx.react(&m.id, "bob", "wow").await.reaction;
    ctx.react(&m.id, "carol", "like").await;
    let love = new_reaction(&m.id, "bob", "love", 1, ctx.tick());
    let change = ctx
        .store
        .upsert_reaction(&ctx.app, love.clone(), true)
        .await
        .expect("upsert_reaction enforce_unique");
    assert!(!change.updated);
    let mut removed = change.removed.clone();
    removed.sort_by(|a, b| a.kind.cmp(&b.kind));
    assert_eq!(removed, vec![bob_like, bob_wow]);
    let msg = &change.message;
    assert_eq!(
        group(msg, "like").map(|g| g.count),
        Some(1),
        "carol's like stays"
    );
    assert_eq!(group(msg, "wow"), None, "an emptied group disappears");
    assert_eq!(group(msg, "love").map(|g| g.count), Some(1));
    assert_eq!(
        sorted(latest_keys(msg)),
        vec![
            ("bob".to_string(), "love".to_string()),
            ("carol".to_string(), "like".to_string())
        ]
    );
    let bobs = ctx
        .store
        .user_reactions(&ctx.app, std::slice::from_ref(&m.id), &uid("bob"))
        .await
        .expect("user_reactions");
    assert_eq!(bobs, vec![love.clone()]);

    // Enforcing again with the same kind replaces, removing nothing.
    let again = ctx
        .store
        .upsert_reaction(
            &ctx.app,
            new_reaction(&m.id, "bob", "love", 2, ctx.tick()),
            true,
        )
        .await
        .expect("upsert_reaction enforce_unique again");
    assert!(again.updated);
    assert!(again.removed.is_empty());
    assert_eq!(group(&again.message, "love").map(|g| g.sum_scores), Some(2));
}

/// `latest` holds the 10 newest reactions, newest first, and is refilled from the older
/// ones when one of them is deleted.
pub async fn latest_keeps_ten_newest_and_refills_after_delete(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let users: Vec<String> = (0..12).map(|i| format!("u{i:02}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let ch = ctx.channel("general", &names).await;
    let m = ctx.send(&ch.cid, "u00").await;
    let mut made = Vec::new();
    for user in &names {
        made.push(ctx.react(&m.id, user, "like").await.reaction);
    }
    let newest_first: Vec<Reaction> = made.iter().rev().cloned().collect();
    let msg = ctx.message(&m.id).await;
    assert_eq!(msg.reactions.latest.len(), LATEST_REACTIONS);
    assert_eq!(
        msg.reactions.latest,
        newest_first[..LATEST_REACTIONS].to_vec()
    );
    assert_eq!(group(&msg, "like").map(|g| g.count), Some(12));

    let (removed, after) = ctx
        .store
        .delete_reaction(&ctx.app, &m.id, &uid("u11"), "like")
        .await
        .expect("delete_reaction");
    assert_eq!(removed, made[11]);
    assert_eq!(
        after.reactions.latest,
        newest_first[1..=LATEST_REACTIONS].to_vec(),
        "latest is refilled with the next newest"
    );
    assert_eq!(ctx.message(&m.id).await, after);
}

/// `delete_reaction` removes the reaction and keeps the summary exact (count, sum,
/// first/last time); the last one of a type removes the group.
pub async fn delete_reaction_updates_summary(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    let first = ctx.react_scored(&m.id, "bob", "like", 2).await.reaction;
    let middle = ctx.react_scored(&m.id, "carol", "like", 3).await.reaction;
    ctx.react_scored(&m.id, "dave", "like", 5).await;
    ctx.react(&m.id, "dave", "wow").await;

    let (gone, msg) = ctx
        .store
        .delete_reaction(&ctx.app, &m.id, &uid("dave"), "like")
        .await
        .expect("delete_reaction");
    assert_eq!(
        (gone.user_id.as_str(), gone.kind.as_str()),
        ("dave", "like")
    );
    assert_eq!(
        group(&msg, "like"),
        Some(ReactionGroup {
            count: 2,
            sum_scores: 5,
            first_reaction_at: first.created_at,
            last_reaction_at: middle.created_at,
        }),
        "the group is recomputed exactly"
    );
    assert!(!latest_keys(&msg).contains(&("dave".to_string(), "like".to_string())));

    let (_, msg) = ctx
        .store
        .delete_reaction(&ctx.app, &m.id, &uid("dave"), "wow")
        .await
        .expect("delete_reaction");
    assert_eq!(group(&msg, "wow"), None, "an emptied group disappears");
    assert_eq!(msg.reactions.latest.len(), 2);
    assert_eq!(ctx.message(&m.id).await, msg);
    let listed = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 10, 0)
        .await
        .expect("list_reactions");
    assert_eq!(listed, vec![middle, first]);
}

/// Deleting a reaction that does not exist, or on a missing message, is `NotFound`.
pub async fn delete_missing_reaction_is_not_found(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    ctx.react(&m.id, "bob", "like").await;
    expect_not_found(
        ctx.store
            .delete_reaction(&ctx.app, &m.id, &uid("bob"), "wow")
            .await,
        "delete_reaction of a type the user did not use",
    );
    expect_not_found(
        ctx.store
            .delete_reaction(&ctx.app, &m.id, &uid("carol"), "like")
            .await,
        "delete_reaction of another user",
    );
    expect_not_found(
        ctx.store
            .delete_reaction(&ctx.app, &mid("missing"), &uid("bob"), "like")
            .await,
        "delete_reaction on a missing message",
    );
    assert_eq!(
        group(&ctx.message(&m.id).await, "like").map(|g| g.count),
        Some(1)
    );
}

/// A reaction on a missing message is `NotFound`.
pub async fn reaction_on_missing_message_is_not_found(store: Arc<dyn Store>) {
    let (ctx, _) = setup(store).await;
    expect_not_found(
        ctx.store
            .upsert_reaction(
                &ctx.app,
                new_reaction(&mid("missing"), "bob", "like", 1, ctx.tick()),
                false,
            )
            .await,
        "upsert_reaction on a missing message",
    );
    let listed = ctx
        .store
        .user_reactions(&ctx.app, &[mid("missing")], &uid("bob"))
        .await
        .expect("user_reactions");
    assert!(listed.is_empty());
}

/// `list_reactions` is newest first, ties by user id then type, with offset and limit.
pub async fn list_reactions_order_offset_limit(store: Arc<dyn Store>) {
    let (ctx, m) = setup(store).await;
    let early = t(10);
    let late = t(20);
    let put = |user: &'static str, kind: &'static str, at| {
        let ctx = &ctx;
        let reaction = new_reaction(&m.id, user, kind, 1, at);
        async move {
            ctx.store
                .upsert_reaction(&ctx.app, reaction, false)
                .await
                .expect("upsert_reaction")
                .reaction
        }
    };
    let r1 = put("carol", "like", early).await;
    let r2 = put("bob", "wow", late).await;
    let r3 = put("dave", "like", late).await;
    let r4 = put("bob", "like", late).await;
    let r5 = put("alice", "zap", early).await;
    let expected = vec![r4, r2, r3, r5, r1];
    let all = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 10, 0)
        .await
        .expect("list_reactions");
    assert_eq!(all, expected, "newest first, ties by user id then type");
    let page = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 2, 1)
        .await
        .expect("list_reactions");
    assert_eq!(page, expected[1..3].to_vec(), "offset 1, limit 2");
    let tail = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 10, 4)
        .await
        .expect("list_reactions");
    assert_eq!(tail, expected[4..].to_vec());
    let past = ctx
        .store
        .list_reactions(&ctx.app, &m.id, 10, 5)
        .await
        .expect("list_reactions");
    assert!(past.is_empty());
}

/// `user_reactions` returns the user's reactions on any of the messages, and nothing else.
pub async fn user_reactions_across_messages(store: Arc<dyn Store>) {
    let (ctx, m1) = setup(store).await;
    let m2 = ctx.send(&m1.cid, "alice").await;
    let m3 = ctx.send(&m1.cid, "alice").await;
    let a = ctx.react(&m1.id, "bob", "like").await.reaction;
    let b = ctx.react(&m1.id, "bob", "wow").await.reaction;
    let c = ctx.react(&m2.id, "bob", "like").await.reaction;
    ctx.react(&m3.id, "bob", "like").await;
    ctx.react(&m1.id, "carol", "like").await;
    let key = |r: &Reaction| (r.message_id.to_string(), r.kind.clone());
    let mut got = ctx
        .store
        .user_reactions(
            &ctx.app,
            &[m1.id.clone(), m2.id.clone(), mid("missing")],
            &uid("bob"),
        )
        .await
        .expect("user_reactions");
    got.sort_by_key(key);
    let mut want = vec![a, b, c];
    want.sort_by_key(key);
    assert_eq!(got, want);
    let none = ctx
        .store
        .user_reactions(&ctx.app, std::slice::from_ref(&m2.id), &uid("dave"))
        .await
        .expect("user_reactions");
    assert!(none.is_empty());
}
