//! Socket lifecycle events: the transport's callbacks for one app's sockets (close → watching
//! stop and presence), and the `user.presence.changed` announcements on real transitions.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chat_core::fanout::{Audience, Event, EventKind};
use chat_core::ids::{ConnectionId, UserId};
use chat_core::model::App;
use chat_transport_ws::SocketHandler;

use crate::state::AppState;
use crate::watch_announce::watching_event;
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

    fn on_close(&self, conn: &ConnectionId, user: &UserId, watched: Vec<chat_core::ids::Cid>) {
        self.state.presence_subs.remove_connection(conn);
        if !user.as_str().starts_with('!') {
            crate::presence::Presence::socket_closed(&self.state, &self.app.id, user);
        }
        let registry = self.state.registry(&self.app.id);
        let now = self.state.engine.clock().now();
        let stopped: Vec<_> = watched
            .into_iter()
            .filter(|cid| !registry.is_watching(user, cid))
            .filter(|cid| {
                let watching = registry.watcher_count(cid);
                (self.state.watch_announcer).allow(&self.app.id, cid, watching, Instant::now())
            })
            .collect();
        if stopped.is_empty() {
            return;
        }
        let (state, app, user) = (self.state.clone(), self.app.clone(), user.clone());
        tokio::spawn(async move {
            let actor = chat_core::engine::Actor::server(app.clone());
            for cid in stopped {
                // Same rule as the start: only channel types with `connect_events`.
                let announce = state
                    .engine
                    .get_channel_type(&actor, cid.kind())
                    .await
                    .is_ok_and(|t| t.config.connect_events);
                if !announce {
                    continue;
                }
                let event = watching_event(&app.id, &cid, &user, false, now);
                let _ = state.bus.publish(Arc::new(event)).await;
            }
        });
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

/// Tells the sockets subscribed to `user`'s presence (`presence: true` on a query of a
/// channel `user` is a member of) that it went online or offline (`user.presence.changed`,
/// once per real transition; invisible users stay silent). The event crosses nodes with an
/// empty audience: each node resolves it against its own subscriptions at delivery.
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
