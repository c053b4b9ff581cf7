//! Tests of internals the conformance suite cannot see: index hygiene after deletes and
//! races between writers on the same ids and channels.

use std::sync::Arc;

use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::{Channel, Member, Message};
use chat_core::query::{ChannelField, ChannelQuery, Filter, Op, Value};
use chat_core::read_state::MessageFlags;
use chat_core::store::{
    ChannelStore, Created, Deletion, InsertMessage, MemberStore, MessageStore, ReadStore,
};
use chat_core::time::Timestamp;
use chat_core::StoreError;

use crate::MemoryStore;

fn app() -> AppId {
    AppId::parse("app").unwrap()
}

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn cid(s: &str) -> Cid {
    Cid::parse(s).unwrap()
}

fn t(n: i64) -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + n)
}

async fn channel(store: &MemoryStore, c: &str, members: &[&str]) -> Cid {
    let c = cid(c);
    let members = members
        .iter()
        .map(|u| Member::new(c.clone(), uid(u), t(0)))
        .collect();
    store
        .create_channel(&app(), Channel::new(c.clone(), None, t(0)), members)
        .await
        .unwrap();
    c
}

fn message(id: &str, c: &Cid, user: &str, at: i64) -> Message {
    Message::new(MessageId::new_unchecked(id), c.clone(), uid(user), t(at))
}

