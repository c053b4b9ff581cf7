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

pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let store_ok = state.engine.store().list_apps().await.is_ok();
    let accepting = state.is_accepting();
    let body = json!({"status": if store_ok && accepting { "ready" } else { "not_ready" }, "store": store_ok, "accepting": accepting});
    let status = if store_ok && accepting {
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
