//! Harness for tests that run the `chat-server` binary as a real process on PostgreSQL:
//! each test gets its own schema (`t_<ulid>`, swept by the store after 15 minutes) and data
//! dir, learns the port from the banner line of `--addr 127.0.0.1:0`, and reads the
//! development app's credentials from the data dir once the server is ready.

#![allow(dead_code, clippy::unwrap_used)]

pub mod redis;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_server::auth;
use chat_server::client::Client;
use chat_server::dev_app::DevCredentials;
use serde_json::{json, Value};

/// Generous bounds: tests wait for the server, they never time it.
pub const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long a server may take to (re)connect to a returning database.
pub const READY_DEADLINE: Duration = Duration::from_secs(60);
/// Poll interval of readiness checks.
const POLL: Duration = Duration::from_millis(50);
/// Last lines of a server's output kept for failure messages.
const KEPT_LINES: usize = 200;

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `DATABASE_URL`, or the local default. Tests fail (never skip) when it does not answer.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string())
}

/// A schema name no other test uses (`t_` prefix: the store's sweeper drops old ones).
pub fn fresh_schema() -> String {
    format!("t_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("chat-server-test-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How to start the binary.
#[derive(Clone, Debug)]
pub struct ServerArgs {
    pub database_url: String,
    pub schema: String,
    pub data_dir: PathBuf,
}

/// A running `chat-server` process (SIGKILLed on drop).
pub struct ServerProcess {
    child: Child,
    pub base: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary and waits for its banner line (it listens from then on, whether
    /// or not the database answers).
    pub async fn spawn(args: &ServerArgs) -> Self {
        Self::spawn_with(args, &[]).await
    }

    /// [`ServerProcess::spawn`] with more command-line arguments (`--redis-url …`).
    pub async fn spawn_with(args: &ServerArgs, extra: &[String]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args(extra)
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&args.data_dir)
            .arg("--database-url")
            .arg(&args.database_url)
            .arg("--database-schema")
            .arg(&args.schema)
            // Nothing from the test's own environment chooses for the server.
            .env_remove("DATABASE_URL")
            .env_remove("CHAT_STORE")
            .env_remove("CHAT_CONFIG")
            .env_remove("CHAT_ADDR")
            .env_remove("CHAT_DATA_DIR")
            .env_remove("CHAT_DATABASE_SCHEMA")
            .env_remove("REDIS_URL")
            .env_remove("CHAT_REDIS_PREFIX")
            .env_remove("CHAT_NODE_TTL_SECS")
            .env_remove("CHAT_RATE_LIMIT_ENFORCE")
            .env_remove("CHAT_PRESENCE_OFFLINE_DELAY_MS")
            .env_remove("CHAT_RATE_LIMITS")
            .env_remove("CHAT_USER_RATE_LIMIT")
            .env_remove("CHAT_RATE_LIMIT_WINDOW_SECS")
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel::<String>();
        let kept = output.clone();
        // Drains stdout for the process's whole life so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut addr_tx = Some(addr_tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("chat-server listening on ") {
                    if let Some(tx) = addr_tx.take() {
                        let _ = tx.send(addr.trim().to_string());
                    }
                }
                let mut lines = kept.lock().unwrap();
                lines.push(line);
                if lines.len() > KEPT_LINES {
                    lines.remove(0);
                }
            }
        });
        let base = match tokio::time::timeout(START_DEADLINE, addr_rx).await {
            Ok(Ok(base)) => base,
            other => {
                let _ = child.kill();
                panic!(
                    "chat-server printed no listening line ({other:?}); output:\n{}",
                    output.lock().unwrap().join("\n")
                );
            }
        };
        Self {
            child,
            base,
            output,
        }
    }

    /// The last lines the server printed.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// `GET /health/ready`: status and body.
    pub async fn readiness(&self) -> (u16, Value) {
        let res = Client::new(&self.base, "", None)
            .get("/health/ready", &[])
            .await
            .unwrap();
        (res.status, res.body)
    }

    /// Polls readiness until it is 200 (panics after [`READY_DEADLINE`]).
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            let (status, body) = self.readiness().await;
            if status == 200 {
                assert_eq!(body["status"], "ready", "{body}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server not ready in time: {status} {body}; output:\n{}",
                self.output()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The development app's credentials as the server keeps them in `dir`.
pub fn credentials(dir: &Path) -> DevCredentials {
    DevCredentials::load(dir).unwrap()
}

/// A client with a server-side token.
pub fn server_client(base: &str, dev: &DevCredentials) -> Client {
    Client::new(
        base,
        &dev.api_key,
        Some(auth::server_token(&dev.api_secret)),
    )
}

/// A client acting as `user`.
pub fn user_client(base: &str, dev: &DevCredentials, user: &str) -> Client {
    Client::new(
        base,
        &dev.api_key,
        Some(auth::user_token(&dev.api_secret, user, None, None)),
    )
}

/// Creates `users` and a messaging channel `id` with them as members.
pub async fn channel_with(admin: &Client, id: &str, users: &[&str]) {
    let map: serde_json::Map<String, Value> = users
        .iter()
        .map(|u| (u.to_string(), json!({"id": u})))
        .collect();
    let res = admin.post("/users", &json!({"users": map})).await.unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    let res = admin
        .post(
            &format!("/channels/messaging/{id}/query"),
            &json!({"data": {"created_by_id": users[0], "members": users}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
}

/// Every message id of a messaging channel, oldest first, paging backwards through it
/// (so a message stored twice would be seen twice).
pub async fn all_message_ids(client: &Client, channel: &str) -> Vec<String> {
    const PAGE: usize = 100;
    let mut ids: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut messages = json!({"limit": PAGE});
        if let Some(b) = &before {
            messages["id_lt"] = json!(b);
        }
        let res = client
            .post(
                &format!("/channels/messaging/{channel}/query"),
                &json!({"state": true, "messages": messages}),
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
        let full = page.len() == PAGE;
        before = page.first().cloned();
        ids.splice(0..0, page);
        if !full {
            return ids;
        }
    }
}

/// How often each id occurs.
pub fn counts(ids: &[String]) -> std::collections::HashMap<&str, usize> {
    let mut seen = std::collections::HashMap::new();
    for id in ids {
        *seen.entry(id.as_str()).or_insert(0) += 1;
    }
    seen
}
