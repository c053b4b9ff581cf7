//! Connecting one client to each system and subscribing it to its channel, through each
//! system's public protocol: for our server the documented `/connect` WebSocket, then a
//! watch query (`POST /channels/messaging/{id}/query?connection_id=…`, `watch: true`).

use std::time::Duration;

use serde_json::{json, Value};

use super::link::{Link, LinkError, Owned, Wire};
use crate::proto::{nats, resp, socketio, url, ws};
use crate::spec::{SystemKind, WorkerSpec};

/// Generous: handshakes queue behind thousands of others during a storm.
const STEP: Duration = Duration::from_secs(30);

/// An open connection; `connection_id` is our server's socket id (for the watch query).
pub struct Connected {
    /// The link.
    pub link: Link,
    /// Our server's `connection_id` (empty for peers).
    pub connection_id: String,
}

/// Opens client `i`'s connection. Peers subscribe here (it has no side effect on other
/// clients); our server's watch is [`subscribe`], a separate phase, because watching and
/// coming online announce themselves to the channel's other watchers.
pub async fn connect(spec: &WorkerSpec, i: usize) -> Result<Connected, LinkError> {
    let ep = &spec.endpoint;
    let channel = spec.naming.channel(i % spec.channels);
    let link = match ep.kind {
        SystemKind::Chat => return chat(spec, i).await,
        SystemKind::Socketio => {
            let mut link = Link::connect(&ep.addr, Wire::Ws { socketio: true }).await?;
            let path = if spec.subscribe {
                socketio::path(&channel)
            } else {
                "/socket.io/?EIO=4&transport=websocket".to_string()
            };
            link.upgrade(&ep.addr, &path, STEP).await?;
            expect_packet(&mut link, socketio::Packet::Open).await?;
            link.send_ws(ws::OP_TEXT, socketio::CONNECT).await?;
            expect_packet(&mut link, socketio::Packet::Connected).await?;
            link
        }
        SystemKind::Redis => {
            let mut link = Link::connect(&ep.addr, Wire::Resp).await?;
            if spec.subscribe {
                link.write(&resp::command(&[b"SUBSCRIBE", channel.as_bytes()]))
                    .await?;
                match link.next_owned(STEP, "SUBSCRIBE").await? {
                    Owned::Control(c) if memchr::memmem::find(&c, b"subscribe").is_some() => {}
                    other => {
                        return Err(LinkError::Refused(format!(
                            "unexpected SUBSCRIBE reply {other:?}"
                        )))
                    }
                }
            }
            link
        }
        SystemKind::Nats => {
            let mut link = Link::connect(&ep.addr, Wire::Nats).await?;
            match link.next_owned(STEP, "NATS INFO").await? {
                Owned::Control(c) if c.starts_with(b"INFO") => {}
                other => return Err(LinkError::Refused(format!("expected INFO, got {other:?}"))),
            }
            let mut hello = nats::CONNECT.to_vec();
            if spec.subscribe {
                hello.extend(nats::sub(&channel, 1));
            }
            hello.extend_from_slice(b"PING\r\n");
            link.write(&hello).await?;
            loop {
                match link.next_owned(STEP, "NATS PONG").await? {
                    Owned::Control(c) if c.starts_with(b"PONG") => break link,
                    Owned::Control(_) | Owned::Data(_) => continue,
                }
            }
        }
    };
    Ok(Connected {
        link,
        connection_id: String::new(),
    })
}

async fn expect_packet(link: &mut Link, want: socketio::Packet) -> Result<(), LinkError> {
    loop {
        match link.next_owned(STEP, "the socket.io handshake").await? {
            Owned::Data(d) => {
                let got = socketio::classify(&d);
                if got == want {
                    return Ok(());
                }
                if got == socketio::Packet::ConnectError {
                    return Err(LinkError::Refused(String::from_utf8_lossy(&d).into_owned()));
                }
            }
            Owned::Control(_) => {}
        }
    }
}

async fn chat(spec: &WorkerSpec, i: usize) -> Result<Connected, LinkError> {
    let ep = &spec.endpoint;
    let user = spec.naming.user(i);
    let token = chat_server::auth::user_token(&ep.api_secret, &user, None, None);
    let json = json!({"user_id": user, "user_details": {"id": user}}).to_string();
    let path = format!(
        "/connect?api_key={}&json={}&authorization={}&stream-auth-type=jwt",
        url::encode(&ep.api_key),
        url::encode(&json),
        url::encode(&token)
    );
    let mut link = Link::connect(&ep.addr, Wire::Ws { socketio: false }).await?;
    link.upgrade(&ep.addr, &path, STEP).await?;
    let first = match link.next_owned(STEP, "the first health.check").await? {
        Owned::Data(d) => d,
        Owned::Control(_) => return Err(LinkError::Refused("no health.check".into())),
    };
    let first: Value = serde_json::from_slice(&first)
        .map_err(|e| LinkError::Refused(format!("bad first frame: {e}")))?;
    if first["type"] != "health.check" {
        return Err(LinkError::Refused(format!("connect refused: {first}")));
    }
    Ok(Connected {
        link,
        connection_id: first["connection_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

/// Our server: watches client `i`'s channel from its socket (a watch query naming the
/// `connection_id`). Nothing to do for peers, which subscribed while connecting.
pub async fn subscribe(
    spec: &WorkerSpec,
    http: &reqwest::Client,
    i: usize,
    connection_id: &str,
) -> Result<(), LinkError> {
    let ep = &spec.endpoint;
    if ep.kind != SystemKind::Chat || !spec.subscribe {
        return Ok(());
    }
    let channel = spec.naming.channel(i % spec.channels);
    let token = chat_server::auth::user_token(&ep.api_secret, &spec.naming.user(i), None, None);
    let url = format!(
        "http://{}/channels/messaging/{channel}/query?api_key={}&connection_id={}",
        ep.addr,
        url::encode(&ep.api_key),
        url::encode(connection_id)
    );
    let body = json!({
        "watch": true,
        "state": true,
        "messages": {"limit": 0},
        "members": {"limit": 0},
        "watchers": {"limit": 0}
    });
    let res = http
        .post(url)
        .header("Authorization", token)
        .header("Stream-Auth-Type", "jwt")
        .json(&body)
        .timeout(STEP)
        .send()
        .await
        .map_err(|e| LinkError::Refused(format!("watch query: {e}")))?;
    if !res.status().is_success() {
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        return Err(LinkError::Refused(format!("watch query: {status} {text}")));
    }
    Ok(())
}
