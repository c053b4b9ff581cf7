//! Tidy test: `chat-core` stays free of IO crates (ARCHITECTURE.md, invariant 1).
//! It reads the resolved dependency graph from `cargo metadata` and fails if any crate
//! below is reachable from chat-core through normal (non-dev) dependencies.

use std::collections::{HashMap, HashSet};
use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "sqlx",
    "sqlx-core",
    "fred",
    "hyper",
    "axum",
    "tokio-tungstenite",
    "tungstenite",
    "reqwest",
];
// Not listed: mio. `cargo metadata` reports the workspace-unified feature graph, where
// tokio (which chat-core uses with `sync` only) reaches mio through the server's features.

#[test]
fn chat_core_does_no_io() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");

    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let nodes = meta["resolve"]["nodes"].as_array().expect("resolve nodes");
    let mut normal_deps: HashMap<&str, Vec<&str>> = HashMap::new();
    for node in nodes {
        let id = node["id"].as_str().expect("node id");
        let deps = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .expect("dep kinds")
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().expect("pkg"))
            .collect();
        normal_deps.insert(id, deps);
    }
    let core = names
        .iter()
        .find(|(_, name)| **name == "chat-core")
        .map(|(id, _)| *id)
        .expect("chat-core in the workspace");

    let mut seen = HashSet::new();
    let mut stack = vec![core];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let name = names[id];
        assert!(
            !FORBIDDEN.contains(&name),
            "chat-core must not depend on {name} (directly or transitively)"
        );
        stack.extend(normal_deps.get(id).into_iter().flatten());
    }
    assert!(
        seen.len() > 1,
        "the graph walk found chat-core's dependencies"
    );
}
