//! What the coordinator and its worker processes say to each other: the worker's job (on
//! its command line), commands (JSON lines on its stdin) and events (JSON lines on its
//! stdout).

use serde::{Deserialize, Serialize};

use crate::hist::SparseHist;

/// A system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SystemKind {
    /// Our `chat-server` (HTTP + WebSocket).
    Chat,
    /// Redis pub/sub.
    Redis,
    /// socket.io broadcast rooms (Node).
    Socketio,
    /// NATS core pub/sub.
    Nats,
}

impl SystemKind {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Redis => "redis",
            Self::Socketio => "socketio",
            Self::Nats => "nats",
        }
    }
}

/// How to reach a running system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    /// Which system.
    pub kind: SystemKind,
    /// `host:port`.
    pub addr: String,
    /// API key (chat only).
    #[serde(default)]
    pub api_key: String,
    /// API secret, to sign user tokens (chat only).
    #[serde(default)]
    pub api_secret: String,
}

/// Names shared by every system in a run, so one run's users and channels never meet
/// another's (the Postgres store keeps data between runs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Naming {
    /// Prefix unique to the run.
    pub prefix: String,
}

impl Naming {
    /// User of client `i`.
    pub fn user(&self, i: usize) -> String {
        format!("{}u{i}", self.prefix)
    }

    /// Channel `j` (also the Redis channel, NATS subject and socket.io room).
    pub fn channel(&self, j: usize) -> String {
        format!("{}c{j}", self.prefix)
    }

    /// The user who publishes (member of every channel, never connected).
    pub fn publisher(&self) -> String {
        format!("{}pub", self.prefix)
    }
}

/// A worker's job: clients `first..first + count`, client `i` on channel `i % channels`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSpec {
    /// The system.
    pub endpoint: Endpoint,
    /// Names.
    pub naming: Naming,
    /// First client index.
    pub first: usize,
    /// Clients in this worker.
    pub count: usize,
    /// Channels in the run.
    pub channels: usize,
    /// Subscribe (watch) after connecting.
    pub subscribe: bool,
    /// Handshakes in flight at once.
    pub connect_concurrency: usize,
}

/// Coordinator → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Every worker is connected: subscribe (watch) now.
    Subscribe,
    /// Report counts and latencies; `sent[j]` is how many messages channel `j` got.
    Report {
        /// Messages sent per channel.
        sent: Vec<u64>,
    },
    /// Drop every connection at once, reconnect, and report when all receive again.
    Drop,
    /// Close everything and exit.
    Exit,
}

/// Worker → coordinator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Event {
    /// Every client has connected (not yet subscribed), or failed.
    Connected {
        /// Connected clients.
        connected: usize,
        /// Clients that failed.
        failed: usize,
        /// The first failure.
        error: Option<String>,
    },
    /// Every client has subscribed, or failed.
    Ready {
        /// Connected clients.
        connected: usize,
        /// Clients that failed.
        failed: usize,
        /// The first failure.
        error: Option<String>,
    },
    /// Deliveries so far (unique per message and client).
    Progress {
        /// Count.
        received: u64,
    },
    /// Answer to [`Command::Report`].
    Report(WorkerReport),
    /// Answer to [`Command::Drop`].
    Storm(StormReport),
}

/// Counts of one worker.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkerReport {
    /// Unique deliveries (per message and client).
    pub received: u64,
    /// Expected minus unique deliveries, per client, summed.
    pub lost: u64,
    /// Clients that missed at least one message.
    pub clients_with_loss: u64,
    /// Deliveries of a message a client already had.
    pub duplicates: u64,
    /// Deliveries for a channel the client does not watch.
    pub misrouted: u64,
    /// Connections the server closed or broke.
    pub disconnects: u64,
    /// Payload bytes of the frames that carried a marker.
    pub frame_bytes: u64,
    /// Send-to-receive latency, µs.
    pub latency: SparseHist,
}

/// Answer to a drop: how long until every client was back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StormReport {
    /// Clients dropped.
    pub clients: usize,
    /// Clients that never came back before the deadline.
    pub failed: usize,
    /// Drop → last client reconnected and subscribed, ms.
    pub reconnected_ms: f64,
    /// Drop → last client received a message on its new connection, ms.
    pub receiving_ms: f64,
}
