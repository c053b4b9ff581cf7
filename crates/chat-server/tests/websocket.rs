//! Black-box WebSocket behaviour: handshake errors, caps, health checks, notifications.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestServer, WAIT};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn connect_with_a_bad_token_gets_a_connection_error_frame() {
    let s = TestServer::start().await;
    let bad = s.with_token(&chat_server::auth::user_token(
        "wrong-secret",
        "mallory",
        None,
        None,
    ));
    let err = bad
        .connect("mallory", json!({"id": "mallory"}))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("connection.error"), "{text}");
    assert!(text.contains("\"code\":43"), "{text}");
}

#[tokio::test]
async fn connect_upserts_the_user_and_refuses_a_mismatched_id() {
    let s = TestServer::start().await;
    let carol = s.user("carol");
    let ws = carol
        .connect(
            "carol",
            json!({"id": "carol", "name": "Carol", "color": "green", "role": "admin"}),
        )
        .await
        .unwrap();
    assert_eq!(ws.me["id"], "carol");
    assert_eq!(ws.me["name"], "Carol");
    assert_eq!(ws.me["color"], "green");
    assert_eq!(
        ws.me["role"], "user",
        "clients cannot make themselves admin"
    );
    assert!(ws.connection_id.len() > 5);
    let err = carol
        .connect("carol", json!({"id": "dave"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"code\":5"), "{err}");
}

#[tokio::test]
async fn development_apps_cap_sockets_per_user_at_three() {
    let s = TestServer::start().await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(s.connect("erin").await.1);
    }
    let err = s
        .user("erin")
        .connect("erin", json!({"id": "erin"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"code\":9"), "{err}");
    let closed = sockets.pop().unwrap();
    closed.close().await.unwrap();
    // The cap frees up once the server has seen the close; retry until it has (bounded).
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut again = None;
    while again.is_none() && tokio::time::Instant::now() < deadline {
        match s.user("erin").connect("erin", json!({"id": "erin"})).await {
            Ok(ws) => again = Some(ws),
            Err(_) => tokio::task::yield_now().await,
        }
    }
    assert!(again.is_some(), "a slot frees up after a close");
}

#[tokio::test]
async fn client_health_checks_are_answered() {
    let s = TestServer::start().await;
    let (_, mut ws) = s.connect("frank").await;
    ws.send_json(&json!({"type": "health.check", "client_id": "x"}))
        .await
        .unwrap();
    let answer = ws.wait_for("health.check", WAIT).await.unwrap();
    assert_eq!(answer["connection_id"], ws.connection_id.as_str());
}

#[tokio::test]
async fn members_not_watching_get_notification_forms() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob", "carol"]).await;
    let (alice, _alice_ws) = s.connect("alice").await;
    let (_bob, mut bob_ws) = s.connect("bob").await;
    alice
        .post(
            "/channels/messaging/n1/query",
            &json!({"data": {"members": ["alice", "bob"]}}),
        )
        .await
        .unwrap();
    let added = bob_ws
        .wait_for("notification.added_to_channel", WAIT)
        .await
        .unwrap();
    assert_eq!(added["channel"]["cid"], "messaging:n1");
    alice
        .post(
            "/channels/messaging/n1/message",
            &json!({"message": {"text": "ping"}}),
        )
        .await
        .unwrap();
    let note = bob_ws
        .wait_for("notification.message_new", WAIT)
        .await
        .unwrap();
    assert_eq!(note["message"]["text"], "ping");
    assert_eq!(note["channel"]["cid"], "messaging:n1");
    assert_eq!(note["total_unread_count"], 1);
    assert_eq!(note["unread_channels"], 1);
    alice
        .post("/channels/messaging/n1", &json!({"add_members": ["carol"]}))
        .await
        .unwrap();
    let removed = alice
        .post(
            "/channels/messaging/n1",
            &json!({"remove_members": ["bob"]}),
        )
        .await
        .unwrap();
    assert_eq!(removed.status, 200, "{}", removed.body);
    let gone = bob_ws
        .wait_for("notification.removed_from_channel", WAIT)
        .await
        .unwrap();
    assert_eq!(gone["cid"], "messaging:n1");
}

