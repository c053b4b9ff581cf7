//! `GET /connect`: the WebSocket handshake of api-spec/websocket.md §2 (DESIGN), kept in
//! this one module. Auth failures after an upgrade request are reported as a
//! `connection.error` frame followed by a normal close, because browsers cannot read the
//! body of a refused upgrade.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chat_core::engine::{Actor, UserInput, UserPatch};
use chat_core::ids::{ConnectionId, UserId};
use chat_core::model::{App, User};
use chat_transport_ws::{derive_accept_key, reject_socket, serve_socket};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};

use crate::auth::{self, AuthError, Credential};
use crate::error::ApiError;
use crate::http::Failure;
use crate::present::Loaded;
use crate::socket_events::Handler;
use crate::state::AppState;
use crate::wire;

/// Fields a client may not set about itself.
const CLIENT_FORBIDDEN: &[&str] = &[
    "id",
    "role",
    "teams",
    "teams_role",
    "banned",
    "shadow_banned",
    "created_at",
    "updated_at",
    "last_active",
    "online",
    "deactivated_at",
    "deleted_at",
    "revoke_tokens_issued_before",
];

struct Accepted {
    app: Arc<App>,
    user: UserId,
    first_frame: Bytes,
    connection: ConnectionId,
    /// The user, for presence (whether this socket takes them online is decided, across
    /// nodes, once the socket is accepted).
    announce_online: Option<User>,
}

pub async fn connect(State(state): State<Arc<AppState>>, mut req: Request) -> Response {
    let query: HashMap<String, String> =
        axum::extract::Query::<HashMap<String, String>>::try_from_uri(req.uri())
            .map(|q| q.0)
            .unwrap_or_default();
    let headers = req.headers().clone();
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let accepted = accept(&state, &query, &headers).await;
    let (true, Some(key)) = (upgrade, key) else {
        return match accepted {
            Err(e) => Failure(e).into_response(),
            Ok(_) => {
                Failure(ApiError::input("GET /connect needs a WebSocket upgrade")).into_response()
            }
        };
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let transport = state.transport.clone();
    let task_state = state.clone();
    // The task lives as long as the socket: its future's size is idle memory per
    // connection, so the rarely used large futures (presence, rejection) are boxed
    // (6.7 KB → 2.3 KB per connection, measured with size_of_val).
    let socket_task = async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => TokioIo::new(u),
            Err(e) => {
                tracing::debug!(error = %e, "websocket upgrade failed");
                return;
            }
        };
        match accepted {
            Ok(a) => {
                let registry = task_state.registry(&a.app.id);
                // Awaited before the socket runs, so its close is counted after it.
                if let Some(user) = a.announce_online.clone() {
                    if Box::pin(task_state.presence.connected(&a.app.id, &user.id)).await {
                        let (state, app) = (task_state.clone(), a.app.clone());
                        tokio::spawn(async move {
                            crate::socket_events::announce_presence(&state, &app, user, true).await;
                        });
                    }
                }
                let handler = Arc::new(Handler {
                    state: task_state.clone(),
                    app: a.app.clone(),
                });
                serve_socket(
                    upgraded,
                    a.connection,
                    a.user,
                    a.first_frame,
                    registry,
                    handler,
                    transport,
                )
                .await;
            }
            Err(e) => {
                let frame = wire::connection_error(e.body(""));
                let bytes = Bytes::from(serde_json::to_vec(&frame).unwrap_or_default());
                Box::pin(reject_socket(upgraded, bytes, &transport)).await;
            }
        }
    };
    tokio::spawn(socket_task);
    let accept_key = derive_accept_key(key.as_bytes());
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept_key) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    res
}

