//! Configuration: defaults → optional TOML file → environment → flags (clap does the last
//! two; the file fills what neither set).
//!
//! The store: PostgreSQL when a database url is configured (`--database-url`,
//! `DATABASE_URL` or `database_url`), else the memory store, so the first run needs no
//! configuration; `--store memory` keeps the memory store even when `DATABASE_URL` is set
//! in the shell.
//!
//! Redis: several nodes form one server when they share a database and a Redis
//! (`--redis-url`, `REDIS_URL` or `redis_url`); without it the node runs alone, with
//! in-process fan-out, presence and rate limits.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

/// Command line of the `chat-server` binary.
#[derive(Debug, Parser)]
#[command(
    name = "chat-server",
    version,
    about = "Chat server speaking the Stream Chat API"
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server options.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Print a user token for the development app.
    Token {
        /// The user the token is for.
        #[arg(long)]
        user: String,
        /// Seconds until it expires (default: never).
        #[arg(long)]
        expires_in: Option<i64>,
    },
}

/// Options of `serve` (and of `token`, which reads the same data dir).
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CHAT_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Optional TOML config file.
    #[arg(long, env = "CHAT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the development app's credentials are kept between starts.
    #[arg(long, env = "CHAT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "CHAT_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Largest accepted JSON body, bytes.
    #[arg(long, env = "CHAT_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Store: `memory` or `postgres` (default: postgres when a database url is set).
    #[arg(long, env = "CHAT_STORE")]
    pub store: Option<String>,
    /// PostgreSQL url, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL schema to use instead of `public` (created if missing).
    #[arg(long, env = "CHAT_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,
    /// Redis url, e.g. `redis://127.0.0.1:6379`: cross-node fan-out, presence, rate limits.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and topic (default `chat`).
    #[arg(long, env = "CHAT_REDIS_PREFIX")]
    pub redis_prefix: Option<String>,
    /// Seconds a node's presence heartbeat lives: a crashed node's users go offline
    /// within about this long (default 15).
    #[arg(long, env = "CHAT_NODE_TTL_SECS")]
    pub node_ttl_secs: Option<u64>,
    /// Answer 429 when a rate limit is exceeded (default off: counted, headers only).
    #[arg(long, env = "CHAT_RATE_LIMIT_ENFORCE")]
    pub rate_limit_enforce: Option<bool>,
    /// Rate-limit window in seconds (default 60).
    #[arg(long, env = "CHAT_RATE_LIMIT_WINDOW_SECS")]
    pub rate_limit_window_secs: Option<u64>,
    /// Per-app limits per endpoint, `Operation=N,...` (overrides the documented defaults).
    #[arg(long, env = "CHAT_RATE_LIMITS")]
    pub rate_limits: Option<String>,
    /// Per-user limit per endpoint and window (default 60; 0 = none).
    #[arg(long, env = "CHAT_USER_RATE_LIMIT")]
    pub user_rate_limit: Option<u32>,
    /// Milliseconds a user may be without a socket before `user.presence.changed`
    /// announces them offline; a reconnect within it is silent (default 5000).
    #[arg(long, env = "CHAT_PRESENCE_OFFLINE_DELAY_MS")]
    pub presence_offline_delay_ms: Option<u64>,
}

/// Keys of the optional config file (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    log_format: Option<String>,
    max_body_bytes: Option<usize>,
    store: Option<String>,
    database_url: Option<String>,
    database_schema: Option<String>,
    redis_url: Option<String>,
    redis_prefix: Option<String>,
    node_ttl_secs: Option<u64>,
    rate_limit_enforce: Option<bool>,
    rate_limit_window_secs: Option<u64>,
    rate_limits: Option<String>,
    user_rate_limit: Option<u32>,
    presence_offline_delay_ms: Option<u64>,
}

/// Which store the server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In memory: nothing survives a restart.
    Memory,
    /// PostgreSQL.
    Postgres(PostgresConfig),
}

/// Where the PostgreSQL store lives. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    /// Connection url.
    pub url: String,
    /// Schema instead of `public` (tests isolate themselves with one).
    pub schema: Option<String>,
}

impl PostgresConfig {
    /// The url with any password replaced by `***`, for logs and the start banner.
    pub fn redacted_url(&self) -> String {
        redact_password(&self.url)
    }
}

impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &self.redacted_url())
            .field("schema", &self.schema)
            .finish()
    }
}

/// `scheme://user:secret@host/db?password=secret` → `scheme://user:***@host/db?password=***`.
fn redact_password(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
                    None => head.to_string(),
                },
                None => head.to_string(),
            }
        }
        None => head.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address (default 127.0.0.1:3030).
    pub addr: SocketAddr,
    /// Data dir (default `.chat-data`).
    pub data_dir: PathBuf,
    /// JSON logs.
    pub json_logs: bool,
    /// Body limit (default 1 MiB, api-spec/errors.md §4 DESIGN).
    pub max_body_bytes: usize,
    /// The store (default: memory).
    pub store: StoreConfig,
    /// Redis, when several nodes form one server.
    pub redis: Option<RedisConfig>,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
    /// How long a user may be without a socket before going offline (websocket.md W13).
    pub presence_offline_delay: std::time::Duration,
}

