//! The NATS client protocol (text ops over TCP), as far as a subscriber and a publisher
//! need it, parsed in place.

use std::ops::Range;

use super::ProtoError;

/// One server op; ranges index the parsed buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `INFO {json}`.
    Info,
    /// `MSG <subject> <sid> [reply-to] <#bytes>` and its payload.
    Msg(Range<usize>),
    /// `PING` (answer with `PONG`).
    Ping,
    /// `PONG`.
    Pong,
    /// `+OK`.
    Ok,
    /// `-ERR '…'`.
    Err(String),
}

/// The `CONNECT` line sent after the server's `INFO`: no `+OK` per op, no headers.
pub const CONNECT: &[u8] =
    b"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,\"protocol\":1,\"name\":\"chat-load\"}\r\n";

/// `SUB <subject> <sid>`.
pub fn sub(subject: &str, sid: u64) -> Vec<u8> {
    format!("SUB {subject} {sid}\r\n").into_bytes()
}

/// `PUB <subject> <#bytes>` with its payload.
pub fn publish(subject: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("PUB {subject} {}\r\n", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

/// Parses one op at the start of `buf`: `Ok(None)` while incomplete.
pub fn parse(buf: &[u8]) -> Result<Option<(Op, usize)>, ProtoError> {
    let Some(eol) = memchr::memmem::find(buf, b"\r\n") else {
        if buf.len() > 64 * 1024 {
            return Err(ProtoError::new("NATS control line too long"));
        }
        return Ok(None);
    };
    let line = &buf[..eol];
    let after = eol + 2;
    let word_end = memchr::memchr(b' ', line).unwrap_or(line.len());
    match &line[..word_end] {
        b"MSG" => {
            let len = line
                .rsplit(|b| *b == b' ')
                .next()
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| ProtoError::new("bad MSG line"))?;
            if buf.len() < after + len + 2 {
                return Ok(None);
            }
            Ok(Some((Op::Msg(after..after + len), after + len + 2)))
        }
        b"PING" => Ok(Some((Op::Ping, after))),
        b"PONG" => Ok(Some((Op::Pong, after))),
        b"+OK" => Ok(Some((Op::Ok, after))),
        b"INFO" => Ok(Some((Op::Info, after))),
        b"-ERR" => Ok(Some((
            Op::Err(String::from_utf8_lossy(line).into_owned()),
            after,
        ))),
        other => Err(ProtoError::new(format!(
            "unexpected NATS op {:?}",
            String::from_utf8_lossy(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_with_payload_and_reply_subject() {
        let bytes = b"MSG c.1 7 5\r\nhello\r\nMSG c.1 7 _INBOX.x 2\r\nhi\r\nPING\r\n";
        let (op, n) = parse(bytes).unwrap().unwrap();
        let Op::Msg(r) = op else { panic!("{op:?}") };
        assert_eq!(&bytes[r], b"hello");
        let (op, m) = parse(&bytes[n..]).unwrap().unwrap();
        let Op::Msg(r) = op else { panic!("{op:?}") };
        assert_eq!(&bytes[n..][r], b"hi");
        assert_eq!(parse(&bytes[n + m..]).unwrap(), Some((Op::Ping, 6)));
    }

    #[test]
    fn incomplete_payload_waits() {
        assert_eq!(parse(b"MSG c 1 5\r\nhel").unwrap(), None);
        assert_eq!(parse(b"MSG c 1 5\r\nhello").unwrap(), None);
        assert_eq!(parse(b"PI").unwrap(), None);
    }

    #[test]
    fn info_err_and_encoding() {
        assert_eq!(parse(b"INFO {}\r\n").unwrap(), Some((Op::Info, 9)));
        assert!(matches!(
            parse(b"-ERR 'x'\r\n").unwrap(),
            Some((Op::Err(_), 10))
        ));
        assert!(parse(b"WHAT\r\n").is_err());
        assert_eq!(publish("s", b"ab"), b"PUB s 2\r\nab\r\n".to_vec());
        assert_eq!(sub("s", 3), b"SUB s 3\r\n".to_vec());
    }
}
