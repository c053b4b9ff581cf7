//! The coordinator: runs a plan against our server, then against each peer, one system at a
//! time (so none competes with another for the two cores), and prints them side by side.

pub mod fanout;
pub mod http_conn;
pub mod idle;
pub mod pool;
pub mod publish;
pub mod setup;
pub mod storm;
pub mod systems;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::Common;
use crate::procstat::{self, Sample};
use crate::report::{self, Document, Machine, Results, ServerUsage};
use crate::scenario::Plan;
use crate::spec::{Naming, SystemKind};

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Bad options.
    #[error("usage: {0}")]
    Usage(String),
    /// A system would not start.
    #[error("start: {0}")]
    Start(String),
    /// The server lacks what the scenario needs.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Users or channels could not be created.
    #[error("setup: {0}")]
    Setup(String),
    /// Clients or workers failed.
    #[error("clients: {0}")]
    Clients(String),
    /// The JSON result could not be written.
    #[error("output: {0}")]
    Output(String),
}

/// CPU and RSS of the server and of the tool over a measured phase.
pub struct Usage {
    server: Option<u32>,
    tools: Vec<u32>,
    s0: Option<Sample>,
    t0: Vec<Option<Sample>>,
    max_rss: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// The figures of a finished [`Usage`].
pub struct UsageDone {
    server: ServerUsage,
    tool_cpu_pct: f64,
}

const MIB: f64 = 1024.0;

impl Usage {
    /// Starts measuring `server` and this process plus `workers`.
    pub fn start(server: Option<u32>, workers: Vec<u32>) -> Self {
        let mut tools = vec![std::process::id()];
        tools.extend(workers);
        let s0 = server.and_then(procstat::sample);
        let max_rss = Arc::new(AtomicU64::new(s0.map_or(0, |s| s.rss_kb)));
        let stop = Arc::new(AtomicBool::new(false));
        if let Some(pid) = server {
            let (max_rss, stop) = (Arc::clone(&max_rss), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Relaxed) {
                    if let Some(s) = procstat::sample(pid) {
                        max_rss.fetch_max(s.rss_kb, Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            });
        }
        Self {
            t0: tools.iter().map(|p| procstat::sample(*p)).collect(),
            tools,
            server,
            s0,
            max_rss,
            stop,
        }
    }

    /// Ends the phase.
    pub fn finish(self) -> UsageDone {
        self.stop.store(true, Relaxed);
        let s1 = self.server.and_then(procstat::sample);
        if let Some(s) = s1 {
            self.max_rss.fetch_max(s.rss_kb, Relaxed);
        }
        let tool_cpu_pct = self
            .tools
            .iter()
            .zip(&self.t0)
            .filter_map(|(pid, t0)| {
                Some(procstat::cpu_percent(
                    t0.as_ref()?,
                    &procstat::sample(*pid)?,
                ))
            })
            .sum();
        let server = ServerUsage {
            pid: self.server,
            cpu_pct: match (self.s0, s1) {
                (Some(a), Some(b)) => Some(procstat::cpu_percent(&a, &b)),
                _ => None,
            },
            rss_start_mb: self.s0.map(|s| s.rss_kb as f64 / MIB),
            rss_end_mb: s1.map(|s| s.rss_kb as f64 / MIB),
            rss_max_mb: self.server.map(|_| self.max_rss.load(Relaxed) as f64 / MIB),
        };
        UsageDone {
            server,
            tool_cpu_pct,
        }
    }
}

impl UsageDone {
    /// Copies the figures into a result.
    pub fn fill(self, server: &mut ServerUsage, tool_cpu_pct: &mut f64) {
        *server = self.server;
        *tool_cpu_pct = self.tool_cpu_pct;
    }
}

/// Parses `--peers`.
pub fn parse_peers(s: &str) -> Result<Vec<SystemKind>, LoadError> {
    if s.trim().eq_ignore_ascii_case("none") || s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|p| match p.trim().to_ascii_lowercase().as_str() {
            "redis" => Ok(SystemKind::Redis),
            "socketio" | "socket.io" => Ok(SystemKind::Socketio),
            "nats" => Ok(SystemKind::Nats),
            other => Err(LoadError::Usage(format!(
                "unknown peer {other:?} (redis, socketio, nats or none)"
            ))),
        })
        .collect()
}

/// The default Postgres URL for `postgres-1k` (the machine's PostgreSQL, trust auth).
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs `plan` on ours and the peers; prints the table; writes the JSON.
pub async fn main(
    scenario: &str,
    plan: Plan,
    mut common: Common,
    needs_postgres: bool,
) -> Result<Document, LoadError> {
    if common.clients_per_worker > pool::MAX_PER_WORKER {
        return Err(LoadError::Usage(format!(
            "--clients-per-worker is at most {} here",
            pool::MAX_PER_WORKER
        )));
    }
    if needs_postgres && common.database_url.is_none() && common.url.is_none() {
        common.database_url = Some(
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string()),
        );
    }
    let peers = parse_peers(&common.peers)?;
    let machine = Machine::now();
    let date = chat_core::time::Timestamp::from_micros(crate::marker::now_us() as i64).to_rfc3339();
    let naming = Naming {
        prefix: format!("lt{}", crate::marker::now_us() % 1_000_000_000),
    };
    let mut fanouts = Vec::new();
    let mut idles = Vec::new();
    let mut storms = Vec::new();
    let mut skipped = Vec::new();
    for kind in std::iter::once(SystemKind::Chat).chain(peers) {
        eprintln!("chat-load: {scenario}: {}", kind.name());
        let started = match systems::start(kind, &common).await {
            Ok(s) => s,
            Err(e) if kind != SystemKind::Chat => {
                eprintln!("chat-load: skipping {}: {e}", kind.name());
                skipped.push(format!("{}: {e}", kind.name()));
                continue;
            }
            Err(e) => return Err(e),
        };
        let outcome = match &plan {
            Plan::Fanout(p) => fanout::measure(&started, &naming, p, &common)
                .await
                .map(|r| fanouts.push(r)),
            Plan::IdleMemory {
                steps,
                channels,
                subscribe,
            } => idle::measure(&started, &naming, steps, *channels, *subscribe, &common)
                .await
                .map(|r| idles.push(r)),
            Plan::ReconnectStorm(p) => storm::measure(&started, &naming, p, &common)
                .await
                .map(|r| storms.push(r)),
        };
        started.stop().await;
        match outcome {
            Ok(()) => {}
            Err(e) if kind != SystemKind::Chat => {
                eprintln!("chat-load: {} failed: {e}", kind.name());
                skipped.push(format!("{}: {e}", kind.name()));
            }
            Err(e) => return Err(e),
        }
    }
    let results = match &plan {
        Plan::Fanout(_) => Results::Fanout(fanouts),
        Plan::IdleMemory { .. } => Results::Idle(idles),
        Plan::ReconnectStorm(_) => Results::Storm(storms),
    };
    let (table, ratios) = report::render(&results);
    println!(
        "\n{scenario}  ({date}, {} cores, load {:?})",
        machine.cores, machine.load_1m
    );
    println!("{}", serde_json::to_string(&plan).unwrap_or_default());
    print!("{table}");
    for s in &skipped {
        println!("skipped {s}");
    }
    let doc = Document {
        scenario: scenario.to_string(),
        date,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine,
        plan,
        results,
        ratios,
        skipped,
    };
    let path = common
        .json
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/chat-load/{scenario}.json")));
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| LoadError::Output(e.to_string()))?;
        }
    }
    let json = serde_json::to_string_pretty(&doc).map_err(|e| LoadError::Output(e.to_string()))?;
    std::fs::write(&path, json)
        .map_err(|e| LoadError::Output(format!("{}: {e}", path.display())))?;
    println!("json: {}", path.display());
    Ok(doc)
}
