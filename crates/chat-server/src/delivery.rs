//! Delivery: takes events off the bus, resolves who receives them (`fanout::plan` over the
//! app's socket registry), encodes each event's shared body once and queues frames.
//! Per-recipient parts (unread counters) are added only to the forms that carry them.
//!
//! One dispatcher reads the bus and hands each event to one of several workers (one per
//! core), chosen by the event's channel (by its actor or first addressed user when it has
//! none), so fan-out uses every core while a channel's events keep their order: a channel's
//! events all go through one worker, in bus order. Events of different channels may be
//! delivered in a different order than they were published.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use bytes::Bytes;
use chat_core::fanout::{needs_members, plan, Audience, Connection, Event, EventKind, Form};
use chat_core::ids::UserId;
use chat_core::model::App;
use chat_core::read_state::UnreadSummary;
use chat_transport_ws::{Frame, SendOutcome};
use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::present::Loaded;
use crate::state::AppState;
use crate::wire;

/// Events queued for one worker. Full policy: the dispatcher waits for room, so a busy worker
/// slows the dispatcher down and the backlog builds up on the bus, which holds 65,536 events
/// and, past that, loses the oldest and says how many (counted in
/// `chat_events_dropped_total`, as with one task). Nothing is dropped here.
const WORKER_QUEUE: usize = 4096;

/// Delivery workers: four per core, 8 to 32. With the memory store a worker is CPU-bound
/// and one per core would do; with PostgreSQL it spends most of an event waiting for the
/// store (members, users), and one per core left `postgres-1k` (1,000 msg/s into 10
/// channels) delivering seconds late while the CPU idled.
fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(8, |n| (n.get() * 4).clamp(8, 32))
}

/// Runs until the bus closes: the dispatcher, with the workers spawned beside it.
pub async fn run(state: Arc<AppState>) {
    let mut rx = state.bus.subscribe();
    let workers: Vec<mpsc::Sender<Arc<Event>>> = (0..worker_count())
        .map(|_| {
            let (tx, rx) = mpsc::channel(WORKER_QUEUE);
            tokio::spawn(worker(state.clone(), rx));
            tx
        })
        .collect();
    let hasher = std::collections::hash_map::RandomState::new();
    loop {
        match rx.recv().await {
            Ok(event) => {
                // Truncation is fine: only the low bits pick the worker.
                let index = order_key(&event).map_or(0, |key| hasher.hash_one(key) as usize)
                    % workers.len();
                if workers[index].send(event).await.is_err() {
                    // A worker only ends when its queue closes, which happens below.
                    break;
                }
            }
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(lost = n, "delivery fell behind the bus");
                metrics::counter!("chat_events_dropped_total").increment(n);
            }
            Err(RecvError::Closed) => break,
        }
    }
}

/// The key whose events must stay in order: the channel, else who the event is about.
fn order_key(event: &Event) -> Option<&str> {
    if let Some(cid) = &event.cid {
        return Some(cid.as_str());
    }
    if let Some(actor) = &event.actor {
        return Some(actor.as_str());
    }
    match &event.audience {
        Audience::Users(users)
        | Audience::ChannelUsers(users)
        | Audience::ChannelWithMembers(users) => users.first().map(UserId::as_str),
        Audience::Channel => None,
    }
}

/// Delivers the events of its share of the channels, in order.
async fn worker(state: Arc<AppState>, mut rx: mpsc::Receiver<Arc<Event>>) {
    while let Some(event) = rx.recv().await {
        if let Err(e) = deliver(&state, &event).await {
            tracing::warn!(error = %e, event = event.kind.name(), "event not delivered");
            metrics::counter!("chat_events_dropped_total").increment(1);
        }
    }
}

/// Whether a form of this event carries the recipient's unread counters.
fn personal(kind: &EventKind, form: Form) -> bool {
    match kind {
        EventKind::MessageNew { .. } => form == Form::Notification,
        EventKind::NotificationMarkRead { .. } | EventKind::NotificationMarkUnread { .. } => true,
        _ => false,
    }
}

async fn app_of(state: &AppState, event: &Event) -> Result<Arc<App>, ApiError> {
    state
        .app_by_id(&event.app)
        .await?
        .ok_or_else(|| ApiError::not_found("app", event.app.as_str()))
}

