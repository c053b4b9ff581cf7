//! The node's link to Redis (through fred): exactly two connections per process, whatever
//! the number of sockets: a command client (pipelined publishes, presence and rate-limit
//! scripts) and a subscriber connection. Both reconnect by themselves forever (exponential
//! backoff, 100 ms → 2 s), so a Redis that goes away and comes back needs no restart; while
//! it is away, commands fail within [`COMMAND_TIMEOUT`] instead of queueing, and callers
//! fall back to node-local behaviour (see `cluster`, `presence`, `rate_limit`).

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::{Builder, ClientLike, Config, ReconnectPolicy};

/// Longest a Redis command may take before the caller treats Redis as unavailable.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Pub/sub messages fred buffers for the subscriber task; past that the oldest are lost
/// (counted as `chat_events_lost_total`).
const SUBSCRIBER_BUFFER: usize = 65_536;

/// Why Redis could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RedisSetupError {
    /// The url does not parse.
    #[error("bad redis url: {0}")]
    Url(String),
    /// The client could not be built.
    #[error("cannot build the redis client: {0}")]
    Client(String),
}

/// Both connections, the key prefix and this node's id.
pub struct RedisLink {
    /// Commands: publishes (pipelined), scripts.
    pub commands: fred::clients::Client,
    /// The one subscriber connection of this process.
    pub subscriber: fred::clients::Client,
    /// Prefix of every key and topic (`chat` by default), so several clusters can share
    /// one Redis.
    pub prefix: Arc<str>,
    /// This process's id, unique per start (a ULID).
    pub node: Arc<str>,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("prefix", &self.prefix)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// Builds both clients and starts connecting in the background: returns at once, even
    /// while Redis is down.
    pub fn connect(url: &str, prefix: &str) -> Result<Arc<Self>, RedisSetupError> {
        let mut config = Config::from_url(url).map_err(|e| RedisSetupError::Url(e.to_string()))?;
        // Keep retrying the first connection too: a node may start before Redis.
        config.fail_fast = false;
        let policy = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
        let build = |buffer: Option<usize>| {
            let mut builder = Builder::from_config(config.clone());
            builder
                .set_policy(policy.clone())
                .with_connection_config(|c| {
                    c.connection_timeout = COMMAND_TIMEOUT;
                    c.internal_command_timeout = COMMAND_TIMEOUT;
                    c.max_command_attempts = 1;
                    // Commands issued while disconnected fail fast rather than pile up.
                    c.max_command_buffer_len = 100_000;
                })
                .with_performance_config(|p| {
                    p.default_command_timeout = COMMAND_TIMEOUT;
                    if let Some(n) = buffer {
                        p.broadcast_channel_capacity = n;
                    }
                });
            builder
                .build()
                .map_err(|e| RedisSetupError::Client(e.to_string()))
        };
        let commands = build(None)?;
        let subscriber = build(Some(SUBSCRIBER_BUFFER))?;
        // The handles finish only when the clients quit; reconnection is internal.
        drop(commands.connect());
        drop(subscriber.connect());
        Ok(Arc::new(Self {
            commands,
            subscriber,
            prefix: prefix.into(),
            node: ulid::Ulid::new().to_string().into(),
        }))
    }

    /// Whether both connections are up right now.
    pub fn is_up(&self) -> bool {
        self.commands.is_connected() && self.subscriber.is_connected()
    }

    /// `prefix:rest`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }
}