fn opts() -> InsertMessage {
    InsertMessage {
        bump_last_message_at: true,
        keep_channel_hidden: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_id_sent_concurrently_to_two_channels_is_stored_once() {
    for round in 0..50 {
        let store = Arc::new(MemoryStore::new());
        let a = channel(&store, "messaging:a", &["u"]).await;
        let b = channel(&store, "messaging:b", &["u"]).await;
        let id = format!("m{round}");
        let (s1, s2) = (store.clone(), store.clone());
        let (m1, m2) = (message(&id, &a, "u", 1), message(&id, &b, "u", 1));
        let h1 = tokio::spawn(async move { s1.insert_message(&app(), m1, opts()).await });
        let h2 = tokio::spawn(async move { s2.insert_message(&app(), m2, opts()).await });
        let (r1, r2) = (h1.await.unwrap(), h2.await.unwrap());
        assert_eq!(u8::from(r1.is_ok()) + u8::from(r2.is_ok()), 1);
        let loser = if r1.is_ok() { r2 } else { r1 };
        assert!(matches!(loser, Err(StoreError::Duplicate { .. })));
        let counts: u64 = store
            .get_channels(&app(), &[a.clone(), b.clone()])
            .await
            .unwrap()
            .iter()
            .map(|c| c.counters.message_count)
            .sum();
        assert_eq!(counts, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_make_one_channel() {
    let store = Arc::new(MemoryStore::new());
    let mut handles = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            let c = cid("messaging:x");
            let member = Member::new(c.clone(), uid(&format!("u{i}")), t(0));
            s.create_channel(&app(), Channel::new(c, None, t(0)), vec![member])
                .await
                .unwrap()
        }));
    }
    let mut new = 0;
    for h in handles {
        if matches!(h.await.unwrap(), Created::New(..)) {
            new += 1;
        }
    }
    assert_eq!(new, 1);
    let ids = store.member_ids(&app(), &cid("messaging:x")).await.unwrap();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn deleting_a_channel_frees_its_message_ids_and_user_links() {
    let store = MemoryStore::new();
    let c = channel(&store, "messaging:a", &["u", "v"]).await;
    let mut m = message("m1", &c, "u", 1);
    m.mentioned_users = vec![uid("v")];
    store.insert_message(&app(), m, opts()).await.unwrap();
    store.delete_channel(&app(), &c).await.unwrap();

    let id = MessageId::new_unchecked("m1");
    assert!(store
        .get_messages(&app(), std::slice::from_ref(&id))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .memberships(&app(), &uid("u"))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .messages_flagged(&app(), &uid("v"), MessageFlags::MENTIONED, 10)
        .await
        .unwrap()
        .is_empty());

    // Same cid and message id again: a fresh channel, no leftovers.
    let c = channel(&store, "messaging:a", &["u"]).await;
    store
        .insert_message(&app(), message("m1", &c, "u", 2), opts())
        .await
        .unwrap();
    let again = store.get_channels(&app(), &[c]).await.unwrap();
    assert_eq!(again[0].counters.message_count, 1);
    assert_eq!(again[0].counters.member_count, 1);
}

#[tokio::test]
async fn hard_delete_frees_the_id() {
    let store = MemoryStore::new();
    let c = channel(&store, "messaging:a", &["u"]).await;
    store
        .insert_message(&app(), message("m1", &c, "u", 1), opts())
        .await
        .unwrap();
    let id = MessageId::new_unchecked("m1");
    store
        .delete_message(&app(), &id, Deletion::Hard)
        .await
        .unwrap();
    let err = store.delete_message(&app(), &id, Deletion::Hard).await;
    assert!(matches!(err, Err(StoreError::NotFound { .. })));
    store
        .insert_message(&app(), message("m1", &c, "u", 2), opts())
        .await
        .unwrap();
}

#[tokio::test]
async fn member_filter_visits_only_the_users_channels() {
    let store = MemoryStore::new();
    for i in 0..20 {
        let members: &[&str] = if i % 4 == 0 { &["me", "x"] } else { &["x"] };
        channel(&store, &format!("messaging:c{i:02}"), members).await;
    }
    let query = ChannelQuery {
        filter: Filter::Cond(ChannelField::Members, Op::In(vec![Value::Str("me".into())])),
        sort: Vec::new(),
        limit: 100,
        offset: 0,
        user: Some(uid("me")),
    };
    let found = store.query_channels(&app(), &query).await.unwrap();
    let cids: Vec<&str> = found.iter().map(|c| c.cid.as_str()).collect();
    assert_eq!(
        cids,
        [
            "messaging:c00",
            "messaging:c04",
            "messaging:c08",
            "messaging:c12",
            "messaging:c16"
        ]
    );
    let state = store.app(&app()).unwrap().unwrap();
    let narrowed = crate::query::channel_candidates(&state, &query.filter, query.user.as_ref())
        .unwrap()
        .unwrap();
    assert_eq!(narrowed.len(), 5);
}

#[tokio::test]
async fn mark_unread_counts_own_messages_after_the_cursor() {
    let store = MemoryStore::new();
    let c = channel(&store, "messaging:a", &["u", "v"]).await;
    for (i, who) in ["v", "u", "v", "u", "u"].iter().enumerate() {
        let id = format!("m{i}");
        store
            .insert_message(&app(), message(&id, &c, who, i as i64), opts())
            .await
            .unwrap();
    }
    let from = MessageId::new_unchecked("m1");
    let read = store
        .mark_unread(&app(), &c, &uid("u"), &from, t(10))
        .await
        .unwrap();
    assert_eq!(read.last_read_seq, 1);
    assert_eq!(read.own_after_cursor, 3);
    let (read, counters) = store.user_reads(&app(), &uid("u")).await.unwrap().remove(0);
    assert_eq!(chat_core::read_state::unread_count(&counters, &read), 1);
    // Deleting one of them lowers both sides and keeps the count.
    store
        .delete_message(
            &app(),
            &MessageId::new_unchecked("m4"),
            Deletion::Soft(t(11)),
        )
        .await
        .unwrap();
    let (read, counters) = store.user_reads(&app(), &uid("u")).await.unwrap().remove(0);
    assert_eq!(read.own_after_cursor, 2);
    assert_eq!(counters.deleted_seqs, [5]);
    assert_eq!(chat_core::read_state::unread_count(&counters, &read), 1);
}
