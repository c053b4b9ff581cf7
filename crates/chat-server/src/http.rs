//! HTTP edge mechanics shared by every route: JSON bodies in, `Reply` out, errors as
//! Stream error bodies, and the `finish` middleware that adds `duration`, rate-limit
//! headers and a request id, and logs each request.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A successful JSON object response (`duration` is added by [`finish`]).
#[derive(Debug)]
pub struct Reply(pub Value);

impl Reply {
    /// `{}` plus duration.
    pub fn empty() -> Self {
        Self(Value::Object(Map::new()))
    }

    /// `{key: value}`.
    pub fn with(key: &str, value: Value) -> Self {
        let mut m = Map::new();
        m.insert(key.into(), value);
        Self(Value::Object(m))
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = Response::new(Body::from(bytes));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

/// An error response; the body is Stream's error shape.
#[derive(Debug)]
pub struct Failure(pub ApiError);

impl<E: Into<ApiError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.0.status.is_server_error() {
            tracing::error!(code = self.0.code, message = %self.0.message, "request failed");
        }
        // `finish` adds the real duration; the placeholder must not appear twice.
        let mut body = self.0.body("");
        if let Some(map) = body.as_object_mut() {
            map.remove("duration");
        }
        let mut res = json_response(self.0.status, &body);
        if self.0.code == 9 {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        res
    }
}

/// Route result.
pub type ApiResult = Result<Reply, Failure>;

/// The request body as JSON: empty → `{}`; too large → 413 code 22; not JSON → 400 code 4.
#[derive(Debug)]
pub struct JsonBody(pub Value);

/// Body limit, set as a request extension by the router.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Failure;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(1024 * 1024, |l| l.0);
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::payload_too_big())?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Value::Object(Map::new())));
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::input(format!("invalid JSON body: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::input("the request body must be a JSON object").into());
        }
        Ok(Self(value))
    }
}

/// Documented default requests per minute for an operation (api-spec/endpoints.md §15).
pub fn rate_limit_for(op: &str) -> u32 {
    match op {
        "Connect" | "GetOrCreateChannel" | "GetApp" | "MarkAllRead" | "MarkRead"
        | "QueryChannels" | "SendEvent" => 10_000,
        "Ban" | "EditUsers" | "HideChannel" | "QueryMembers" | "ShowChannel" | "UpdateChannel"
        | "UpdateUsers" | "UpdateUsersPartial" | "Search" => 300,
        "CreateChannelType" | "DeleteChannel" | "DeleteChannelType" | "GetChannelType"
        | "ListChannelTypes" | "TruncateChannel" | "UpdateApp" | "UpdateChannelType"
        | "DeleteUser" => 60,
        _ => 1_000,
    }
}

/// Outermost middleware: request id, timing, `duration` in every JSON object body,
/// rate-limit headers on every response, one log line per request.
pub async fn finish(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = ulid::Ulid::new().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let op = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("Other", |p| crate::routes::operation(&method, p.as_str()));
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path, op);
    let response = {
        use tracing::Instrument as _;
        next.run(req).instrument(span.clone()).await
    };
    let elapsed = start.elapsed();
    let duration = format!("{:.2}ms", elapsed.as_secs_f64() * 1000.0);
    let (mut parts, body) = response.into_parts();
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = if is_json {
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => Body::from(with_duration(&bytes, &duration)),
            Err(_) => Body::empty(),
        }
    } else {
        body
    };
    let limit = rate_limit_for(op);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let reset = now - now % 60 + 60;
    let h = &mut parts.headers;
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(limit.saturating_sub(1)),
    );
    h.insert("x-ratelimit-reset", HeaderValue::from(reset));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    metrics::histogram!("chat_http_request_duration_seconds", "route" => op)
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status = parts.status.as_u16(),
            op,
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "handled"
        )
    });
    Response::from_parts(parts, body)
}

/// Inserts `"duration":"…"` into a JSON object body without re-serialising it.
fn with_duration(body: &[u8], duration: &str) -> Vec<u8> {
    let trimmed_end = body.iter().rposition(|b| !b.is_ascii_whitespace());
    let Some(end) = trimmed_end.filter(|&i| body[i] == b'}') else {
        return body.to_vec();
    };
    let inner_empty = body[..end].iter().rev().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let mut out = Vec::with_capacity(body.len() + duration.len() + 16);
    out.extend_from_slice(&body[..end]);
    if !inner_empty {
        out.push(b',');
    }
    out.extend_from_slice(b"\"duration\":\"");
    out.extend_from_slice(duration.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_is_spliced_into_objects() {
        assert_eq!(
            with_duration(b"{}", "1ms"),
            br#"{"duration":"1ms"}"#.to_vec()
        );
        assert_eq!(
            with_duration(br#"{"a":1}"#, "1ms"),
            br#"{"a":1,"duration":"1ms"}"#.to_vec()
        );
        assert_eq!(with_duration(b"[1]", "1ms"), b"[1]".to_vec());
        let v: Value =
            serde_json::from_slice(&with_duration(br#"{"a":{"b":{}}} "#, "2ms")).unwrap();
        assert_eq!(v["duration"], "2ms");
    }
}
