//! Reconnect storm: every client connected and receiving a steady trickle of messages is
//! dropped at once (sockets closed without a goodbye, like a network loss), reconnects and
//! re-subscribes immediately; we measure until the last one receives again.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use super::fanout::{connect, publish_plan};
use super::systems::Started;
use super::{LoadError, Usage};
use crate::cli::Common;
use crate::report::StormResult;
use crate::scenario::FanoutPlan;
use crate::spec::Naming;

/// Runs the storm against one started system. `plan.duration_s` is the warm-up before the
/// drop; publishing goes on until every client is back.
pub async fn measure(
    started: &Started,
    naming: &Naming,
    plan: &FanoutPlan,
    common: &Common,
) -> Result<StormResult, LoadError> {
    let mut pool = connect(started, naming, plan.clients, plan.channels, common).await?;
    let mut pplan = publish_plan(plan);
    // Publishing stops on `stop`, not on time.
    pplan.duration = Duration::from_secs(3600);
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let (ep, naming, progress, stop) = (
            started.endpoint.clone(),
            naming.clone(),
            Arc::clone(&pool.progress),
            Arc::clone(&stop),
        );
        tokio::spawn(async move { super::publish::run(&ep, &naming, pplan, progress, stop).await })
    };
    tokio::time::sleep(Duration::from_secs_f64(plan.duration_s)).await;
    let usage = Usage::start(started.pid, pool.pids());
    let storms = pool.storm().await;
    let usage = usage.finish();
    stop.store(true, Relaxed);
    let _ = publisher.await;
    pool.shutdown().await;
    let storms = storms?;
    let mut r = StormResult {
        system: started.endpoint.kind.name().into(),
        label: started.label.clone(),
        ..Default::default()
    };
    for s in &storms {
        r.clients += s.clients;
        r.failed += s.failed;
        r.reconnected_ms = r.reconnected_ms.max(s.reconnected_ms);
        r.receiving_ms = r.receiving_ms.max(s.receiving_ms);
    }
    let mut tool = 0.0;
    usage.fill(&mut r.server, &mut tool);
    Ok(r)
}
