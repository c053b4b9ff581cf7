//! The app-wide message id → channel index, sharded so that sends into different channels
//! do not contend on one lock. A send takes one shard's write lock for a moment (under its
//! channel's mutex), which is what makes a repeated client id fail atomically.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{RwLock, RwLockWriteGuard};

use chat_core::ids::{Cid, MessageId};
use chat_core::StoreResult;

use crate::lock::{read, write};

const SHARDS: usize = 64;

type Shard = HashMap<MessageId, Cid>;

/// Message id → cid, in 64 independently locked shards.
pub(crate) struct MessageIndex {
    shards: Vec<RwLock<Shard>>,
}

impl Default for MessageIndex {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
        }
    }
}

fn shard_of(id: &MessageId) -> usize {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    (h.finish() as usize) % SHARDS
}

/// Write guards on every shard, taken in shard order: bulk removals acquire everything that
/// can fail (poisoning) before changing anything.
pub(crate) struct AllShards<'a>(Vec<RwLockWriteGuard<'a, Shard>>);

impl AllShards<'_> {
    /// Removes `id` if it points at `cid` (or unconditionally when `cid` is `None`).
    pub fn remove(&mut self, id: &MessageId, cid: Option<&Cid>) {
        let shard = &mut self.0[shard_of(id)];
        if cid.is_none_or(|c| shard.get(id) == Some(c)) {
            shard.remove(id);
        }
    }
}

impl MessageIndex {
    /// The channel of a message, if indexed.
    pub fn get(&self, id: &MessageId) -> StoreResult<Option<Cid>> {
        Ok(read(&self.shards[shard_of(id)], "message index")?
            .get(id)
            .cloned())
    }

    /// Claims `id` for `cid`; false if it is already taken.
    pub fn reserve(&self, id: &MessageId, cid: &Cid) -> StoreResult<bool> {
        let mut shard = write(&self.shards[shard_of(id)], "message index")?;
        if shard.contains_key(id) {
            return Ok(false);
        }
        shard.insert(id.clone(), cid.clone());
        Ok(true)
    }

    /// Locks the shard holding `id` (single removals).
    pub fn lock_shard(&self, id: &MessageId) -> StoreResult<RwLockWriteGuard<'_, Shard>> {
        write(&self.shards[shard_of(id)], "message index")
    }

    /// Locks every shard for a bulk removal.
    pub fn lock_all(&self) -> StoreResult<AllShards<'_>> {
        self.shards
            .iter()
            .map(|s| write(s, "message index"))
            .collect::<StoreResult<Vec<_>>>()
            .map(AllShards)
    }
}
