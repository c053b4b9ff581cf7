//! `chat-transport-ws`: the WebSocket transport of the chat engine.
//!
//! It moves bytes and knows nothing of the Stream wire format. The server performs the HTTP
//! upgrade and authentication, then hands the upgraded IO to [`serve_socket`], which runs the
//! socket until it closes. Fan-out goes through the sharded [`Registry`]: the server resolves
//! recipients (it implements [`chat_core::fanout::WatchIndex`], handing out shared snapshots
//! of connection [`Handle`]s) and queues encoded frames with [`Handle::send`] (or
//! [`Registry::send`] by id), a non-blocking `try_send` on each connection's bounded queue.
//!
//! Full-queue policy (architecture invariant 5): a droppable [`Frame`] (typing, heartbeats) is
//! discarded; a durable frame that does not fit closes the connection with 1008 ("slow
//! consumer") without flushing its backlog, and the client reconnects and resyncs.
//!
//! Files: `config` (knobs), `frame` (the unit queued), `registry` (indexes and the send
//! policy), `control` (close requests), `handler` (server callbacks), `socket` (one socket's
//! task).

mod config;
mod control;
mod frame;
mod handler;
mod registry;
mod socket;

pub use config::TransportConfig;
pub use frame::{Frame, SendOutcome};
pub use handler::SocketHandler;
pub use registry::{Handle, Registry, Watchers};
pub use socket::{reject_socket, serve_socket, ABORT_TIMEOUT, CLOSE_TIMEOUT};
/// Computes `Sec-WebSocket-Accept` from the client's `Sec-WebSocket-Key` for the 101 response.
pub use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
