//! HTTP edge mechanics shared by every route: JSON bodies in, `Reply` out, errors as
//! Stream error bodies, and the `finish` middleware that counts the request against its
//! rate limits (`rate_limit`; 429 code 9 with `Retry-After` when enforced and exceeded),
//! adds `duration`, `X-RateLimit-*` headers and a request id, and logs each request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use chat_core::model::App;

use crate::auth::{self, Credential};
use crate::error::ApiError;
use crate::rate_limit::{Subject, Verdict};
use crate::state::AppState;

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

/// Operations that are not API calls: never limited.
fn unlimited(op: &str) -> bool {
    matches!(op, "Health" | "Metrics" | "Other")
}

/// A caller that [`finish`] already resolved: the parsed query, the app of its `api_key`
/// and its verified credential. Put in the request's extensions so the `Ctx` extractor
/// (`request.rs`) neither parses the query nor decodes and verifies the JWT a second time.
/// Absent when the request failed to resolve; the extractor then does the full work and
/// reports the precise error.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Query parameters.
    pub query: HashMap<String, String>,
    /// The app of `api_key`.
    pub app: Arc<App>,
    /// The verified credential.
    pub credential: Credential,
}

/// The header `name`, else the query parameter of the same name.
fn header_or_query(req: &Request, query: &HashMap<String, String>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get(name).cloned())
}

/// What identifies a request's caller: query, auth type and token. Read synchronously:
/// a body is not `Sync`, so no future may hold `&Request` across an await.
struct Caller {
    query: HashMap<String, String>,
    auth_type: Option<String>,
    token: Option<String>,
}

impl Caller {
    fn of(req: &Request) -> Option<Self> {
        let query: HashMap<String, String> =
            axum::extract::Query::<HashMap<String, String>>::try_from_uri(req.uri())
                .ok()?
                .0;
        Some(Self {
            auth_type: header_or_query(req, &query, "stream-auth-type"),
            token: header_or_query(req, &query, "authorization"),
            query,
        })
    }
}

/// Resolves the caller once: `None` when the request names no known app or its token is
/// not valid (it fails anyway, in the extractor, without counting).
async fn resolve(state: &AppState, caller: Option<Caller>) -> Option<Resolved> {
    let Caller {
        query,
        auth_type,
        token,
    } = caller?;
    let app = state.app_by_key(query.get("api_key")?).await.ok()??;
    let now = state.engine.clock().now();
    let credential = auth::authenticate(&app, auth_type.as_deref(), token.as_deref(), now).ok()?;
    Some(Resolved {
        query,
        app,
        credential,
    })
}

/// Whose counters a request counts against: the app and, for a user token, the user.
fn subject_of(resolved: &Resolved) -> Subject {
    let (platform, user) = match &resolved.credential {
        Credential::Server => ("server", None),
        Credential::User { user_id, .. } => ("web", Some(user_id.clone())),
        Credential::Anonymous => ("web", None),
    };
    Subject {
        app: resolved.app.id.clone(),
        platform,
        user,
    }
}

/// The headers of an uncounted request: the documented limit, a fresh window.
fn uncounted(op: &str, state: &AppState) -> Verdict {
    let limit = state.config.rate_limits.app_limit(op);
    let window = state.config.rate_limits.window.as_secs().max(1);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Verdict {
        allowed: true,
        limit,
        remaining: limit,
        reset: now - now % window + window,
        retry_after: 0,
    }
}

/// Outermost middleware: rate limits, request id, timing, `duration` in every JSON
/// object body, rate-limit headers on every response, one log line per request.
pub async fn finish(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = ulid::Ulid::new().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let op = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("Other", |p| crate::routes::operation(&method, p.as_str()));
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path, op);
    let subject = if unlimited(op) {
        None
    } else {
        match resolve(&state, Caller::of(&req)).await {
            Some(resolved) => {
                let subject = subject_of(&resolved);
                req.extensions_mut().insert(resolved);
                Some(subject)
            }
            None => None,
        }
    };
    let verdict = match &subject {
        Some(s) => {
            state
                .limiter
                .check(s, op, std::time::SystemTime::now())
                .await
        }
        None => uncounted(op, &state),
    };
    let response = if verdict.allowed {
        use tracing::Instrument as _;
        next.run(req).instrument(span.clone()).await
    } else {
        metrics::counter!("chat_http_rate_limited_total", "route" => op).increment(1);
        let mut res = Failure(ApiError::rate_limited()).into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(verdict.retry_after));
        res
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
    let h = &mut parts.headers;
    h.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
    h.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(verdict.remaining),
    );
    h.insert("x-ratelimit-reset", HeaderValue::from(verdict.reset));
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
