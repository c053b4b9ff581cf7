//! The client side of RFC 6455, just what a load client needs: the upgrade request, frame
//! parsing in place (no copy of the payload), and masked control/text frames to send.
//!
//! Written by hand rather than through tungstenite so that every system's client does the
//! same minimal work per message (find the frame, hand the payload slice over), which keeps
//! the comparison with the peers about the servers, not the client libraries.

use std::ops::Range;

use super::ProtoError;

/// Opcodes we act on.
pub const OP_CONT: u8 = 0x0;
/// Text frame.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Close frame.
pub const OP_CLOSE: u8 = 0x8;
/// Ping frame.
pub const OP_PING: u8 = 0x9;
/// Pong frame.
pub const OP_PONG: u8 = 0xA;

/// The fixed key of our upgrade requests. RFC 6455 wants it random, but it only guards
/// against caching proxies, and there are none on loopback.
const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The HTTP/1.1 upgrade request for `path_and_query` on `host`.
pub fn upgrade_request(host: &str, path_and_query: &str) -> String {
    format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Parses the upgrade response head. `Ok(None)`: incomplete; `Ok(Some(n))`: a `101` head of
/// `n` bytes (frames may follow in the same buffer).
pub fn parse_upgrade_response(buf: &[u8]) -> Result<Option<usize>, ProtoError> {
    let Some(end) = memchr::memmem::find(buf, b"\r\n\r\n") else {
        if buf.len() > 16 * 1024 {
            return Err(ProtoError::new("upgrade response head too long"));
        }
        return Ok(None);
    };
    let head = &buf[..end];
    let status_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line);
    if status.split_whitespace().nth(1) != Some("101") {
        return Err(ProtoError::new(format!(
            "upgrade refused: {}",
            status.trim_end()
        )));
    }
    Ok(Some(end + 4))
}

/// One parsed frame: `payload` indexes the buffer that was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Final fragment.
    pub fin: bool,
    /// Opcode.
    pub opcode: u8,
    /// Payload position in the parsed buffer.
    pub payload: Range<usize>,
}

/// Parses one frame at the start of `buf`: `Ok(None)` if it is not complete yet, else the
/// frame and the bytes it took. Server frames are unmasked; a masked one is refused, since
/// unmasking would need a copy and no server we drive sends them.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, ProtoError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let fin = buf[0] & 0x80 != 0;
    let opcode = buf[0] & 0x0F;
    if buf[1] & 0x80 != 0 {
        return Err(ProtoError::new("masked frame from the server"));
    }
    let (len, head) = match buf[1] & 0x7F {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b), 10)
        }
        n => (u64::from(n), 2),
    };
    let len = usize::try_from(len).map_err(|_| ProtoError::new("frame too large"))?;
    let total = head + len;
    if buf.len() < total {
        return Ok(None);
    }
    Ok(Some((
        Frame {
            fin,
            opcode,
            payload: head..total,
        },
        total,
    )))
}

/// A masked client frame (clients must mask, RFC 6455 §5.3). The mask is fixed: it exists
/// to defeat cache poisoning through proxies, and loopback has none.
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | (opcode & 0x0F));
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => out.push(n as u8),
            n if n <= 65535 => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn parses_the_three_length_forms_and_waits_for_more() {
        for len in [0usize, 5, 125, 126, 1000, 65535, 70000] {
            let payload = vec![b'x'; len];
            let bytes = server_frame(OP_TEXT, &payload);
            for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
                if cut < bytes.len() {
                    assert_eq!(
                        parse_frame(&bytes[..cut]).ok(),
                        Some(None),
                        "len {len} cut {cut}"
                    );
                }
            }
            let (frame, used) = parse_frame(&bytes).ok().flatten().unwrap_or_else(|| {
                panic!("len {len}: no frame");
            });
            assert_eq!(used, bytes.len());
            assert!(frame.fin);
            assert_eq!(frame.opcode, OP_TEXT);
            assert_eq!(&bytes[frame.payload], &payload[..]);
        }
    }

    #[test]
    fn two_frames_in_one_buffer_parse_one_after_the_other() {
        let mut bytes = server_frame(OP_TEXT, b"hello");
        bytes.extend(server_frame(OP_PING, b"p"));
        let (a, n) = parse_frame(&bytes)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("a"));
        assert_eq!(&bytes[a.payload], b"hello");
        let (b, m) = parse_frame(&bytes[n..])
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("b"));
        assert_eq!(b.opcode, OP_PING);
        assert_eq!(n + m, bytes.len());
    }

    #[test]
    fn client_frames_are_masked_and_unmask_to_the_payload() {
        let f = client_frame(OP_TEXT, b"3");
        assert_eq!(f[0], 0x81);
        assert_eq!(f[1], 0x81);
        let mask = [f[2], f[3], f[4], f[5]];
        assert_eq!(f[6] ^ mask[0], b'3');
        let big = client_frame(OP_BINARY, &[7u8; 300]);
        assert_eq!(big[1], 0x80 | 126);
        assert_eq!(u16::from_be_bytes([big[2], big[3]]), 300);
    }

    #[test]
    fn upgrade_response_needs_101() {
        let ok = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00";
        assert_eq!(parse_upgrade_response(ok).ok(), Some(Some(ok.len() - 2)));
        assert_eq!(parse_upgrade_response(b"HTTP/1.1 101 Swi").ok(), Some(None));
        assert!(parse_upgrade_response(b"HTTP/1.1 401 Unauthorized\r\n\r\n").is_err());
    }

    #[test]
    fn masked_server_frames_are_refused() {
        assert!(parse_frame(&[0x81, 0x81, 1, 2, 3, 4, 5]).is_err());
    }
}
