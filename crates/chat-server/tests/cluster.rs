//! Two `chat-server` processes on port 0 sharing one PostgreSQL schema and a private
//! Redis behave as one server: users on different nodes exchange messages, reactions,
//! typing, read and custom events, see each other's presence, share rate limits; with
//! Redis gone each node keeps serving its own sockets and says `degraded`, and catches up
//! by itself when Redis returns; a client of a SIGKILLed node recovers on the other node
//! every message it missed, exactly once.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use chat_server::client::{Client, Socket};
use chat_server::dev_app::DevCredentials;
use serde_json::{json, Value};
use support::redis::RedisServer;
use support::{
    channel_with, counts, credentials, database_url, fresh_schema, server_client, user_client,
    ServerArgs, ServerProcess, TempDir,
};

/// Generous: tests wait for events, they never time them.
const WAIT: Duration = Duration::from_secs(15);
/// How long a state change (readiness, a dead node reaped) may take to be seen.
const SETTLE: Duration = Duration::from_secs(60);

struct Cluster {
    redis: RedisServer,
    nodes: Vec<ServerProcess>,
    dev: DevCredentials,
    _dirs: Vec<TempDir>,
}

impl Cluster {
    /// Two nodes on a fresh schema and a private Redis, started one after the other (the
    /// second adopts the development app the first put in the database).
    async fn start(extra: &[&str]) -> Self {
        let redis = RedisServer::start();
        let schema = fresh_schema();
        let mut nodes = Vec::new();
        let mut dirs = Vec::new();
        for _ in 0..2 {
            let dir = TempDir::new();
            let args = ServerArgs {
                database_url: database_url(),
                schema: schema.clone(),
                data_dir: dir.path().to_path_buf(),
            };
            let mut flags = vec![
                "--redis-url".to_string(),
                redis.url(),
                "--node-ttl-secs".to_string(),
                "2".to_string(),
                // Offline is debounced; short here so the tests see it soon.
                "--presence-offline-delay-ms".to_string(),
                "200".to_string(),
            ];
            flags.extend(extra.iter().map(|s| s.to_string()));
            let node = ServerProcess::spawn_with(&args, &flags).await;
            wait_status(&node, "ready").await;
            nodes.push(node);
            dirs.push(dir);
        }
        let dev = credentials(dirs[0].path());
        assert_eq!(credentials(dirs[1].path()), dev, "one app for both nodes");
        Self {
            redis,
            nodes,
            dev,
            _dirs: dirs,
        }
    }

    fn user(&self, node: usize, user: &str) -> Client {
        user_client(&self.nodes[node].base, &self.dev, user)
    }

    fn server(&self, node: usize) -> Client {
        server_client(&self.nodes[node].base, &self.dev)
    }
}

