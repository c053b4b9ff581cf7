//! Wire protocols of the systems under test, client side, parsed in place: WebSocket
//! (our server and socket.io), RESP (Redis), NATS, and HTTP/1.1 for the publishers. Pure functions over byte slices, so
//! each is unit-tested without a network.

pub mod http1;
pub mod nats;
pub mod resp;
pub mod socketio;
pub mod url;
pub mod ws;

/// A peer spoke something we do not understand.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("protocol: {0}")]
pub struct ProtoError(pub String);

impl ProtoError {
    /// A protocol error with a message.
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
