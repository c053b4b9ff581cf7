//! The connection registry: who is connected and who watches what, plus the non-blocking send
//! that applies the full-queue policy.
//!
//! Three indexes, each split into [`SHARDS`] std `RwLock`ed maps chosen by key hash so that
//! fan-out reads on different channels or connections rarely touch the same lock:
//! connection → entry (handle, watched cids), user → handles, channel → watchers. No lock is
//! ever held across an `.await`. The only nested locking is connection shard → channel shard
//! (in `watch`/`unwatch`), always in that order, which makes a watch racing with the socket's
//! removal impossible to leak.
//!
//! Fan-out never looks a connection up by id: every index holds the connection's
//! [`Handle`] (its queue sender and close signal), and a channel hands out a shared snapshot
//! of its watchers' handles (`Arc<[Arc<Handle>]>`), rebuilt lazily on the first read after
//! the watch set changed, so sending an event to N watchers is a walk over N handles and
//! N `try_send`s, and N joins in a row cost O(N), not O(N²).
//!
//! Maps hash with foldhash seeded at random per map: ids are client-chosen, so the hasher
//! must not be predictable, but SipHash was 6.9 % of a fan-out profile.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chat_core::fanout::{Connection as FanoutConnection, WatchIndex};
use chat_core::ids::{Cid, ConnectionId, UserId};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, Notify};

use crate::control::{CloseRequest, Control};
use crate::frame::{Frame, SendOutcome};

/// Number of shards per index: enough that 2–16 cores rarely collide, small enough that
/// `close_all` and the memory of empty shards do not matter.
pub(crate) const SHARDS: usize = 64;

/// Randomly seeded (per map, per process) fast hasher; see the module docs for why.
type RandomState = foldhash::fast::RandomState;
type Map<K, V> = HashMap<K, V, RandomState>;
type Set<K> = HashSet<K, RandomState>;

/// A shared snapshot of a channel's watchers.
pub type Watchers = Arc<[Arc<Handle>]>;

/// Sharded connection registry: user → connections, channel → watching connections.
///
/// Sockets are added and removed by [`serve_socket`](crate::serve_socket); the server reads
/// it for fan-out and updates watch sets from REST calls.
pub struct Registry {
    hasher: RandomState,
    connections: Sharded<ConnectionId, Connection>,
    users: Sharded<UserId, Vec<Arc<Handle>>>,
    channels: Sharded<Cid, ChannelWatchers>,
    /// Returned for channels nobody watches, so that case allocates nothing.
    no_watchers: Watchers,
    count: AtomicUsize,
    shutting_down: AtomicBool,
    /// Socket tasks still running (registered or not yet cleaned up), for [`Registry::drained`].
    live: AtomicUsize,
    live_changed: Notify,
}

/// What fan-out needs to queue to one connection, shared by every index that lists it.
pub struct Handle {
    id: ConnectionId,
    user: UserId,
    tx: mpsc::Sender<Frame>,
    control: Arc<Control>,
}

