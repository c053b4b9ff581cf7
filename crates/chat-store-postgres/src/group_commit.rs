//! Group commit of sends: concurrent `insert_message` calls share transactions.
//!
//! Each call prepares its send (normalizes and encodes the message) and puts it on a
//! bounded queue ([`QUEUE_CAPACITY`]); when the queue is full the caller waits for room,
//! so overload backs up into the callers instead of growing memory. One committer task
//! per store takes everything queued (at most [`MAX_BATCH`]) and writes it as one batch
//! (`send_batch`), then answers each caller with its own result. There is no timer: a
//! lone send is taken at once, and while a batch commits the next one fills. Nothing is
//! answered before its batch committed.
//!
//! The committer writes on a connection of its own (opened with the pool's options, one
//! more than the pool size), set to `plan_cache_mode = force_generic_plan`: the batch
//! statement is planned once per connection instead of for every batch (with custom
//! plans, planning its CTEs cost more than executing a small batch). A batch that fails
//! on it closes it; the next batch opens another. Once the pool is closed
//! ([`PgStore::close`]), batches fail with `Unavailable`.
//!
//! The committer starts with the first send, on the runtime of that send, and stops when
//! the store (every clone of it) is dropped. If its runtime shut down while the store
//! lives on, the next send starts a new one. A caller that stopped waiting before its
//! batch began is dropped from the batch (its send is not written); once the batch has
//! begun, the send is written whether or not anyone still waits for the answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chat_core::store::InsertedMessage;
use chat_core::{StoreError, StoreResult};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use crate::error::{db, OUTAGES_SEEN};
use crate::send_batch::{write_batch, PendingSend};
use crate::PgStore;

/// Sends that may wait for the committer; callers beyond it wait for room.
pub const QUEUE_CAPACITY: usize = 4096;

/// The most sends one batch takes (bounds the statement's arrays and a batch's latency).
pub const MAX_BATCH: usize = 512;

/// Counters of the committer since the store was created, for benchmarks and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendStats {
    /// Batches written (committed or failed).
    pub batches: u64,
    /// Sends in those batches.
    pub sends: u64,
    /// The largest batch.
    pub largest_batch: u64,
    /// Time spent writing batches, in microseconds.
    pub busy_micros: u64,
    /// Sends waiting in the queue right now.
    pub queued: u64,
}

/// The committer's counters, shared with it.
#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    sends: AtomicU64,
    largest_batch: AtomicU64,
    busy_micros: AtomicU64,
}

impl Counters {
    fn record(&self, sends: usize, started: Instant) {
        let sends = u64::try_from(sends).unwrap_or(u64::MAX);
        let busy = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.sends.fetch_add(sends, Ordering::Relaxed);
        self.largest_batch.fetch_max(sends, Ordering::Relaxed);
        self.busy_micros.fetch_add(busy, Ordering::Relaxed);
    }
}

/// A queued send and where its answer goes.
struct Job {
    send: PendingSend,
    reply: oneshot::Sender<StoreResult<InsertedMessage>>,
}

/// The store's handle on its committer. Clones of a store share it.
#[derive(Debug, Default, Clone)]
pub(crate) struct GroupCommit {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The committer's queue; `None` until the first send.
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    counters: Arc<Counters>,
}

impl GroupCommit {
    /// Queues `send` and waits for its batch to commit.
    pub(crate) async fn send(
        &self,
        pool: &PgPool,
        send: PendingSend,
    ) -> StoreResult<InsertedMessage> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { send, reply };
        // Twice at most: the second time after starting a committer in place of one
        // whose runtime has gone.
        for _ in 0..2 {
            let queue = self.queue(pool)?;
            match queue.send(job).await {
                Ok(()) => return answer.await.map_err(|_| stopped())?,
                Err(mpsc::error::SendError(returned)) => job = returned,
            }
        }
        Err(stopped())
    }

    /// The committer's queue, starting the committer if there is none (or it is gone).
    fn queue(&self, pool: &PgPool) -> StoreResult<mpsc::Sender<Job>> {
        let mut slot = self
            .inner
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = slot.as_ref().filter(|q| !q.is_closed()) {
            return Ok(queue.clone());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| stopped())?;
        let (queue, jobs) = mpsc::channel(QUEUE_CAPACITY);
        runtime.spawn(commit_loop(pool.clone(), jobs, self.inner.counters.clone()));
        *slot = Some(queue.clone());
        Ok(queue)
    }

    fn stats(&self) -> SendStats {
        let c = &self.inner.counters;
        let queued = self
            .inner
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |q| q.max_capacity() - q.capacity());
        SendStats {
            batches: c.batches.load(Ordering::Relaxed),
            sends: c.sends.load(Ordering::Relaxed),
            largest_batch: c.largest_batch.load(Ordering::Relaxed),
            busy_micros: c.busy_micros.load(Ordering::Relaxed),
            queued: u64::try_from(queued).unwrap_or(u64::MAX),
        }
    }
}

