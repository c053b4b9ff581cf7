//! A minimal HTTP/1.1 keep-alive client for the publishers: one request at a time per
//! connection, the request bytes built by the caller, the response read with
//! `Content-Length` or chunked framing. A general client (reqwest) cost the tool about
//! 50 µs of CPU per request here, as much as the server spends: measuring tens of thousands
//! of sends per second needs the client to stay out of the way.

use super::ProtoError;

/// A request with a body; `headers` are complete `Name: value` lines without CRLF.
pub fn request(method: &str, host: &str, path: &str, headers: &[String], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// How the body of a response is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Exactly this many bytes.
    Length(usize),
    /// Chunked transfer coding.
    Chunked,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// Bytes of the head, CRLFCRLF included.
    pub len: usize,
    /// Body framing.
    pub body: Body,
}

/// Parses a response head at the start of `buf`; `Ok(None)` while incomplete.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, ProtoError> {
    let Some(end) = memchr::memmem::find(buf, b"\r\n\r\n") else {
        if buf.len() > 64 * 1024 {
            return Err(ProtoError::new("HTTP response head too long"));
        }
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[..end])
        .map_err(|_| ProtoError::new("HTTP response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ProtoError::new("bad HTTP status line"))?;
    let mut body = Body::Length(0);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            body = Body::Length(
                value
                    .parse()
                    .map_err(|_| ProtoError::new("bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            body = Body::Chunked;
        }
    }
    Ok(Some(Head {
        status,
        len: end + 4,
        body,
    }))
}

/// Decodes a complete chunked body at the start of `buf`: the body bytes and how many
/// bytes of `buf` it took; `Ok(None)` while incomplete. Trailers are not expected.
pub fn parse_chunked(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ProtoError> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = memchr::memmem::find(&buf[at..], b"\r\n") else {
            return Ok(None);
        };
        let size_text = std::str::from_utf8(&buf[at..at + eol])
            .map_err(|_| ProtoError::new("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| ProtoError::new("bad chunk size"))?;
        let data = at + eol + 2;
        if buf.len() < data + size + 2 {
            return Ok(None);
        }
        if size == 0 {
            return Ok(Some((out, data + 2)));
        }
        out.extend_from_slice(&buf[data..data + size]);
        at = data + size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_request_with_its_length() {
        let r = request("POST", "h:1", "/p?a=b", &["X-A: 1".into()], b"{}");
        assert_eq!(
            r,
            b"POST /p?a=b HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n{}".to_vec()
        );
    }

    #[test]
    fn heads_with_length_none_and_chunked() {
        let r = b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nhello";
        let h = parse_head(r).unwrap().unwrap();
        assert_eq!(h.status, 201);
        assert_eq!(h.body, Body::Length(5));
        assert_eq!(&r[h.len..], b"hello");
        let h = parse_head(b"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((h.status, h.body), (204, Body::Length(0)));
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.body, Body::Chunked);
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n").unwrap(), None);
        assert!(parse_head(b"nonsense\r\n\r\n").is_err());
    }

    #[test]
    fn chunked_bodies_decode_and_wait_when_cut() {
        let b = b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nNEXT";
        let (body, used) = parse_chunked(b).unwrap().unwrap();
        assert_eq!(body, b"abcde");
        assert_eq!(&b[used..], b"NEXT");
        for cut in 0..used {
            assert_eq!(parse_chunked(&b[..cut]).unwrap(), None, "cut {cut}");
        }
    }
}
