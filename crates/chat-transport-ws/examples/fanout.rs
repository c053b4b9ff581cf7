//! Rough fan-out throughput check: N loopback sockets watch one room, a publisher queues M
//! events to every watcher through the registry, raw TCP clients count the bytes.
//!
//! `cargo run --release -p chat-transport-ws --example fanout -- [sockets] [events] [payload]`
//! Clients run in the same process and on the same cores, so treat the figure as a floor.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_core::ids::{Cid, ConnectionId, UserId};
use chat_transport_ws::{
    derive_accept_key, serve_socket, Frame, Registry, SendOutcome, SocketHandler, TransportConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Quiet;

impl SocketHandler for Quiet {
    fn on_text(&self, _: &ConnectionId, _: &UserId, _: &str) {}
    fn on_close(&self, _: &ConnectionId, _: &UserId, _: Vec<Cid>) {}
    fn health_frame(&self, _: &ConnectionId, _: &UserId) -> Bytes {
        Bytes::from_static(br#"{"type":"health.check"}"#)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let sockets = args.next().transpose()?.unwrap_or(2_000);
    let events = args.next().transpose()?.unwrap_or(500);
    let payload = args.next().transpose()?.unwrap_or(64).min(125);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let registry = Registry::new();
    let handler: Arc<dyn SocketHandler> = Arc::new(Quiet);
    let room = Cid::parse("messaging:room")?;
    let first = Bytes::from_static(b"{}");

    let accept = {
        let registry = registry.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while let Ok((mut stream, _)) = listener.accept().await {
                let key = read_key(&mut stream).await?;
                let response = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                    derive_accept_key(key.as_bytes())
                );
                stream.write_all(response.as_bytes()).await?;
                let conn = ConnectionId::new_unchecked(format!("c{i}"));
                let user = UserId::new_unchecked(format!("u{i}"));
                i += 1;
                tokio::spawn(serve_socket(
                    stream,
                    conn,
                    user,
                    first.clone(),
                    registry.clone(),
                    handler.clone(),
                    TransportConfig::default(),
                ));
            }
            Ok::<(), BoxError>(())
        })
    };

    // Raw clients: a fixed request, then count bytes (frames are fixed size: 2-byte header).
    let received = Arc::new(AtomicU64::new(0));
    let frame_len = (payload + 2) as u64;
    let expected = (events as u64 * frame_len + 4) * sockets as u64; // + first frame "{}"
    for i in 0..sockets {
        let mut stream = TcpStream::connect(addr).await?;
        stream
            .write_all(
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            )
            .await?;
        let mut response = Vec::new();
        let mut byte = [0u8; 1];
        while !response.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).await?;
            response.push(byte[0]);
        }
        let received = received.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                received.fetch_add(n as u64, Ordering::Relaxed);
            }
        });
        let conn = ConnectionId::new_unchecked(format!("c{i}"));
        while !registry.watch(&conn, &room) {
            tokio::task::yield_now().await;
        }
    }

    let body = Bytes::from(format!("\"{}\"", "x".repeat(payload - 2)));
    let start = Instant::now();
    let mut closed = 0;
    for _ in 0..events {
        let frame = Frame::durable(body.clone());
        for handle in registry.watcher_snapshot(&room).iter() {
            if handle.send(frame.clone()) == SendOutcome::Closed {
                closed += 1;
            }
        }
        tokio::task::yield_now().await;
    }
    while received.load(Ordering::Relaxed) < expected && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = start.elapsed();
    let deliveries = (events * sockets) as f64;
    println!(
        "{sockets} sockets × {events} events ({payload} B): {:.0} deliveries/s, {:?}, \
         slow-consumer closes {closed}, bytes {}/{expected}",
        deliveries / elapsed.as_secs_f64(),
        elapsed,
        received.load(Ordering::Relaxed),
    );
    registry.close_all();
    accept.abort();
    Ok(())
}

async fn read_key(stream: &mut TcpStream) -> Result<String, BoxError> {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await?;
        request.push(byte[0]);
    }
    let request = String::from_utf8(request)?;
    request
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| "no key".into())
}
