//! Black-box tests of the server over real HTTP and WebSocket on port 0.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_error, TestServer, WAIT};
use serde_json::{json, Value};

#[tokio::test]
async fn two_users_chat_over_websocket() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let (alice, mut alice_ws) = s.connect("alice").await;
    let (bob, mut bob_ws) = s.connect("bob").await;
    assert_eq!(alice_ws.me["id"], "alice");
    assert!(alice_ws.me.get("total_unread_count").is_some());

    let created = alice
        .post("/channels/messaging/general/query", &json!({"data": {"members": ["alice", "bob"], "name": "General"}, "watch": true, "state": true}))
        .await
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["channel"]["cid"], "messaging:general");
    assert_eq!(created.body["channel"]["name"], "General");
    assert_eq!(created.body["members"].as_array().unwrap().len(), 2);
    let watched = bob
        .post("/channels/messaging/general/query", &json!({"watch": true}))
        .await
        .unwrap();
    assert_eq!(watched.status, 200, "{}", watched.body);

    let started = std::time::Instant::now();
    let sent = alice
        .post(
            "/channels/messaging/general/message",
            &json!({"message": {"text": "hello bob"}}),
        )
        .await
        .unwrap();
    assert_eq!(sent.status, 200, "{}", sent.body);
    let id = sent.body["message"]["id"].as_str().unwrap().to_string();

    let event = bob_ws.wait_for("message.new", WAIT).await.unwrap();
    eprintln!("send-to-receive latency: {:?}", started.elapsed());
    assert_eq!(event["cid"], "messaging:general");
    assert_eq!(event["channel_type"], "messaging");
    assert_eq!(event["channel_id"], "general");
    assert_eq!(event["message"]["id"], id.as_str());
    assert_eq!(event["message"]["text"], "hello bob");
    assert_eq!(event["message"]["user"]["id"], "alice");
    assert_eq!(event["user"]["id"], "alice");
    assert!(event["created_at"].is_string());
    assert!(event["watcher_count"].as_u64().is_some());
    // The sender's own watching socket gets it too (clients de-duplicate by id).
    let own = alice_ws.wait_for("message.new", WAIT).await.unwrap();
    assert_eq!(own["message"]["id"], id.as_str());
}

#[tokio::test]
async fn threads_reactions_reads_and_typing_reach_the_other_side() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let (alice, mut alice_ws) = s.connect("alice").await;
    let (bob, mut bob_ws) = s.connect("bob").await;
    alice
        .post(
            "/channels/messaging/t1/query",
            &json!({"data": {"members": ["alice", "bob"]}, "watch": true}),
        )
        .await
        .unwrap();
    bob.post("/channels/messaging/t1/query", &json!({"watch": true}))
        .await
        .unwrap();
    let parent = alice
        .post(
            "/channels/messaging/t1/message",
            &json!({"message": {"text": "parent"}}),
        )
        .await
        .unwrap();
    let parent_id = parent.body["message"]["id"].as_str().unwrap().to_string();

    let reply = bob
        .post(
            "/channels/messaging/t1/message",
            &json!({"message": {"text": "reply", "parent_id": parent_id}}),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["message"]["parent_id"], parent_id.as_str());
    let got = alice_ws.wait_for("message.new", WAIT).await.unwrap();
    let got = if got["message"]["parent_id"].is_null() {
        alice_ws.wait_for("message.new", WAIT).await.unwrap()
    } else {
        got
    };
    assert_eq!(got["message"]["text"], "reply");
    let p = alice
        .get(&format!("/messages/{parent_id}"), &[])
        .await
        .unwrap();
    assert_eq!(p.body["message"]["reply_count"], 1);
    assert_eq!(p.body["message"]["thread_participants"][0]["id"], "bob");
    let replies = alice
        .get(&format!("/messages/{parent_id}/replies"), &[])
        .await
        .unwrap();
    assert_eq!(replies.body["messages"].as_array().unwrap().len(), 1);

    let reacted = bob
        .post(
            &format!("/messages/{parent_id}/reaction"),
            &json!({"reaction": {"type": "like"}}),
        )
        .await
        .unwrap();
    assert_eq!(reacted.status, 200, "{}", reacted.body);
    let ev = alice_ws.wait_for("reaction.new", WAIT).await.unwrap();
    assert_eq!(ev["reaction"]["type"], "like");
    assert_eq!(ev["reaction"]["user"]["id"], "bob");
    assert_eq!(ev["message"]["reaction_counts"]["like"], 1);
    assert_eq!(ev["message"]["reaction_groups"]["like"]["count"], 1);

    let unread = bob.get("/unread", &[]).await.unwrap();
    assert_eq!(unread.body["total_unread_count"], 1, "{}", unread.body);
    let read = bob
        .post("/channels/messaging/t1/read", &json!({}))
        .await
        .unwrap();
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["event"]["type"], "message.read");
    let seen = alice_ws.wait_for("message.read", WAIT).await.unwrap();
    assert_eq!(seen["user"]["id"], "bob");
    let unread = bob.get("/unread", &[]).await.unwrap();
    assert_eq!(unread.body["total_unread_count"], 0, "{}", unread.body);
    let note = bob_ws
        .wait_for("notification.mark_read", WAIT)
        .await
        .unwrap();
    assert_eq!(note["total_unread_count"], 0);

    let typing = bob
        .post(
            "/channels/messaging/t1/event",
            &json!({"event": {"type": "typing.start"}}),
        )
        .await
        .unwrap();
    assert_eq!(typing.status, 200, "{}", typing.body);
    let ev = alice_ws.wait_for("typing.start", WAIT).await.unwrap();
    assert_eq!(ev["user"]["id"], "bob");
    assert_eq!(ev["cid"], "messaging:t1");
}

