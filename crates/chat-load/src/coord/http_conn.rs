//! One keep-alive HTTP/1.1 connection of a publisher (see [`crate::proto::http1`]).

use bytes::{Buf as _, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::proto::http1::{self, Body};

/// A connection, opened on first use and again after any failure.
pub struct HttpConn {
    addr: String,
    stream: Option<TcpStream>,
    buf: BytesMut,
}

impl HttpConn {
    /// A connection to `addr` (`host:port`).
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            stream: None,
            buf: BytesMut::with_capacity(8192),
        }
    }

    /// Sends `request` and reads the response: status and body. A failed exchange drops
    /// the connection and is not retried (a retried POST could send a message twice).
    pub async fn roundtrip(&mut self, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let r = self.exchange(request).await;
        if r.is_err() {
            self.stream = None;
            self.buf.clear();
        }
        r
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", self.addr))?;
            s.set_nodelay(true).map_err(|e| e.to_string())?;
            self.stream = Some(s);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err("no connection".into());
        };
        stream.write_all(request).await.map_err(|e| e.to_string())?;
        let head = loop {
            if let Some(h) = http1::parse_head(&self.buf).map_err(|e| e.to_string())? {
                break h;
            }
            read_more(stream, &mut self.buf).await?;
        };
        self.buf.advance(head.len);
        let body = match head.body {
            Body::Length(n) => {
                while self.buf.len() < n {
                    read_more(stream, &mut self.buf).await?;
                }
                self.buf.split_to(n).to_vec()
            }
            Body::Chunked => loop {
                if let Some((body, used)) =
                    http1::parse_chunked(&self.buf).map_err(|e| e.to_string())?
                {
                    self.buf.advance(used);
                    break body;
                }
                read_more(stream, &mut self.buf).await?;
            },
        };
        Ok((head.status, body))
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<(), String> {
    buf.reserve(8192);
    match stream.read_buf(buf).await {
        Ok(0) => Err("connection closed by the server".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}
