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

/// 200 `{"status":"ready","store":true,"accepting":true}` when the store is bootstrapped
/// (migrated, development app in place: `bootstrapped`), answers within a second, and the server is not
/// shutting down; 503 `{"status":"not_ready",…}` naming what is missing otherwise.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let bootstrapped = state.is_bootstrapped();
    let store_ok = bootstrapped && state.storage.reachable().await;
    let accepting = state.is_accepting();
    let ready = store_ok && accepting;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "store": store_ok,
        "bootstrapped": bootstrapped,
        "accepting": accepting,
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
