//! The unit the transport moves: an opaque, already-encoded text payload plus its loss policy,
//! and the outcome of queueing one.

use bytes::Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::Message;

/// One outbound frame: a complete JSON text payload (must be UTF-8; see [`Frame::payload`]).
///
/// `droppable` frames (typing) may be lost when the queue is full; durable ones never
/// silently: if a durable frame does not fit, the connection is closed (the client reconnects
/// and resyncs).
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// The text payload. Cloning is a refcount bump, so one encoded event body can be queued
    /// to thousands of connections without copying.
    ///
    /// It must be valid UTF-8 (the server encodes it with serde_json). The transport does not
    /// re-validate it per connection, which would cost O(payload) per delivery; debug builds
    /// assert it.
    pub payload: Bytes,
    /// Whether the frame may be dropped when the connection's queue is full.
    pub droppable: bool,
}

impl Frame {
    /// A durable frame: never silently lost (a full queue closes the connection instead).
    pub fn durable(payload: impl Into<Bytes>) -> Self {
        Self {
            payload: payload.into(),
            droppable: false,
        }
    }

    /// A droppable frame (typing, health checks): lost rather than queued when the queue is full.
    pub fn droppable(payload: impl Into<Bytes>) -> Self {
        Self {
            payload: payload.into(),
            droppable: true,
        }
    }

    /// The WebSocket text message for this frame, sharing the payload's buffer.
    ///
    /// Built as a raw final text frame rather than `Message::Text`, because the latter needs a
    /// `Utf8Bytes` whose safe constructor re-validates the whole payload for every recipient.
    pub(crate) fn into_message(self) -> Message {
        debug_assert!(
            std::str::from_utf8(&self.payload).is_ok(),
            "frame payload must be UTF-8"
        );
        Message::Frame(WsFrame::message(
            self.payload,
            OpCode::Data(Data::Text),
            true,
        ))
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Payloads can be large; the length and loss policy are what matter in logs.
        f.debug_struct("Frame")
            .field("len", &self.payload.len())
            .field("droppable", &self.droppable)
            .finish()
    }
}

/// Result of [`Registry::send`](crate::Registry::send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// The frame is in the connection's queue and will be written in order.
    Queued,
    /// The queue was full and the frame was droppable: it was discarded, the connection lives.
    Dropped,
    /// The connection is unknown, closing, or was just closed because a durable frame did not
    /// fit (slow consumer). The frame was not queued.
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_a_final_text_frame_sharing_the_buffer() {
        let payload = Bytes::from_static(b"{\"type\":\"message.new\"}");
        let msg = Frame::durable(payload.clone()).into_message();
        let Message::Frame(frame) = msg else {
            panic!("expected a raw frame");
        };
        assert!(frame.header().is_final);
        assert_eq!(frame.header().opcode, OpCode::Data(Data::Text));
        assert_eq!(frame.payload().as_ptr(), payload.as_ptr());
    }

    #[test]
    fn constructors_set_the_policy() {
        assert!(!Frame::durable("x").droppable);
        assert!(Frame::droppable("x").droppable);
        assert_eq!(
            format!("{:?}", Frame::durable("abc")),
            "Frame { len: 3, droppable: false }"
        );
    }
}
