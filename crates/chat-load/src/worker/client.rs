//! One simulated client: connect, subscribe (when the worker says so), then count every marked message it receives —
//! once per message (a bitset per client), with its send-to-receive latency — until the
//! connection breaks or the coordinator orders a drop, after which it reconnects.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use super::handshake::Connected;
use super::link::{Link, LinkError};
use super::Shared;
use crate::marker;
use crate::proto::ws;
use crate::spec::SystemKind;

/// Counters of one client, on their own cache line so clients on different threads never
/// share one.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct ClientStats {
    /// Unique messages received.
    pub unique: AtomicU64,
    /// Repeated messages.
    pub duplicates: AtomicU64,
    /// Messages of another channel.
    pub misrouted: AtomicU64,
    /// Bytes of the frames or messages that carried a marker.
    pub frame_bytes: AtomicU64,
    /// Breaks not ordered by the coordinator.
    pub disconnects: AtomicU64,
    /// Wall µs at which the client was back after the last drop (0: not yet).
    pub reconnected_at: AtomicU64,
    /// Wall µs of its first message after the last drop (0: not yet).
    pub receiving_at: AtomicU64,
}

/// Seen sequence numbers of one channel.
#[derive(Default)]
struct Seen(Vec<u64>);

/// A sequence number past this is garbage, not a message we sent (it would make the
/// bitset huge).
const MAX_SEQ: u64 = 1 << 24;

impl Seen {
    fn insert(&mut self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        let new = self.0[word] & (1 << bit) == 0;
        self.0[word] |= 1 << bit;
        new
    }
}

/// Keep-alive period for our server, well inside its 60 s idle timeout.
const PING_EVERY: Duration = Duration::from_secs(20);

/// Phase reports of one client to its worker.
pub struct Phases {
    /// Connected (or failed).
    pub connected: tokio::sync::mpsc::Sender<Result<(), String>>,
    /// Subscribed (or failed), after the worker's go.
    pub subscribed: tokio::sync::mpsc::Sender<Result<(), String>>,
}

/// Runs client `local` (global index `first + local`) until the process exits: connect,
/// wait for the worker's go, subscribe, then receive.
pub async fn run(sh: Arc<Shared>, local: usize, phases: Phases) {
    let global = sh.spec.first + local;
    let channel = (global % sh.spec.channels) as u32;
    let stats = Arc::clone(&sh.clients[local]);
    let mut drops = sh.drops.subscribe();
    let conn = match connect_retrying(&sh, global, 3).await {
        Ok(c) => c,
        Err(e) => {
            let _ = phases
                .connected
                .send(Err(format!("client {global}: {e}")))
                .await;
            return;
        }
    };
    let _ = phases.connected.send(Ok(())).await;
    let mut go = sh.subscribe_go.clone();
    if go.wait_for(|go| *go).await.is_err() {
        return;
    }
    let permit = sh.watching.acquire().await;
    let r = super::handshake::subscribe(&sh.spec, &sh.http, global, &conn.connection_id).await;
    drop(permit);
    if let Err(e) = r {
        let _ = phases
            .subscribed
            .send(Err(format!("client {global}: {e}")))
            .await;
        return;
    }
    let _ = phases.subscribed.send(Ok(())).await;
    drop(phases);
    let mut link = conn.link;
    let mut seen = Seen::default();
    let shard = &sh.latency[local % sh.latency.len()];
    let mut on_data = |bytes: &[u8]| {
        let Some(m) = marker::find(bytes) else { return };
        if m.channel != channel || m.seq > MAX_SEQ {
            stats.misrouted.fetch_add(1, Relaxed);
            return;
        }
        if !seen.insert(m.seq) {
            stats.duplicates.fetch_add(1, Relaxed);
            return;
        }
        let now = marker::now_us();
        if let Ok(mut h) = shard.lock() {
            h.record(now.saturating_sub(m.sent_us));
        }
        stats.frame_bytes.fetch_add(bytes.len() as u64, Relaxed);
        stats.unique.fetch_add(1, Relaxed);
        if stats.receiving_at.load(Relaxed) == 0 {
            stats.receiving_at.store(now, Relaxed);
        }
    };
    let keepalive = sh.spec.endpoint.kind == SystemKind::Chat;
    let mut ticker = tokio::time::interval(PING_EVERY);
    ticker.tick().await;
    loop {
        let dropped = tokio::select! {
            r = link.recv(&mut on_data) => match r {
                Ok(()) => false,
                Err(_) => {
                    stats.disconnects.fetch_add(1, Relaxed);
                    // A broken client waits for the next ordered drop to come back.
                    if drops.changed().await.is_err() {
                        return;
                    }
                    true
                }
            },
            _ = ticker.tick() => {
                if keepalive && link.send_ws(ws::OP_PING, b"").await.is_err() {
                    stats.disconnects.fetch_add(1, Relaxed);
                }
                false
            }
            r = drops.changed() => {
                if r.is_err() {
                    return;
                }
                true
            }
        };
        if dropped {
            // Dropping the stream is the "network loss": no close handshake. It must go
            // before reconnecting, or old and new sockets together would pass the
            // descriptor limits of this process and of the server.
            drop(link);
            stats.reconnected_at.store(0, Relaxed);
            stats.receiving_at.store(0, Relaxed);
            link = match reconnect(&sh, global).await {
                Some(l) => l,
                None => return,
            };
            stats.reconnected_at.store(marker::now_us(), Relaxed);
            continue;
        }
        if link.flush_pending().await.is_err() {
            stats.disconnects.fetch_add(1, Relaxed);
        }
    }
}

async fn connect_retrying(
    sh: &Shared,
    global: usize,
    attempts: u32,
) -> Result<Connected, LinkError> {
    let mut last = None;
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        let permit = sh.connecting.acquire().await;
        let r = super::handshake::connect(&sh.spec, global).await;
        drop(permit);
        match r {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(LinkError::Closed))
}

/// Reconnects and re-subscribes after a drop (both at once: a storm has no phases),
/// retrying with a short backoff until the storm deadline.
async fn reconnect(sh: &Shared, global: usize) -> Option<Link> {
    let deadline = tokio::time::Instant::now() + super::STORM_DEADLINE;
    let mut pause = Duration::from_millis(50);
    while tokio::time::Instant::now() < deadline {
        if let Ok(c) = connect_retrying(sh, global, 1).await {
            let permit = sh.watching.acquire().await;
            let r = super::handshake::subscribe(&sh.spec, &sh.http, global, &c.connection_id).await;
            drop(permit);
            if r.is_ok() {
                return Some(c.link);
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    None
}
