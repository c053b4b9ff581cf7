//! The cross-node bus on Redis pub/sub: [`RedisPubSub`] implements core's `PubSub`.
//!
//! **Topics: one per app, `{prefix}:ev:{app_id}`; each node holds one pattern subscription
//! `{prefix}:ev:*` on its one subscriber connection.** Why not per-channel or per-user
//! topics: those make every watch, unwatch, connect and disconnect a SUBSCRIBE/UNSUBSCRIBE
//! round trip on the shared subscriber connection (subscription churn grows with socket
//! churn, and a subscription that is still in flight loses the events published meanwhile),
//! and a message would need one PUBLISH per topic it concerns. Per-app topics cost one
//! PUBLISH per event whatever its audience, no subscription traffic at all, and keep every
//! event of an app — so of each channel — in publish order, because one node publishes
//! through one connection and receives through one. The price is that every node receives
//! every event and drops those with no local recipient (`delivery` skips an app with no
//! local socket before any lookup); measured in docs/benchmarks.md. A later step can
//! subscribe per app, or shard an app's topic by channel hash, without changing the
//! envelope.
//!
//! **Envelope:** `node_id` `\n` JSON of the typed `Event`, serialised once per publish.
//! A node skips envelopes carrying its own id: its own events were already delivered
//! locally when published, so nothing is delivered twice.
//!
//! **Publishing** goes through a bounded queue (capacity [`OUTBOUND_CAPACITY`]) to one
//! task that drains up to [`MAX_BATCH`] events into one pipeline: one write and one
//! flush per batch instead of a round trip per event. When the queue is more than half
//! full, droppable events (typing) are dropped first; when it is full, any event is
//! dropped. While Redis is unreachable, batches are dropped at once. Every event that
//! could not cross nodes is counted in `chat_events_not_crossed_total`; local delivery
//! never waits for Redis.
//!
//! **Order:** events of a channel published by one node reach every other node in
//! publish order. Events published concurrently on two nodes for the same channel are
//! delivered locally first on their own node, so two nodes may see such a pair in
//! different orders (as two clients racing would); the store's message order is the
//! reference and re-querying a channel shows it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chat_core::fanout::{Event, PubSub, PubSubError};
use fred::prelude::{ClientLike, EventInterface, PubsubInterface};
use tokio::sync::{broadcast, mpsc};

use crate::redis::RedisLink;

/// Events waiting to be published to Redis.
pub const OUTBOUND_CAPACITY: usize = 65_536;
/// Most events put in one pipeline.
pub const MAX_BATCH: usize = 1024;
/// Pause before retrying a failed subscription.
const RESUBSCRIBE_DELAY: Duration = Duration::from_millis(200);

/// One event on its way to Redis.
struct Outbound {
    topic: String,
    body: Bytes,
}

/// A `PubSub` that delivers locally at once and carries events to the other nodes
/// through Redis.
pub struct RedisPubSub {
    local: broadcast::Sender<Arc<Event>>,
    outbound: mpsc::Sender<Outbound>,
    link: Arc<RedisLink>,
}

impl std::fmt::Debug for RedisPubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPubSub")
            .field("node", &self.link.node)
            .finish_non_exhaustive()
    }
}

/// Why an envelope from another node was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// Not `node\njson`.
    #[error("envelope without a node id")]
    Framing,
    /// The JSON is not an event (another version of the server?).
    #[error("envelope body: {0}")]
    Body(#[from] serde_json::Error),
}

/// `node\n` + the event's JSON.
pub fn encode_envelope(node: &str, event: &Event) -> Result<Bytes, serde_json::Error> {
    let mut out = Vec::with_capacity(node.len() + 512);
    out.extend_from_slice(node.as_bytes());
    out.push(b'\n');
    serde_json::to_writer(&mut out, event)?;
    Ok(Bytes::from(out))
}

/// The sending node and, unless `own` sent it, the event.
pub fn decode_envelope(own: &str, bytes: &[u8]) -> Result<Option<Event>, EnvelopeError> {
    let split = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(EnvelopeError::Framing)?;
    if &bytes[..split] == own.as_bytes() {
        return Ok(None);
    }
    Ok(Some(serde_json::from_slice(&bytes[split + 1..])?))
}

impl RedisPubSub {
    /// Starts the publisher and subscriber tasks; `capacity` bounds the local bus like
    /// `LocalPubSub`'s.
    pub fn start(link: Arc<RedisLink>, capacity: usize) -> Arc<Self> {
        let (local, _) = broadcast::channel(capacity.max(1));
        let (outbound, rx) = mpsc::channel(OUTBOUND_CAPACITY);
        tokio::spawn(publish_loop(link.clone(), rx));
        tokio::spawn(subscribe_loop(link.clone(), local.clone()));
        Arc::new(Self {
            local,
            outbound,
            link,
        })
    }

