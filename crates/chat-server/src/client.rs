//! A small client of our own for this API over HTTP and WebSocket, used by the black-box
//! tests, benches and examples. It speaks the documented wire format and nothing else.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::Method;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Transport failure.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// WebSocket failure.
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    /// Unexpected payload.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Nothing arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
}

/// One HTTP response: status, JSON body, headers.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Parsed JSON (Null if not JSON).
    pub body: Value,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An API client authenticated with one token.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    api_key: String,
    token: Option<String>,
    /// Sent as `connection_id` on every request when set.
    pub connection_id: Option<String>,
}

impl Client {
    /// A client for `base` (e.g. `http://127.0.0.1:3030`) with a JWT (`None` = anonymous).
    pub fn new(base: impl Into<String>, api_key: impl Into<String>, token: Option<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            token,
            connection_id: None,
        }
    }

    /// Any request. `query` pairs are added after `api_key`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Response, ClientError> {
        let mut params: Vec<(&str, &str)> = vec![("api_key", self.api_key.as_str())];
        if let Some(c) = &self.connection_id {
            params.push(("connection_id", c.as_str()));
        }
        params.extend_from_slice(query);
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .query(&params);
        req = match &self.token {
            Some(t) => req
                .header("Authorization", t)
                .header("Stream-Auth-Type", "jwt"),
            None => req.header("Stream-Auth-Type", "anonymous"),
        };
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let bytes = res.bytes().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Response {
            status,
            body,
            headers,
        })
    }

    /// `GET path?payload=<json>` style query.
    pub async fn get_payload(&self, path: &str, payload: &Value) -> Result<Response, ClientError> {
        let p = payload.to_string();
        self.request(Method::GET, path, &[("payload", p.as_str())], None)
            .await
    }

    /// `GET`.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Response, ClientError> {
        self.request(Method::GET, path, query, None).await
    }

    /// `POST` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Response, ClientError> {
        self.request(Method::POST, path, &[], Some(body)).await
    }

    /// `PATCH` with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Response, ClientError> {
        self.request(Method::PATCH, path, &[], Some(body)).await
    }

    /// `PUT` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Response, ClientError> {
        self.request(Method::PUT, path, &[], Some(body)).await
    }

    /// `DELETE`.
    pub async fn delete(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Response, ClientError> {
        self.request(Method::DELETE, path, query, None).await
    }

    /// Opens the WebSocket as this client's user and reads the first `health.check`.
    pub async fn connect(&self, user_id: &str, user_details: Value) -> Result<Socket, ClientError> {
        let json =
            serde_json::json!({"user_id": user_id, "user_details": user_details}).to_string();
        let ws_base = self.base.replacen("http", "ws", 1);
        let mut url = reqwest::Url::parse(&format!("{ws_base}/connect"))
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("api_key", &self.api_key)
            .append_pair("json", &json)
            .append_pair(
                "stream-auth-type",
                if self.token.is_some() {
                    "jwt"
                } else {
                    "anonymous"
                },
            );
        if let Some(t) = &self.token {
            url.query_pairs_mut().append_pair("authorization", t);
        }
        let (stream, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
        let mut socket = Socket {
            stream,
            connection_id: String::new(),
            me: Value::Null,
        };
        let first = socket.next_json(Duration::from_secs(10)).await?;
        if first["type"] == "connection.error" {
            return Err(ClientError::Protocol(first.to_string()));
        }
        socket.connection_id = first["connection_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        socket.me = first["me"].clone();
        Ok(socket)
    }
}

/// An open WebSocket.
#[derive(Debug)]
pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// From the first `health.check`.
    pub connection_id: String,
    /// The own user from the first `health.check`.
    pub me: Value,
}

impl Socket {
    /// The next JSON text frame, within `timeout`.
    pub async fn next_json(&mut self, timeout: Duration) -> Result<Value, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .map_err(|_| ClientError::Timeout("a frame".into()))?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str())
                        .map_err(|e| ClientError::Protocol(e.to_string()));
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Err(ClientError::Protocol("socket closed".into()))
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Skips frames until one of type `kind` arrives (health checks and others ignored).
    pub async fn wait_for(&mut self, kind: &str, timeout: Duration) -> Result<Value, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.next_json(left).await.map_err(|e| match e {
                ClientError::Timeout(_) => ClientError::Timeout(kind.to_string()),
                other => other,
            })?;
            if v["type"] == kind {
                return Ok(v);
            }
        }
    }

    /// Sends a text frame.
    pub async fn send_json(&mut self, v: &Value) -> Result<(), ClientError> {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await?;
        Ok(())
    }

    /// Closes the socket.
    pub async fn close(mut self) -> Result<(), ClientError> {
        self.stream.close(None).await?;
        Ok(())
    }
}
