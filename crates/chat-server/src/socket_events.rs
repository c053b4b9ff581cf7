//! Socket lifecycle events: the transport's callbacks for one app's sockets (close → watching
//! stop and presence), and the `user.presence.changed` announcements on real transitions.

use std::sync::Arc;

use bytes::Bytes;
use chat_core::fanout::{Audience, Event, EventKind};
use chat_core::ids::{ConnectionId, UserId};
use chat_core::model::App;
use chat_transport_ws::SocketHandler;

use crate::state::AppState;
use crate::wire;

/// Inbound socket callbacks for one app.
pub struct Handler {
    /// Shared state.
    pub state: Arc<AppState>,
    /// The app the sockets belong to.
    pub app: Arc<App>,
}

impl SocketHandler for Handler {
    fn on_text(&self, conn: &ConnectionId, user: &UserId, text: &str) {
        tracing::debug!(%conn, %user, len = text.len(), "ignored client frame");
    }

    fn on_close(&self, _conn: &ConnectionId, user: &UserId, watched: Vec<chat_core::ids::Cid>) {
        let registry = self.state.registry(&self.app.id);
        if !user.as_str().starts_with('!') {
            let (state, app, id) = (self.state.clone(), self.app.id.clone(), user.clone());
            tokio::spawn(async move {
                if state.presence.disconnected(&app, &id).await {
                    went_offline(&state, &app, &id).await;
                }
            });
        }
        let now = self.state.engine.clock().now();
        for cid in watched {
            if registry.is_watching(user, &cid) {
                continue;
            }
            let event = Event {
                app: self.app.id.clone(),
                kind: EventKind::WatchingStop { user: user.clone() },
                created_at: now,
                cid: Some(cid),
                actor: Some(user.clone()),
                audience: Audience::Channel,
            };
            let bus = self.state.bus.clone();
            tokio::spawn(async move {
                let _ = bus.publish(Arc::new(event)).await;
            });
        }
    }

    fn health_frame(&self, conn: &ConnectionId, _user: &UserId) -> Bytes {
        let v = wire::health_check(conn.as_str(), None, self.state.engine.clock().now());
        Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
    }
}

/// A user's last socket (on any node) closed: keeps `last_active` and announces offline.
pub async fn went_offline(state: &AppState, app: &chat_core::ids::AppId, id: &UserId) {
    let Ok(Some(app)) = state.app_by_id(app).await else {
        return;
    };
    let store = state.engine.store();
    let found = store.get_users(&app.id, std::slice::from_ref(id)).await;
    let Ok(Some(mut user)) = found.map(|v| v.into_iter().next()) else {
        return;
    };
    user.last_active = Some(state.engine.clock().now());
    // Best effort: a concurrent update of the user wins over the activity stamp.
    if let Ok(updated) = store.update_user(&app.id, user.clone()).await {
        user = updated;
    }
    announce_presence(state, &app, user, false).await;
}

/// Tells the users who share a watched channel with `user` that it went online or offline
/// (`user.presence.changed`, once per real transition; invisible users stay silent). The
/// event crosses nodes with an empty audience: each node resolves it against its own
/// sockets at delivery ([`presence_audience`]).
pub async fn announce_presence(
    state: &AppState,
    app: &App,
    user: chat_core::model::User,
    online: bool,
) {
    if user.invisible {
        return;
    }
    let event = Event {
        app: app.id.clone(),
        created_at: state.engine.clock().now(),
        cid: None,
        actor: Some(user.id.clone()),
        kind: EventKind::PresenceChanged { user, online },
        audience: Audience::Users(Vec::new()),
    };
    let _ = state.bus.publish(Arc::new(event)).await;
}
