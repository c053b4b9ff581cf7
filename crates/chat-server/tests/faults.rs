//! Faults: the server binary talks to PostgreSQL through a TCP proxy in this test, which
//! the test cuts and restores. The server starts while the database is unreachable (not
//! ready, requests answered with a Stream 503 body), becomes ready when it returns without
//! a restart, fails requests during an outage with a 5xx Stream error body, and leaves
//! nothing half-written: after the outage, every acknowledged send is there once, and every
//! failed one is either absent or complete.

#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_server::client::{Client, Response};
use serde_json::json;
use support::{
    all_message_ids, channel_with, counts, credentials, database_url, fresh_schema, server_client,
    user_client, ServerArgs, ServerProcess, TempDir,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A loopback TCP proxy to PostgreSQL. Open, it pipes each connection to the database;
/// cut, it closes every live connection and drops new ones as soon as they arrive.
struct Proxy {
    addr: SocketAddr,
    links: Arc<Mutex<Links>>,
    accept: AbortHandle,
}

struct Links {
    open: bool,
    live: Vec<AbortHandle>,
}

impl Proxy {
    async fn start(upstream: SocketAddr, open: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let links = Arc::new(Mutex::new(Links {
            open,
            live: Vec::new(),
        }));
        let shared = links.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                // Deciding and registering under one lock: a cut cannot miss a link.
                let mut links = shared.lock().unwrap();
                if !links.open {
                    drop(client);
                    continue;
                }
                links.live.retain(|l| !l.is_finished());
                let pipe = tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let mut client = client;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                links.live.push(pipe.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            links,
            accept,
        }
    }

    /// Lets connections through again.
    fn restore(&self) {
        self.links.lock().unwrap().open = true;
    }

    /// Closes every live connection and refuses new ones.
    fn cut(&self) {
        let mut links = self.links.lock().unwrap();
        links.open = false;
        for link in links.live.drain(..) {
            link.abort();
        }
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
        format!("{scheme}://{}{}{path}", user.unwrap_or_default(), self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// The database's address from its url.
async fn upstream(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    };
    tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// A server on a fresh schema behind a proxy that starts `open` or cut.
async fn server_behind_proxy(open: bool) -> (Proxy, ServerProcess, TempDir, ServerArgs) {
    let url = database_url();
    let proxy = Proxy::start(upstream(&url).await, open).await;
    let dir = TempDir::new();
    let args = ServerArgs {
        database_url: proxy.url(&url),
        schema: fresh_schema(),
        data_dir: dir.path().to_path_buf(),
    };
    let server = ServerProcess::spawn(&args).await;
    (proxy, server, dir, args)
}

/// A Stream error body with a 5xx status and code -1 (Internal System Error).
fn assert_stream_5xx(res: &Response) {
    assert!(res.status >= 500, "{} {}", res.status, res.body);
    assert_eq!(res.body["code"], -1, "{}", res.body);
    assert_eq!(res.body["StatusCode"], res.status, "{}", res.body);
    assert!(
        res.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        res.body
    );
    assert!(res.body["duration"].is_string(), "{}", res.body);
    assert!(res.body.get("more_info").is_some(), "{}", res.body);
}

/// Polls readiness until it is 503, within a deadline (after a cut, the next probe sees it).
async fn wait_not_ready(server: &ServerProcess) -> serde_json::Value {
    let deadline = Instant::now() + support::READY_DEADLINE;
    loop {
        let (status, body) = server.readiness().await;
        if status == 503 {
            return body;
        }
        assert!(Instant::now() < deadline, "still ready: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(client: &Client, channel: &str, id: &str) -> Response {
    client
        .post(
            &format!("/channels/messaging/{channel}/message"),
            &json!({"message": {"id": id, "text": format!("text of {id}")}}),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_while_the_database_is_down_and_becomes_ready_when_it_returns() {
    let (proxy, server, dir, _args) = server_behind_proxy(false).await;

    let (status, body) = server.readiness().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["store"], false, "{body}");
    assert!(body["duration"].is_string(), "{body}");

    // The credentials are in the data dir from the start; the store is not there yet.
    let dev = credentials(dir.path());
    let res = server_client(&server.base, &dev)
        .post("/channels", &json!({"filter_conditions": {}}))
        .await
        .unwrap();
    assert_eq!(res.status, 503, "{}", res.body);
    assert_stream_5xx(&res);

    proxy.restore();
    server.wait_ready().await;
    let dev = credentials(dir.path());
    channel_with(
        &server_client(&server.base, &dev),
        "back",
        &["alice", "bob"],
    )
    .await;
    let res = send(&user_client(&server.base, &dev, "alice"), "back", "first").await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_requests_with_a_stream_5xx_and_leaves_nothing_half_written() {
    let (proxy, server, dir, _args) = server_behind_proxy(true).await;
    server.wait_ready().await;
    let dev = credentials(dir.path());
    channel_with(
        &server_client(&server.base, &dev),
        "outage",
        &["alice", "bob"],
    )
    .await;
    let alice = user_client(&server.base, &dev, "alice");
    let bob = user_client(&server.base, &dev, "bob");
    for i in 0..5 {
        let res = send(&alice, "outage", &format!("before-{i}")).await;
        assert_eq!(res.status, 200, "{}", res.body);
    }

    // A cut between requests: the next send fails with a Stream 5xx body, readiness drops.
    proxy.cut();
    let res = send(&alice, "outage", "during").await;
    assert_stream_5xx(&res);
    assert_eq!(res.status, 503, "unreachable store is 503: {}", res.body);
    let body = wait_not_ready(&server).await;
    assert_eq!(body["store"], false, "{body}");
    proxy.restore();
    server.wait_ready().await;
    let ids = all_message_ids(&bob, "outage").await;
    assert!(!ids.iter().any(|id| id == "during"), "{ids:?}");
    assert_eq!(ids.len(), 5, "{ids:?}");
    let res = send(&alice, "outage", "during").await;
    assert_eq!(
        res.status, 200,
        "a failed send can be retried: {}",
        res.body
    );

    // A cut while sends are in flight.
    let racers: Vec<_> = (0..4)
        .map(|w| {
            let alice = alice.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for k in 0..1000 {
                    let id = format!("race-{w}-{k:04}");
                    let res = send(&alice, "outage", &id).await;
                    if res.status != 200 {
                        assert_stream_5xx(&res);
                        return (acked, Some(id));
                    }
                    acked.push(id);
                }
                (acked, None)
            })
        })
        .collect();
    // Let the racers get going, then cut under them.
    let deadline = Instant::now() + support::READY_DEADLINE;
    while all_message_ids(&bob, "outage").await.len() < 6 + 8 {
        assert!(Instant::now() < deadline, "racing sends made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.cut();
    let mut acked = Vec::new();
    let mut failed = Vec::new();
    for racer in racers {
        let (ok, cut_off) = racer.await.unwrap();
        acked.extend(ok);
        failed.extend(cut_off);
    }
    assert_eq!(failed.len(), 4, "every racer hit the outage");

    proxy.restore();
    server.wait_ready().await;
    // A send cut off mid-flight either committed whole (a retry is a duplicate) or not at
    // all (a retry succeeds); nothing in between.
    for id in &failed {
        let res = send(&alice, "outage", id).await;
        match res.status {
            200 => {}
            400 => assert_eq!(res.body["code"], 4, "{}", res.body),
            _ => panic!("retrying {id}: {} {}", res.status, res.body),
        }
    }
    let ids = all_message_ids(&bob, "outage").await;
    let seen = counts(&ids);
    for id in acked.iter().chain(&failed).map(String::as_str) {
        assert_eq!(seen.get(id), Some(&1), "{id}");
    }
    assert!(seen.values().all(|n| *n == 1), "{ids:?}");
    assert_eq!(ids.len(), 6 + acked.len() + failed.len(), "{ids:?}");
    // The counters moved with the rows: bob has read nothing, so every message is unread.
    let unread = bob.get("/unread", &[]).await.unwrap();
    assert_eq!(unread.status, 200, "{}", unread.body);
    assert_eq!(
        unread.body["total_unread_count"],
        ids.len(),
        "{}",
        unread.body
    );
}
