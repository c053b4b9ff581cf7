//! Publishers: send marked payloads to every system the way its users would — our REST
//! send (`POST /channels/messaging/{id}/message` with the publisher's user token), an HTTP
//! publish to the socket.io room, `PUBLISH` to Redis, `PUB` + `PING` to NATS — each waiting
//! for its answer before the next send, at a fixed rate or as fast as the delivery window
//! allows.
//!
//! The window (max rate only) caps messages sent but not yet delivered to all their
//! subscribers. Without it a fast publisher overruns any system's per-subscriber buffers
//! (our 1,024-frame socket queues, Redis' pub/sub output limit, NATS' pending limit) and the
//! figure measured becomes disconnects rather than throughput; with it every system is
//! measured at its highest loss-free rate.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http_conn::HttpConn;
use super::pool::Progress;
use crate::hist::Hist;
use crate::marker::{self, Marker};
use crate::proto::{http1, nats, resp, url};
use crate::scenario::Rate;
use crate::spec::{Endpoint, Naming, SystemKind};
use crate::worker::link::{Link, LinkError, Owned, Wire};

/// What the publishers do.
#[derive(Debug, Clone)]
pub struct PublishPlan {
    /// Channels.
    pub channels: usize,
    /// Subscribers of each channel.
    pub fanout: Vec<u64>,
    /// Payload bytes.
    pub payload: usize,
    /// Rate.
    pub rate: Rate,
    /// How long to publish.
    pub duration: Duration,
    /// Concurrent publishers.
    pub publishers: usize,
    /// Most deliveries outstanding (max rate).
    pub window_deliveries: u64,
}

/// What the publishers did.
#[derive(Debug)]
pub struct Published {
    /// Messages that got a success answer, per channel.
    pub sent: Vec<u64>,
    /// Sends that failed.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Deliveries expected from the successful sends.
    pub expected: u64,
    /// Request round trips, µs.
    pub send_latency: Hist,
    /// First send.
    pub started: Instant,
    /// Last answer.
    pub ended: Instant,
}

/// One publisher's connection.
enum Sender {
    /// Our REST send or the socket.io peer's HTTP publish.
    Http {
        conn: HttpConn,
        host: String,
        /// Our server: api key and the publisher's token (none for socket.io).
        auth: Option<(String, String)>,
    },
    /// Redis or NATS.
    Tcp(Link),
}

impl Sender {
    async fn open(ep: &Endpoint, naming: &Naming) -> Result<Self, LinkError> {
        Ok(match ep.kind {
            SystemKind::Chat => Sender::Http {
                conn: HttpConn::new(&ep.addr),
                host: ep.addr.clone(),
                auth: Some((
                    url::encode(&ep.api_key),
                    chat_server::auth::user_token(&ep.api_secret, &naming.publisher(), None, None),
                )),
            },
            SystemKind::Socketio => Sender::Http {
                conn: HttpConn::new(&ep.addr),
                host: ep.addr.clone(),
                auth: None,
            },
            SystemKind::Redis => Sender::Tcp(Link::connect(&ep.addr, Wire::Resp).await?),
            SystemKind::Nats => {
                let mut link = Link::connect(&ep.addr, Wire::Nats).await?;
                let _info = link
                    .next_owned(Duration::from_secs(10), "NATS INFO")
                    .await?;
                link.write(nats::CONNECT).await?;
                Sender::Tcp(link)
            }
        })
    }

    async fn send(
        &mut self,
        kind: SystemKind,
        channel: &str,
        payload: String,
    ) -> Result<(), String> {
        match self {
            Sender::Http { conn, host, auth } => {
                let request = match auth {
                    // The payload is letters, digits and `-` (see `marker`): no JSON escaping.
                    Some((api_key, token)) => http1::request(
                        "POST",
                        host,
                        &format!("/channels/messaging/{channel}/message?api_key={api_key}"),
                        &[
                            format!("Authorization: {token}"),
                            "Stream-Auth-Type: jwt".into(),
                            "Content-Type: application/json".into(),
                        ],
                        format!(r#"{{"message":{{"text":"{payload}"}}}}"#).as_bytes(),
                    ),
                    None => http1::request(
                        "POST",
                        host,
                        &format!("/publish?room={channel}"),
                        &["Content-Type: text/plain".into()],
                        payload.as_bytes(),
                    ),
                };
                let (status, body) = conn.roundtrip(&request).await?;
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
                }
            }
            Sender::Tcp(link) => {
                let (bytes, what) = if kind == SystemKind::Redis {
                    (
                        resp::command(&[b"PUBLISH", channel.as_bytes(), payload.as_bytes()]),
                        "PUBLISH reply",
                    )
                } else {
                    let mut b = nats::publish(channel, payload.as_bytes());
                    b.extend_from_slice(b"PING\r\n");
                    (b, "NATS PONG")
                };
                link.write(&bytes).await.map_err(|e| e.to_string())?;
                loop {
                    match link
                        .next_owned(Duration::from_secs(30), what)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        Owned::Control(c) if kind == SystemKind::Redis && c.starts_with(b":") => {
                            return Ok(())
                        }
                        Owned::Control(c) if c.starts_with(b"PONG") => return Ok(()),
                        _ => continue,
                    }
                }
            }
        }
    }
}