async fn accept(
    state: &Arc<AppState>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Accepted, ApiError> {
    let key = query.get("api_key").ok_or(AuthError::MissingApiKey)?;
    let app = state
        .app_by_key(key)
        .await?
        .ok_or(AuthError::UnknownApiKey)?;
    let header_str = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let auth_type =
        header_str("stream-auth-type").or_else(|| query.get("stream-auth-type").cloned());
    let token = header_str("authorization").or_else(|| query.get("authorization").cloned());
    let now = state.engine.clock().now();
    let credential = auth::authenticate(&app, auth_type.as_deref(), token.as_deref(), now)?;
    let payload: Value = match query.get("json") {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| ApiError::input(format!("invalid json parameter: {e}")))?,
        None => Value::Object(Map::new()),
    };
    let connection = ConnectionId::generate();
    let mut announce_online = None;
    let (user, me) = match credential {
        Credential::Server => {
            return Err(ApiError::new(
                5,
                StatusCode::UNAUTHORIZED,
                "server tokens cannot open a WebSocket",
            ))
        }
        Credential::Anonymous => {
            let me = serde_json::json!({
                "id": "!anon", "role": "anonymous", "roles": [], "created_at": "0001-01-01T00:00:00Z",
                "updated_at": "0001-01-01T00:00:00Z", "last_active": now.to_rfc3339(), "banned": false,
                "online": true, "invisible": false, "devices": [], "mutes": [], "channel_mutes": [],
            });
            (UserId::new_unchecked("!anon"), me)
        }
        Credential::User { user_id, iat } => {
            let claimed = payload
                .get("user_details")
                .and_then(|d| d.get("id"))
                .or_else(|| payload.get("user_id"))
                .and_then(Value::as_str);
            if claimed.is_some_and(|c| c != user_id.as_str()) {
                return Err(ApiError::new(
                    5,
                    StatusCode::UNAUTHORIZED,
                    "user_details.id does not match the token's user_id",
                ));
            }
            let user =
                upsert_from_details(state, &app, &user_id, payload.get("user_details")).await?;
            auth::check_user(iat, &user)?;
            let registry = state.registry(&app.id);
            if registry.user_connection_count(&user.id) >= app.max_connections_per_user() {
                return Err(ApiError::new(
                    9,
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many concurrent connections for this user",
                ));
            }
            let unread = state.engine.unread_counts(&app.id, &user.id).await?;
            let loaded = Loaded::load(state, &app.id, Some(&user.id), Vec::new(), &[]).await?;
            let mut me = loaded.with(|ctx| wire::own_user(&user, ctx, &unread));
            if let Some(m) = me.as_object_mut() {
                m.insert("online".into(), Value::Bool(!user.invisible));
            }
            announce_online = Some(user.clone());
            (user.id, me)
        }
    };
    let first = wire::health_check(connection.as_str(), Some(me), now);
    let first_frame =
        Bytes::from(serde_json::to_vec(&first).map_err(|e| ApiError::internal(e.to_string()))?);
    Ok(Accepted {
        app,
        user,
        first_frame,
        connection,
        announce_online,
    })
}

/// Creates the user, or partially updates it with the fields it sent (never deleting
/// keys not sent; role, teams and other protected fields are ignored), and stamps
/// `last_active`.
async fn upsert_from_details(
    state: &AppState,
    app: &Arc<App>,
    id: &UserId,
    details: Option<&Value>,
) -> Result<User, ApiError> {
    let server = Actor::server(app.clone());
    let fields: Map<String, Value> = details
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !CLIENT_FORBIDDEN.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let store = state.engine.store();
    let existing = store
        .get_users(&app.id, std::slice::from_ref(id))
        .await
        .map_err(chat_core::Error::from)?;
    let user = if existing.is_empty() {
        let mut input = UserInput {
            id: id.to_string(),
            ..UserInput::default()
        };
        for (k, v) in fields {
            match k.as_str() {
                "name" => input.name = v.as_str().map(String::from),
                "image" => input.image = v.as_str().map(String::from),
                "language" => input.language = v.as_str().map(String::from),
                "invisible" => input.invisible = v.as_bool(),
                _ => input.custom.insert(k, v),
            }
        }
        let created = state
            .publish(state.engine.upsert_users(&server, vec![input]).await?)
            .await;
        created
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal("user was not created"))?
    } else if fields.is_empty() {
        existing
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("user", id.as_str()))?
    } else {
        let patch = UserPatch {
            id: id.to_string(),
            set: fields,
            unset: Vec::new(),
        };
        let updated = state
            .publish(
                state
                    .engine
                    .partial_update_users(&server, vec![patch])
                    .await?,
            )
            .await;
        updated
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("user", id.as_str()))?
    };
    touch_last_active(state, app, user).await
}

async fn touch_last_active(state: &AppState, app: &App, mut user: User) -> Result<User, ApiError> {
    user.last_active = Some(state.engine.clock().now());
    match state
        .engine
        .store()
        .update_user(&app.id, user.clone())
        .await
    {
        Ok(u) => Ok(u),
        // Someone updated the user meanwhile; last_active is best effort.
        Err(chat_core::StoreError::VersionConflict { .. }) => Ok(user),
        Err(e) => Err(chat_core::Error::from(e).into()),
    }
}
