//! Configuration: defaults → optional TOML file → environment → flags (clap does the last
//! two; the file fills what neither set).

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
}

/// Keys of the optional config file (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    log_format: Option<String>,
    max_body_bytes: Option<usize>,
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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3030)),
            data_dir: PathBuf::from(".chat-data"),
            json_logs: false,
            max_body_bytes: 1024 * 1024,
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
        })
    }
}
