//! `chat-core`: the chat engine's domain, with no IO.
//!
//! An embedder links this crate plus a store (`chat-store-memory`, `chat-store-postgres`)
//! and drives the engine through [`engine::ChatEngine`]: commands in, results and typed
//! events out. See ARCHITECTURE.md for the crate graph and invariants.

pub mod custom;
pub mod engine;
pub mod error;
pub mod fanout;
pub mod ids;
pub mod model;
pub mod permissions;
pub mod query;
pub mod read_state;
pub mod store;
pub mod time;

pub use error::{Error, Result, StoreError, StoreResult};
