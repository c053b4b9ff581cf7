//! The payload every system carries: `zqlt-<channel>-<seq>-<send µs>-` padded with `a` to
//! the requested size. Letters, digits and `-` only, so it passes unchanged through JSON,
//! markdown rendering and every peer's framing; a receiver finds it with one substring
//! search instead of parsing the event, which keeps the client's cost per delivery small.

use std::time::{SystemTime, UNIX_EPOCH};

const TAG: &[u8] = b"zqlt-";

/// What a payload says about its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// Channel index.
    pub channel: u32,
    /// Sequence number within the channel.
    pub seq: u64,
    /// Send time, microseconds since the Unix epoch (wall clock: workers are other
    /// processes on the same machine, so they share it).
    pub sent_us: u64,
}

/// Microseconds since the Unix epoch now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The payload for a message, at least `size` bytes (longer only if the marker alone is).
pub fn payload(m: Marker, size: usize) -> String {
    let mut s = format!("zqlt-{}-{}-{}-", m.channel, m.seq, m.sent_us);
    while s.len() < size {
        s.push('a');
    }
    s
}

fn number(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let start = *at;
    let mut v: u64 = 0;
    while let Some(&b) = bytes.get(*at) {
        if b == b'-' {
            break;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        *at += 1;
    }
    if *at == start || bytes.get(*at) != Some(&b'-') {
        return None;
    }
    *at += 1;
    Some(v)
}

/// Finds the marker in a received frame or message, if any.
pub fn find(bytes: &[u8]) -> Option<Marker> {
    let mut at = memchr::memmem::find(bytes, TAG)? + TAG.len();
    let channel = u32::try_from(number(bytes, &mut at)?).ok()?;
    let seq = number(bytes, &mut at)?;
    let sent_us = number(bytes, &mut at)?;
    Some(Marker {
        channel,
        seq,
        sent_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_inside_a_json_event() {
        let m = Marker {
            channel: 3,
            seq: 17,
            sent_us: 1_700_000_000_123_456,
        };
        let p = payload(m, 1024);
        assert_eq!(p.len(), 1024);
        let event =
            format!(r#"{{"type":"message.new","message":{{"text":"{p}","html":"<p>{p}</p>"}}}}"#);
        assert_eq!(find(event.as_bytes()), Some(m));
    }

    #[test]
    fn short_sizes_keep_the_whole_marker() {
        let m = Marker {
            channel: 0,
            seq: 0,
            sent_us: 5,
        };
        assert_eq!(payload(m, 1), "zqlt-0-0-5-");
        assert_eq!(find(b"zqlt-0-0-5-"), Some(m));
    }

    #[test]
    fn garbage_is_not_a_marker() {
        assert_eq!(find(b"{\"type\":\"health.check\"}"), None);
        assert_eq!(find(b"zqlt-1-x-3-"), None);
        assert_eq!(find(b"zqlt-1-2-3"), None);
    }
}