#[tokio::test]
async fn scroll_back_over_200_messages_returns_each_once_in_order() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    let alice = s.user("alice");
    alice
        .post(
            "/channels/messaging/long/query",
            &json!({"data": {"members": ["alice"]}}),
        )
        .await
        .unwrap();
    let mut sent = Vec::new();
    for i in 0..200 {
        let r = alice
            .post(
                "/channels/messaging/long/message",
                &json!({"message": {"text": format!("m{i}")}}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        sent.push(r.body["message"]["id"].as_str().unwrap().to_string());
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut messages = json!({"limit": 30});
        if let Some(c) = &cursor {
            messages["id_lt"] = json!(c);
        }
        let page = alice
            .post(
                "/channels/messaging/long/query",
                &json!({"messages": messages}),
            )
            .await
            .unwrap();
        assert_eq!(page.status, 200, "{}", page.body);
        let batch: Vec<String> = page.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect();
        if batch.is_empty() {
            break;
        }
        cursor = batch.first().cloned();
        let mut merged = batch;
        merged.extend(seen);
        seen = merged;
    }
    assert_eq!(seen, sent);
}

#[tokio::test]
async fn a_repeated_client_message_id_creates_no_duplicate() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let alice = s.user("alice");
    alice
        .post(
            "/channels/messaging/dup/query",
            &json!({"data": {"members": ["alice", "bob"]}}),
        )
        .await
        .unwrap();
    let body = json!({"message": {"id": "client-msg-1", "text": "once"}});
    let first = alice
        .post("/channels/messaging/dup/message", &body)
        .await
        .unwrap();
    assert_eq!(first.status, 200, "{}", first.body);
    let again = alice
        .post("/channels/messaging/dup/message", &body)
        .await
        .unwrap();
    assert_error(&again, 400, 4);
    let state = alice
        .post("/channels/messaging/dup/query", &json!({}))
        .await
        .unwrap();
    assert_eq!(state.body["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_tokens_are_refused_with_their_codes() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob", "eve"]).await;
    let good = chat_server::auth::user_token(s.secret(), "alice", None, None);
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(String::from).collect();
        parts[1] = chat_server::auth::user_token(s.secret(), "bob", None, None)
            .split('.')
            .nth(1)
            .unwrap()
            .to_string();
        parts.join(".")
    };
    assert_error(
        &s.with_token(&tampered).get("/unread", &[]).await.unwrap(),
        401,
        43,
    );
    let wrong_secret = chat_server::auth::user_token("not-the-secret", "alice", None, None);
    assert_error(
        &s.with_token(&wrong_secret)
            .get("/unread", &[])
            .await
            .unwrap(),
        401,
        43,
    );
    let expired = chat_server::auth::user_token(s.secret(), "alice", Some(1_000), Some(2_000));
    assert_error(
        &s.with_token(&expired).get("/unread", &[]).await.unwrap(),
        401,
        40,
    );
    let bad_key = chat_server::client::Client::new(&s.base, "nope", Some(good.clone()));
    assert_error(&bad_key.get("/unread", &[]).await.unwrap(), 401, 2);

    // Revoke alice's tokens issued before now: a token without iat is refused.
    let now = chrono_now();
    let r = s
        .server()
        .patch(
            "/users",
            &json!({"users": [{"id": "alice", "set": {"revoke_tokens_issued_before": now}}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &s.with_token(&good).get("/unread", &[]).await.unwrap(),
        401,
        40,
    );

    // A non-member cannot read or write a messaging channel.
    s.user("bob")
        .post(
            "/channels/messaging/private/query",
            &json!({"data": {"members": ["bob"]}}),
        )
        .await
        .unwrap();
    let eve = s.user("eve");
    assert_error(
        &eve.post("/channels/messaging/private/query", &json!({}))
            .await
            .unwrap(),
        403,
        17,
    );
    assert_error(
        &eve.post(
            "/channels/messaging/private/message",
            &json!({"message": {"text": "hi"}}),
        )
        .await
        .unwrap(),
        403,
        17,
    );
}

fn chrono_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chat_core::time::Timestamp::from_secs(secs + 1).to_rfc3339()
}

#[tokio::test]
async fn bad_input_changes_nothing_and_gets_clear_errors() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    let alice = s.user("alice");
    alice
        .post(
            "/channels/messaging/in/query",
            &json!({"data": {"members": ["alice"]}}),
        )
        .await
        .unwrap();
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/channels/messaging/in/message?api_key={}",
            s.base,
            s.key()
        ))
        .header(
            "Authorization",
            chat_server::auth::user_token(s.secret(), "alice", None, None),
        )
        .header("Stream-Auth-Type", "jwt")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.headers()["content-type"], "application/json");
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["code"], 4);

    let missing = alice
        .post("/channels/messaging/in/message", &json!({}))
        .await
        .unwrap();
    assert_error(&missing, 400, 4);
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("message"),
        "{}",
        missing.body
    );
    let long = alice
        .post(
            "/channels/messaging/in/message",
            &json!({"message": {"text": "x".repeat(5001)}}),
        )
        .await
        .unwrap();
    assert_error(&long, 400, 20);
    let bad_cid = alice
        .post("/channels/messaging/bad%20id/query", &json!({}))
        .await
        .unwrap();
    assert_error(&bad_cid, 400, 4);
    let unknown = alice.get("/messages/nope", &[]).await.unwrap();
    assert_error(&unknown, 404, 16);
    let big = "x".repeat(2 * 1024 * 1024);
    let too_big = alice
        .post(
            "/channels/messaging/in/message",
            &json!({"message": {"text": big}}),
        )
        .await
        .unwrap();
    assert_error(&too_big, 413, 22);
    let state = alice
        .post("/channels/messaging/in/query", &json!({}))
        .await
        .unwrap();
    assert_eq!(state.body["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn every_response_has_duration_rate_limit_headers_and_trailing_slash_works() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    let alice = s.user("alice");
    for path in [
        "/channels/messaging/slash/query",
        "/channels/messaging/slash/query/",
    ] {
        let r = alice
            .post(path, &json!({"data": {"members": ["alice"]}}))
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.body["duration"].as_str().unwrap().ends_with("ms"));
        assert!(r.header("x-ratelimit-limit").is_some());
        assert!(r.header("x-ratelimit-remaining").is_some());
        assert!(r.header("x-ratelimit-reset").is_some());
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let live = alice.get("/health/live", &[]).await.unwrap();
    assert_eq!(live.status, 200);
    let ready = alice.get("/health/ready/", &[]).await.unwrap();
    assert_eq!(ready.status, 200);
    let metrics = reqwest::get(format!("{}/metrics", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("chat_http_request_duration_seconds"),
        "{metrics}"
    );
}

#[tokio::test]
async fn query_channels_lists_members_channels_newest_first() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let alice = s.user("alice");
    for id in ["a", "b", "c"] {
        alice
            .post(
                &format!("/channels/messaging/{id}/query"),
                &json!({"data": {"members": ["alice", "bob"]}}),
            )
            .await
            .unwrap();
    }
    alice
        .post(
            "/channels/messaging/a/message",
            &json!({"message": {"text": "bump a"}}),
        )
        .await
        .unwrap();
    let r = s
        .user("bob")
        .post("/channels", &json!({"filter_conditions": {"members": {"$in": ["bob"]}}, "sort": [{"field": "last_message_at", "direction": -1}], "limit": 2}))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let cids: Vec<&str> = r.body["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"]["cid"].as_str().unwrap())
        .collect();
    assert_eq!(cids.len(), 2);
    assert_eq!(cids[0], "messaging:a");
    let bad = s
        .user("bob")
        .post(
            "/channels",
            &json!({"filter_conditions": {"type": {"$gt": "x"}}}),
        )
        .await
        .unwrap();
    assert_error(&bad, 400, 4);
}