    fn topic(&self, event: &Event) -> String {
        self.link.key(&format!("ev:{}", event.app.as_str()))
    }
}

fn not_crossed(n: usize) {
    metrics::counter!("chat_events_not_crossed_total").increment(n as u64);
}

#[async_trait]
impl PubSub for RedisPubSub {
    async fn publish(&self, event: Arc<Event>) -> Result<(), PubSubError> {
        // Local sockets first: they never wait for Redis.
        let _ = self.local.send(event.clone());
        let free = self.outbound.capacity();
        if event.kind.is_droppable() && free < OUTBOUND_CAPACITY / 2 {
            not_crossed(1);
            return Err(PubSubError::Unavailable(
                "typing dropped: queue half full".into(),
            ));
        }
        let body = encode_envelope(&self.link.node, &event)
            .map_err(|e| PubSubError::Unavailable(e.to_string()))?;
        let topic = self.topic(&event);
        self.outbound
            .try_send(Outbound { topic, body })
            .map_err(|_| {
                not_crossed(1);
                PubSubError::Unavailable("outbound queue full".into())
            })
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }
}

/// Drains the queue in batches, one pipeline per batch.
async fn publish_loop(link: Arc<RedisLink>, mut rx: mpsc::Receiver<Outbound>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if !link.commands.is_connected() {
            not_crossed(batch.len());
            batch.clear();
            continue;
        }
        let pipeline = link.commands.pipeline();
        for o in batch.drain(..) {
            // Queued in the pipeline: nothing is sent until `all`.
            let queued: Result<(), _> = pipeline.publish(o.topic, o.body).await;
            if queued.is_err() {
                not_crossed(1);
            }
        }
        let sent: Vec<Result<fred::types::Value, fred::error::Error>> = pipeline.try_all().await;
        let failed = sent.iter().filter(|r| r.is_err()).count();
        if failed > 0 {
            tracing::warn!(failed, "events not published to redis");
            not_crossed(failed);
        }
        metrics::counter!("chat_events_crossed_total").increment((sent.len() - failed) as u64);
    }
}

/// Keeps the pattern subscription in place (again after each reconnect) and feeds
/// other nodes' events to the local bus.
async fn subscribe_loop(link: Arc<RedisLink>, local: broadcast::Sender<Arc<Event>>) {
    let mut messages = link.subscriber.message_rx();
    let mut reconnects = link.subscriber.reconnect_rx();
    let pattern = link.key("ev:*");
    let keeper_link = link.clone();
    tokio::spawn(async move {
        loop {
            if keeper_link.subscriber.wait_for_connect().await.is_err() {
                tokio::time::sleep(RESUBSCRIBE_DELAY).await;
                continue;
            }
            match keeper_link.subscriber.psubscribe(pattern.clone()).await {
                Ok(()) => {
                    tracing::info!("subscribed to the cluster bus");
                    // Wait for the next (re)connection, then subscribe again.
                    match reconnects.recv().await {
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot subscribe to the cluster bus");
                    tokio::time::sleep(RESUBSCRIBE_DELAY).await;
                }
            }
        }
    });
    loop {
        match messages.recv().await {
            Ok(message) => {
                let Some(bytes) = message.value.as_bytes() else {
                    continue;
                };
                match decode_envelope(&link.node, bytes) {
                    Ok(Some(event)) => {
                        metrics::counter!("chat_events_received_total").increment(1);
                        let _ = local.send(Arc::new(event));
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "bad envelope on the cluster bus"),
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(lost = n, "fell behind the cluster bus");
                metrics::counter!("chat_events_lost_total").increment(n);
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::fanout::{Audience, EventKind};
    use chat_core::ids::{AppId, Cid, UserId};
    use chat_core::time::Timestamp;

    fn event() -> Event {
        Event {
            app: AppId::new_unchecked("app"),
            kind: EventKind::TypingStart {
                user: UserId::new_unchecked("alice"),
                parent_id: None,
            },
            created_at: Timestamp::default(),
            cid: Cid::parse("messaging:general").ok(),
            actor: Some(UserId::new_unchecked("alice")),
            audience: Audience::Channel,
        }
    }

    #[test]
    fn envelopes_round_trip_and_own_ones_are_skipped() {
        let bytes = encode_envelope("node-a", &event()).unwrap();
        assert_eq!(decode_envelope("node-b", &bytes).unwrap(), Some(event()));
        assert_eq!(decode_envelope("node-a", &bytes).unwrap(), None);
        assert!(decode_envelope("node-b", b"no newline").is_err());
    }
}
