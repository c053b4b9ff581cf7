//! A worker process (`chat-load worker --spec <json>`): holds one slice of the clients, so a
//! run can go past the ~19,900 sockets one process may open here. It prints JSON-line
//! events on stdout (ready, progress every 2 ms while it changes, reports) and obeys JSON-line commands on
//! stdin (report, drop, exit). See [`crate::spec`].

mod client;
mod handshake;
pub mod link;

use std::io::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncBufReadExt as _;
use tokio::sync::{watch, Semaphore};

use crate::hist::Hist;
use crate::marker;
use crate::spec::{Command, Event, StormReport, WorkerReport, WorkerSpec};
use client::ClientStats;

/// How long a drop may take before the clients still away are counted as failed.
pub const STORM_DEADLINE: Duration = Duration::from_secs(60);

/// Watch queries in flight per worker.
const WATCH_CONCURRENCY: usize = 32;

/// Latency shards: clients record into `latency[i % SHARDS]`, so two threads seldom meet
/// on one lock.
const SHARDS: usize = 16;

/// What the clients of a worker share.
pub struct Shared {
    spec: WorkerSpec,
    http: reqwest::Client,
    clients: Vec<Arc<ClientStats>>,
    latency: Vec<Mutex<Hist>>,
    connecting: Semaphore,
    /// Watch queries in flight: each holds an HTTP connection on the server, which must
    /// stay under its descriptor limit next to 19k sockets.
    watching: Semaphore,
    drops: watch::Sender<u64>,
    subscribe_go: watch::Receiver<bool>,
}

fn emit(ev: &Event) {
    if let Ok(line) = serde_json::to_string(ev) {
        let mut out = std::io::stdout().lock();
        // The coordinator reading our stdout is gone if this fails; nothing to tell.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Runs a worker until told to exit (or stdin closes).
pub async fn main(spec: WorkerSpec) -> std::process::ExitCode {
    // Watch queries reuse connections while clients connect; idle ones close soon after,
    // so they neither count in the server's idle-memory figure nor hold its descriptors.
    let http = match reqwest::Client::builder()
        .pool_max_idle_per_host(WATCH_CONCURRENCY)
        .pool_idle_timeout(Duration::from_millis(500))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chat-load worker: http client: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (drops, _) = watch::channel(0u64);
    let (go_tx, subscribe_go) = watch::channel(false);
    let sh = Arc::new(Shared {
        clients: (0..spec.count)
            .map(|_| Arc::new(ClientStats::default()))
            .collect(),
        latency: (0..SHARDS).map(|_| Mutex::new(Hist::default())).collect(),
        connecting: Semaphore::new(spec.connect_concurrency.max(1)),
        watching: Semaphore::new(WATCH_CONCURRENCY),
        http,
        drops,
        subscribe_go,
        spec,
    });
    let mut commands = commands();

    // Phase 1: every client connects. Phase 2, on the coordinator's word once every worker
    // is connected: every client subscribes. So no client comes online while others
    // already watch (each would announce itself to all of them).
    // Bounded: a client whose report finds the channel full waits; `tally` drains it.
    let (connected_tx, mut connected_rx) = tokio::sync::mpsc::channel(1024);
    let (subscribed_tx, mut subscribed_rx) = tokio::sync::mpsc::channel(1024);
    for local in 0..sh.spec.count {
        let phases = client::Phases {
            connected: connected_tx.clone(),
            subscribed: subscribed_tx.clone(),
        };
        tokio::spawn(client::run(Arc::clone(&sh), local, phases));
    }
    drop((connected_tx, subscribed_tx));
    let (connected, failed, error) = tally(&mut connected_rx, sh.spec.count).await;
    emit(&Event::Connected {
        connected,
        failed,
        error,
    });
    loop {
        match commands.recv().await {
            Some(Command::Subscribe) => break,
            Some(Command::Exit) | None => return std::process::ExitCode::SUCCESS,
            Some(other) => eprintln!("chat-load worker: {other:?} before subscribing, ignored"),
        }
    }
    let _ = go_tx.send(true);
    // Only the connected clients go on to subscribe.
    let (connected, failed, error) = tally(&mut subscribed_rx, connected).await;
    emit(&Event::Ready {
        connected,
        failed,
        error,
    });

    tokio::spawn(progress(Arc::clone(&sh)));

    while let Some(cmd) = commands.recv().await {
        match cmd {
            Command::Report { sent } => emit(&Event::Report(report(&sh, &sent))),
            Command::Drop => {
                let sh = Arc::clone(&sh);
                tokio::spawn(async move { emit(&Event::Storm(storm(&sh).await)) });
            }
            Command::Exit => break,
            Command::Subscribe => {}
        }
    }
    std::process::ExitCode::SUCCESS
}

/// Commands from stdin; the channel closes with stdin. Bounded: the coordinator sends one
/// command at a time and waits for its answer.
fn commands() -> tokio::sync::mpsc::Receiver<Command> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<Command>(&line) {
                Ok(cmd) => {
                    if tx.send(cmd).await.is_err() {
                        return;
                    }
                }
                Err(e) => eprintln!("chat-load worker: bad command {line:?}: {e}"),
            }
        }
    });
    rx
}

