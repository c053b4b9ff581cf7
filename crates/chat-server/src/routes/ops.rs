//! Operations: liveness, readiness, Prometheus metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::Reply;
use crate::state::AppState;

pub async fn live() -> Reply {
    Reply(json!({"status": "ok"}))
}

/// 200 `{"status":"ready","store":true,"accepting":true,"redis":…}` when the store is
/// bootstrapped (migrated, development app in place), answers within a second, and the
/// server is not shutting down; 503 `{"status":"not_ready",…}` naming what is missing
/// otherwise.
///
/// `redis` is `"off"` (single node), `"up"` or `"down"`. Redis down is **degraded, still
/// 200**: the node keeps serving its own sockets and every HTTP call (the store is the
/// source of truth); only cross-node delivery, shared presence and shared rate limits
/// are impaired, and taking the node out of a load balancer would disconnect clients it
/// serves well. Monitoring reads `status == "degraded"` and
/// `chat_events_not_crossed_total`.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let bootstrapped = state.is_bootstrapped();
    let store_ok = bootstrapped && state.storage.reachable().await;
    let accepting = state.is_accepting();
    let redis = match &state.redis {
        None => "off",
        Some(link) if link.is_up() => "up",
        Some(_) => "down",
    };
    let ready = store_ok && accepting;
    let status = match (ready, redis) {
        (false, _) => "not_ready",
        (true, "down") => "degraded",
        (true, _) => "ready",
    };
    metrics::gauge!("chat_redis_up").set(if redis == "up" { 1.0 } else { 0.0 });
    let body = json!({
        "status": status,
        "store": store_ok,
        "bootstrapped": bootstrapped,
        "accepting": accepting,
        "redis": redis,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Reply(body)).into_response()
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let sockets: usize = state
        .registries()
        .iter()
        .map(|r| r.connection_count())
        .sum();
    metrics::gauge!("chat_ws_active_sockets").set(sockets as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
