//! One socket's life on an already-upgraded connection: register, write the first frame,
//! then run the writer (queue → batched writes), the reader (heartbeats, idle timeout,
//! inbound text) and the close signal side by side in one task; on exit deregister, close the
//! WebSocket within a bounded time and report to the handler.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chat_core::ids::{Cid, ConnectionId, UserId};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use metrics::Counter;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::config::TransportConfig;
use crate::control::{CloseRequest, Control};
use crate::frame::Frame;
use crate::handler::SocketHandler;
use crate::registry::Registry;

/// How long a graceful close may take: flushing the backlog after `close`/`close_all`, and
/// waiting for the client's close reply. Bounded so that shutdown cannot hang on a dead peer.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long we try to deliver a close frame to a client we are dropping (slow, idle or
/// misbehaving); such a client is usually not reading, so we do not wait for a reply.
pub const ABORT_TIMEOUT: Duration = Duration::from_secs(1);

type Sink<S> = SplitSink<WebSocketStream<S>, Message>;
type Source<S> = SplitStream<WebSocketStream<S>>;

/// Why the socket loop ended; decides how the WebSocket is closed.
#[derive(Debug)]
enum Exit {
    /// The client sent a close frame (tungstenite queued the reply).
    ClientClosed,
    /// The connection ended or failed; nothing more can be sent.
    Gone,
    /// An inbound message exceeded `max_message_size`.
    TooBig,
    /// No inbound frame for `idle_timeout`.
    Idle,
    /// `close`/`close_all`: the writer flushed the backlog and sent our close frame.
    ClosedByUs,
    /// A durable frame did not fit in the queue.
    SlowConsumer,
    /// A graceful close did not finish within [`CLOSE_TIMEOUT`].
    DrainTimeout,
}

/// Runs one socket to completion on an already-upgraded IO (server side; the HTTP handshake
/// is done by the caller).
///
/// Registers the connection before anything else can see it, with `first_frame` already at
/// the head of its queue, so events published as soon as the connection is visible are
/// delivered after it. Then, until the client closes, the IO fails, the idle timeout expires,
/// or [`Registry::close`] / [`Registry::close_all`] / the full-queue policy asks it to stop:
/// writes queued frames in batches (one flush per batch of up to `max_batch`), answers pings
/// (tungstenite does) and client `health.check` frames, forwards other text to
/// [`SocketHandler::on_text`], and queues [`SocketHandler::health_frame`] every
/// `health_interval`. On exit it deregisters the connection, closes the WebSocket (bounded by
/// [`CLOSE_TIMEOUT`]) and calls [`SocketHandler::on_close`] once.
///
/// A `conn` that is already registered is refused (close code 1011) without callbacks.
pub async fn serve_socket<S>(
    io: S,
    conn: ConnectionId,
    user: UserId,
    first_frame: Bytes,
    registry: Arc<Registry>,
    handler: Arc<dyn SocketHandler>,
    config: TransportConfig,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Declared first so it is dropped last: `drained()` resolves only after `on_close`.
    let _live = registry.task_guard();
    let ws =
        WebSocketStream::from_raw_socket(io, Role::Server, Some(config.websocket_config())).await;
    let (tx, mut rx) = mpsc::channel(config.capacity());
    // The channel is fresh and has room; queueing before registering makes the first frame
    // the head of the queue before any publisher can reach the sender.
    if tx.try_send(Frame::durable(first_frame)).is_err() {
        return;
    }
    let Some(control) = registry.register(&conn, &user, tx.clone()) else {
        tracing::warn!(connection = %conn, "refusing socket: connection id already registered");
        let (mut sink, _) = ws.split();
        send_close(&mut sink, CloseCode::Error, "duplicate connection id").await;
        return;
    };
    tracing::debug!(connection = %conn, user = %user, "socket open");
    let mut session = Session {
        registry,
        handler,
        conn,
        user,
        watched: None,
        reported: false,
    };
    let (mut sink, mut stream) = ws.split();

    let exit = tokio::select! {
        biased;
        _ = control.wait_for(CloseRequest::SlowConsumer) => Exit::SlowConsumer,
        exit = write_loop(&mut sink, &mut rx, &control, config.batch()) => exit,
        exit = read_loop(&mut stream, &tx, &session, &config) => exit,
        () = drain_deadline(&control) => Exit::DrainTimeout,
    };
    tracing::debug!(connection = %session.conn, ?exit, "socket closing");

    // Stop fan-out to this socket first, then free its backlog, then close the WebSocket.
    session.deregister();
    drop(rx);
    finish(exit, &mut sink, &mut stream).await;
    session.report();
}