/// Encodes an event (shared body, no per-recipient counters) for a route's response.
pub async fn encode_event(
    state: &AppState,
    app: &Arc<App>,
    event: &Event,
    notification: bool,
) -> Result<Value, ApiError> {
    let lookups = Lookups::load(state, app, event, notification).await?;
    Ok(Value::Object(lookups.encode(event, notification)))
}

/// Everything an event's forms need, loaded once per event: the users and messages it
/// names and, when a form carries it, the channel.
struct Lookups {
    loaded: Loaded,
    channel: Option<chat_core::engine::ChannelAccess>,
    watcher_count: Option<usize>,
}

impl Lookups {
    async fn load(
        state: &AppState,
        app: &Arc<App>,
        event: &Event,
        with_notification: bool,
    ) -> Result<Self, ApiError> {
        let mut ids = wire::user_ids_for_event(event);
        let messages: Vec<_> = match &event.kind {
            EventKind::MessageNew { message }
            | EventKind::MessageUpdated { message }
            | EventKind::MessageDeleted { message, .. }
            | EventKind::ReactionNew { message, .. }
            | EventKind::ReactionUpdated { message, .. }
            | EventKind::ReactionDeleted { message, .. } => vec![message.clone()],
            _ => Vec::new(),
        };
        // Channel events and notification forms carry the channel (with its config).
        let channel = match &event.cid {
            Some(cid) if with_notification || carries_channel(&event.kind) => {
                let actor = chat_core::engine::Actor::server(app.clone());
                state.engine.channel_access(&actor, cid).await.ok()
            }
            _ => None,
        };
        if let Some(access) = &channel {
            ids.extend(wire::user_ids_for_access(access));
        }
        let loaded = Loaded::load(state, &app.id, None, ids, &messages).await?;
        let registry = state.registry(&app.id);
        let watcher_count = event.cid.as_ref().map(|cid| registry.watcher_count(cid));
        Ok(Self {
            loaded,
            channel,
            watcher_count,
        })
    }

    fn encode(&self, event: &Event, notification: bool) -> Map<String, Value> {
        let extra = wire::EventExtra {
            watcher_count: self.watcher_count,
            channel: self.channel.as_ref(),
        };
        self.loaded
            .with(|ctx| wire::event(event, ctx, notification, &extra))
    }
}

/// Events whose payload includes the channel object.
fn carries_channel(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::ChannelCreated { .. }
            | EventKind::ChannelUpdated { .. }
            | EventKind::ChannelDeleted { .. }
            | EventKind::ChannelTruncated { .. }
            | EventKind::ChannelHidden { .. }
            | EventKind::ChannelVisible { .. }
            | EventKind::NotificationMarkRead { .. }
            | EventKind::NotificationInvited { .. }
            | EventKind::NotificationInviteAccepted { .. }
            | EventKind::NotificationInviteRejected { .. }
    )
}

async fn deliver(state: &AppState, event: &Event) -> Result<(), ApiError> {
    let registry = state.registry(&event.app);
    // With several nodes every node sees every event of the app: most have no local
    // recipient, and must cost no lookup.
    if registry.connection_count() == 0 {
        return Ok(());
    }
    let resolved;
    let event = match &event.kind {
        EventKind::PresenceChanged { user, .. } => {
            resolved = Event {
                audience: Audience::Users(presence_audience(state, &event.app, &user.id).await),
                ..event.clone()
            };
            &resolved
        }
        _ => event,
    };
    // Only read the members when someone connected may need the notification form.
    let members: Vec<UserId> = match &event.cid {
        Some(cid) if needs_members(event, registry.as_ref()) => state
            .engine
            .store()
            .member_ids(&event.app, cid)
            .await
            .map_err(chat_core::Error::from)?,
        _ => Vec::new(),
    };
    let deliveries = plan(event, &members, registry.as_ref());
    if deliveries.is_empty() {
        return Ok(());
    }
    let app = app_of(state, event).await?;
    let lookups = Lookups::load(state, &app, event, deliveries.has_notification()).await?;
    let droppable = event.kind.is_droppable();
    let personal_forms = [
        personal(&event.kind, Form::Channel),
        personal(&event.kind, Form::Notification),
    ];
    // Index 0: the channel form, 1: the notification form; each encoded once per event.
    let mut shared: [Option<(Map<String, Value>, Bytes)>; 2] = [None, None];
    let mut summaries: HashMap<UserId, UnreadSummary> = HashMap::new();
    let mut delivered = 0u64;
    let mut dropped = 0u64;
    for (connection, form) in deliveries.iter() {
        let notification = form == Form::Notification;
        let slot = &mut shared[usize::from(notification)];
        if slot.is_none() {
            let map = lookups.encode(event, notification);
            let bytes = Bytes::from(
                serde_json::to_vec(&map).map_err(|e| ApiError::internal(e.to_string()))?,
            );
            *slot = Some((map, bytes));
        }
        let Some((map, bytes)) = slot.as_ref() else {
            continue;
        };
        let payload = if personal_forms[usize::from(notification)] {
            let user = connection.user();
            if !summaries.contains_key(user) {
                let s = state.engine.unread_counts(&event.app, user).await?;
                summaries.insert(user.clone(), s);
            }
            match summaries.get(user) {
                Some(s) => with_unread(map, bytes, s)?,
                None => bytes.clone(),
            }
        } else {
            bytes.clone()
        };
        // The handle queues directly: no per-connection lookup on the hot path.
        match connection.send(Frame { payload, droppable }) {
            SendOutcome::Queued => delivered += 1,
            SendOutcome::Dropped | SendOutcome::Closed => dropped += 1,
        }
    }
    metrics::counter!("chat_events_delivered_total").increment(delivered);
    if dropped > 0 {
        metrics::counter!("chat_events_dropped_total").increment(dropped);
    }
    Ok(())
}

