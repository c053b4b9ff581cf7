//! Close requests from the registry to one socket task.
//!
//! The outbound queue cannot carry them: a slow consumer's queue is full by definition, and a
//! close must still get through. So each connection has a tiny side channel: an atomic state
//! (only ever raised, so a stronger request wins) plus a `Notify` to wake the task.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Why a socket was asked to close; ordered by strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum CloseRequest {
    /// Not asked to close.
    Open = 0,
    /// `Registry::close`: flush queued frames, then close with 1000.
    Normal = 1,
    /// `Registry::close_all`: flush queued frames, then close with 1001.
    Shutdown = 2,
    /// A durable frame did not fit: close now, without flushing the backlog.
    SlowConsumer = 3,
}

impl CloseRequest {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Open,
            1 => Self::Normal,
            2 => Self::Shutdown,
            _ => Self::SlowConsumer,
        }
    }

    /// Whether queued frames are written before the close frame.
    pub(crate) fn is_graceful(self) -> bool {
        matches!(self, Self::Normal | Self::Shutdown)
    }

    /// The WebSocket close code and reason sent to the client.
    pub(crate) fn close_code(self) -> (CloseCode, &'static str) {
        match self {
            Self::Open | Self::Normal => (CloseCode::Normal, ""),
            Self::Shutdown => (CloseCode::Away, "server shutting down"),
            Self::SlowConsumer => (CloseCode::Policy, "slow consumer"),
        }
    }
}

/// The close side channel of one connection.
#[derive(Debug, Default)]
pub(crate) struct Control {
    state: AtomicU8,
    notify: Notify,
}

impl Control {
    /// Current request.
    pub(crate) fn get(&self) -> CloseRequest {
        CloseRequest::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Raises the request to at least `request`; returns true if this call raised it.
    pub(crate) fn request(&self, request: CloseRequest) -> bool {
        let previous = self.state.fetch_max(request as u8, Ordering::AcqRel);
        let raised = previous < request as u8;
        if raised {
            self.notify.notify_waiters();
        }
        raised
    }

    /// Waits until the request is at least `min`, and returns it.
    pub(crate) async fn wait_for(&self, min: CloseRequest) -> CloseRequest {
        loop {
            // Register interest before checking the state, so a request made between the check
            // and the await is not missed (`notify_waiters` stores no permit).
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let current = self.get();
            if current >= min {
                return current;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_only_rise() {
        let c = Control::default();
        assert_eq!(c.get(), CloseRequest::Open);
        assert!(c.request(CloseRequest::Shutdown));
        assert!(!c.request(CloseRequest::Normal));
        assert_eq!(c.get(), CloseRequest::Shutdown);
        assert!(c.request(CloseRequest::SlowConsumer));
        assert!(!c.request(CloseRequest::SlowConsumer));
        assert_eq!(c.get(), CloseRequest::SlowConsumer);
        assert!(!c.get().is_graceful());
    }

    #[tokio::test]
    async fn waiters_wake_on_a_strong_enough_request() {
        let c = std::sync::Arc::new(Control::default());
        let waiter = tokio::spawn({
            let c = c.clone();
            async move { c.wait_for(CloseRequest::SlowConsumer).await }
        });
        c.request(CloseRequest::Normal);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        c.request(CloseRequest::SlowConsumer);
        assert_eq!(waiter.await.unwrap(), CloseRequest::SlowConsumer);
        // Already satisfied: returns at once.
        assert_eq!(
            c.wait_for(CloseRequest::Normal).await,
            CloseRequest::SlowConsumer
        );
    }
}
