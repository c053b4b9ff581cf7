//! End-to-end smoke runs of the load tool against a real server (ours, in this process on
//! port 0, memory store) and a private Redis: tiny scenarios that must deliver every
//! message to every client exactly once. Timings are printed by the tool, never asserted.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use chat_server::config::Config;
use chat_server::dev_app::DevCredentials;
use chat_server::server::{start, ServerHandle};
use serde_json::Value;

struct Server {
    handle: ServerHandle,
    base: String,
}

async fn server() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = start(
        Config::default(),
        Arc::new(chat_store_memory::MemoryStore::new()),
        Arc::new(chat_core::time::SystemClock),
        listener,
        DevCredentials::generate(),
        chat_transport_ws::TransportConfig::default(),
    )
    .await
    .unwrap();
    let base = format!("http://{}", handle.addr);
    Server { handle, base }
}

fn json_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "chat-load-smoke-{name}-{}.json",
        std::process::id()
    ))
}

/// Runs `chat-load <args…> --url … --json …` against `s` and returns the JSON document.
async fn run(s: &Server, name: &str, args: &[&str]) -> Value {
    let json = json_path(name);
    let pid = std::process::id().to_string();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_chat-load"))
        .args(args)
        .args(["--url", &s.base])
        .args(["--api-key", &s.handle.dev.api_key])
        .args(["--api-secret", &s.handle.dev.api_secret])
        .args(["--server-pid", &pid])
        .arg("--json")
        .arg(&json)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chat-load failed\n{stdout}\n{stderr}");
    println!("{stdout}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    doc
}

fn assert_complete(r: &Value, clients: u64, messages: Option<u64>) {
    let sent = r["messages_sent"].as_u64().unwrap();
    if let Some(m) = messages {
        assert_eq!(sent, m, "{r}");
    }
    assert!(sent > 0, "{r}");
    assert_eq!(r["send_errors"], 0, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["clients_with_loss"], 0, "{r}");
    assert_eq!(r["duplicates"], 0, "{r}");
    assert_eq!(r["misrouted"], 0, "{r}");
    assert_eq!(r["disconnects"], 0, "{r}");
    assert_eq!(r["received"], r["expected"], "{r}");
    assert_eq!(r["clients"].as_u64().unwrap(), clients, "{r}");
    assert!(r["latency_max_ms"].as_f64().unwrap() >= r["latency_p50_ms"].as_f64().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_clients_one_channel_fifty_messages_none_lost() {
    let s = server().await;
    let doc = run(
        &s,
        "fixed",
        &[
            "fanout",
            "--peers",
            "none",
            "--clients",
            "20",
            "--channels",
            "1",
            "--rate",
            "100",
            "--duration",
            "0.5",
            "--payload",
            "1024",
        ],
    )
    .await;
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let ours = &results[0];
    assert_eq!(ours["system"], "chat");
    assert_complete(ours, 20, Some(50));
    assert_eq!(ours["expected"], 20 * 50);
    // The event frame carries the 1 KiB text plus the event envelope.
    assert!(ours["frame_bytes_avg"].as_f64().unwrap() > 1024.0, "{ours}");
    assert!(ours["server"]["rss_max_mb"].as_f64().unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_rate_across_three_workers_and_redis_peer_lose_nothing() {
    let s = server().await;
    let doc = run(
        &s,
        "max",
        &[
            "fanout",
            "--peers",
            "redis",
            "--clients",
            "20",
            "--channels",
            "3",
            "--rate",
            "max",
            "--duration",
            "0.5",
            "--payload",
            "200",
            "--clients-per-worker",
            "7",
            "--window",
            "4",
        ],
    )
    .await;
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc}");
    assert_complete(&results[0], 20, None);
    assert_eq!(results[1]["system"], "redis");
    assert_complete(&results[1], 20, None);
    let ratios = doc["ratios"].as_array().unwrap();
    assert!(ratios
        .iter()
        .any(|r| r["metric"] == "deliveries/s" && r["peer"] == "redis" && r["ratio"].is_number()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_storm_brings_every_client_back() {
    let s = server().await;
    let doc = run(
        &s,
        "storm",
        &[
            "scenario",
            "reconnect-storm",
            "--peers",
            "none",
            "--clients",
            "20",
            "--rate",
            "50",
            "--duration",
            "0.3",
        ],
    )
    .await;
    let ours = &doc["results"][0];
    assert_eq!(ours["clients"], 20, "{doc}");
    assert_eq!(ours["failed"], 0, "{doc}");
    let (back, recv) = (
        ours["reconnected_ms"].as_f64().unwrap(),
        ours["receiving_ms"].as_f64().unwrap(),
    );
    assert!(back > 0.0 && recv >= back, "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_memory_reports_a_point_per_step() {
    let s = server().await;
    let doc = run(
        &s,
        "idle",
        &[
            "scenario",
            "idle-memory",
            "--peers",
            "none",
            "--steps",
            "5,15",
            "--channels",
            "2",
        ],
    )
    .await;
    let ours = &doc["results"][0];
    let points = ours["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{doc}");
    assert_eq!(points[0]["connections"], 5);
    assert_eq!(points[1]["connections"], 15);
    assert!(points.iter().all(|p| p["rss_kb"].as_u64().unwrap() > 0));
}
