//! Transport tuning knobs, and their translation into tungstenite's `WebSocketConfig`.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Per-connection settings of the WebSocket transport.
///
/// A zero `health_interval` disables the periodic health check and a zero `idle_timeout`
/// disables the idle close; both are meant for tests and embedders with their own keep-alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// Outbound frames buffered per connection before the full-queue policy applies.
    pub queue_capacity: usize,
    /// Period of the server's `health.check` frame.
    pub health_interval: Duration,
    /// A connection with no inbound frame (text, ping, pong…) for this long is closed.
    pub idle_timeout: Duration,
    /// Frames written to the socket before one flush (one `write()` syscall for the batch).
    pub max_batch: usize,
    /// Read buffer per connection, allocated up front: it dominates idle memory.
    pub read_buffer_size: usize,
    /// Largest inbound message (and frame); a larger one closes the socket with 1009.
    pub max_message_size: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
            health_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_batch: 64,
            // tungstenite's 128 KiB default costs ~135 KB per idle socket and its buffer is
            // always resident (zero-filled on each read); clients only send small JSON
            // heartbeats, so 1 KiB is plenty (larger frames are read in several chunks).
            read_buffer_size: 1024,
            max_message_size: 64 * 1024,
        }
    }
}

impl TransportConfig {
    /// The tungstenite configuration for a socket served with these settings.
    ///
    /// The write buffer keeps tungstenite's default: a zero write buffer writes every frame
    /// eagerly and was measured to cut fan-out capacity about 5×.
    pub fn websocket_config(&self) -> WebSocketConfig {
        let limit = Some(self.max_message_size.max(1));
        WebSocketConfig::default()
            .read_buffer_size(self.read_buffer_size.max(64))
            .max_message_size(limit)
            .max_frame_size(limit)
    }

    /// Queue capacity clamped to what tokio accepts (at least one frame).
    pub(crate) fn capacity(&self) -> usize {
        self.queue_capacity.max(1)
    }

    /// Batch size clamped to at least one frame.
    pub(crate) fn batch(&self) -> usize {
        self.max_batch.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let c = TransportConfig::default();
        assert_eq!(c.queue_capacity, 1024);
        assert_eq!(c.health_interval, Duration::from_secs(30));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.max_batch, 64);
        let ws = c.websocket_config();
        assert_eq!(ws.read_buffer_size, 1024);
        assert_eq!(ws.max_message_size, Some(64 * 1024));
        // Write batching must stay on.
        assert!(ws.write_buffer_size > 0);
    }

    #[test]
    fn degenerate_values_are_clamped() {
        let c = TransportConfig {
            queue_capacity: 0,
            max_batch: 0,
            ..TransportConfig::default()
        };
        assert_eq!(c.capacity(), 1);
        assert_eq!(c.batch(), 1);
    }
}
