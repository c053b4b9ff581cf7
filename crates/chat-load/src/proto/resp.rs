//! RESP2, the Redis protocol, as far as a pub/sub client needs it: commands out, and replies
//! and `message` pushes in, parsed in place.

use std::ops::Range;

use super::ProtoError;

/// One RESP value; byte ranges index the parsed buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    /// `+OK`.
    Simple(Range<usize>),
    /// `-ERR …`.
    Error(Range<usize>),
    /// `:n`.
    Int(i64),
    /// `$n` bulk string (`None` for the null bulk).
    Bulk(Option<Range<usize>>),
    /// `*n` array.
    Array(Vec<Resp>),
}

/// A command as a RESP array of bulk strings.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn line(buf: &[u8], from: usize) -> Option<(Range<usize>, usize)> {
    let rel = memchr::memmem::find(&buf[from..], b"\r\n")?;
    Some((from..from + rel, from + rel + 2))
}

fn int(buf: &[u8], r: Range<usize>) -> Result<i64, ProtoError> {
    std::str::from_utf8(&buf[r])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ProtoError::new("bad RESP integer"))
}

fn value(buf: &[u8], at: usize) -> Result<Option<(Resp, usize)>, ProtoError> {
    if at >= buf.len() {
        return Ok(None);
    }
    let Some((l, next)) = line(buf, at + 1) else {
        return Ok(None);
    };
    match buf[at] {
        b'+' => Ok(Some((Resp::Simple(l), next))),
        b'-' => Ok(Some((Resp::Error(l), next))),
        b':' => Ok(Some((Resp::Int(int(buf, l)?), next))),
        b'$' => {
            let n = int(buf, l)?;
            if n < 0 {
                return Ok(Some((Resp::Bulk(None), next)));
            }
            let end = next + n as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            Ok(Some((Resp::Bulk(Some(next..end)), end + 2)))
        }
        b'*' => {
            let n = int(buf, l)?;
            let mut items = Vec::with_capacity(n.max(0) as usize);
            let mut pos = next;
            for _ in 0..n.max(0) {
                match value(buf, pos)? {
                    Some((v, p)) => {
                        items.push(v);
                        pos = p;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Resp::Array(items), pos)))
        }
        other => Err(ProtoError::new(format!(
            "unexpected RESP type byte {:?}",
            other as char
        ))),
    }
}

/// Parses one value at the start of `buf`: `Ok(None)` while incomplete.
pub fn parse(buf: &[u8]) -> Result<Option<(Resp, usize)>, ProtoError> {
    value(buf, 0)
}

/// The payload of a `message` push (`["message", channel, payload]`), if `v` is one.
pub fn message_payload(buf: &[u8], v: &Resp) -> Option<Range<usize>> {
    let Resp::Array(items) = v else { return None };
    match items.as_slice() {
        [Resp::Bulk(Some(kind)), Resp::Bulk(Some(_)), Resp::Bulk(Some(payload))]
            if &buf[kind.clone()] == b"message" =>
        {
            Some(payload.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_push_yields_its_payload_and_waits_when_cut() {
        let bytes = b"*3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$5\r\nhello\r\n:1\r\n";
        for cut in 1..36 {
            assert_eq!(parse(&bytes[..cut]).unwrap(), None, "cut {cut}");
        }
        let (v, n) = parse(bytes).unwrap().unwrap();
        assert_eq!(n, 36);
        let p = message_payload(bytes, &v).unwrap();
        assert_eq!(&bytes[p], b"hello");
        let (v2, m) = parse(&bytes[n..]).unwrap().unwrap();
        assert_eq!(v2, Resp::Int(1));
        assert_eq!(n + m, bytes.len());
    }

    #[test]
    fn subscribe_confirmation_is_not_a_message() {
        let bytes = b"*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n";
        let (v, _) = parse(bytes).unwrap().unwrap();
        assert_eq!(message_payload(bytes, &v), None);
        assert!(matches!(v, Resp::Array(ref a) if a.len() == 3));
    }

    #[test]
    fn commands_encode_as_bulk_arrays() {
        assert_eq!(
            command(&[b"PUBLISH", b"c", b"xy"]),
            b"*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$2\r\nxy\r\n".to_vec()
        );
    }

    #[test]
    fn errors_and_nulls() {
        let (v, _) = parse(b"-ERR no\r\n").unwrap().unwrap();
        assert_eq!(v, Resp::Error(1..7));
        let (v, _) = parse(b"$-1\r\n").unwrap().unwrap();
        assert_eq!(v, Resp::Bulk(None));
        assert!(parse(b"?x\r\n").is_err());
    }
}
