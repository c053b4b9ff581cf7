//! Test harness: a real server on port 0 over the memory store, and clients for it.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chat_server::auth;
use chat_server::client::{Client, Socket};
use chat_server::config::Config;
use chat_server::dev_app::DevCredentials;
use chat_server::server::{start, ServerHandle};
use serde_json::{json, Value};

/// Generous: tests wait for events, they never time them.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub handle: ServerHandle,
    pub base: String,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let store = Arc::new(chat_store_memory::MemoryStore::new());
        let handle = start(
            config,
            store,
            Arc::new(chat_core::time::SystemClock),
            listener,
            DevCredentials::generate(),
            chat_transport_ws::TransportConfig::default(),
        )
        .await
        .unwrap();
        let base = format!("http://{}", handle.addr);
        Self { handle, base }
    }

    pub fn key(&self) -> &str {
        &self.handle.dev.api_key
    }

    pub fn secret(&self) -> &str {
        &self.handle.dev.api_secret
    }

    pub fn server(&self) -> Client {
        Client::new(
            &self.base,
            self.key(),
            Some(auth::server_token(self.secret())),
        )
    }

    pub fn user(&self, id: &str) -> Client {
        Client::new(
            &self.base,
            self.key(),
            Some(auth::user_token(self.secret(), id, None, None)),
        )
    }

    pub fn with_token(&self, token: &str) -> Client {
        Client::new(&self.base, self.key(), Some(token.to_string()))
    }

    /// Creates users (server-side).
    pub async fn users(&self, ids: &[&str]) {
        let users: serde_json::Map<String, Value> = ids
            .iter()
            .map(|id| (id.to_string(), json!({"id": id, "name": id.to_uppercase()})))
            .collect();
        let res = self
            .server()
            .post("/users", &json!({"users": users}))
            .await
            .unwrap();
        assert_eq!(res.status, 200, "{}", res.body);
    }

    /// Connects `id` and returns its client (tied to the socket) and socket.
    pub async fn connect(&self, id: &str) -> (Client, Socket) {
        let mut client = self.user(id);
        let socket = client.connect(id, json!({"id": id})).await.unwrap();
        client.connection_id = Some(socket.connection_id.clone());
        (client, socket)
    }
}

/// Asserts a Stream error body with `code` and HTTP `status`.
pub fn assert_error(res: &chat_server::client::Response, status: u16, code: i64) {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(res.body["code"], code, "{}", res.body);
    assert_eq!(res.body["StatusCode"], status, "{}", res.body);
    assert!(
        res.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        res.body
    );
    assert!(res.body["duration"].is_string(), "{}", res.body);
    assert!(res.body.get("more_info").is_some(), "{}", res.body);
}