/// Where Redis is. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Connection url.
    pub url: String,
    /// Prefix of keys and topics.
    pub prefix: String,
    /// Lifetime of a node's heartbeat key.
    pub node_ttl: std::time::Duration,
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact_password(&self.url))
            .field("prefix", &self.prefix)
            .field("node_ttl", &self.node_ttl)
            .finish()
    }
}

impl RedisConfig {
    /// The url with any password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        redact_password(&self.url)
    }
}

/// Rate limiting (api-spec/errors.md §3): a sliding window per app and endpoint, and per
/// user and endpoint; counted always (headers), enforced (429) only when `enforce`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Answer 429 code 9 past a limit.
    pub enforce: bool,
    /// Window length.
    pub window: std::time::Duration,
    /// App limits per operation replacing the documented defaults.
    pub overrides: std::collections::BTreeMap<String, u32>,
    /// Per-user limit per endpoint (0 = none).
    pub per_user: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enforce: false,
            window: std::time::Duration::from_secs(60),
            overrides: std::collections::BTreeMap::new(),
            per_user: 60,
        }
    }
}

impl RateLimitConfig {
    /// The app limit of an operation per window.
    pub fn app_limit(&self, op: &str) -> u32 {
        self.overrides
            .get(op)
            .copied()
            .unwrap_or_else(|| crate::http::rate_limit_for(op))
    }
}

/// `Op=N,Op=N` → map.
fn parse_overrides(text: &str) -> Result<std::collections::BTreeMap<String, u32>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (op, n) = pair
                .split_once('=')
                .ok_or_else(|| format!("rate limit {pair:?} must be Operation=N"))?;
            let n: u32 = n
                .trim()
                .parse()
                .map_err(|_| format!("rate limit {pair:?} must be Operation=N"))?;
            Ok((op.trim().to_string(), n))
        })
        .collect()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3030)),
            data_dir: PathBuf::from(".chat-data"),
            json_logs: false,
            max_body_bytes: 1024 * 1024,
            store: StoreConfig::Memory,
            redis: None,
            rate_limits: RateLimitConfig::default(),
            presence_offline_delay: std::time::Duration::from_secs(5),
        }
    }
}

impl Config {
    /// Resolves flags/env over the file over the defaults.
    pub fn resolve(args: &ServeArgs) -> Result<Self, String> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| format!("bad config file {}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let d = Config::default();
        let store = resolve_store(args, &file)?;
        let redis = resolve_redis(args, &file);
        let rate_limits = resolve_rate_limits(args, &file)?;
        let log_format = args.log_format.clone().or(file.log_format);
        let json_logs = match log_format.as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => return Err(format!("log format must be text or json, not {other}")),
        };
        Ok(Self {
            addr: args.addr.or(file.addr).unwrap_or(d.addr),
            data_dir: args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or(d.data_dir),
            json_logs,
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(d.max_body_bytes),
            store,
            redis,
            rate_limits,
            presence_offline_delay: args
                .presence_offline_delay_ms
                .or(file.presence_offline_delay_ms)
                .map_or(d.presence_offline_delay, std::time::Duration::from_millis),
        })
    }
}

fn resolve_redis(args: &ServeArgs, file: &FileConfig) -> Option<RedisConfig> {
    let url = non_empty(args.redis_url.as_ref()).or(non_empty(file.redis_url.as_ref()))?;
    let prefix = non_empty(args.redis_prefix.as_ref())
        .or(non_empty(file.redis_prefix.as_ref()))
        .unwrap_or_else(|| "chat".to_string());
    let ttl = args
        .node_ttl_secs
        .or(file.node_ttl_secs)
        .unwrap_or(15)
        .max(1);
    Some(RedisConfig {
        url,
        prefix,
        node_ttl: std::time::Duration::from_secs(ttl),
    })
}

fn resolve_rate_limits(args: &ServeArgs, file: &FileConfig) -> Result<RateLimitConfig, String> {
    let d = RateLimitConfig::default();
    let overrides = match non_empty(args.rate_limits.as_ref()).or(file.rate_limits.clone()) {
        Some(text) => parse_overrides(&text)?,
        None => d.overrides,
    };
    Ok(RateLimitConfig {
        enforce: args
            .rate_limit_enforce
            .or(file.rate_limit_enforce)
            .unwrap_or(d.enforce),
        window: args
            .rate_limit_window_secs
            .or(file.rate_limit_window_secs)
            .map_or(d.window, |s| std::time::Duration::from_secs(s.max(1))),
        overrides,
        per_user: args
            .user_rate_limit
            .or(file.user_rate_limit)
            .unwrap_or(d.per_user),
    })
}

/// An empty setting (`DATABASE_URL=`) counts as unset.
fn non_empty(v: Option<&String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty()).cloned()
}

