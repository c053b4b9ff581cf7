//! The HTTP surface: one module per resource group, and the operation names used for
//! error messages, rate-limit windows and metrics.

mod app;
mod channel_types;
mod channels;
mod connect;
mod messages;
mod ops;
mod reads;
mod search;
mod users;

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::http::{BodyLimit, Failure};
use crate::state::AppState;

/// The router with every route (trailing slashes are normalised outside it).
pub fn router(state: Arc<AppState>) -> Router {
    let limit = BodyLimit(state.config.max_body_bytes);
    Router::new()
        .route("/app", get(app::get_app).patch(app::update_app))
        .route(
            "/users",
            post(users::upsert)
                .patch(users::partial_update)
                .get(users::query),
        )
        .route("/guest", post(users::guest))
        .route("/channels", post(channels::query_channels))
        .route("/channels/read", post(reads::mark_all_read))
        .route("/channels/{type}/query", post(channels::query_distinct))
        .route("/channels/{type}/{id}/query", post(channels::query_channel))
        .route(
            "/channels/{type}/{id}",
            post(channels::update)
                .patch(channels::partial_update)
                .delete(channels::delete),
        )
        .route("/channels/{type}/{id}/truncate", post(channels::truncate))
        .route("/channels/{type}/{id}/hide", post(channels::hide))
        .route("/channels/{type}/{id}/show", post(channels::show))
        .route(
            "/channels/{type}/{id}/stop-watching",
            post(channels::stop_watching),
        )
        .route("/channels/{type}/{id}/event", post(channels::send_event))
        .route("/channels/{type}/{id}/read", post(reads::mark_read))
        .route("/channels/{type}/{id}/unread", post(reads::mark_unread))
        .route("/channels/{type}/{id}/message", post(messages::send))
        .route(
            "/messages/{id}",
            get(messages::get)
                .post(messages::update)
                .put(messages::partial_update)
                .delete(messages::delete),
        )
        .route("/messages/{id}/replies", get(messages::replies))
        .route("/messages/{id}/reaction", post(messages::send_reaction))
        .route(
            "/messages/{id}/reaction/{type}",
            axum::routing::delete(messages::delete_reaction),
        )
        .route("/messages/{id}/reactions", get(messages::list_reactions))
        .route("/members", get(channels::query_members))
        .route("/unread", get(reads::unread))
        .route("/search", get(search::search))
        .route(
            "/channeltypes",
            get(channel_types::list).post(channel_types::create),
        )
        .route(
            "/channeltypes/{name}",
            get(channel_types::get)
                .put(channel_types::update)
                .delete(channel_types::delete),
        )
        .route("/connect", get(connect::connect))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .fallback(not_found)
        .layer(axum::Extension(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::finish,
        ))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(state)
}

async fn not_found() -> Failure {
    ApiError::not_found("route", "").into()
}

/// The operation name of a matched route (api-spec/endpoints.md §15 names where listed).
pub fn operation(method: &Method, path: &str) -> &'static str {
    let m = method.as_str();
    match (m, path) {
        ("GET", "/app") => "GetApp",
        ("PATCH", "/app") => "UpdateApp",
        ("POST", "/users") => "UpdateUsers",
        ("PATCH", "/users") => "UpdateUsersPartial",
        ("GET", "/users") => "QueryUsers",
        ("POST", "/guest") => "CreateGuest",
        ("POST", "/channels") => "QueryChannels",
        ("POST", "/channels/read") => "MarkAllRead",
        ("POST", "/channels/{type}/query" | "/channels/{type}/{id}/query") => "GetOrCreateChannel",
        ("POST", "/channels/{type}/{id}") => "UpdateChannel",
        ("PATCH", "/channels/{type}/{id}") => "UpdateChannelPartial",
        ("DELETE", "/channels/{type}/{id}") => "DeleteChannel",
        ("POST", "/channels/{type}/{id}/truncate") => "TruncateChannel",
        ("POST", "/channels/{type}/{id}/hide") => "HideChannel",
        ("POST", "/channels/{type}/{id}/show") => "ShowChannel",
        ("POST", "/channels/{type}/{id}/stop-watching") => "StopWatchingChannel",
        ("POST", "/channels/{type}/{id}/event") => "SendEvent",
        ("POST", "/channels/{type}/{id}/read") => "MarkRead",
        ("POST", "/channels/{type}/{id}/unread") => "MarkUnread",
        ("POST", "/channels/{type}/{id}/message") => "SendMessage",
        ("GET", "/messages/{id}") => "GetMessage",
        ("POST", "/messages/{id}") => "UpdateMessage",
        ("PUT", "/messages/{id}") => "UpdateMessagePartial",
        ("DELETE", "/messages/{id}") => "DeleteMessage",
        ("GET", "/messages/{id}/replies") => "GetReplies",
        ("POST", "/messages/{id}/reaction") => "SendReaction",
        ("DELETE", "/messages/{id}/reaction/{type}") => "DeleteReaction",
        ("GET", "/messages/{id}/reactions") => "GetReactions",
        ("GET", "/members") => "QueryMembers",
        ("GET", "/unread") => "UnreadCounts",
        ("GET", "/search") => "Search",
        ("GET", "/channeltypes") => "ListChannelTypes",
        ("POST", "/channeltypes") => "CreateChannelType",
        ("GET", "/channeltypes/{name}") => "GetChannelType",
        ("PUT", "/channeltypes/{name}") => "UpdateChannelType",
        ("DELETE", "/channeltypes/{name}") => "DeleteChannelType",
        ("GET", "/connect") => "Connect",
        ("GET", "/health/live" | "/health/ready") => "Health",
        ("GET", "/metrics") => "Metrics",
        _ => "Other",
    }
}
