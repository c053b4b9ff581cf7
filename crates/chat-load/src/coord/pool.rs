//! The worker processes of one system's run: spawned by re-executing this binary as
//! `chat-load worker`, each holding at most `--clients-per-worker` sockets (the process limit
//! here is about 19,900). Their progress lines feed one shared delivery count that the
//! publishers' window and the drain wait on.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command as Process};
use tokio::sync::{mpsc, Notify};

use super::LoadError;
use crate::spec::{Command, Event, StormReport, WorkerReport, WorkerSpec};

/// Largest number of sockets we put in one process (nofile is 20,000 here).
pub const MAX_PER_WORKER: usize = 19_900;

/// Deliveries seen so far, shared with the publishers.
#[derive(Debug)]
pub struct Progress {
    per_worker: Vec<AtomicU64>,
    /// Woken on every progress line.
    pub changed: Notify,
    epoch: Instant,
    last_change_us: AtomicU64,
}

impl Progress {
    fn new(slots: usize) -> Self {
        Self {
            per_worker: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            changed: Notify::new(),
            epoch: Instant::now(),
            last_change_us: AtomicU64::new(0),
        }
    }

    /// Unique deliveries over all workers.
    pub fn received(&self) -> u64 {
        self.per_worker.iter().map(|w| w.load(Relaxed)).sum()
    }

    /// When the count last grew.
    pub fn last_change(&self) -> Instant {
        self.epoch + Duration::from_micros(self.last_change_us.load(Relaxed))
    }

    fn set(&self, worker: usize, value: u64) {
        if let Some(w) = self.per_worker.get(worker) {
            w.store(value, Relaxed);
        }
        self.last_change_us
            .store(self.epoch.elapsed().as_micros() as u64, Relaxed);
        self.changed.notify_waiters();
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
}

/// The workers of one run.
pub struct Pool {
    workers: Vec<Worker>,
    /// Shared delivery count.
    pub progress: Arc<Progress>,
    events: mpsc::Receiver<(usize, Event)>,
    events_tx: mpsc::Sender<(usize, Event)>,
    per_worker: usize,
}

/// Most workers a run may have (19 × 19,900 sockets is far beyond what one server here
/// can hold); sizes the progress slots.
const MAX_WORKERS: usize = 64;

impl Pool {
    /// An empty pool; `per_worker` is clamped to [`MAX_PER_WORKER`].
    pub fn new(per_worker: usize) -> Self {
        // Bounded: only ready, report and storm events travel here (progress goes through
        // atomics), at most a few per worker in flight.
        let (events_tx, events) = mpsc::channel(4 * MAX_WORKERS);
        Self {
            workers: Vec::new(),
            progress: Arc::new(Progress::new(MAX_WORKERS)),
            events,
            events_tx,
            per_worker: per_worker.clamp(1, MAX_PER_WORKER),
        }
    }

    /// Process ids of the workers (for the tool's own CPU figure).
    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().filter_map(|w| w.child.id()).collect()
    }