fn resolve_store(args: &ServeArgs, file: &FileConfig) -> Result<StoreConfig, String> {
    let kind = non_empty(args.store.as_ref()).or(non_empty(file.store.as_ref()));
    let url = non_empty(args.database_url.as_ref()).or(non_empty(file.database_url.as_ref()));
    let schema =
        non_empty(args.database_schema.as_ref()).or(non_empty(file.database_schema.as_ref()));
    match (kind.as_deref(), url) {
        (Some("memory"), _) | (None, None) => Ok(StoreConfig::Memory),
        (Some("postgres") | None, Some(url)) => {
            Ok(StoreConfig::Postgres(PostgresConfig { url, schema }))
        }
        (Some("postgres"), None) => {
            Err("the postgres store needs --database-url or DATABASE_URL".to_string())
        }
        (Some(other), _) => Err(format!("store must be memory or postgres, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServeArgs {
        ServeArgs {
            addr: None,
            config: None,
            data_dir: None,
            log_format: None,
            max_body_bytes: None,
            store: None,
            database_url: None,
            database_schema: None,
            redis_url: None,
            redis_prefix: None,
            node_ttl_secs: None,
            rate_limit_enforce: None,
            rate_limit_window_secs: None,
            rate_limits: None,
            user_rate_limit: None,
            presence_offline_delay_ms: None,
        }
    }

    #[test]
    fn redis_and_rate_limits_resolve() {
        assert_eq!(Config::resolve(&args()).unwrap().redis, None);
        let with = ServeArgs {
            redis_url: Some("redis://:pw@127.0.0.1:6379".into()),
            rate_limits: Some("SendMessage=5, GetApp=7".into()),
            rate_limit_enforce: Some(true),
            ..args()
        };
        let c = Config::resolve(&with).unwrap();
        let redis = c.redis.unwrap();
        assert_eq!(redis.prefix, "chat");
        assert!(!format!("{redis:?}").contains("pw"));
        assert!(c.rate_limits.enforce);
        assert_eq!(c.rate_limits.app_limit("SendMessage"), 5);
        assert_eq!(c.rate_limits.app_limit("GetApp"), 7);
        assert_eq!(c.rate_limits.app_limit("QueryChannels"), 10_000);
        let bad = ServeArgs {
            rate_limits: Some("SendMessage".into()),
            ..args()
        };
        assert!(Config::resolve(&bad).is_err());
    }

    #[test]
    fn no_database_url_means_the_memory_store() {
        assert_eq!(
            Config::resolve(&args()).map(|c| c.store),
            Ok(StoreConfig::Memory)
        );
        let empty = ServeArgs {
            database_url: Some(String::new()),
            ..args()
        };
        assert_eq!(
            Config::resolve(&empty).map(|c| c.store),
            Ok(StoreConfig::Memory)
        );
    }

    #[test]
    fn a_database_url_selects_postgres_unless_memory_is_asked_for() {
        let url = "postgres://postgres@127.0.0.1:5432/postgres".to_string();
        let pg = ServeArgs {
            database_url: Some(url.clone()),
            database_schema: Some("t_x".into()),
            ..args()
        };
        assert_eq!(
            Config::resolve(&pg).map(|c| c.store),
            Ok(StoreConfig::Postgres(PostgresConfig {
                url,
                schema: Some("t_x".into())
            }))
        );
        let memory = ServeArgs {
            store: Some("memory".into()),
            ..pg
        };
        assert_eq!(
            Config::resolve(&memory).map(|c| c.store),
            Ok(StoreConfig::Memory)
        );
        let no_url = ServeArgs {
            store: Some("postgres".into()),
            ..args()
        };
        assert!(Config::resolve(&no_url).is_err());
        let unknown = ServeArgs {
            store: Some("mysql".into()),
            ..args()
        };
        assert!(Config::resolve(&unknown).is_err());
    }

    #[test]
    fn the_file_sets_the_store_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("chat-config-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chat.toml");
        std::fs::write(
            &path,
            "database_url = \"postgres://file@127.0.0.1/db\"\ndatabase_schema = \"s\"\n",
        )
        .unwrap();
        let from_file = ServeArgs {
            config: Some(path.clone()),
            ..args()
        };
        let resolved = Config::resolve(&from_file).unwrap().store;
        assert_eq!(
            resolved,
            StoreConfig::Postgres(PostgresConfig {
                url: "postgres://file@127.0.0.1/db".into(),
                schema: Some("s".into())
            })
        );
        let flag = ServeArgs {
            database_url: Some("postgres://flag@127.0.0.1/db".into()),
            ..from_file
        };
        match Config::resolve(&flag).unwrap().store {
            StoreConfig::Postgres(pg) => assert_eq!(pg.url, "postgres://flag@127.0.0.1/db"),
            other => panic!("expected postgres, got {other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn passwords_never_reach_debug_output() {
        let pg = PostgresConfig {
            url: "postgres://app:s3cret@db:5432/chat?sslmode=disable&password=s3cret".into(),
            schema: None,
        };
        assert_eq!(
            pg.redacted_url(),
            "postgres://app:***@db:5432/chat?sslmode=disable&password=***"
        );
        assert!(!format!("{pg:?}").contains("s3cret"));
        let plain = PostgresConfig {
            url: "postgres://postgres@127.0.0.1:5432/postgres".into(),
            schema: None,
        };
        assert_eq!(plain.redacted_url(), plain.url);
    }
}