/// The shared body of a personal form plus the recipient's unread counters — the object
/// [`wire::add_unread`] gives — made by appending the counters to the encoded body instead
/// of encoding the body again for every recipient.
fn with_unread(
    map: &Map<String, Value>,
    shared: &Bytes,
    summary: &UnreadSummary,
) -> Result<Bytes, ApiError> {
    const KEYS: [&str; 4] = [
        "total_unread_count",
        "unread_channels",
        "unread_threads",
        "unread_count",
    ];
    let appendable = !map.is_empty()
        && shared.last() == Some(&b'}')
        && KEYS.iter().all(|k| !map.contains_key(*k));
    if !appendable {
        let mut own = map.clone();
        wire::add_unread(&mut own, summary);
        let bytes = serde_json::to_vec(&own).map_err(|e| ApiError::internal(e.to_string()))?;
        return Ok(Bytes::from(bytes));
    }
    let mut out = Vec::with_capacity(shared.len() + 96);
    out.extend_from_slice(&shared[..shared.len() - 1]);
    let mut push = |key: &str, n: u64| {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(n.to_string().as_bytes());
    };
    push(KEYS[0], summary.total_unread_count);
    push(KEYS[1], summary.unread_channels);
    push(KEYS[2], summary.unread_threads);
    let is_new = matches!(
        map.get("type").and_then(Value::as_str),
        Some("message.new" | "notification.message_new")
    );
    if is_new {
        push(KEYS[3], summary.total_unread_count);
    }
    out.push(b'}');
    Ok(Bytes::from(out))
}

/// The users with a socket on this node subscribed to presence (`presence: true`) in a
/// channel `user` is a member of.
async fn presence_audience(
    state: &AppState,
    app: &chat_core::ids::AppId,
    user: &UserId,
) -> Vec<UserId> {
    let memberships = match state.engine.store().memberships(app, user).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "presence not announced");
            return Vec::new();
        }
    };
    (state.presence_subs).audience(app, memberships.iter().map(|m| &m.cid), user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_counters_give_the_same_object_as_add_unread() {
        let summary = UnreadSummary {
            total_unread_count: 7,
            unread_channels: 2,
            unread_threads: 1,
            ..Default::default()
        };
        for kind in ["notification.message_new", "notification.mark_read"] {
            let body =
                serde_json::json!({"type": kind, "cid": "messaging:x", "n": [1, {"a": "}"}]});
            let Value::Object(map) = body else {
                unreachable!()
            };
            let shared = Bytes::from(serde_json::to_vec(&map).unwrap());
            let fast: Value =
                serde_json::from_slice(&with_unread(&map, &shared, &summary).unwrap()).unwrap();
            let mut slow = map.clone();
            wire::add_unread(&mut slow, &summary);
            assert_eq!(fast, Value::Object(slow), "{kind}");
        }
    }
}
