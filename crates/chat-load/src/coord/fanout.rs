//! One system's fan-out run: set up, connect and subscribe every client, publish, wait
//! for the deliveries to drain, then collect counts and latencies from the workers.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::publish::{self, PublishPlan};
use super::systems::Started;
use super::{pool::Pool, LoadError, Usage};
use crate::cli::Common;
use crate::hist::Hist;
use crate::report::FanoutResult;
use crate::scenario::{FanoutPlan, Rate};
use crate::spec::{Naming, WorkerSpec};

/// Messages allowed in flight when no window is given: about 640k deliveries and at least
/// 64 messages, so every system can put several frames into one write per subscriber
/// (with one message in flight per socket, each delivery costs a write syscall on the
/// server and a read on the client, which caps any system at a few 100k/s here); at most
/// 512, so no subscriber's queue (1,024 frames on our server) can fill.
pub fn default_window_messages(avg_fanout: f64) -> usize {
    ((655_360.0 / avg_fanout.max(1.0)).ceil() as usize).clamp(64, 512)
}

/// Subscribers per channel when client `i` watches channel `i % channels`.
pub fn fanout_per_channel(clients: usize, channels: usize) -> Vec<u64> {
    (0..channels)
        .map(|j| ((clients - j).div_ceil(channels)) as u64)
        .collect()
}

/// How long to wait after the last send for deliveries still on their way.
const DRAIN: Duration = Duration::from_secs(10);
/// Give up draining once nothing arrived for this long.
const STALL: Duration = Duration::from_secs(3);

/// Connects the clients of a run (after creating its users and channels on our server).
pub async fn connect(
    started: &Started,
    naming: &Naming,
    clients: usize,
    channels: usize,
    common: &Common,
) -> Result<Pool, LoadError> {
    if started.endpoint.kind == crate::spec::SystemKind::Chat {
        super::setup::chat(
            &started.endpoint,
            naming,
            clients,
            channels,
            common.no_connect_events,
        )
        .await?;
    }
    let mut pool = Pool::new(common.clients_per_worker);
    let spec = WorkerSpec {
        endpoint: started.endpoint.clone(),
        naming: naming.clone(),
        first: 0,
        count: 0,
        channels,
        subscribe: true,
        connect_concurrency: common.connect_concurrency,
    };
    pool.add(&spec, clients, Duration::from_secs(180)).await?;
    Ok(pool)
}

/// The publish plan for a fan-out plan.
pub fn publish_plan(plan: &FanoutPlan) -> PublishPlan {
    let fanout = fanout_per_channel(plan.clients, plan.channels);
    let avg = plan.clients as f64 / plan.channels as f64;
    let window = plan.window.unwrap_or_else(|| default_window_messages(avg));
    PublishPlan {
        channels: plan.channels,
        fanout,
        payload: plan.payload,
        rate: plan.rate,
        duration: Duration::from_secs_f64(plan.duration_s),
        publishers: plan.publishers,
        window_deliveries: (window as f64 * avg).ceil() as u64,
    }
}

/// Runs the plan against one started system.
pub async fn measure(
    started: &Started,
    naming: &Naming,
    plan: &FanoutPlan,
    common: &Common,
) -> Result<FanoutResult, LoadError> {
    let mut pool = connect(started, naming, plan.clients, plan.channels, common).await?;
    let usage = Usage::start(started.pid, pool.pids());
    let pplan = publish_plan(plan);
    let stop = Arc::new(AtomicBool::new(false));
    let published = publish::run(
        &started.endpoint,
        naming,
        pplan,
        Arc::clone(&pool.progress),
        Arc::clone(&stop),
    )
    .await
    .map_err(|e| LoadError::Clients(format!("publisher: {e}")))?;
    stop.store(true, Relaxed);

    // Drain: everything delivered, or nothing new for a while, or the drain time is up.
    let target = published.expected;
    let drain_end = Instant::now() + DRAIN;
    loop {
        let notified = pool.progress.changed.notified();
        if pool.progress.received() >= target
            || Instant::now() >= drain_end
            || pool.progress.last_change().elapsed() >= STALL && published.ended.elapsed() >= STALL
        {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
    }
    let usage = usage.finish();
    let last_delivery = pool.progress.last_change().max(published.started);
    let reports = pool.reports(published.sent.clone()).await?;
    pool.shutdown().await;

    let mut latency = Hist::default();
    let mut r = FanoutResult {
        system: started.endpoint.kind.name().into(),
        label: started.label.clone(),
        clients: plan.clients,
        channels: plan.channels,
        payload_bytes: plan.payload,
        rate: match plan.rate {
            Rate::Max => "max".into(),
            Rate::PerSec(r) => format!("{r}/s"),
        },
        messages_sent: published.sent.iter().sum(),
        send_errors: published.errors,
        first_error: published.first_error.clone(),
        expected: published.expected,
        ..Default::default()
    };
    let mut frame_bytes = 0;
    for w in &reports {
        r.received += w.received;
        r.lost += w.lost;
        r.clients_with_loss += w.clients_with_loss;
        r.duplicates += w.duplicates;
        r.misrouted += w.misrouted;
        r.disconnects += w.disconnects;
        frame_bytes += w.frame_bytes;
        latency.merge_sparse(&w.latency);
    }
    let send_secs = published
        .ended
        .duration_since(published.started)
        .as_secs_f64()
        .max(1e-6);
    let deliver_secs = last_delivery
        .duration_since(published.started)
        .as_secs_f64()
        .max(1e-6);
    r.frame_bytes_avg = frame_bytes as f64 / r.received.max(1) as f64;
    r.sends_per_s = r.messages_sent as f64 / send_secs;
    r.send_p50_ms = ms(published.send_latency.quantile(0.5));
    r.send_p99_ms = ms(published.send_latency.quantile(0.99));
    r.deliveries_per_s = r.received as f64 / deliver_secs;
    r.latency_p50_ms = ms(latency.quantile(0.5));
    r.latency_p99_ms = ms(latency.quantile(0.99));
    r.latency_p999_ms = ms(latency.quantile(0.999));
    r.latency_max_ms = ms(latency.max());
    r.elapsed_s = deliver_secs;
    usage.fill(&mut r.server, &mut r.tool_cpu_pct);
    Ok(r)
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_share_the_clients_round_robin() {
        assert_eq!(fanout_per_channel(10, 3), vec![4, 3, 3]);
        assert_eq!(fanout_per_channel(10_000, 1), vec![10_000]);
        assert_eq!(fanout_per_channel(1000, 10).iter().sum::<u64>(), 1000);
    }

    #[test]
    fn default_window_keeps_per_client_backlog_small() {
        assert_eq!(default_window_messages(10_000.0), 66);
        assert_eq!(default_window_messages(1_000.0), 512);
        assert_eq!(default_window_messages(100.0), 512);
        assert_eq!(default_window_messages(1.0), 512);
    }
}
