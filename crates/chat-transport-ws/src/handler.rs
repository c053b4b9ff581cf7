//! The server's callbacks for inbound traffic and socket lifecycle.

use bytes::Bytes;
use chat_core::ids::{Cid, ConnectionId, UserId};

/// Callbacks into the server. Called on the socket's task, so they must not block: hand
/// anything slow (store writes, events) to another task.
pub trait SocketHandler: Send + Sync + 'static {
    /// A text frame other than the client `health.check` (which the transport answers itself
    /// by queueing [`SocketHandler::health_frame`]).
    fn on_text(&self, conn: &ConnectionId, user: &UserId, text: &str);

    /// After the socket closed and was removed from the registry (its watch set dropped);
    /// `watched` are the cids it was watching. Called exactly once per registered socket.
    fn on_close(&self, conn: &ConnectionId, user: &UserId, watched: Vec<Cid>);

    /// The periodic / answering `health.check` payload for this connection (the server decides
    /// the JSON). Must be UTF-8.
    fn health_frame(&self, conn: &ConnectionId, user: &UserId) -> Bytes;
}
