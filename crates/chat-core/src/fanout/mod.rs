//! Fan-out: the typed events commands produce, and who receives them.
//!
//! Core decides *who* (pure functions over membership and watch facts); transports decide
//! *how* (sockets, queues, cross-node bus). The wire encoding lives in the server.

mod event;
mod pubsub;
mod recipients;

pub use event::{Audience, Event, EventKind};
pub use pubsub::{LocalPubSub, PubSub, PubSubError};
pub use recipients::{needs_members, plan, Connection, Delivery, Form, Plan, WatchIndex};