/// Sends one text frame (e.g. a `connection.error` JSON), then closes with 1000 and waits
/// (bounded by [`CLOSE_TIMEOUT`]) for the client's reply. For failures after the upgrade:
/// browsers cannot read the body of a refused upgrade, so a frame is the only way to deliver
/// an error code.
pub async fn reject_socket<S>(io: S, payload: Bytes, config: &TransportConfig)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws =
        WebSocketStream::from_raw_socket(io, Role::Server, Some(config.websocket_config())).await;
    let (mut sink, mut stream) = ws.split();
    // Validated here (once, off the hot path) rather than trusted like fan-out frames.
    let text = match Utf8Bytes::try_from(payload.clone()) {
        Ok(text) => text,
        Err(err) => {
            tracing::warn!(%err, "reject payload is not UTF-8; sending it lossily");
            Utf8Bytes::from(String::from_utf8_lossy(&payload).into_owned())
        }
    };
    let closing = async {
        sink.send(Message::Text(text)).await?;
        sink.send(close_message(CloseCode::Normal, "")).await?;
        // Wait for the close reply so the server, not the client, ends the TCP connection.
        while let Some(Ok(_)) = stream.next().await {}
        Ok::<(), WsError>(())
    };
    if let Ok(Err(err)) = timeout(CLOSE_TIMEOUT, closing).await {
        tracing::debug!(%err, "rejecting socket failed");
    }
}

/// Writes queued frames until the connection is asked to close; on a graceful request,
/// writes what is already queued, then the close frame.
async fn write_loop<S>(
    sink: &mut Sink<S>,
    rx: &mut mpsc::Receiver<Frame>,
    control: &Control,
    batch: usize,
) -> Exit
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Handles are resolved once per socket, not per frame.
    let counters = Counters {
        sent: metrics::counter!("chat_ws_frames_sent_total"),
        flushes: metrics::counter!("chat_ws_flushes_total"),
    };
    while control.get() == CloseRequest::Open {
        let first = tokio::select! {
            biased;
            frame = rx.recv() => frame,
            _ = control.wait_for(CloseRequest::Normal) => break,
        };
        // `None` cannot happen while the reader holds a sender; treat it as the end anyway.
        let Some(first) = first else {
            return Exit::Gone;
        };
        if write_batch(sink, first, rx, batch, &counters)
            .await
            .is_err()
        {
            return Exit::Gone;
        }
    }
    let request = control.get();
    if !request.is_graceful() {
        // Slow consumer: the caller's close-signal branch ends the socket; do not race it.
        return std::future::pending().await;
    }
    // Senders are refused once the request is set, so this drain terminates.
    while let Ok(first) = rx.try_recv() {
        if write_batch(sink, first, rx, batch, &counters)
            .await
            .is_err()
        {
            return Exit::Gone;
        }
    }
    let (code, reason) = request.close_code();
    match sink.send(close_message(code, reason)).await {
        Ok(()) => Exit::ClosedByUs,
        Err(_) => Exit::Gone,
    }
}

struct Counters {
    sent: Counter,
    flushes: Counter,
}

/// Feeds `first` and up to `batch - 1` already-queued frames, then flushes once: one
/// `write()` for the whole batch instead of one per frame.
async fn write_batch<S>(
    sink: &mut Sink<S>,
    first: Frame,
    rx: &mut mpsc::Receiver<Frame>,
    batch: usize,
    counters: &Counters,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    sink.feed(first.into_message()).await?;
    let mut written = 1;
    while written < batch {
        let Ok(frame) = rx.try_recv() else { break };
        sink.feed(frame.into_message()).await?;
        written += 1;
    }
    sink.flush().await?;
    counters.sent.increment(written as u64);
    counters.flushes.increment(1);
    Ok(())
}

/// Reads inbound frames and drives the timers (periodic health check, idle timeout) with a
/// single lazily re-armed sleep, so an inbound frame costs no timer operation.
async fn read_loop<S>(
    stream: &mut Source<S>,
    tx: &mpsc::Sender<Frame>,
    session: &Session,
    config: &TransportConfig,
) -> Exit
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let health_every = nonzero(config.health_interval);
    let idle_after = nonzero(config.idle_timeout);
    let mut last_inbound = Instant::now();
    let mut next_health = health_every.map(|every| last_inbound + every);
    let next_deadline = |last_inbound: Instant, next_health: Option<Instant>| {
        let idle = idle_after.map(|idle| last_inbound + idle);
        match (idle, next_health) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    };
    let mut deadline = next_deadline(last_inbound, next_health);
    let timer = sleep_until(deadline.unwrap_or(last_inbound));
    tokio::pin!(timer);

    loop {
        tokio::select! {
            message = stream.next() => {
                let message = match message {
                    Some(Ok(message)) => message,
                    Some(Err(WsError::Capacity(err))) => {
                        tracing::debug!(connection = %session.conn, %err, "inbound message too big");
                        return Exit::TooBig;
                    }
                    Some(Err(err)) => {
                        tracing::debug!(connection = %session.conn, %err, "socket read failed");
                        return Exit::Gone;
                    }
                    None => return Exit::Gone,
                };
                last_inbound = Instant::now();
                match message {
                    Message::Text(text) if is_health_check(&text) => session.queue_health(tx),
                    Message::Text(text) => {
                        session.handler.on_text(&session.conn, &session.user, &text);
                    }
                    Message::Close(_) => return Exit::ClientClosed,
                    // Pings are answered by tungstenite; binary frames are not part of the
                    // protocol; all of them still count as signs of life.
                    Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            }
            () = &mut timer, if deadline.is_some() => {
                let now = Instant::now();
                if idle_after.is_some_and(|idle| now >= last_inbound + idle) {
                    return Exit::Idle;
                }
                if let (Some(at), Some(every)) = (next_health, health_every) {
                    if now >= at {
                        session.queue_health(tx);
                        next_health = Some(now + every);
                    }
                }
                deadline = next_deadline(last_inbound, next_health);
                if let Some(at) = deadline {
                    timer.as_mut().reset(at);
                }
            }
        }
    }
}

