//! Idle memory: the server's RSS with 1k, 5k, 19k… open, authenticated connections, each
//! subscribed to one channel (watching, for our server) and then silent. The slope between
//! steps is the memory one more idle connection costs; fixed costs cancel out. With
//! `--no-subscribe` the clients only connect, which separates the two costs.

use std::time::Duration;

use super::systems::Started;
use super::{pool::Pool, LoadError};
use crate::cli::Common;
use crate::procstat;
use crate::report::{IdlePoint, IdleResult};
use crate::spec::{Naming, SystemKind, WorkerSpec};

/// Time for the server to settle after a step (allocator, lazy buffers).
const SETTLE: Duration = Duration::from_secs(2);

/// 24 GiB in KiB.
const KIB_24G: f64 = 24.0 * 1024.0 * 1024.0;

async fn rss_kb(pid: Option<u32>) -> Result<u64, LoadError> {
    tokio::time::sleep(SETTLE).await;
    pid.and_then(procstat::sample)
        .map(|s| s.rss_kb)
        .ok_or_else(|| LoadError::Usage("idle memory needs the server's pid (--server-pid)".into()))
}

/// Runs the steps against one started system.
pub async fn measure(
    started: &Started,
    naming: &Naming,
    steps: &[usize],
    channels: usize,
    subscribe: bool,
    common: &Common,
) -> Result<IdleResult, LoadError> {
    let last = steps.last().copied().unwrap_or(0);
    let channels = channels.clamp(1, last.max(1));
    if started.endpoint.kind == SystemKind::Chat && subscribe {
        super::setup::chat(
            &started.endpoint,
            naming,
            last,
            channels,
            common.no_connect_events,
        )
        .await?;
    }
    let base_rss_kb = rss_kb(started.pid).await?;
    let mut pool = Pool::new(common.clients_per_worker);
    let mut points = Vec::with_capacity(steps.len());
    let mut have = 0;
    for &step in steps {
        let spec = WorkerSpec {
            endpoint: started.endpoint.clone(),
            naming: naming.clone(),
            first: have,
            count: 0,
            channels,
            subscribe,
            connect_concurrency: common.connect_concurrency,
        };
        pool.add(&spec, step - have, Duration::from_secs(180))
            .await?;
        have = step;
        points.push(IdlePoint {
            connections: step,
            rss_kb: rss_kb(started.pid).await?,
        });
        eprintln!(
            "chat-load: {} idle {step}: {} KiB",
            started.endpoint.kind.name(),
            points.last().map_or(0, |p| p.rss_kb)
        );
    }
    pool.shutdown().await;
    let slope = |a: &IdlePoint, b: &IdlePoint| {
        (b.rss_kb as f64 - a.rss_kb as f64) / (b.connections as f64 - a.connections as f64)
    };
    let slopes_kb: Vec<f64> = points.windows(2).map(|w| slope(&w[0], &w[1])).collect();
    let kb_per_connection = match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() >= 2 => slope(a, b),
        (Some(a), _) => (a.rss_kb as f64 - base_rss_kb as f64) / a.connections.max(1) as f64,
        _ => 0.0,
    };
    Ok(IdleResult {
        system: started.endpoint.kind.name().into(),
        label: started.label.clone(),
        base_rss_kb,
        points,
        slopes_kb,
        kb_per_connection,
        connections_per_24gib: if kb_per_connection > 0.0 {
            KIB_24G / kb_per_connection
        } else {
            0.0
        },
    })
}
