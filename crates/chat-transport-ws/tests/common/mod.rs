//! Test harness: a TCP listener on port 0 doing a minimal server-side upgrade by hand (as the
//! real server does with hyper) and handing the raw stream to `serve_socket`, plus a handler
//! that records callbacks on channels so tests wait on events instead of sleeping.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chat_core::ids::{Cid, ConnectionId, UserId};
use chat_transport_ws::{
    derive_accept_key, reject_socket, serve_socket, Registry, SocketHandler, TransportConfig,
};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub fn conn(id: &str) -> ConnectionId {
    ConnectionId::new_unchecked(id)
}

pub fn user(id: &str) -> UserId {
    UserId::new_unchecked(id)
}

pub fn cid(id: &str) -> Cid {
    Cid::parse(&format!("messaging:{id}")).unwrap()
}

/// What the handler saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    Text(ConnectionId, UserId, String),
    Close(ConnectionId, UserId, Vec<Cid>),
}

pub struct Recorder {
    events: mpsc::UnboundedSender<Event>,
}

impl SocketHandler for Recorder {
    fn on_text(&self, conn: &ConnectionId, user: &UserId, text: &str) {
        let _ = self
            .events
            .send(Event::Text(conn.clone(), user.clone(), text.to_owned()));
    }

    fn on_close(&self, conn: &ConnectionId, user: &UserId, mut watched: Vec<Cid>) {
        watched.sort();
        let _ = self
            .events
            .send(Event::Close(conn.clone(), user.clone(), watched));
    }

    fn health_frame(&self, conn: &ConnectionId, _user: &UserId) -> Bytes {
        health(conn.as_str()).into()
    }
}

pub fn health(conn: &str) -> String {
    format!(r#"{{"type":"health.check","connection_id":"{conn}"}}"#)
}

pub fn first(conn: &str) -> String {
    format!(r#"{{"type":"health.check","connection_id":"{conn}","me":{{}}}}"#)
}

pub struct Server {
    pub addr: std::net::SocketAddr,
    pub registry: Arc<Registry>,
    pub events: mpsc::UnboundedReceiver<Event>,
    tasks: Arc<Mutex<HashMap<String, JoinHandle<()>>>>,
}

impl Server {
    /// Serves `ws://addr/{conn}/{user}`; `ws://addr/reject` gets `reject_socket`.
    pub async fn start(config: TransportConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let registry = Registry::new();
        let (tx, events) = mpsc::unbounded_channel();
        let handler: Arc<dyn SocketHandler> = Arc::new(Recorder { events: tx });
        let tasks = Arc::new(Mutex::new(HashMap::new()));
        let (r, t) = (registry.clone(), tasks.clone());
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let path = upgrade(&mut stream).await;
                let (registry, handler, config) = (r.clone(), handler.clone(), config.clone());
                if path == "reject" {
                    tokio::spawn(async move {
                        let payload = Bytes::from_static(br#"{"type":"connection.error"}"#);
                        reject_socket(stream, payload, &config).await;
                    });
                    continue;
                }
                let (c, u) = path.split_once('/').unwrap();
                let (c, u) = (c.to_owned(), u.to_owned());
                let task = tokio::spawn(serve_socket(
                    stream,
                    conn(&c),
                    user(&u),
                    first(&c).into(),
                    registry,
                    handler,
                    config,
                ));
                t.lock().unwrap().insert(c, task);
            }
        });
        Self {
            addr,
            registry,
            events,
            tasks,
        }
    }

    pub async fn connect(&self, conn: &str, user: &str) -> Client {
        let (ws, _) = connect_async(format!("ws://{}/{conn}/{user}", self.addr))
            .await
            .unwrap();
        ws
    }

    /// Connects and reads the first frame, after which the socket is registered.
    pub async fn connect_ready(&self, conn: &str, user: &str) -> Client {
        let mut ws = self.connect(conn, user).await;
        assert_eq!(next_text(&mut ws).await, first(conn));
        ws
    }

    pub async fn next_event(&mut self) -> Event {
        self.events.recv().await.unwrap()
    }

    /// Waits for the on_close of `conn` (skipping text events).
    pub async fn closed(&mut self, id: &str) -> Vec<Cid> {
        loop {
            match self.next_event().await {
                Event::Close(c, _, watched) if c == conn(id) => return watched,
                _ => {}
            }
        }
    }

    /// Cancels the task serving `conn`.
    pub fn abort(&self, id: &str) {
        self.tasks.lock().unwrap().get(id).unwrap().abort();
    }
}

/// Reads the HTTP upgrade request and answers 101; returns the path without its leading '/'.
async fn upgrade(stream: &mut TcpStream) -> String {
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    // The client sends nothing after the request until it sees the 101, so reading up to the
    // blank line never swallows WebSocket bytes.
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client hung up during the handshake");
        request.extend_from_slice(&chunk[..n]);
    }
    let request = String::from_utf8(request).unwrap();
    let path = request
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_start_matches('/')
        .to_owned();
    let key = request
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        })
        .unwrap();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    path
}

/// The next message, which must be text.
pub async fn next_text(ws: &mut Client) -> String {
    match ws.next().await {
        Some(Ok(Message::Text(text))) => text.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Reads until the close frame and returns its code (texts before it are returned too).
pub async fn read_until_close(ws: &mut Client) -> (Vec<String>, Option<CloseCode>) {
    let mut texts = Vec::new();
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => texts.push(text.to_string()),
            Some(Ok(Message::Close(frame))) => {
                // Keep reading so tungstenite sends the close reply and the server, which
                // waits for it, finishes the handshake.
                while let Some(Ok(_)) = ws.next().await {}
                return (texts, frame.map(|f| f.code));
            }
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(err)) => panic!("read failed before the close frame: {err}"),
            None => panic!("stream ended without a close frame"),
        }
    }
}

/// Yields until `cond` holds: lets the server task run without guessing a delay.
pub async fn wait_until(mut cond: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never became true");
}