/// Resolves [`CLOSE_TIMEOUT`] after a graceful close was requested.
async fn drain_deadline(control: &Control) {
    control.wait_for(CloseRequest::Normal).await;
    tokio::time::sleep(CLOSE_TIMEOUT).await;
}

/// Closes the WebSocket according to why the loop ended; every wait is bounded.
async fn finish<S>(exit: Exit, sink: &mut Sink<S>, stream: &mut Source<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match exit {
        // Flush the close reply tungstenite queued.
        Exit::ClientClosed => {
            let _ = timeout(CLOSE_TIMEOUT, sink.close()).await;
        }
        // Our close frame is out; wait for the reply so the server ends the TCP connection.
        Exit::ClosedByUs => {
            let _ = timeout(CLOSE_TIMEOUT, async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        }
        Exit::Idle => send_close(sink, CloseCode::Normal, "idle timeout").await,
        Exit::TooBig => send_close(sink, CloseCode::Size, "message too big").await,
        Exit::SlowConsumer => {
            let (code, reason) = CloseRequest::SlowConsumer.close_code();
            send_close(sink, code, reason).await;
        }
        Exit::DrainTimeout | Exit::Gone => {}
    }
}

/// Tries to deliver a close frame within [`ABORT_TIMEOUT`]; the peer's reply is not awaited.
async fn send_close<S>(sink: &mut Sink<S>, code: CloseCode, reason: &'static str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = timeout(ABORT_TIMEOUT, sink.send(close_message(code, reason))).await;
}

fn close_message(code: CloseCode, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// The client heartbeat is `{"type":"health.check",…}`; a substring test avoids parsing JSON
/// in the transport (clients send no other frames mentioning it).
fn is_health_check(text: &str) -> bool {
    text.contains("\"health.check\"")
}

fn nonzero(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

/// A registered socket's identity and its exactly-once cleanup: deregistration and
/// `on_close` also happen if the task is cancelled mid-way (runtime shutdown, abort).
struct Session {
    registry: Arc<Registry>,
    handler: Arc<dyn SocketHandler>,
    conn: ConnectionId,
    user: UserId,
    /// `Some` once deregistered: the cids the socket watched.
    watched: Option<Vec<Cid>>,
    reported: bool,
}

impl Session {
    fn queue_health(&self, tx: &mpsc::Sender<Frame>) {
        let payload = self.handler.health_frame(&self.conn, &self.user);
        // A full queue means the client is receiving data anyway; the heartbeat can go.
        if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(Frame::droppable(payload)) {
            metrics::counter!("chat_ws_frames_dropped_total").increment(1);
        }
    }

    fn deregister(&mut self) {
        if self.watched.is_none() {
            self.watched = Some(self.registry.deregister(&self.conn).unwrap_or_default());
        }
    }

    fn report(&mut self) {
        if self.reported {
            return;
        }
        self.deregister();
        self.reported = true;
        let watched = self.watched.take().unwrap_or_default();
        tracing::debug!(connection = %self.conn, user = %self.user, "socket closed");
        self.handler.on_close(&self.conn, &self.user, watched);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.report();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_check_detection_is_a_cheap_substring_test() {
        assert!(is_health_check(
            r#"{"type":"health.check","client_id":"x"}"#
        ));
        assert!(is_health_check(r#"{ "type" : "health.check" }"#));
        assert!(!is_health_check(r#"{"type":"typing.start"}"#));
        assert!(!is_health_check("health.check"));
    }

    #[test]
    fn zero_durations_disable_timers() {
        assert_eq!(nonzero(Duration::ZERO), None);
        assert_eq!(
            nonzero(Duration::from_secs(1)),
            Some(Duration::from_secs(1))
        );
    }
}
