//! Durability on PostgreSQL: the server binary acknowledges N messages one by one, is
//! killed with SIGKILL (no shutdown of any kind), restarts on the same schema, and every
//! acknowledged message is there exactly once. And a second server started with another
//! data dir on the same database uses the development app the database holds.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::{
    all_message_ids, channel_with, counts, credentials, database_url, fresh_schema, server_client,
    user_client, ServerArgs, ServerProcess, TempDir,
};

/// Messages acknowledged before the kill.
const N: usize = 200;
/// Concurrent senders still sending when the kill lands.
const RACERS: usize = 4;
/// At most this many sends per racer (the kill normally stops them much earlier).
const RACE_LIMIT: usize = 1000;
/// Racing acknowledgements seen before the kill.
const KILL_AFTER: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_sigkill_each_exactly_once() {
    let dir = TempDir::new();
    let args = ServerArgs {
        database_url: database_url(),
        schema: fresh_schema(),
        data_dir: dir.path().to_path_buf(),
    };
    let mut server = ServerProcess::spawn(&args).await;
    server.wait_ready().await;
    let dev = credentials(dir.path());
    channel_with(
        &server_client(&server.base, &dev),
        "durable",
        &["alice", "bob"],
    )
    .await;
    let alice = user_client(&server.base, &dev, "alice");

    for i in 0..N {
        let id = format!("m-{i:04}");
        let res = alice
            .post(
                "/channels/messaging/durable/message",
                &json!({"message": {"id": id, "text": format!("message {i}")}}),
            )
            .await
            .unwrap();
        assert_eq!(res.status, 200, "send {i}: {}", res.body);
        assert_eq!(res.body["message"]["id"], id.as_str());
    }

    // Then senders keep going while the kill lands: whatever they saw acknowledged must
    // survive too, and whatever was cut off must not be there twice.
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::channel::<()>(RACE_LIMIT * RACERS);
    let mut racers = Vec::new();
    for w in 0..RACERS {
        let alice = alice.clone();
        let acked_tx = acked_tx.clone();
        racers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for k in 0..RACE_LIMIT {
                let id = format!("race-{w}-{k:04}");
                let res = alice
                    .post(
                        "/channels/messaging/durable/message",
                        &json!({"message": {"id": id, "text": "racing the kill"}}),
                    )
                    .await;
                match res {
                    Ok(r) if r.status == 200 => {
                        acked.push(id);
                        let _ = acked_tx.try_send(());
                    }
                    _ => break,
                }
            }
            acked
        }));
    }
    drop(acked_tx);
    for _ in 0..KILL_AFTER {
        acked_rx.recv().await.unwrap();
    }
    server.kill();
    let mut acked_racers = Vec::new();
    for racer in racers {
        acked_racers.extend(racer.await.unwrap());
    }

    let server = ServerProcess::spawn(&args).await;
    server.wait_ready().await;
    let after = credentials(dir.path());
    assert_eq!(after, dev, "a restart keeps the development app");
    let bob = user_client(&server.base, &after, "bob");
    let ids = all_message_ids(&bob, "durable").await;
    let seen = counts(&ids);

    for i in 0..N {
        let id = format!("m-{i:04}");
        assert_eq!(seen.get(id.as_str()), Some(&1), "{id} must be there once");
    }
    for id in &acked_racers {
        assert_eq!(seen.get(id.as_str()), Some(&1), "acknowledged {id} lost");
    }
    for (id, n) in &seen {
        assert_eq!(*n, 1, "{id} stored {n} times");
        assert!(
            id.starts_with("m-") || id.starts_with("race-"),
            "unexpected message {id}"
        );
    }
    let ordered: Vec<&String> = ids.iter().filter(|id| id.starts_with("m-")).collect();
    let mut sorted = ordered.clone();
    sorted.sort();
    assert_eq!(ordered, sorted, "messages keep their send order");
    eprintln!(
        "{N} + {} racing sends acknowledged before SIGKILL; {} messages after restart",
        acked_racers.len(),
        ids.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_with_another_data_dir_uses_the_development_app_in_the_database() {
    let first_dir = TempDir::new();
    let args = ServerArgs {
        database_url: database_url(),
        schema: fresh_schema(),
        data_dir: first_dir.path().to_path_buf(),
    };
    let first = ServerProcess::spawn(&args).await;
    first.wait_ready().await;
    let dev = credentials(first_dir.path());

    // A second server on the same database (another directory, another node): its data
    // dir starts with fresh credentials, which the database's development app replaces.
    let second_dir = TempDir::new();
    let second = ServerProcess::spawn(&ServerArgs {
        data_dir: second_dir.path().to_path_buf(),
        ..args.clone()
    })
    .await;
    second.wait_ready().await;
    assert_eq!(credentials(second_dir.path()), dev);
    channel_with(&server_client(&second.base, &dev), "shared", &["alice"]).await;
    let res = user_client(&first.base, &dev, "alice")
        .post(
            "/channels/messaging/shared/message",
            &json!({"message": {"id": "via-first", "text": "one database"}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    let ids = all_message_ids(&user_client(&second.base, &dev, "alice"), "shared").await;
    assert_eq!(ids, vec!["via-first".to_string()]);
}
