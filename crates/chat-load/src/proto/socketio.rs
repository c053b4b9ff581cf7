//! Engine.IO v4 / Socket.IO v5 packets over a WebSocket text frame, the few a room
//! subscriber sees: open (`0{…}`), namespace connect (`40`), ping (`2`, answered `3`),
//! events (`42[…]`) and errors (`44…`).

/// The upgrade path for a subscriber of `room` (WebSocket transport only, no polling).
pub fn path(room: &str) -> String {
    format!(
        "/socket.io/?EIO=4&transport=websocket&room={}",
        super::url::encode(room)
    )
}

/// Sent after the Engine.IO open packet: connect to the main namespace.
pub const CONNECT: &[u8] = b"40";
/// The answer to a server ping.
pub const PONG: &[u8] = b"3";

/// What a text frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// Engine.IO open.
    Open,
    /// Socket.IO namespace connected.
    Connected,
    /// Engine.IO ping: answer [`PONG`].
    Ping,
    /// Socket.IO event (the payload is inside the frame as JSON).
    Event,
    /// Socket.IO connect error.
    ConnectError,
    /// Anything else (close, noop, disconnect…).
    Other,
}

/// Classifies one text frame's payload.
pub fn classify(frame: &[u8]) -> Packet {
    match frame {
        [b'0', ..] => Packet::Open,
        [b'2'] => Packet::Ping,
        [b'4', b'0', ..] => Packet::Connected,
        [b'4', b'2', ..] => Packet::Event,
        [b'4', b'4', ..] => Packet::ConnectError,
        _ => Packet::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_packets_a_subscriber_sees() {
        assert_eq!(
            classify(br#"0{"sid":"x","pingInterval":25000}"#),
            Packet::Open
        );
        assert_eq!(classify(br#"40{"sid":"y"}"#), Packet::Connected);
        assert_eq!(classify(b"2"), Packet::Ping);
        assert_eq!(classify(br#"42["m","zqlt-0-1-2-aa"]"#), Packet::Event);
        assert_eq!(classify(br#"44{"message":"no"}"#), Packet::ConnectError);
        assert_eq!(classify(b"1"), Packet::Other);
        assert_eq!(
            path("r 1"),
            "/socket.io/?EIO=4&transport=websocket&room=r%201"
        );
    }
}
