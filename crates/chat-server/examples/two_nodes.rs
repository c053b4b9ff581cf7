//! Two-node fan-out figure: a publisher sends messages over HTTP to node A; `SUBS`
//! sockets watching the channel are connected to node B (or, with `same`, to node A), so
//! every delivery crosses Redis pub/sub. Both nodes run in this process on one shared
//! memory store (the bus, not the store, is what is measured) and a Redis at
//! `REDIS_URL` (default `redis://127.0.0.1:6379`) under a fresh key prefix.
//!
//! ```sh
//! cargo run --release -p chat-server --example two_nodes -- [SUBS] [MESSAGES] [SENDERS] [cross|same]
//! ```
//!
//! Prints deliveries per second (first send to last receipt) and the latency from the
//! send request to each socket's receipt (p50, p99, max).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_server::client::Client;
use chat_server::config::{Config, RedisConfig};
use chat_server::dev_app::DevCredentials;
use chat_server::server::{start, ServerHandle};
use futures_util::StreamExt as _;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket read without JSON parsing; its connection id.
async fn raw_socket(base: &str, api_key: &str, token: &str, user: &str) -> (Ws, String) {
    let json = json!({"user_id": user}).to_string();
    let mut url =
        reqwest::Url::parse(&format!("{}/connect", base.replacen("http", "ws", 1))).unwrap();
    url.query_pairs_mut()
        .append_pair("api_key", api_key)
        .append_pair("json", &json)
        .append_pair("stream-auth-type", "jwt")
        .append_pair("authorization", token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let Some(Ok(Message::Text(first))) = ws.next().await else {
        panic!("no health.check");
    };
    let v: serde_json::Value = serde_json::from_str(first.as_str()).unwrap();
    (ws, v["connection_id"].as_str().unwrap().to_string())
}

/// The send stamp of a `message.new` frame (its text is only digits).
fn stamp(frame: &str) -> Option<u64> {
    if !frame.contains("\"type\":\"message.new\"") {
        return None;
    }
    let at = frame.find("\"text\":\"")? + 8;
    let end = frame[at..].find('"')? + at;
    frame[at..end].parse().ok()
}

async fn node(
    store: Arc<dyn chat_core::store::Store>,
    dev: &DevCredentials,
    redis: &str,
    prefix: &str,
) -> ServerHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = Config {
        redis: Some(RedisConfig {
            url: redis.to_string(),
            prefix: prefix.to_string(),
            node_ttl: Duration::from_secs(15),
        }),
        ..Config::default()
    };
    let handle = start(
        config,
        store,
        Arc::new(chat_core::time::SystemClock),
        listener,
        dev.clone(),
        chat_transport_ws::TransportConfig::default(),
    )
    .await
    .unwrap();
    let link = handle.state.redis.clone().unwrap();
    while !link.is_up() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle
}