struct Shared {
    plan: PublishPlan,
    kind: SystemKind,
    naming: Naming,
    next: AtomicU64,
    outstanding_expected: AtomicU64,
    sent: Vec<AtomicU64>,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
    latency: Mutex<Hist>,
    stop: Arc<AtomicBool>,
    start: Instant,
    last_answer_us: AtomicU64,
}

/// Publishes until the plan's duration is over or `stop` is set.
pub async fn run(
    ep: &Endpoint,
    naming: &Naming,
    plan: PublishPlan,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<Published, LinkError> {
    let mut senders = Vec::with_capacity(plan.publishers);
    for _ in 0..plan.publishers {
        senders.push(Sender::open(ep, naming).await?);
    }
    let sh = Arc::new(Shared {
        sent: (0..plan.channels).map(|_| AtomicU64::new(0)).collect(),
        plan,
        kind: ep.kind,
        naming: naming.clone(),
        next: AtomicU64::new(0),
        outstanding_expected: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        first_error: Mutex::new(None),
        latency: Mutex::new(Hist::default()),
        stop,
        start: Instant::now(),
        last_answer_us: AtomicU64::new(0),
    });
    let base = progress.received();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|s| tokio::spawn(publisher(Arc::clone(&sh), s, Arc::clone(&progress), base)))
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let sent: Vec<u64> = sh.sent.iter().map(|s| s.load(Relaxed)).collect();
    let expected = sent.iter().zip(&sh.plan.fanout).map(|(s, f)| s * f).sum();
    let send_latency = sh.latency.lock().map(|h| h.clone()).unwrap_or_default();
    let first_error = sh.first_error.lock().ok().and_then(|e| e.clone());
    Ok(Published {
        sent,
        errors: sh.errors.load(Relaxed),
        first_error,
        expected,
        send_latency,
        started: sh.start,
        ended: sh.start + Duration::from_micros(sh.last_answer_us.load(Relaxed)),
    })
}

/// Waits until fewer than the window's deliveries are outstanding (or the run is over).
async fn wait_window(sh: &Shared, progress: &Progress, base: u64, end: Instant) {
    loop {
        let notified = progress.changed.notified();
        let done = progress.received().saturating_sub(base);
        let outstanding = sh.outstanding_expected.load(Relaxed).saturating_sub(done);
        if outstanding < sh.plan.window_deliveries || Instant::now() >= end || sh.stop.load(Relaxed)
        {
            return;
        }
        // The timeout only guards against a stalled system; progress normally wakes us.
        let _ = tokio::time::timeout(Duration::from_millis(20), notified).await;
    }
}

async fn publisher(sh: Arc<Shared>, mut sender: Sender, progress: Arc<Progress>, base: u64) {
    let end = sh.start + sh.plan.duration;
    let channels = sh.plan.channels as u64;
    loop {
        if sh.stop.load(Relaxed) {
            return;
        }
        let k = sh.next.fetch_add(1, Relaxed);
        match sh.plan.rate {
            Rate::PerSec(r) => {
                let due = sh.start + Duration::from_secs_f64(k as f64 / r);
                if due >= end {
                    return;
                }
                tokio::time::sleep_until(due.into()).await;
            }
            Rate::Max => {
                wait_window(&sh, &progress, base, end).await;
                if Instant::now() >= end {
                    return;
                }
            }
        }
        let ch = (k % channels) as usize;
        let fanout = sh.plan.fanout.get(ch).copied().unwrap_or(0);
        sh.outstanding_expected.fetch_add(fanout, Relaxed);
        let payload = marker::payload(
            Marker {
                channel: ch as u32,
                seq: k / channels,
                sent_us: marker::now_us(),
            },
            sh.plan.payload,
        );
        let t = Instant::now();
        let r = sender.send(sh.kind, &sh.naming.channel(ch), payload).await;
        let took = t.elapsed();
        sh.last_answer_us
            .fetch_max(sh.start.elapsed().as_micros() as u64, Relaxed);
        match r {
            Ok(()) => {
                if let Some(s) = sh.sent.get(ch) {
                    s.fetch_add(1, Relaxed);
                }
                if let Ok(mut h) = sh.latency.lock() {
                    h.record(took.as_micros() as u64);
                }
            }
            Err(e) => {
                sh.outstanding_expected.fetch_sub(fanout, Relaxed);
                sh.errors.fetch_add(1, Relaxed);
                if let Ok(mut first) = sh.first_error.lock() {
                    first.get_or_insert(e);
                }
            }
        }
    }
}
