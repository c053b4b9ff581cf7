//! `ChannelTypeStore`. The context already inserted `messaging`; a store may also seed
//! other types, so lists are checked for order and for the names the case controls.

use std::sync::Arc;

use chat_core::model::ChannelType;
use chat_core::store::Store;

use crate::fixtures::*;

fn names(types: &[ChannelType]) -> Vec<String> {
    types.iter().map(|t| t.name.to_string()).collect()
}

/// `insert_channel_type` stores version 1; `get_channel_type` finds it by name;
/// `list_channel_types` is ordered by name.
pub async fn insert_get_and_list_by_name(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let mut support = new_channel_type("support");
    support.config.max_message_length = 123;
    support.config.reactions = false;
    support.version = 9;
    let stored = ctx
        .store
        .insert_channel_type(&ctx.app, support.clone())
        .await
        .expect("insert_channel_type");
    assert_eq!(
        stored,
        ChannelType {
            version: 1,
            ..support
        }
    );
    ctx.store
        .insert_channel_type(&ctx.app, new_channel_type("alerts"))
        .await
        .expect("insert_channel_type");

    let got = ctx
        .store
        .get_channel_type(&ctx.app, &type_name("support"))
        .await
        .expect("get_channel_type")
        .map(Arc::unwrap_or_clone);
    assert_eq!(got, Some(stored));
    let missing = ctx
        .store
        .get_channel_type(&ctx.app, &type_name("nothing"))
        .await
        .expect("get_channel_type")
        .map(Arc::unwrap_or_clone);
    assert_eq!(missing, None);

    let listed = names(
        &ctx.store
            .list_channel_types(&ctx.app)
            .await
            .expect("list_channel_types"),
    );
    assert_eq!(
        listed,
        sorted(listed.clone()),
        "list_channel_types is ordered by name"
    );
    for name in ["alerts", "messaging", "support"] {
        let n = listed.iter().filter(|l| *l == name).count();
        assert_eq!(n, 1, "{name} listed once in {listed:?}");
    }
}

/// A taken name is `Duplicate`; the first type is kept.
pub async fn duplicate_name_is_refused(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let first = ctx
        .store
        .insert_channel_type(&ctx.app, new_channel_type("support"))
        .await
        .expect("insert_channel_type");
    let mut second = new_channel_type("support");
    second.config.replies = false;
    expect_duplicate(
        ctx.store.insert_channel_type(&ctx.app, second).await,
        "insert_channel_type with a taken name",
    );
    let got = ctx
        .store
        .get_channel_type(&ctx.app, &type_name("support"))
        .await
        .expect("get_channel_type")
        .map(Arc::unwrap_or_clone);
    assert_eq!(got, Some(first));
}

/// `update_channel_type` bumps the version; a stale version is `VersionConflict`.
pub async fn update_is_compare_and_swap(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let v1 = ctx
        .store
        .insert_channel_type(&ctx.app, new_channel_type("support"))
        .await
        .expect("insert_channel_type");
    let mut changed = v1.clone();
    changed.config.typing_events = false;
    changed.updated_at = t(5);
    let v2 = ctx
        .store
        .update_channel_type(&ctx.app, changed.clone())
        .await
        .expect("update_channel_type");
    assert_eq!(
        v2,
        ChannelType {
            version: v1.version + 1,
            ..changed
        }
    );

    let mut stale = v1;
    stale.config.max_message_length = 1;
    expect_conflict(
        ctx.store.update_channel_type(&ctx.app, stale).await,
        "update_channel_type with the old version",
    );
    let got = ctx
        .store
        .get_channel_type(&ctx.app, &type_name("support"))
        .await
        .expect("get_channel_type")
        .map(Arc::unwrap_or_clone);
    assert_eq!(got, Some(v2));
}

/// `delete_channel_type` removes the type; deleting a missing type is `NotFound`.
pub async fn delete_removes_and_missing_is_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    ctx.store
        .insert_channel_type(&ctx.app, new_channel_type("support"))
        .await
        .expect("insert_channel_type");
    ctx.store
        .delete_channel_type(&ctx.app, &type_name("support"))
        .await
        .expect("delete_channel_type");
    let got = ctx
        .store
        .get_channel_type(&ctx.app, &type_name("support"))
        .await
        .expect("get_channel_type")
        .map(Arc::unwrap_or_clone);
    assert_eq!(got, None);
    let listed = names(
        &ctx.store
            .list_channel_types(&ctx.app)
            .await
            .expect("list_channel_types"),
    );
    assert!(!listed.contains(&"support".to_string()), "{listed:?}");
    expect_not_found(
        ctx.store
            .delete_channel_type(&ctx.app, &type_name("support"))
            .await,
        "delete_channel_type twice",
    );
    // The name is free again.
    ctx.store
        .insert_channel_type(&ctx.app, new_channel_type("support"))
        .await
        .expect("insert_channel_type after delete");
}
