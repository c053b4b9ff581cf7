//! Command line of `chat-load`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::scenario::ScenarioName;

/// Load tool for chat-server, with Redis pub/sub, socket.io and NATS as peers in the same run.
#[derive(Debug, Parser)]
#[command(name = "chat-load", version)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run a named preset (bounded time; peers included unless `--peers none`).
    Scenario {
        /// The preset.
        name: ScenarioName,
        /// Where and how.
        #[command(flatten)]
        common: Common,
        /// Changes to the preset (smaller smoke runs, longer runs).
        #[command(flatten)]
        over: Overrides,
    },
    /// Fan-out run with explicit parameters (defaults: 100 clients, 1 channel, 1 KiB, max).
    Fanout {
        /// Where and how.
        #[command(flatten)]
        common: Common,
        /// Parameters.
        #[command(flatten)]
        over: Overrides,
    },
    /// Internal: a client worker process (started by the tool itself).
    #[command(hide = true)]
    Worker {
        /// The worker's job, JSON.
        #[arg(long)]
        spec: String,
    },
}

/// Where the systems are and how to drive them.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Drive an already running chat-server at this base URL (`http://127.0.0.1:3030`)
    /// instead of starting one; needs `--api-key` and `--api-secret`.
    #[arg(long)]
    pub url: Option<String>,
    /// API key of the app on `--url`.
    #[arg(long, requires = "url")]
    pub api_key: Option<String>,
    /// API secret of the app on `--url` (signs the users' and the server's tokens).
    #[arg(long, requires = "url")]
    pub api_secret: Option<String>,
    /// PID of the server on `--url`, for its CPU and RSS figures.
    #[arg(long, requires = "url")]
    pub server_pid: Option<u32>,
    /// The chat-server binary to start (default: next to this executable).
    #[arg(long, env = "CHAT_SERVER_BIN")]
    pub server_bin: Option<PathBuf>,
    /// Start the server on the Postgres store at this URL (the server must support
    /// `--database-url`).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Our server: set `connect_events: false` on the `messaging` channel type before the
    /// run, so joining and leaving watchers are not announced to every other watcher
    /// (which, unthrottled, costs O(watchers²) frames in a big channel).
    #[arg(long)]
    pub no_connect_events: bool,
    /// Peers to run after ours, comma-separated: redis, socketio, nats; or `none`.
    #[arg(long, default_value = "redis,socketio,nats")]
    pub peers: String,
    /// Where to write the JSON result (default: target/chat-load/<name>.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Clients per worker process (at most 19,900: the per-process socket limit here).
    #[arg(long, default_value_t = 10_000)]
    pub clients_per_worker: usize,
    /// Handshakes in flight at once per worker.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// The socket.io peer's directory (package.json, server.js).
    #[arg(long)]
    pub socketio_dir: Option<PathBuf>,
    /// redis-server binary.
    #[arg(long, default_value = "redis-server")]
    pub redis_bin: PathBuf,
    /// nats-server binary.
    #[arg(long, default_value = "nats-server")]
    pub nats_bin: PathBuf,
    /// node binary.
    #[arg(long, default_value = "node")]
    pub node_bin: PathBuf,
}

/// Overrides of a preset's parameters.
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// WebSocket (subscriber) clients, each a distinct user.
    #[arg(long)]
    pub clients: Option<usize>,
    /// Channels; client `i` watches channel `i % channels`.
    #[arg(long)]
    pub channels: Option<usize>,
    /// Payload bytes per message (the message text; the peers carry the same bytes).
    #[arg(long)]
    pub payload: Option<usize>,
    /// Messages per second over all channels, or `max` (as fast as the window allows).
    #[arg(long)]
    pub rate: Option<String>,
    /// Seconds of publishing.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Concurrent publishers (HTTP connections / peer connections).
    #[arg(long)]
    pub publishers: Option<usize>,
    /// Messages sent but not yet delivered to every subscriber, at most (max rate only).
    #[arg(long)]
    pub window: Option<usize>,
    /// Connection counts of the idle-memory steps, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub steps: Option<Vec<usize>>,
    /// Idle memory: connect (authenticated) without watching or subscribing, to separate
    /// the cost of a connection from the cost of a subscription.
    #[arg(long)]
    pub no_subscribe: bool,
}
