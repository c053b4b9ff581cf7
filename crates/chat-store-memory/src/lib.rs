//! `chat-store-memory`: the reference in-memory implementation of every
//! [`chat_core::store`] trait.
//!
//! It is what the zero-config server, the examples and the benches run on, and what the
//! conformance suite (`chat-store-conformance`) holds other stores to. Each atomic store
//! method runs under one short critical section; nothing is held across an `.await` (the
//! methods are `async` only to fit the traits and never await inside).
//!
//! # Layout
//!
//! [`MemoryStore`] keeps the app rows and, per app, an [`state::AppState`]: users, channel
//! types, the channel map (`Cid → Arc<Mutex<ChannelState>>`) and two indexes (message id →
//! cid, user → cids). A `ChannelState` owns everything an atomic write touches: the channel,
//! members, read cursors, messages, reactions, flags and thread cursors. So sends to
//! different channels never contend, except for the one hash insert that reserves a
//! message id app-wide.
//!
//! Reads hide nothing: truncated messages and hidden history are the reader's
//! `MessagePage::created_after`, as the conformance suite specifies.
//!
//! Message search scans the scoped channels one lock at a time and applies chat-core's
//! reference page (`search.rs`); there is no index.
//!
//! # Lock order
//!
//! Locks are only ever acquired in this order (a thread holding one may take a later one,
//! never an earlier one), and at most one lock of each rank is held:
//!
//! 1. `MemoryStore::apps` (app rows) — a leaf: nothing else is taken while holding it.
//! 2. `MemoryStore::states` (app id → per-app state) — held only to clone an `Arc`.
//! 3. One channel mutex (`ChannelState`). Never two channels at once.
//! 4. `AppState::channels` (the channel map). Taken under a channel mutex only by
//!    `delete_channel` to unpublish it; `create_channel` holds it to publish a new one.
//! 5. `AppState::user_links` (user → cids).
//! 6. `AppState::message_index` (message id → cid), one of 64 shards (all shards, in
//!    order, for bulk removals).
//! 7. `AppState::users`, then `AppState::channel_types`.
//!
//! Index writes happen while the owning channel's mutex is held (or, for a channel being
//! created, before it is published), so per channel they are serialised with the data they
//! describe. Readers take an index, release it, then lock the channel and re-check there:
//! the channel state is the truth, the indexes only say where to look.
//!
//! Poisoned locks surface as `StoreError::Backend`. Multi-step writes acquire every lock
//! that can fail before changing anything, so an error leaves no partial effect.

mod apps;
mod channel_types;
mod channels;
mod lock;
mod members;
mod message_index;
mod messages;
mod query;
mod reactions;
mod reads;
mod search;
mod state;
#[cfg(test)]
mod tests;
mod users;
mod window;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use chat_core::ids::AppId;
use chat_core::model::App;
use chat_core::StoreResult;

use crate::lock::{read, write};
use crate::state::AppState;

/// The in-memory store. Cheap to create; share it as `Arc<MemoryStore>` (which coerces to
/// `Arc<dyn chat_core::store::Store>`).
#[derive(Default)]
pub struct MemoryStore {
    apps: RwLock<AppRows>,
    states: RwLock<HashMap<AppId, Arc<AppState>>>,
}

/// App rows with their api-key index.
#[derive(Default)]
struct AppRows {
    by_id: BTreeMap<AppId, App>,
    by_key: HashMap<String, AppId>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The app's data, if anything was ever stored for it.
    ///
    /// Per-app data is created on the first insert into the app rather than by
    /// `insert_app`, so a store can be used with an app id whose row lives elsewhere.
    fn app(&self, id: &AppId) -> StoreResult<Option<Arc<AppState>>> {
        Ok(read(&self.states, "apps state")?.get(id).cloned())
    }

    /// The app's data, created empty if missing.
    fn app_or_create(&self, id: &AppId) -> StoreResult<Arc<AppState>> {
        if let Some(s) = self.app(id)? {
            return Ok(s);
        }
        Ok(write(&self.states, "apps state")?
            .entry(id.clone())
            .or_default()
            .clone())
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}
