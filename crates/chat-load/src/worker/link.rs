//! One client connection of any system: a TCP stream, a read buffer parsed in place, and the
//! protocol's automatic answers (WebSocket pong, socket.io `3`, NATS `PONG`) queued for the
//! caller to write outside any `select!`, so a cancelled read never cuts a write in half.

use std::ops::Range;
use std::time::Duration;

use bytes::{Buf as _, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::proto::{nats, resp, socketio, ws, ProtoError};

/// Read buffer growth step; also its starting size, which keeps idle clients small.
const READ_CHUNK: usize = 4096;
/// Growth step once a read filled the buffer: a busy client then takes several queued
/// frames per read, as the servers' batched writes allow.
const BUSY_CHUNK: usize = 16 * 1024;

/// Which framing the link speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// WebSocket; `socketio` adds Engine.IO pings inside text frames.
    Ws {
        /// socket.io on top.
        socketio: bool,
    },
    /// RESP (Redis).
    Resp,
    /// NATS.
    Nats,
}

/// Why a link stopped.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Socket error.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection.
    #[error("closed by the server")]
    Closed,
    /// The peer said something unexpected.
    #[error(transparent)]
    Proto(#[from] ProtoError),
    /// Nothing arrived in time during a handshake.
    #[error("timed out during {0}")]
    Timeout(&'static str),
    /// A refused handshake step.
    #[error("{0}")]
    Refused(String),
}

/// One parsed unit: payload data (events, pub/sub messages) or protocol control.
enum Unit {
    Data(Range<usize>),
    Control(Range<usize>),
    Closed,
}

/// An owned unit, for handshakes.
#[derive(Debug)]
pub enum Owned {
    /// Data unit (text frame, pub/sub message).
    Data(Vec<u8>),
    /// Control unit (subscribe confirmation, `PONG`, `INFO`…), raw.
    Control(Vec<u8>),
}

/// A connected client.
pub struct Link {
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    buf: BytesMut,
    wire: Wire,
    pending: Vec<u8>,
    busy: bool,
}

impl Link {
    /// Connects TCP to `addr`.
    pub async fn connect(addr: &str, wire: Wire) -> Result<Self, LinkError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (rd, wr) = stream.into_split();
        Ok(Self {
            rd,
            wr,
            buf: BytesMut::with_capacity(READ_CHUNK),
            wire,
            pending: Vec::new(),
            busy: false,
        })
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.wr.write_all(bytes).await?;
        Ok(())
    }

    /// Sends a WebSocket frame (masked, as a client must).
    pub async fn send_ws(&mut self, opcode: u8, payload: &[u8]) -> Result<(), LinkError> {
        self.write(&ws::client_frame(opcode, payload)).await
    }

    /// Sends an HTTP upgrade and waits for `101`; frames after the head stay buffered.
    pub async fn upgrade(
        &mut self,
        host: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<(), LinkError> {
        self.write(ws::upgrade_request(host, path).as_bytes())
            .await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(n) = ws::parse_upgrade_response(&self.buf)? {
                self.buf.advance(n);
                return Ok(());
            }
            tokio::time::timeout_at(deadline, self.fill())
                .await
                .map_err(|_| LinkError::Timeout("the WebSocket upgrade"))??;
        }
    }

    async fn fill(&mut self) -> Result<(), LinkError> {
        self.buf
            .reserve(if self.busy { BUSY_CHUNK } else { READ_CHUNK });
        let spare = self.buf.capacity() - self.buf.len();
        let n = self.rd.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(LinkError::Closed);
        }
        self.busy = n == spare;
        Ok(())
    }

    fn parse_one(&mut self) -> Result<Option<(Unit, usize)>, LinkError> {
        match self.wire {
            Wire::Ws { socketio } => {
                let Some((frame, n)) = ws::parse_frame(&self.buf)? else {
                    return Ok(None);
                };
                if !frame.fin || frame.opcode == ws::OP_CONT {
                    return Err(ProtoError::new("fragmented frames are not expected").into());
                }
                let unit = match frame.opcode {
                    ws::OP_TEXT | ws::OP_BINARY => {
                        if socketio
                            && socketio::classify(&self.buf[frame.payload.clone()])
                                == socketio::Packet::Ping
                        {
                            self.pending
                                .extend(ws::client_frame(ws::OP_TEXT, socketio::PONG));
                            Unit::Control(frame.payload)
                        } else {
                            Unit::Data(frame.payload)
                        }
                    }
                    ws::OP_PING => {
                        let reply = ws::client_frame(ws::OP_PONG, &self.buf[frame.payload]);
                        self.pending.extend(reply);
                        Unit::Control(0..0)
                    }
                    ws::OP_CLOSE => Unit::Closed,
                    _ => Unit::Control(frame.payload),
                };
                Ok(Some((unit, n)))
            }
            Wire::Resp => {
                let Some((v, n)) = resp::parse(&self.buf)? else {
                    return Ok(None);
                };
                if let resp::Resp::Error(r) = &v {
                    let msg = String::from_utf8_lossy(&self.buf[r.clone()]).into_owned();
                    return Err(LinkError::Refused(msg));
                }
                let unit = match resp::message_payload(&self.buf, &v) {
                    Some(p) => Unit::Data(p),
                    None => Unit::Control(0..n),
                };
                Ok(Some((unit, n)))
            }
            Wire::Nats => {
                let Some((op, n)) = nats::parse(&self.buf)? else {
                    return Ok(None);
                };
                let unit = match op {
                    nats::Op::Msg(p) => Unit::Data(p),
                    nats::Op::Ping => {
                        self.pending.extend_from_slice(b"PONG\r\n");
                        Unit::Control(0..n)
                    }
                    nats::Op::Err(e) => return Err(LinkError::Refused(e)),
                    nats::Op::Info | nats::Op::Pong | nats::Op::Ok => Unit::Control(0..n),
                };
                Ok(Some((unit, n)))
            }
        }
    }

    /// Writes the protocol's queued automatic answers.
    pub async fn flush_pending(&mut self) -> Result<(), LinkError> {
        if !self.pending.is_empty() {
            let out = std::mem::take(&mut self.pending);
            self.wr.write_all(&out).await?;
        }
        Ok(())
    }

    /// The next unit as an owned copy, within `timeout` (handshakes only).
    pub async fn next_owned(
        &mut self,
        timeout: Duration,
        what: &'static str,
    ) -> Result<Owned, LinkError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some((unit, n)) = self.parse_one()? {
                let owned = match unit {
                    Unit::Data(r) => Owned::Data(self.buf[r].to_vec()),
                    Unit::Control(r) => Owned::Control(self.buf[r].to_vec()),
                    Unit::Closed => return Err(LinkError::Closed),
                };
                self.buf.advance(n);
                self.flush_pending().await?;
                return Ok(owned);
            }
            tokio::time::timeout_at(deadline, self.fill())
                .await
                .map_err(|_| LinkError::Timeout(what))??;
        }
    }

    /// Handles every complete unit already buffered: data goes to `on_data`.
    pub fn drain_buffered(&mut self, on_data: &mut impl FnMut(&[u8])) -> Result<(), LinkError> {
        while let Some((unit, n)) = self.parse_one()? {
            match unit {
                Unit::Data(r) => on_data(&self.buf[r]),
                Unit::Control(_) => {}
                Unit::Closed => return Err(LinkError::Closed),
            }
            self.buf.advance(n);
        }
        Ok(())
    }

    /// Reads once, then handles what is complete. Cancel-safe (it only reads); answers
    /// are queued for [`Link::flush_pending`].
    pub async fn recv(&mut self, on_data: &mut impl FnMut(&[u8])) -> Result<(), LinkError> {
        self.fill().await?;
        self.drain_buffered(on_data)
    }
}