/// Counts the outcomes of one phase until `expected` clients have reported.
async fn tally(
    rx: &mut tokio::sync::mpsc::Receiver<Result<(), String>>,
    expected: usize,
) -> (usize, usize, Option<String>) {
    let (mut ok, mut failed, mut error) = (0, 0, None);
    while ok + failed < expected {
        let Some(r) = rx.recv().await else { break };
        match r {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                error.get_or_insert(e);
            }
        }
    }
    (ok, failed, error)
}

fn received(sh: &Shared) -> u64 {
    sh.clients.iter().map(|c| c.unique.load(Relaxed)).sum()
}

async fn progress(sh: Arc<Shared>) {
    let mut last = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = received(&sh);
        if now != last {
            last = now;
            emit(&Event::Progress { received: now });
        }
    }
}

fn report(sh: &Shared, sent: &[u64]) -> WorkerReport {
    let mut r = WorkerReport::default();
    for (local, c) in sh.clients.iter().enumerate() {
        let channel = (sh.spec.first + local) % sh.spec.channels;
        let unique = c.unique.load(Relaxed);
        let expected = sent.get(channel).copied().unwrap_or(0);
        let missing = expected.saturating_sub(unique);
        r.received += unique;
        r.lost += missing;
        r.clients_with_loss += u64::from(missing > 0);
        r.duplicates += c.duplicates.load(Relaxed);
        r.misrouted += c.misrouted.load(Relaxed);
        r.disconnects += c.disconnects.load(Relaxed);
        r.frame_bytes += c.frame_bytes.load(Relaxed);
    }
    let mut all = Hist::default();
    for shard in &sh.latency {
        if let Ok(h) = shard.lock() {
            all.merge(&h);
        }
    }
    r.latency = all.sparse();
    r
}

/// Drops every client at once and waits until all are back and receiving.
async fn storm(sh: &Shared) -> StormReport {
    let t0 = marker::now_us();
    sh.drops.send_modify(|g| *g += 1);
    let deadline = tokio::time::Instant::now() + STORM_DEADLINE;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    loop {
        tick.tick().await;
        let back = sh
            .clients
            .iter()
            .filter(|c| {
                // Both stamps are reset when the client acts on the drop, so a message that
                // reached the old connection after `t0` cannot count.
                let back = c.reconnected_at.load(Relaxed);
                let recv = c.receiving_at.load(Relaxed);
                back >= t0 && recv >= back && back != 0
            })
            .count();
        if back == sh.clients.len() || tokio::time::Instant::now() >= deadline {
            let ms = |at: u64| at.saturating_sub(t0) as f64 / 1000.0;
            let latest = |f: &dyn Fn(&ClientStats) -> u64| {
                sh.clients
                    .iter()
                    .map(|c| f(c))
                    .filter(|&v| v >= t0)
                    .max()
                    .map_or(0.0, ms)
            };
            return StormReport {
                clients: sh.clients.len(),
                failed: sh.clients.len() - back,
                reconnected_ms: latest(&|c| c.reconnected_at.load(Relaxed)),
                receiving_ms: latest(&|c| c.receiving_at.load(Relaxed)),
            };
        }
    }
}
