//! The cross-node bus: events published once per node, received by every node's
//! transport. In-process implementation here; Redis lives in the server.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::fanout::Event;

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PubSubError {
    /// The bus is unreachable; local delivery still happens.
    #[error("pub/sub unavailable: {0}")]
    Unavailable(String),
}

/// Publishes events to every node (this one included).
#[async_trait]
pub trait PubSub: Send + Sync {
    /// Publishes one event.
    async fn publish(&self, event: Arc<Event>) -> Result<(), PubSubError>;
    /// A receiver of every event published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
}

/// A single-process bus on a bounded broadcast channel. When a subscriber lags by more
/// than the capacity it loses the oldest events and is told how many (tokio's `Lagged`);
/// the transport then resynchronises that subscriber's clients.
#[derive(Debug, Clone)]
pub struct LocalPubSub {
    tx: broadcast::Sender<Arc<Event>>,
}

impl LocalPubSub {
    /// A bus holding at most `capacity` unconsumed events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx }
    }
}

impl Default for LocalPubSub {
    fn default() -> Self {
        Self::new(65_536)
    }
}

#[async_trait]
impl PubSub for LocalPubSub {
    async fn publish(&self, event: Arc<Event>) -> Result<(), PubSubError> {
        // No subscriber is not an error: nobody is connected.
        let _ = self.tx.send(event);
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}