/// What a node pays for an event none of its sockets needs: decoding its envelope
/// (the registry check that follows is a map lookup).
fn envelope_cost() {
    use chat_core::fanout::{Audience, Event, EventKind};
    use chat_core::ids::{AppId, Cid, MessageId, UserId};
    let cid = Cid::parse("messaging:bench").unwrap();
    let now = chat_core::time::Timestamp::default();
    let mut message = chat_core::model::Message::new(
        MessageId::new_unchecked("01JBENCHMESSAGE0000000000"),
        cid.clone(),
        UserId::new_unchecked("pub"),
        now,
    );
    message.text = "a typical short chat message, about eighty bytes long, give or take".into();
    let event = Event {
        app: AppId::new_unchecked("app"),
        kind: EventKind::MessageNew { message },
        created_at: now,
        cid: Some(cid),
        actor: Some(UserId::new_unchecked("pub")),
        audience: Audience::Channel,
    };
    let bytes = chat_server::cluster::encode_envelope("node-a", &event).unwrap();
    const N: u32 = 20_000;
    let t = Instant::now();
    for _ in 0..N {
        let decoded = chat_server::cluster::decode_envelope("node-b", &bytes).unwrap();
        std::hint::black_box(decoded);
    }
    println!(
        "envelope of a message.new: {} bytes, decoded in {:?} each",
        bytes.len(),
        t.elapsed() / N
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let subs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let messages: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let senders: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
    let cross = args.get(4).is_none_or(|m| m != "same");
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench-{}", ulid::Ulid::new());

    envelope_cost();
    let store: Arc<dyn chat_core::store::Store> = Arc::new(chat_store_memory::MemoryStore::new());
    let dev = DevCredentials::generate();
    let a = node(store.clone(), &dev, &redis, &prefix).await;
    let b = node(store.clone(), &dev, &redis, &prefix).await;
    // Let both pattern subscriptions settle before measuring.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base_a = format!("http://{}", a.addr);
    let base_b = format!("http://{}", b.addr);
    let sub_base = if cross { &base_b } else { &base_a };
    let token = |user: &str| chat_server::auth::user_token(&dev.api_secret, user, None, None);
    let admin = Client::new(
        &base_a,
        &dev.api_key,
        Some(chat_server::auth::server_token(&dev.api_secret)),
    );
    let mut members: Vec<String> = (0..subs).map(|i| format!("sub{i}")).collect();
    members.push("pub".into());
    for chunk in members.chunks(100) {
        let users: serde_json::Map<String, serde_json::Value> = chunk
            .iter()
            .map(|u| (u.clone(), json!({"id": u})))
            .collect();
        let res = admin
            .post("/users", &json!({"users": users}))
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let res = admin
        .post(
            "/channels/messaging/bench/query",
            &json!({"data": {"created_by_id": "pub", "members": ["pub"]}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    for chunk in members.chunks(100) {
        let res = admin
            .post("/channels/messaging/bench", &json!({"add_members": chunk}))
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", res.body);
    }

    let start_at = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Duration, Instant)>(1 << 20);
    let mut readers = Vec::new();
    for i in 0..subs {
        let user = format!("sub{i}");
        let mut client = Client::new(sub_base.clone(), &dev.api_key, Some(token(&user)));
        let (mut ws, connection_id) =
            raw_socket(sub_base, &dev.api_key, &token(&user), &user).await;
        client.connection_id = Some(connection_id);
        let res = client
            .post("/channels/messaging/bench/query", &json!({"watch": true}))
            .await
            .unwrap();
        assert_eq!(res.status, 200);
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            let mut got = 0;
            while got < messages {
                let Ok(Some(Ok(frame))) =
                    tokio::time::timeout(Duration::from_secs(60), ws.next()).await
                else {
                    break;
                };
                let Message::Text(text) = frame else { continue };
                // The client's parsing must not be what is measured: find the stamp.
                let Some(sent_us) = stamp(text.as_str()) else {
                    continue;
                };
                got += 1;
                let _ = tx.try_send((Duration::from_micros(sent_us), Instant::now()));
            }
            got
        }));
    }
    drop(tx);

    let publisher = Client::new(base_a.clone(), &dev.api_key, Some(token("pub")));
    let first_send = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..senders {
        let publisher = publisher.clone();
        tasks.push(tokio::spawn(async move {
            for k in (s..messages).step_by(senders) {
                let sent = start_at.elapsed().as_micros().to_string();
                let res = publisher
                    .post(
                        "/channels/messaging/bench/message",
                        &json!({"message": {"id": format!("m{k}"), "text": sent}}),
                    )
                    .await
                    .unwrap();
                assert_eq!(res.status, 200, "{}", res.body);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let send_secs = first_send.elapsed().as_secs_f64();
    let mut latencies = Vec::with_capacity(subs * messages);
    let mut last = first_send;
    while let Some((sent, at)) = rx.recv().await {
        latencies.push(at.duration_since(start_at).saturating_sub(sent));
        last = last.max(at);
    }
    let mut delivered = 0;
    for r in readers {
        delivered += r.await.unwrap();
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let secs = last.duration_since(first_send).as_secs_f64();
    println!(
        "{} subs={subs} messages={messages} senders={senders}: delivered {delivered}/{} in {secs:.2}s \
         = {:.0} deliveries/s ({:.0} sends/s); latency p50 {:?} p99 {:?} max {:?}",
        if cross { "cross-node" } else { "same-node" },
        subs * messages,
        delivered as f64 / secs,
        messages as f64 / send_secs,
        pct(0.50),
        pct(0.99),
        latencies.last().copied().unwrap_or_default(),
    );
    a.shutdown().await;
    b.shutdown().await;
}
