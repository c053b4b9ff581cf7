//! `UserStore` (except `query_users`, in [`crate::queries`]).

use std::sync::Arc;

use chat_core::ids::Role;
use chat_core::model::User;
use chat_core::store::Store;
use serde_json::json;

use crate::fixtures::*;

/// `insert_user` stores every field as given with version 1.
pub async fn insert_round_trips_every_field(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let mut user = new_user("alice");
    user.role = Role::new_unchecked("admin");
    user.name = Some("Alice".into());
    user.image = Some("https://example.invalid/a.png".into());
    user.teams = strings(&["red", "blue"]);
    user.teams_role
        .insert("red".into(), Role::new_unchecked("moderator"));
    user.language = Some("fr".into());
    user.banned = true;
    user.ban_expires = Some(t(50));
    user.shadow_banned = true;
    user.invisible = true;
    user.privacy.read_receipts = false;
    user.revoke_tokens_issued_before = Some(t(3));
    user.deactivated_at = Some(t(4));
    user.created_at = t(1);
    user.updated_at = t(2);
    user.last_active = Some(t(5));
    user.custom
        .insert("nested", json!({"level": {"deep": [1, "two", null]}}));
    user.custom.insert("score", json!(3.5));
    user.version = 17;

    let stored = ctx
        .store
        .insert_user(&ctx.app, user.clone())
        .await
        .expect("insert_user");
    assert_eq!(
        stored,
        User { version: 1, ..user },
        "insert_user stores version 1"
    );
    let got = ctx
        .store
        .get_users(&ctx.app, &[uid("alice")])
        .await
        .expect("get_users");
    assert_eq!(got, vec![stored]);
}

/// A taken user id is `Duplicate`; the first user is kept.
pub async fn duplicate_id_is_refused(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let first = ctx.user("alice").await;
    let mut second = new_user("alice");
    second.name = Some("impostor".into());
    expect_duplicate(
        ctx.store.insert_user(&ctx.app, second).await,
        "insert_user with a taken id",
    );
    let got = ctx
        .store
        .get_users(&ctx.app, &[uid("alice")])
        .await
        .expect("get_users");
    assert_eq!(got, vec![first]);
}

/// `update_user` with the current version stores the user with `version + 1`; a stale
/// version is `VersionConflict` and changes nothing.
pub async fn update_is_compare_and_swap(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let v1 = ctx.user("alice").await;
    let mut changed = v1.clone();
    changed.name = Some("Alice".into());
    changed.custom.insert("color", json!("green"));
    let v2 = ctx
        .store
        .update_user(&ctx.app, changed.clone())
        .await
        .expect("update_user");
    assert_eq!(
        v2,
        User {
            version: v1.version + 1,
            ..changed
        }
    );

    let mut stale = v1.clone();
    stale.name = Some("stale".into());
    expect_conflict(
        ctx.store.update_user(&ctx.app, stale).await,
        "update_user with the old version",
    );
    let got = ctx
        .store
        .get_users(&ctx.app, &[uid("alice")])
        .await
        .expect("get_users");
    assert_eq!(
        got,
        vec![v2.clone()],
        "a conflicting update changes nothing"
    );

    let v3 = ctx
        .store
        .update_user(&ctx.app, v2.clone())
        .await
        .expect("update_user with the current version");
    assert_eq!(v3.version, v2.version + 1);
}

/// `update_user` of a user that does not exist is `NotFound` and creates nothing.
pub async fn update_of_missing_user_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let mut ghost = new_user("ghost");
    ghost.version = 1;
    expect_not_found(
        ctx.store.update_user(&ctx.app, ghost).await,
        "update_user of a missing user",
    );
    let got = ctx
        .store
        .get_users(&ctx.app, &[uid("ghost")])
        .await
        .expect("get_users");
    assert!(got.is_empty(), "update_user must not create: {got:?}");
}

/// `get_users` returns the users that exist, in the order asked, duplicates collapsed.
pub async fn get_users_keeps_request_order_and_skips_missing(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.users(&["ann", "bob", "cy", "dee"]).await;
    let got = ctx
        .store
        .get_users(
            &ctx.app,
            &[uid("dee"), uid("nobody"), uid("ann"), uid("cy"), uid("ann")],
        )
        .await
        .expect("get_users");
    let got: Vec<String> = got.iter().map(|u| u.id.to_string()).collect();
    assert_eq!(got, strings(&["dee", "ann", "cy"]));
    let none = ctx.store.get_users(&ctx.app, &[]).await.expect("get_users");
    assert!(none.is_empty());
}