#[tokio::test]
async fn a_non_member_watching_a_private_channel_receives_nothing() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob", "eve"]).await;
    let (alice, _a) = s.connect("alice").await;
    let (eve, mut eve_ws) = s.connect("eve").await;
    alice
        .post(
            "/channels/messaging/secret/query",
            &json!({"data": {"members": ["alice", "bob"]}}),
        )
        .await
        .unwrap();
    let refused = eve
        .post("/channels/messaging/secret/query", &json!({"watch": true}))
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.body);
    alice
        .post(
            "/channels/messaging/secret/message",
            &json!({"message": {"text": "hidden"}}),
        )
        .await
        .unwrap();
    // A marker event to eve's own socket proves everything before it was delivered.
    eve.post(
        "/channels/messaging/eve-own/query",
        &json!({"data": {"members": ["eve"]}, "watch": true}),
    )
    .await
    .unwrap();
    eve.post(
        "/channels/messaging/eve-own/message",
        &json!({"message": {"text": "marker"}}),
    )
    .await
    .unwrap();
    loop {
        let frame = eve_ws.next_json(WAIT).await.unwrap();
        assert_ne!(frame["message"]["text"], "hidden", "{frame}");
        if frame["message"]["text"] == "marker" {
            break;
        }
    }
}

#[tokio::test]
async fn anonymous_users_read_livestream_but_cannot_write() {
    let s = TestServer::start().await;
    s.users(&["host"]).await;
    let host = s.user("host");
    host.post(
        "/channels/livestream/show/query",
        &json!({"data": {"members": ["host"]}}),
    )
    .await
    .unwrap();
    host.post(
        "/channels/livestream/show/message",
        &json!({"message": {"text": "welcome"}}),
    )
    .await
    .unwrap();
    let anon = chat_server::client::Client::new(&s.base, s.key(), None);
    let state = anon
        .post("/channels/livestream/show/query", &json!({}))
        .await
        .unwrap();
    assert_eq!(state.status, 200, "{}", state.body);
    assert_eq!(state.body["messages"][0]["text"], "welcome");
    let write = anon
        .post(
            "/channels/livestream/show/message",
            &json!({"message": {"text": "hi"}}),
        )
        .await
        .unwrap();
    common::assert_error(&write, 403, 17);
}

#[tokio::test]
async fn invites_are_notified_and_answered() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let (alice, _a) = s.connect("alice").await;
    let (bob, mut bob_ws) = s.connect("bob").await;
    alice
        .post(
            "/channels/messaging/club/query",
            &json!({"data": {"members": ["alice"]}}),
        )
        .await
        .unwrap();
    let invited = alice
        .post("/channels/messaging/club", &json!({"invites": ["bob"]}))
        .await
        .unwrap();
    assert_eq!(invited.status, 200, "{}", invited.body);
    let note = bob_ws.wait_for("notification.invited", WAIT).await.unwrap();
    assert_eq!(note["member"]["user_id"], "bob");
    assert_eq!(note["member"]["invited"], true);
    let before = bob
        .post("/channels/messaging/club/query", &json!({}))
        .await
        .unwrap();
    assert_eq!(
        before.status, 403,
        "a pending invitee is not a member yet: {}",
        before.body
    );
    let accepted = bob
        .post("/channels/messaging/club", &json!({"accept_invite": true}))
        .await
        .unwrap();
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    bob_ws
        .wait_for("notification.invite_accepted", WAIT)
        .await
        .unwrap();
    let after = bob
        .post("/channels/messaging/club/query", &json!({}))
        .await
        .unwrap();
    assert_eq!(after.status, 200, "{}", after.body);
    let again = bob
        .post("/channels/messaging/club", &json!({"reject_invite": true}))
        .await
        .unwrap();
    common::assert_error(&again, 400, 4);
}

/// Frames up to and including the first `message.new` whose text is `marker`.
async fn frames_until(ws: &mut chat_server::client::Socket, marker: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let v = ws.next_json(WAIT).await.unwrap();
        let done = v["type"] == "message.new" && v["message"]["text"] == marker;
        frames.push(v);
        if done {
            return frames;
        }
    }
}

fn count(frames: &[Value], kind: &str) -> usize {
    frames.iter().filter(|f| f["type"] == kind).count()
}

#[tokio::test]
async fn presence_changes_reach_sockets_that_asked_for_them() {
    let s = TestServer::start_with(chat_server::config::Config {
        presence_offline_delay: Duration::from_millis(50),
        ..Default::default()
    })
    .await;
    s.users(&["alice", "bob", "carol"]).await;
    let (alice, mut alice_ws) = s.connect("alice").await;
    let (carol, mut carol_ws) = s.connect("carol").await;
    let members = json!({"members": ["alice", "bob", "carol"]});
    alice
        .post(
            "/channels/messaging/p/query",
            &json!({"data": members, "watch": true, "presence": true}),
        )
        .await
        .unwrap();
    // Carol watches without asking for presence.
    carol
        .post("/channels/messaging/p/query", &json!({"watch": true}))
        .await
        .unwrap();
    let (bob, bob_ws) = s.connect("bob").await;
    let online = alice_ws
        .wait_for("user.presence.changed", WAIT)
        .await
        .unwrap();
    assert_eq!(online["user"]["id"], "bob");
    assert_eq!(online["user"]["online"], true);
    bob_ws.close().await.unwrap();
    let offline = alice_ws
        .wait_for("user.presence.changed", WAIT)
        .await
        .unwrap();
    assert_eq!(offline["user"]["id"], "bob");
    assert_eq!(offline["user"]["online"], false);
    assert!(offline["user"]["last_active"].is_string(), "{offline}");

    bob.post(
        "/channels/messaging/p/message",
        &json!({"message": {"text": "marker"}}),
    )
    .await
    .unwrap();
    let frames = frames_until(&mut carol_ws, "marker").await;
    assert_eq!(count(&frames, "user.presence.changed"), 0, "{frames:?}");
}