/// The committer: takes everything queued, writes it as one batch, answers, repeats.
/// Ends when every sender (store clone) is gone.
async fn commit_loop(pool: PgPool, mut jobs: mpsc::Receiver<Job>, counters: Arc<Counters>) {
    let mut taken = Vec::with_capacity(MAX_BATCH);
    let mut conn: Option<PgConnection> = None;
    let mut last_used = Instant::now();
    let mut outages_seen = OUTAGES_SEEN.load(Ordering::Relaxed);
    while jobs.recv_many(&mut taken, MAX_BATCH).await > 0 {
        let (sends, replies): (Vec<_>, Vec<_>) = taken
            .drain(..)
            .filter(|job| !job.reply.is_closed())
            .map(|job| (job.send, job.reply))
            .unzip();
        if sends.is_empty() {
            continue;
        }
        let started = Instant::now();
        let count = sends.len();
        let outages_now = OUTAGES_SEEN.load(Ordering::Relaxed);
        if outages_now != outages_seen || started.duration_since(last_used) >= IDLE_CHECK {
            drop_if_dead(&mut conn).await;
        }
        outages_seen = outages_now;
        last_used = started;
        let results = match connection(&pool, &mut conn).await {
            Ok(c) => write_batch(c, sends).await,
            Err(e) => {
                let e = Arc::new(e);
                sends.iter().map(|_| Err(shared_unavailable(&e))).collect()
            }
        };
        if results
            .iter()
            .any(|r| matches!(r, Err(StoreError::Unavailable(_) | StoreError::Backend(_))))
        {
            // The connection may be broken: the next batch opens a new one.
            conn = None;
        }
        counters.record(count, started);
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that stopped waiting does not need its answer.
            let _ = reply.send(result);
        }
    }
}

/// After this long unused, or after any statement of the process found the database
/// unreachable, the committer's connection is pinged before the next batch. A connection
/// that broke while idle (a database restart, a network cut) would otherwise fail the first
/// batch after the outage although the database is back; under load batches follow each
/// other closely and pay nothing.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// How long the idle check waits for the database's answer.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Forgets the committer's connection if it no longer answers, so the next batch opens a
/// new one.
async fn drop_if_dead(conn: &mut Option<PgConnection>) {
    if let Some(c) = conn.as_mut() {
        // A silent network must not stall the committer: no answer in time counts as dead.
        if !matches!(
            tokio::time::timeout(PING_TIMEOUT, c.ping()).await,
            Ok(Ok(()))
        ) {
            *conn = None;
        }
    }
}

/// The committer's connection, opened if there is none. `Unavailable` once the pool is
/// closed.
async fn connection<'c>(
    pool: &PgPool,
    conn: &'c mut Option<PgConnection>,
) -> StoreResult<&'c mut PgConnection> {
    if pool.is_closed() {
        *conn = None;
        return Err(StoreError::Unavailable(
            "postgres store: the pool is closed".into(),
        ));
    }
    if conn.is_none() {
        let options = pool
            .connect_options()
            .as_ref()
            .clone()
            .options([("plan_cache_mode", "force_generic_plan")]);
        *conn = Some(PgConnection::connect_with(&options).await.map_err(db)?);
    }
    conn.as_mut()
        .ok_or_else(|| StoreError::Unavailable("postgres store: no connection".into()))
}

/// A caller's copy of a failure to reach the database for a whole batch.
fn shared_unavailable(e: &Arc<StoreError>) -> StoreError {
    StoreError::Unavailable(Box::new(Shared(e.clone())))
}

/// One failure, shared by every send of a batch.
#[derive(Debug)]
struct Shared(Arc<StoreError>);

impl std::fmt::Display for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "send batch failed: {}", self.0)
    }
}

impl std::error::Error for Shared {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// The committer is gone (its runtime shut down): the send's fate is unknown to us only if
/// it was already in a batch; report the store unavailable either way.
fn stopped() -> StoreError {
    StoreError::Unavailable("postgres store: the send committer has stopped".into())
}

impl PgStore {
    /// Counters of this store's send committer (batches, sends, largest batch, time spent,
    /// sends waiting now): the batch sizes reached under load.
    pub fn send_stats(&self) -> SendStats {
        self.sends.stats()
    }
}