    /// Starts workers for clients `base.first .. base.first + count` and waits until every
    /// client has connected, then until every one has subscribed (two phases across all the
    /// new workers, see [`crate::worker`]).
    pub async fn add(
        &mut self,
        base: &WorkerSpec,
        count: usize,
        timeout: Duration,
    ) -> Result<(), LoadError> {
        let exe = std::env::current_exe().map_err(|e| LoadError::Start(e.to_string()))?;
        let mut started = Vec::new();
        let mut first = base.first;
        let end = base.first + count;
        while first < end {
            let n = self.per_worker.min(end - first);
            let index = self.workers.len();
            if index >= MAX_WORKERS {
                return Err(LoadError::Usage(format!("more than {MAX_WORKERS} workers")));
            }
            let spec = WorkerSpec {
                first,
                count: n,
                ..base.clone()
            };
            let json = serde_json::to_string(&spec).map_err(|e| LoadError::Start(e.to_string()))?;
            let mut child = Process::new(&exe)
                .arg("worker")
                .arg("--spec")
                .arg(json)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| LoadError::Start(format!("cannot start a worker: {e}")))?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err(LoadError::Start("worker without pipes".into()));
            };
            let progress = Arc::clone(&self.progress);
            let tx = self.events_tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    match serde_json::from_str::<Event>(&line) {
                        Ok(Event::Progress { received }) => progress.set(index, received),
                        Ok(ev) => {
                            if tx.send((index, ev)).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => eprintln!("chat-load: worker {index} said {line:?}: {e}"),
                    }
                }
            });
            self.workers.push(Worker { child, stdin });
            started.push(index);
            first += n;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        self.phase(&started, deadline, count, "connect", |ev| match ev {
            Event::Connected { failed, error, .. } => Some((failed, error)),
            _ => None,
        })
        .await?;
        let mut line = serde_json::to_vec(&Command::Subscribe)
            .map_err(|e| LoadError::Clients(e.to_string()))?;
        line.push(b'\n');
        for &i in &started {
            if let Some(w) = self.workers.get_mut(i) {
                w.stdin
                    .write_all(&line)
                    .await
                    .map_err(|e| LoadError::Clients(format!("worker stdin: {e}")))?;
            }
        }
        self.phase(&started, deadline, count, "subscribe", |ev| match ev {
            Event::Ready { failed, error, .. } => Some((failed, error)),
            _ => None,
        })
        .await
    }

    /// Waits for one phase's event from each of `workers`.
    async fn phase(
        &mut self,
        workers: &[usize],
        deadline: tokio::time::Instant,
        count: usize,
        what: &str,
        pick: impl Fn(Event) -> Option<(usize, Option<String>)>,
    ) -> Result<(), LoadError> {
        let mut waiting = workers.len();
        let (mut failed, mut first_error) = (0, None);
        while waiting > 0 {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| LoadError::Clients(format!("clients did not {what} in time")))?;
            match ev {
                Some((_, ev)) => {
                    if let Some((f, error)) = pick(ev) {
                        waiting -= 1;
                        failed += f;
                        if first_error.is_none() {
                            first_error = error;
                        }
                    }
                }
                None => return Err(LoadError::Clients("workers gone".into())),
            }
        }
        if failed > 0 {
            return Err(LoadError::Clients(format!(
                "{failed} of {count} clients could not {what}; first error: {}",
                first_error.unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Sends a command to every worker.
    pub async fn command(&mut self, cmd: &Command) -> Result<(), LoadError> {
        let mut line = serde_json::to_vec(cmd).map_err(|e| LoadError::Clients(e.to_string()))?;
        line.push(b'\n');
        for w in &mut self.workers {
            w.stdin
                .write_all(&line)
                .await
                .map_err(|e| LoadError::Clients(format!("worker stdin: {e}")))?;
        }
        Ok(())
    }

    async fn answers<T>(
        &mut self,
        timeout: Duration,
        pick: impl Fn(Event) -> Option<T>,
    ) -> Result<Vec<T>, LoadError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut out = Vec::with_capacity(self.workers.len());
        while out.len() < self.workers.len() {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| LoadError::Clients("workers did not answer".into()))?;
            match ev {
                Some((_, ev)) => out.extend(pick(ev)),
                None => return Err(LoadError::Clients("workers gone".into())),
            }
        }
        Ok(out)
    }

    /// Asks every worker for its counts; `sent[j]` = messages sent to channel `j`.
    pub async fn reports(&mut self, sent: Vec<u64>) -> Result<Vec<WorkerReport>, LoadError> {
        self.command(&Command::Report { sent }).await?;
        self.answers(Duration::from_secs(30), |ev| match ev {
            Event::Report(r) => Some(r),
            _ => None,
        })
        .await
    }

    /// Drops every client at once; answers when all are back (or the deadline passed).
    pub async fn storm(&mut self) -> Result<Vec<StormReport>, LoadError> {
        self.command(&Command::Drop).await?;
        self.answers(
            crate::worker::STORM_DEADLINE + Duration::from_secs(10),
            |ev| match ev {
                Event::Storm(r) => Some(r),
                _ => None,
            },
        )
        .await
    }

    /// Tells the workers to exit and reaps them.
    pub async fn shutdown(mut self) {
        let _ = self.command(&Command::Exit).await;
        for w in &mut self.workers {
            if tokio::time::timeout(Duration::from_secs(5), w.child.wait())
                .await
                .is_err()
            {
                let _ = w.child.start_kill();
                let _ = w.child.wait().await;
            }
        }
    }
}