#[tokio::test]
async fn a_reconnect_within_the_offline_delay_is_not_announced() {
    // The default delay (5 s) is far longer than a close and a reconnect here.
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let (alice, mut alice_ws) = s.connect("alice").await;
    alice
        .post(
            "/channels/messaging/r/query",
            &json!({"data": {"members": ["alice", "bob"]}, "watch": true, "presence": true}),
        )
        .await
        .unwrap();
    let (bob, bob_ws) = s.connect("bob").await;
    let online = alice_ws
        .wait_for("user.presence.changed", WAIT)
        .await
        .unwrap();
    assert_eq!(online["user"]["online"], true);
    bob_ws.close().await.unwrap();
    let (_, _bob_again) = s.connect("bob").await;
    bob.post(
        "/channels/messaging/r/message",
        &json!({"message": {"text": "marker"}}),
    )
    .await
    .unwrap();
    let frames = frames_until(&mut alice_ws, "marker").await;
    assert_eq!(count(&frames, "user.presence.changed"), 0, "{frames:?}");
}

#[tokio::test]
async fn watching_announcements_are_throttled_above_100_watchers() {
    let s = TestServer::start().await;
    let ids: Vec<String> = (0..103).map(|i| format!("w{i:03}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    s.users(&refs[..100]).await;
    s.users(&refs[100..]).await;
    let server = s.server();
    let created = server
        .post(
            "/channels/messaging/big/query",
            &json!({"data": {"created_by_id": "w000", "members": &refs[..100]}}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 200);
    let added = server
        .post(
            "/channels/messaging/big",
            &json!({"add_members": &refs[100..]}),
        )
        .await
        .unwrap();
    assert_eq!(added.status, 200, "{}", added.body["message"]);
    let mut sockets = Vec::new();
    for id in &refs[..102] {
        let (client, ws) = s.connect(id).await;
        let res = client
            .post("/channels/messaging/big/query", &json!({"watch": true}))
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", res.body["message"]);
        sockets.push((client, ws));
    }
    let (first, first_ws) = &mut sockets[0];
    first
        .post(
            "/channels/messaging/big/message",
            &json!({"message": {"text": "marker"}}),
        )
        .await
        .unwrap();
    let frames = frames_until(first_ws, "marker").await;
    let joins: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "user.watching.start" && f["user"]["id"] != "w000")
        .collect();
    // w001..w099 join channels of 2..100 watchers (all announced); w100 makes 101, the
    // first throttled announcement; w101 falls in the same 5 s and is not announced.
    assert_eq!(joins.len(), 100, "{joins:?}");
    assert_eq!(joins.last().unwrap()["user"]["id"], "w100");
    assert_eq!(joins.last().unwrap()["watcher_count"], 101);
}

#[tokio::test]
async fn graceful_shutdown_flushes_and_closes_sockets() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    let (alice, mut ws) = s.connect("alice").await;
    alice
        .post(
            "/channels/messaging/bye/query",
            &json!({"data": {"members": ["alice"]}, "watch": true}),
        )
        .await
        .unwrap();
    alice
        .post(
            "/channels/messaging/bye/message",
            &json!({"message": {"text": "last words"}}),
        )
        .await
        .unwrap();
    // Read while the server shuts down: it waits for our side of the close handshake.
    let stopping = tokio::spawn(s.handle.shutdown());
    // Whatever was queued arrives, then the socket closes.
    let mut saw_message = false;
    loop {
        match ws.next_json(WAIT).await {
            Ok(frame) => saw_message |= frame["message"]["text"] == "last words",
            Err(e) => {
                assert!(
                    e.to_string().contains("closed") || e.to_string().contains("websocket"),
                    "{e}"
                );
                break;
            }
        }
    }
    assert!(saw_message, "queued events are flushed before the close");
    drop(ws);
    stopping.await.unwrap();
}