impl Handle {
    /// The connection's id.
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// Its user.
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// Queues `frame` without blocking, applying the full-queue policy: a droppable frame is
    /// discarded ([`SendOutcome::Dropped`]); a durable one closes the connection
    /// ([`SendOutcome::Closed`]) because silently losing it would desynchronise the client.
    pub fn send(&self, frame: Frame) -> SendOutcome {
        // A closing connection takes nothing new, so a graceful drain terminates.
        if self.control.get() != CloseRequest::Open {
            return SendOutcome::Closed;
        }
        match self.tx.try_send(frame) {
            Ok(()) => SendOutcome::Queued,
            Err(TrySendError::Full(frame)) if frame.droppable => {
                metrics::counter!("chat_ws_frames_dropped_total").increment(1);
                SendOutcome::Dropped
            }
            Err(TrySendError::Full(_)) => {
                if self.control.request(CloseRequest::SlowConsumer) {
                    metrics::counter!("chat_ws_slow_consumer_closed_total").increment(1);
                    tracing::info!(connection = %self.id, user = %self.user, "closing slow consumer: outbound queue full");
                }
                SendOutcome::Closed
            }
            Err(TrySendError::Closed(_)) => SendOutcome::Closed,
        }
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl FanoutConnection for Handle {
    fn id(&self) -> &ConnectionId {
        &self.id
    }

    fn user(&self) -> &UserId {
        &self.user
    }
}

/// One registered connection.
struct Connection {
    handle: Arc<Handle>,
    watched: Set<Cid>,
}

/// The watchers of one channel: a dense list, a position map for O(1) removal, per-user
/// counts for `watcher_count`/`is_watching` without a scan, and the snapshot handed to
/// fan-out (dropped on every change, rebuilt by the next reader).
#[derive(Default)]
struct ChannelWatchers {
    list: Vec<Arc<Handle>>,
    position: Map<ConnectionId, usize>,
    users: Map<UserId, usize>,
    snapshot: Option<Watchers>,
}

impl ChannelWatchers {
    fn insert(&mut self, handle: &Arc<Handle>) {
        if let Entry::Vacant(slot) = self.position.entry(handle.id.clone()) {
            slot.insert(self.list.len());
            self.list.push(handle.clone());
            *self.users.entry(handle.user.clone()).or_default() += 1;
            self.snapshot = None;
        }
    }

    fn remove(&mut self, conn: &ConnectionId) {
        let Some(index) = self.position.remove(conn) else {
            return;
        };
        let removed = self.list.swap_remove(index);
        if let Some(moved) = self.list.get(index) {
            self.position.insert(moved.id.clone(), index);
        }
        if let Entry::Occupied(mut count) = self.users.entry(removed.user.clone()) {
            *count.get_mut() -= 1;
            if *count.get() == 0 {
                count.remove();
            }
        }
        self.snapshot = None;
    }

    fn snapshot(&mut self) -> Watchers {
        self.snapshot
            .get_or_insert_with(|| self.list.as_slice().into())
            .clone()
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// `SHARDS` locked maps.
struct Sharded<K, V> {
    shards: Box<[RwLock<Map<K, V>>]>,
}

impl<K: Eq + Hash, V> Sharded<K, V> {
    fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }

    fn shard(&self, hasher: &RandomState, key: &K) -> &RwLock<Map<K, V>> {
        // Truncation is fine: only the low bits pick the shard.
        &self.shards[hasher.hash_one(key) as usize % SHARDS]
    }

    fn read(&self, hasher: &RandomState, key: &K) -> RwLockReadGuard<'_, Map<K, V>> {
        read(self.shard(hasher, key))
    }

    fn write(&self, hasher: &RandomState, key: &K) -> RwLockWriteGuard<'_, Map<K, V>> {
        write(self.shard(hasher, key))
    }
}

// Poisoning only means another thread panicked while holding the lock; every critical
// section here leaves the maps consistent before anything can panic, so keep going.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            hasher: RandomState::default(),
            connections: Sharded::new(),
            users: Sharded::new(),
            channels: Sharded::new(),
            no_watchers: Arc::new([]),
            count: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            live_changed: Notify::new(),
        })
    }

    /// Open (registered) connections.
    pub fn connection_count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Every open connection of `user`.
    pub fn connections_of(&self, user: &UserId) -> Vec<ConnectionId> {
        self.users
            .read(&self.hasher, user)
            .get(user)
            .map(|list| list.iter().map(|h| h.id.clone()).collect())
            .unwrap_or_default()
    }

    /// Calls `f` with the handle of every open connection of `user`, under the user's shard
    /// lock: `f` must not call back into the registry.
    pub fn for_each_handle_of(&self, user: &UserId, f: &mut dyn FnMut(&Arc<Handle>)) {
        if let Some(list) = self.users.read(&self.hasher, user).get(user) {
            list.iter().for_each(f);
        }
    }

    /// How many connections `user` has open (for the per-user cap).
    pub fn user_connection_count(&self, user: &UserId) -> usize {
        self.users
            .read(&self.hasher, user)
            .get(user)
            .map_or(0, Vec::len)
    }

    /// The user a connection belongs to, if it is open.
    pub fn user_of(&self, conn: &ConnectionId) -> Option<UserId> {
        self.connections
            .read(&self.hasher, conn)
            .get(conn)
            .map(|c| c.handle.user.clone())
    }

    /// Subscribes `conn` to `cid`. Idempotent; false if the connection is unknown.
    pub fn watch(&self, conn: &ConnectionId, cid: &Cid) -> bool {
        let mut connections = self.connections.write(&self.hasher, conn);
        let Some(entry) = connections.get_mut(conn) else {
            return false;
        };
        if entry.watched.insert(cid.clone()) {
            // Still under the connection lock: removal cannot interleave and leave a stale
            // watcher behind.
            self.channels
                .write(&self.hasher, cid)
                .entry(cid.clone())
                .or_default()
                .insert(&entry.handle);
        }
        true
    }

    /// Unsubscribes `conn` from `cid`. Idempotent; false if the connection is unknown.
    pub fn unwatch(&self, conn: &ConnectionId, cid: &Cid) -> bool {
        let mut connections = self.connections.write(&self.hasher, conn);
        let Some(entry) = connections.get_mut(conn) else {
            return false;
        };
        if entry.watched.remove(cid) {
            self.remove_watcher(cid, conn);
        }
        true
    }

    fn remove_watcher(&self, cid: &Cid, conn: &ConnectionId) {
        let mut channels = self.channels.write(&self.hasher, cid);
        if let Entry::Occupied(mut watchers) = channels.entry(cid.clone()) {
            watchers.get_mut().remove(conn);
            if watchers.get().is_empty() {
                watchers.remove();
            }
        }
    }

    /// Connections watching `cid`, with their users.
    pub fn watchers(&self, cid: &Cid) -> Vec<(ConnectionId, UserId)> {
        self.watcher_snapshot(cid)
            .iter()
            .map(|h| (h.id.clone(), h.user.clone()))
            .collect()
    }

    /// The handles of the connections watching `cid`: a snapshot shared by every caller until
    /// the watch set changes (then the next call rebuilds it once).
    pub fn watcher_snapshot(&self, cid: &Cid) -> Watchers {
        match self.channels.read(&self.hasher, cid).get(cid) {
            None => return self.no_watchers.clone(),
            Some(ChannelWatchers {
                snapshot: Some(snapshot),
                ..
            }) => return snapshot.clone(),
            Some(_) => {}
        }
        // Stale: rebuild under the write lock (another reader may have done it meanwhile).
        self.channels
            .write(&self.hasher, cid)
            .get_mut(cid)
            .map_or_else(|| self.no_watchers.clone(), ChannelWatchers::snapshot)
    }

    /// Distinct users watching `cid` (for the >100 watchers throttling rules).
    pub fn watcher_count(&self, cid: &Cid) -> usize {
        self.channels
            .read(&self.hasher, cid)
            .get(cid)
            .map_or(0, |w| w.users.len())
    }

    /// The channels `conn` watches (empty if unknown).
    pub fn watched_by(&self, conn: &ConnectionId) -> Vec<Cid> {
        self.connections
            .read(&self.hasher, conn)
            .get(conn)
            .map(|c| c.watched.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any connection of `user` watches `cid`.
    pub fn is_watching(&self, user: &UserId, cid: &Cid) -> bool {
        self.channels
            .read(&self.hasher, cid)
            .get(cid)
            .is_some_and(|w| w.users.contains_key(user))
    }

    /// Queues `frame` for `conn` without blocking, with the full-queue policy of
    /// [`Handle::send`]; an unknown connection is [`SendOutcome::Closed`].
    pub fn send(&self, conn: &ConnectionId, frame: Frame) -> SendOutcome {
        // Cloned out so the shard lock is not held while the queue is touched.
        let handle = self
            .connections
            .read(&self.hasher, conn)
            .get(conn)
            .map(|c| c.handle.clone());
        match handle {
            Some(handle) => handle.send(frame),
            None => SendOutcome::Closed,
        }
    }

    /// Asks the socket task to close `conn`: queued frames are flushed, then a close frame
    /// (1000) is sent. No-op if unknown.
    pub fn close(&self, conn: &ConnectionId) {
        if let Some(entry) = self.connections.read(&self.hasher, conn).get(conn) {
            entry.handle.control.request(CloseRequest::Normal);
        }
    }

    /// Graceful shutdown: every socket flushes its queued frames and closes with 1001. Sockets
    /// registered afterwards are closed the same way right after their first frame. Await
    /// [`Registry::drained`] to know when they are all gone.
    pub fn close_all(&self) {
        // Set first: a socket registering concurrently either sees the flag or is found below.
        self.shutting_down.store(true, Ordering::SeqCst);
        for shard in self.connections.shards.iter() {
            for entry in read(shard).values() {
                entry.handle.control.request(CloseRequest::Shutdown);
            }
        }
    }

    /// Resolves once no socket task is running (every `serve_socket` has returned).
    pub async fn drained(&self) {
        loop {
            let changed = self.live_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.live.load(Ordering::SeqCst) == 0 {
                return;
            }
            changed.await;
        }
    }

    /// Adds a connection. `None` if the id is already registered (the caller must not
    /// serve the duplicate).
    pub(crate) fn register(
        &self,
        conn: &ConnectionId,
        user: &UserId,
        tx: mpsc::Sender<Frame>,
    ) -> Option<Arc<Control>> {
        let control = Arc::new(Control::default());
        let handle = Arc::new(Handle {
            id: conn.clone(),
            user: user.clone(),
            tx,
            control: control.clone(),
        });
        match self
            .connections
            .write(&self.hasher, conn)
            .entry(conn.clone())
        {
            Entry::Occupied(_) => return None,
            Entry::Vacant(slot) => {
                slot.insert(Connection {
                    handle: handle.clone(),
                    watched: Set::default(),
                });
            }
        }
        self.users
            .write(&self.hasher, user)
            .entry(user.clone())
            .or_default()
            .push(handle);
        self.count.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("chat_ws_connections").increment(1.0);
        if self.shutting_down.load(Ordering::SeqCst) {
            control.request(CloseRequest::Shutdown);
        }
        Some(control)
    }

    /// Removes a connection from every index; returns the cids it watched, or `None` if it
    /// was not registered.
    pub(crate) fn deregister(&self, conn: &ConnectionId) -> Option<Vec<Cid>> {
        let entry = self.connections.write(&self.hasher, conn).remove(conn)?;
        {
            let user = &entry.handle.user;
            let mut users = self.users.write(&self.hasher, user);
            if let Entry::Occupied(mut list) = users.entry(user.clone()) {
                list.get_mut().retain(|h| h.id != *conn);
                if list.get().is_empty() {
                    list.remove();
                }
            }
        }
        let watched: Vec<Cid> = entry.watched.into_iter().collect();
        for cid in &watched {
            self.remove_watcher(cid, conn);
        }
        self.count.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("chat_ws_connections").decrement(1.0);
        Some(watched)
    }

    /// Counts a socket task in; the returned guard counts it out when dropped.
    pub(crate) fn task_guard(self: &Arc<Self>) -> LiveGuard {
        self.live.fetch_add(1, Ordering::SeqCst);
        LiveGuard(self.clone())
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

/// Keeps [`Registry::drained`] waiting while a socket task runs.
pub(crate) struct LiveGuard(Arc<Registry>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.live_changed.notify_waiters();
        }
    }
}

impl WatchIndex for Registry {
    type Conn = Arc<Handle>;

    fn watchers(&self, cid: &Cid) -> Watchers {
        self.watcher_snapshot(cid)
    }

    fn for_each_connection_of(&self, user: &UserId, f: &mut dyn FnMut(&Arc<Handle>)) {
        self.for_each_handle_of(user, f);
    }

    fn connection_count(&self) -> usize {
        Registry::connection_count(self)
    }
}

#[cfg(test)]
mod tests;