/// Polls readiness until its `status` is `want` (200 for ready and degraded).
async fn wait_status(node: &ServerProcess, want: &str) -> Value {
    let deadline = Instant::now() + SETTLE;
    loop {
        let (code, body) = node.readiness().await;
        if body["status"] == want {
            assert_eq!(code, 200, "{body}");
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "readiness never became {want}: {code} {body}; output:\n{}",
            node.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens `user`'s socket and watches `channel` with it.
async fn watcher(client: &mut Client, user: &str, channel: &str) -> Socket {
    let ws = client.connect(user, json!({})).await.unwrap();
    client.connection_id = Some(ws.connection_id.clone());
    let res = client
        .post(
            &format!("/channels/messaging/{channel}/query"),
            &json!({"watch": true, "state": true, "presence": true}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    ws
}

async fn send(client: &Client, channel: &str, id: &str, text: &str) {
    let res = client
        .post(
            &format!("/channels/messaging/{channel}/message"),
            &json!({"message": {"id": id, "text": text}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
}

/// Frames until (and including) the first of type `kind`, skipping health checks.
async fn until(ws: &mut Socket, kind: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let v = ws.next_json(WAIT).await.unwrap_or_else(|e| {
            panic!("waiting for {kind}: {e}; saw {seen:?}");
        });
        if v["type"] == "health.check" {
            continue;
        }
        let done = v["type"] == kind;
        seen.push(v);
        if done {
            return seen;
        }
    }
}

/// The `presence.changed` event about `user`, skipping others.
async fn presence_of(ws: &mut Socket, user: &str) -> bool {
    loop {
        let v = ws.wait_for("user.presence.changed", SETTLE).await.unwrap();
        if v["user"]["id"] == user {
            return v["user"]["online"].as_bool().unwrap();
        }
    }
}

fn message_ids(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["type"] == "message.new")
        .map(|f| f["message"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_on_two_nodes_exchange_events_and_see_each_others_presence() {
    let c = Cluster::start(&[]).await;
    channel_with(&c.server(0), "lobby", &["alice", "bob", "ghost"]).await;
    let mut alice = c.user(0, "alice");
    let mut alice_ws = watcher(&mut alice, "alice", "lobby").await;
    let mut bob = c.user(1, "bob");
    let mut bob_ws = watcher(&mut bob, "bob", "lobby").await;

    // Bob came online on node 2: alice, on node 1, is told once.
    assert!(presence_of(&mut alice_ws, "bob").await);
    let users = alice
        .get_payload(
            "/users",
            &json!({"filter_conditions": {"id": {"$in": ["bob"]}}}),
        )
        .await
        .unwrap();
    assert_eq!(users.status, 200, "{}", users.body);
    assert_eq!(users.body["users"][0]["online"], true, "{}", users.body);

    // An invisible user connecting on node 2 is not announced and appears offline.
    let ghost = c.user(1, "ghost");
    let ghost_ws = ghost
        .connect("ghost", json!({"invisible": true}))
        .await
        .unwrap();
    send(&bob, "lobby", "marker-0", "after ghost").await;
    let frames = until(&mut alice_ws, "message.new").await;
    assert!(
        frames.iter().all(|f| f["type"] != "user.presence.changed"),
        "invisible users stay silent: {frames:?}"
    );
    let users = alice
        .get_payload(
            "/users",
            &json!({"filter_conditions": {"id": {"$in": ["ghost"]}}}),
        )
        .await
        .unwrap();
    assert_eq!(users.body["users"][0]["online"], false, "{}", users.body);
    ghost_ws.close().await.unwrap();
    until(&mut bob_ws, "message.new").await; // bob's own marker-0

    // Messages both ways, in order, each exactly once on each side.
    for i in 0..20 {
        send(&bob, "lobby", &format!("b-{i:02}"), "from node 2").await;
    }
    send(&bob, "lobby", "b-end", "end").await;
    let frames = until(&mut alice_ws, "message.new").await;
    let mut got = message_ids(&frames);
    while got.last().map(String::as_str) != Some("b-end") {
        got.extend(message_ids(&until(&mut alice_ws, "message.new").await));
    }
    let want: Vec<String> = (0..20)
        .map(|i| format!("b-{i:02}"))
        .chain(["b-end".to_string()])
        .collect();
    assert_eq!(got, want, "node 1 sees node 2's messages once, in order");
    let bob_own = {
        let mut ids = Vec::new();
        while ids.last().map(String::as_str) != Some("b-end") {
            ids.extend(message_ids(&until(&mut bob_ws, "message.new").await));
        }
        ids
    };
    assert_eq!(
        bob_own, want,
        "the sender's node delivers its own events once"
    );

    send(&alice, "lobby", "a-1", "from node 1").await;
    let got = until(&mut bob_ws, "message.new").await;
    assert_eq!(got.last().unwrap()["message"]["text"], "from node 1");
    let own = until(&mut alice_ws, "message.new").await;
    assert_eq!(own.last().unwrap()["message"]["id"], "a-1");

    // A reaction on node 1 reaches node 2.
    let res = alice
        .post(
            "/messages/b-00/reaction",
            &json!({"reaction": {"type": "like"}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    let r = until(&mut bob_ws, "reaction.new").await;
    let r = r.last().unwrap();
    assert_eq!(r["reaction"]["type"], "like");
    assert_eq!(r["user"]["id"], "alice");

    // Typing and a custom event on node 2 reach node 1.
    for event in [
        json!({"type": "typing.start"}),
        json!({"type": "dice", "roll": 6}),
    ] {
        let res = bob
            .post("/channels/messaging/lobby/event", &json!({"event": event}))
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let typing = until(&mut alice_ws, "typing.start").await;
    assert_eq!(typing.last().unwrap()["user"]["id"], "bob");
    let custom = until(&mut alice_ws, "dice").await;
    assert_eq!(custom.last().unwrap()["roll"], 6);

    // A read on node 1 reaches node 2.
    let res = alice
        .post("/channels/messaging/lobby/read", &json!({}))
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    let read = until(&mut bob_ws, "message.read").await;
    assert_eq!(read.last().unwrap()["user"]["id"], "alice");

    // Bob's second socket, on node 1, changes nothing; closing the first changes nothing;
    // closing the last one makes him offline, once.
    let bob_again = c.user(0, "bob");
    let second = bob_again.connect("bob", json!({})).await.unwrap();
    bob_ws.close().await.unwrap();
    send(&bob, "lobby", "marker-1", "still here").await;
    let frames = until(&mut alice_ws, "message.new").await;
    assert!(
        frames.iter().all(|f| f["type"] != "user.presence.changed"),
        "no presence change while bob has a socket: {frames:?}"
    );
    second.close().await.unwrap();
    assert!(!presence_of(&mut alice_ws, "bob").await);
    let users = alice
        .get_payload(
            "/users",
            &json!({"filter_conditions": {"id": {"$in": ["bob"]}}}),
        )
        .await
        .unwrap();
    assert_eq!(users.body["users"][0]["online"], false, "{}", users.body);
    assert!(users.body["users"][0]["last_active"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_across_both_nodes() {
    const N: usize = 7;
    let c = Cluster::start(&["--rate-limit-enforce", "true", "--rate-limits", "GetApp=7"]).await;
    let (a, b) = (c.server(0), c.server(1));
    let mut ok = 0;
    let mut refused = Vec::new();
    for i in 0..2 * N {
        let client = if i % 2 == 0 { &a } else { &b };
        let res = client.get("/app", &[]).await.unwrap();
        assert_eq!(res.header("x-ratelimit-limit"), Some("7"));
        match res.status {
            200 => ok += 1,
            429 => refused.push(res),
            other => panic!("unexpected {other}: {}", res.body),
        }
    }
    assert_eq!(ok, N, "exactly N requests pass, whichever node they hit");
    assert_eq!(refused.len(), N);
    for res in &refused {
        assert_eq!(res.body["code"], 9, "{}", res.body);
        assert_eq!(res.header("x-ratelimit-remaining"), Some("0"));
        let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
        assert!(res.header("x-ratelimit-reset").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_on_a_node_without_redis() {
    const N: usize = 4;
    let dir = TempDir::new();
    let args = ServerArgs {
        database_url: database_url(),
        schema: fresh_schema(),
        data_dir: dir.path().to_path_buf(),
    };
    let flags: Vec<String> = ["--rate-limit-enforce", "true", "--user-rate-limit", "4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let node = ServerProcess::spawn_with(&args, &flags).await;
    let body = wait_status(&node, "ready").await;
    assert_eq!(body["redis"], "off");
    let dev = credentials(dir.path());
    // The per-user limit: alice is refused past N, bob is not affected.
    let alice = user_client(&node.base, &dev, "alice");
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..N + 2 {
            v.push(alice.get("/app", &[]).await.unwrap().status);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    let bob = user_client(&node.base, &dev, "bob");
    let res = bob.get("/app", &[]).await.unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("x-ratelimit-limit"), Some("4"));
    assert_eq!(res.header("x-ratelimit-remaining"), Some("3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_a_node_keeps_delivering_locally_and_recovers_by_itself() {
    let mut c = Cluster::start(&[]).await;
    channel_with(&c.server(0), "ops", &["alice", "bob", "carol"]).await;
    let mut alice = c.user(0, "alice");
    let mut alice_ws = watcher(&mut alice, "alice", "ops").await;
    let mut carol = c.user(0, "carol");
    let mut carol_ws = watcher(&mut carol, "carol", "ops").await;
    let mut bob = c.user(1, "bob");
    let mut bob_ws = watcher(&mut bob, "bob", "ops").await;
    send(&alice, "ops", "before", "cross-node works").await;
    until(&mut bob_ws, "message.new").await;

    c.redis.stop();
    for node in &c.nodes {
        let body = wait_status(node, "degraded").await;
        assert_eq!(body["redis"], "down");
    }
    // Same-node delivery goes on; HTTP works.
    send(&alice, "ops", "during", "node 1 only").await;
    let mut got = Vec::new();
    while got.last().map(String::as_str) != Some("during") {
        got.extend(message_ids(&until(&mut carol_ws, "message.new").await));
    }
    assert_eq!(got, ["before", "during"]);
    let metrics = c.nodes[0].readiness().await; // any HTTP answer
    assert_eq!(metrics.0, 200);
    let text = reqwest::get(format!("{}/metrics", c.nodes[0].base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let not_crossed: f64 = text
        .lines()
        .find(|l| l.starts_with("chat_events_not_crossed_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(
        not_crossed >= 1.0,
        "the lost cross-node event is counted:\n{text}"
    );

    c.redis.restart();
    for node in &c.nodes {
        wait_status(node, "ready").await;
    }
    // Cross-node delivery resumes without restarting anything: the first message that
    // makes it may take a resubscription to arrive, so send until one does.
    let deadline = Instant::now() + SETTLE;
    let mut attempt = 0;
    'resume: loop {
        attempt += 1;
        let id = format!("after-{attempt}");
        send(&alice, "ops", &id, "node 1 to node 2 again").await;
        loop {
            match bob_ws.next_json(Duration::from_secs(1)).await {
                Ok(v) if v["type"] == "message.new" && v["message"]["id"] == id.as_str() => {
                    break 'resume;
                }
                Ok(v) if v["type"] == "message.new" => {
                    assert_ne!(
                        v["message"]["id"], "during",
                        "lost while down, not replayed"
                    );
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        assert!(
            Instant::now() < deadline,
            "cross-node delivery never resumed"
        );
    }
    // And the other way.
    send(&bob, "ops", "back", "node 2 to node 1").await;
    let mut ids = Vec::new();
    while ids.last().map(String::as_str) != Some("back") {
        ids.extend(message_ids(&until(&mut alice_ws, "message.new").await));
    }
    assert_eq!(counts(&ids).values().max(), Some(&1), "{ids:?}");
    // Redis came back empty: the nodes wrote their presence counts back.
    let deadline = Instant::now() + SETTLE;
    loop {
        let users = alice
            .get_payload(
                "/users",
                &json!({"filter_conditions": {"id": {"$in": ["bob"]}}}),
            )
            .await
            .unwrap();
        if users.body["users"][0]["online"] == true {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "bob never online again: {}",
            users.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What bob missed is in the channel's state.
    let state = bob
        .post(
            "/channels/messaging/ops/query",
            &json!({"state": true, "messages": {"id_gt": "before", "limit": 100}}),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = state.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"during"), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_a_killed_node_recovers_every_missed_message_once_on_the_other() {
    const MISSED: usize = 30;
    let mut c = Cluster::start(&[]).await;
    channel_with(&c.server(0), "war", &["alice", "bob"]).await;
    let mut bob = c.user(1, "bob");
    let mut bob_ws = watcher(&mut bob, "bob", "war").await;
    let mut alice = c.user(0, "alice");
    let mut alice_ws = watcher(&mut alice, "alice", "war").await;
    assert!(presence_of(&mut bob_ws, "alice").await);
    for i in 0..5 {
        send(&bob, "war", &format!("seen-{i}"), "before the crash").await;
    }
    let mut last_seen = String::new();
    while last_seen != "seen-4" {
        let frames = until(&mut alice_ws, "message.new").await;
        last_seen = message_ids(&frames).pop().unwrap();
    }

    c.nodes[0].kill();
    for i in 0..MISSED {
        send(
            &bob,
            "war",
            &format!("missed-{i:02}"),
            "while alice's node is dead",
        )
        .await;
    }
    // Alice's node is gone: bob is told she went offline, within about one node TTL.
    assert!(!presence_of(&mut bob_ws, "alice").await);

    // Alice reconnects to the surviving node and asks for what came after the last
    // message she saw.
    let mut alice = c.user(1, "alice");
    let mut alice_ws = watcher(&mut alice, "alice", "war").await;
    let mut recovered: Vec<String> = Vec::new();
    let mut after = last_seen.clone();
    loop {
        let res = alice
            .post(
                "/channels/messaging/war/query",
                &json!({"state": true, "watch": true, "messages": {"id_gt": after, "limit": 7}}),
            )
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", res.body);
        let page: Vec<String> = res.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect();
        let Some(last) = page.last().cloned() else {
            break;
        };
        recovered.extend(page);
        after = last;
    }
    let want: Vec<String> = (0..MISSED).map(|i| format!("missed-{i:02}")).collect();
    assert_eq!(recovered, want, "every missed message, in order");
    assert!(counts(&recovered).values().all(|n| *n == 1));
    // And live delivery continues on the new node.
    send(&bob, "war", "live", "after recovery").await;
    let frames = until(&mut alice_ws, "message.new").await;
    assert_eq!(message_ids(&frames), vec!["live".to_string()]);
    assert!(
        presence_of(&mut bob_ws, "alice").await,
        "alice is back online"
    );
}