#[tokio::test]
async fn mark_all_read_clears_every_channel() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let alice = s.user("alice");
    for id in ["r1", "r2"] {
        alice
            .post(
                &format!("/channels/messaging/{id}/query"),
                &json!({"data": {"members": ["alice", "bob"]}}),
            )
            .await
            .unwrap();
        alice
            .post(
                &format!("/channels/messaging/{id}/message"),
                &json!({"message": {"text": "hi"}}),
            )
            .await
            .unwrap();
    }
    let bob = s.user("bob");
    assert_eq!(
        bob.get("/unread", &[]).await.unwrap().body["total_unread_count"],
        2
    );
    let r = bob.post("/channels/read", &json!({})).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let after = bob.get("/unread", &[]).await.unwrap();
    assert_eq!(after.body["total_unread_count"], 0, "{}", after.body);
    let server_side = s
        .server()
        .post("/channels/read", &json!({"user": {"id": "alice"}}))
        .await
        .unwrap();
    assert_eq!(server_side.status, 200, "{}", server_side.body);
}

/// `state: false` (endpoints.md §4.1 "return channel state"): the channel with the
/// caller's capabilities and membership, empty lists, and the watch still happens; an
/// absent `state` means true.
#[tokio::test]
async fn a_query_with_state_false_answers_the_channel_without_lists_and_still_watches() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob"]).await;
    let alice = s.user("alice");
    let (bob, mut bob_ws) = s.connect("bob").await;
    let created = alice
        .post(
            "/channels/messaging/light/query",
            &json!({"data": {"members": ["alice", "bob"]}}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    let first = alice
        .post(
            "/channels/messaging/light/message",
            &json!({"message": {"text": "before the watch", "pinned": true}}),
        )
        .await
        .unwrap();
    assert_eq!(first.status, 200, "{}", first.body);

    let bare = bob
        .post(
            "/channels/messaging/light/query",
            &json!({"watch": true, "state": false}),
        )
        .await
        .unwrap();
    assert_eq!(bare.status, 200, "{}", bare.body);
    let b = &bare.body;
    assert_eq!(b["channel"]["cid"], "messaging:light", "{b}");
    assert_eq!(b["channel"]["member_count"], 2, "{b}");
    assert!(
        b["channel"]["own_capabilities"]
            .as_array()
            .is_some_and(|caps| caps.iter().any(|c| c == "send-message")),
        "{b}"
    );
    assert_eq!(b["membership"]["user_id"], "bob", "{b}");
    for list in ["messages", "pinned_messages", "members", "read", "watchers"] {
        assert_eq!(b[list], json!([]), "{list} in {b}");
    }
    assert!(b["watcher_count"].as_u64().is_some(), "{b}");
    assert_eq!(b["hidden"], false, "{b}");

    // The watch took effect: bob's socket gets the next message.
    let sent = alice
        .post(
            "/channels/messaging/light/message",
            &json!({"message": {"text": "after the watch"}}),
        )
        .await
        .unwrap();
    assert_eq!(sent.status, 200, "{}", sent.body);
    let event = bob_ws.wait_for("message.new", WAIT).await.unwrap();
    assert_eq!(event["message"]["text"], "after the watch");

    // Without `state` the lists are there, as before.
    let full = bob
        .post("/channels/messaging/light/query", &json!({}))
        .await
        .unwrap();
    assert_eq!(full.status, 200, "{}", full.body);
    assert_eq!(full.body["messages"].as_array().unwrap().len(), 2);
    assert_eq!(full.body["pinned_messages"].as_array().unwrap().len(), 1);
    assert_eq!(full.body["members"].as_array().unwrap().len(), 2);
    assert!(!full.body["read"].as_array().unwrap().is_empty());
}
