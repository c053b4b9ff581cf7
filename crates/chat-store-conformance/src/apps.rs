//! `AppStore`, and the rule that rows of different apps never meet.

use std::sync::Arc;

use chat_core::model::App;
use chat_core::read_state::MessageFlags;
use chat_core::store::Store;
use serde_json::json;

use crate::fixtures::*;

/// `insert_app` stores version 1; `get_app` finds it by id; an unknown id is `None`.
pub async fn insert_and_get(store: Arc<dyn Store>) {
    let mut app = new_app("alpha");
    app.settings.disable_auth_checks = true;
    app.settings
        .extra
        .insert("custom_setting", json!({"a": [1, 2]}));
    app.version = 41;
    let stored = store.insert_app(app.clone()).await.expect("insert_app");
    assert_eq!(
        stored,
        App {
            version: 1,
            ..app.clone()
        },
        "insert_app stores version 1"
    );
    let got = store.get_app(&app.id).await.expect("get_app");
    assert_eq!(got, Some(stored), "get_app returns the stored app");
    assert_eq!(store.get_app(&app_id("nope")).await.expect("get_app"), None);
}

/// A taken id or a taken api key is `Duplicate`, and nothing is written.
pub async fn duplicate_id_or_api_key_is_refused(store: Arc<dyn Store>) {
    store
        .insert_app(new_app("alpha"))
        .await
        .expect("insert_app");

    let mut same_id = new_app("alpha");
    same_id.api_key = "other-key".into();
    expect_duplicate(
        store.insert_app(same_id).await,
        "insert_app with a taken id",
    );

    let mut same_key = new_app("beta");
    same_key.api_key = "key-alpha".into();
    expect_duplicate(
        store.insert_app(same_key).await,
        "insert_app with a taken api key",
    );

    assert_eq!(store.get_app(&app_id("beta")).await.expect("get_app"), None);
    let by_key = store
        .get_app_by_key("other-key")
        .await
        .expect("get_app_by_key");
    assert_eq!(by_key, None, "the refused app's key was not stored");
    let apps = store.list_apps().await.expect("list_apps");
    assert_eq!(apps.len(), 1, "only the first app is stored: {apps:?}");
}

/// `get_app_by_key` finds an app by api key; an unknown key is `None`.
pub async fn get_by_api_key(store: Arc<dyn Store>) {
    let alpha = store
        .insert_app(new_app("alpha"))
        .await
        .expect("insert_app");
    let beta = store.insert_app(new_app("beta")).await.expect("insert_app");
    let got = store
        .get_app_by_key("key-beta")
        .await
        .expect("get_app_by_key");
    assert_eq!(got, Some(beta));
    let got = store
        .get_app_by_key("key-alpha")
        .await
        .expect("get_app_by_key");
    assert_eq!(got, Some(alpha));
    let got = store
        .get_app_by_key("key-gamma")
        .await
        .expect("get_app_by_key");
    assert_eq!(got, None);
}

/// `update_app` with the current version stores the new settings with `version + 1`.
pub async fn update_bumps_version(store: Arc<dyn Store>) {
    let stored = store
        .insert_app(new_app("alpha"))
        .await
        .expect("insert_app");
    let mut changed = stored.clone();
    changed.settings.suspended = true;
    changed.settings.suspended_explanation = "billing".into();
    changed.settings.reminders_interval = 60;
    let updated = store.update_app(changed.clone()).await.expect("update_app");
    assert_eq!(
        updated,
        App {
            version: 2,
            ..changed
        },
        "update_app returns version + 1"
    );
    let got = store.get_app(&stored.id).await.expect("get_app");
    assert_eq!(got, Some(updated.clone()));
    let again = store
        .update_app(updated.clone())
        .await
        .expect("second update_app");
    assert_eq!(again.version, 3);
}

/// `update_app` with a stale version is `VersionConflict` and changes nothing.
pub async fn update_with_stale_version_conflicts(store: Arc<dyn Store>) {
    let v1 = store
        .insert_app(new_app("alpha"))
        .await
        .expect("insert_app");
    let mut first = v1.clone();
    first.settings.name = "first".into();
    let v2 = store.update_app(first).await.expect("update_app");

    let mut stale = v1.clone();
    stale.settings.name = "stale".into();
    expect_conflict(
        store.update_app(stale).await,
        "update_app with version 1 after 2",
    );
    let got = store.get_app(&v1.id).await.expect("get_app");
    assert_eq!(got, Some(v2), "a conflicting update changes nothing");
}

/// `list_apps` returns every app, ordered by id.
pub async fn list_is_ordered_by_id(store: Arc<dyn Store>) {
    for id in ["mango", "apple", "kiwi", "banana"] {
        store.insert_app(new_app(id)).await.expect("insert_app");
    }
    let apps = store.list_apps().await.expect("list_apps");
    let listed: Vec<String> = apps.iter().map(|a| a.id.to_string()).collect();
    assert_eq!(listed, strings(&["apple", "banana", "kiwi", "mango"]));
}

/// The same user id, cid and message id live independently in two apps.
pub async fn rows_of_different_apps_never_meet(store: Arc<dyn Store>) {
    let a = Ctx::for_app(store.clone(), "app-a").await;
    let b = Ctx::for_app(store.clone(), "app-b").await;

    let alice_a = a.user("alice").await;
    let mut alice_b = new_user("alice");
    alice_b.name = Some("Alice of B".into());
    let alice_b = store
        .insert_user(&b.app, alice_b)
        .await
        .expect("the same user id in another app is not a duplicate");
    assert_ne!(alice_a, alice_b);

    let ch_a = a.channel("general", &["alice", "bob"]).await;
    let ch_b = b.channel("general", &["alice"]).await;
    assert_eq!(ch_a.cid, ch_b.cid);
    assert_eq!(ch_a.counters.member_count, 2);
    assert_eq!(ch_b.counters.member_count, 1);

    let in_a = a
        .msg(&ch_a.cid, "alice")
        .id("shared-id")
        .text("in a")
        .send()
        .await;
    let in_b = b
        .msg(&ch_b.cid, "alice")
        .id("shared-id")
        .text("in b")
        .send()
        .await;
    assert_eq!(a.message(&in_a.id).await.text, "in a");
    assert_eq!(b.message(&in_b.id).await.text, "in b");
    a.set_flags("alice", &in_a.id, MessageFlags::STARRED).await;
    a.react(&in_a.id, "bob", "like").await;

    let users_b = store
        .get_users(&b.app, &[uid("alice"), uid("bob")])
        .await
        .expect("get_users");
    assert_eq!(users_b, vec![alice_b], "bob exists only in app-a");
    assert_eq!(b.flags("alice", &in_b.id).await, MessageFlags::empty());
    assert_eq!(b.message(&in_b.id).await.reactions.groups.len(), 0);
    assert_eq!(
        b.store
            .member_ids(&b.app, &ch_b.cid)
            .await
            .expect("member_ids"),
        vec![uid("alice")]
    );

    b.store
        .delete_channel(&b.app, &ch_b.cid)
        .await
        .expect("delete_channel in app-b");
    assert_eq!(
        a.message(&in_a.id).await.text,
        "in a",
        "app-a keeps its message"
    );
    assert_eq!(a.counters(&ch_a.cid).await.message_count, 1);
    assert_eq!(a.flags("alice", &in_a.id).await, MessageFlags::STARRED);
}
