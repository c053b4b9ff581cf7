//! Presenting domain values as Stream JSON for one viewer: preloads exactly the users,
//! quoted messages and own reactions the `wire` encoders need, then calls them.

use std::collections::{HashMap, HashSet};

use chat_core::engine::{ChannelAccess, ChannelState};
use chat_core::ids::{AppId, MessageId, UserId};
use chat_core::model::{Member, Message, Reaction, User};
use serde_json::Value;

use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Loaded lookups for one response.
pub struct Loaded {
    users: HashMap<UserId, User>,
    messages: HashMap<MessageId, Message>,
    own_reactions: HashMap<MessageId, Vec<Reaction>>,
    viewer: Option<UserId>,
    /// A set, not the `Vec` presence answers with: every encoded user asks, and a channel
    /// state encodes up to 100 read entries (a linear scan made that quadratic).
    online: HashSet<UserId>,
}

impl Loaded {
    /// Loads users `ids` (plus what `messages` reference) for `viewer`.
    pub async fn load(
        state: &AppState,
        app: &AppId,
        viewer: Option<&UserId>,
        mut user_ids: Vec<UserId>,
        messages: &[Message],
    ) -> Result<Self, ApiError> {
        let store = state.engine.store();
        let quoted_ids = wire::quoted_ids(messages);
        let quoted = if quoted_ids.is_empty() {
            Vec::new()
        } else {
            store
                .get_messages(app, &quoted_ids)
                .await
                .map_err(chat_core::Error::from)?
        };
        user_ids.extend(wire::user_ids_for_messages(messages));
        user_ids.extend(wire::user_ids_for_messages(&quoted));
        if let Some(v) = viewer {
            user_ids.push(v.clone());
        }
        user_ids.sort();
        user_ids.dedup();
        let users = store
            .get_users(app, &user_ids)
            .await
            .map_err(chat_core::Error::from)?;
        // Only a message with reactions can carry the viewer's own: a new message (every
        // send's response) needs no lookup.
        let reacted: Vec<MessageId> = messages
            .iter()
            .filter(|m| !m.reactions.groups.is_empty())
            .map(|m| m.id.clone())
            .collect();
        let own = match viewer {
            Some(v) if !reacted.is_empty() => {
                let ids = reacted;
                store
                    .user_reactions(app, &ids, v)
                    .await
                    .map_err(chat_core::Error::from)?
            }
            _ => Vec::new(),
        };
        let mut own_reactions: HashMap<MessageId, Vec<Reaction>> = HashMap::new();
        for r in own {
            own_reactions
                .entry(r.message_id.clone())
                .or_default()
                .push(r);
        }
        let visible: Vec<UserId> = users
            .iter()
            .filter(|u| !u.invisible)
            .map(|u| u.id.clone())
            .collect();
        let online = state.online_among(app, &visible).await;
        Ok(Self {
            users: users.into_iter().map(|u| (u.id.clone(), u)).collect(),
            messages: quoted.into_iter().map(|m| (m.id.clone(), m)).collect(),
            own_reactions,
            viewer: viewer.cloned(),
            online: online.into_iter().collect(),
        })
    }

    /// Runs `f` with an encoding context over these lookups.
    pub fn with<R>(&self, f: impl FnOnce(&wire::Ctx<'_>) -> R) -> R {
        let online = |u: &UserId| self.online.contains(u);
        let ctx = wire::Ctx {
            users: &self.users,
            messages: &self.messages,
            own_reactions: &self.own_reactions,
            online: &online,
            viewer: self.viewer.as_ref(),
        };
        f(&ctx)
    }
}

/// Encodes one message for `viewer`.
pub async fn message(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    m: &Message,
    server: bool,
) -> Result<Value, ApiError> {
    let loaded = Loaded::load(state, app, viewer, Vec::new(), std::slice::from_ref(m)).await?;
    Ok(loaded.with(|ctx| wire::message(m, ctx, server)))
}

/// Encodes messages for `viewer`.
pub async fn messages(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    ms: &[Message],
    server: bool,
) -> Result<Vec<Value>, ApiError> {
    let loaded = Loaded::load(state, app, viewer, Vec::new(), ms).await?;
    Ok(loaded.with(|ctx| ms.iter().map(|m| wire::message(m, ctx, server)).collect()))
}

/// Encodes a channel state (query / watch / query channels).
pub async fn channel_state(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    cs: &ChannelState,
    server: bool,
) -> Result<Value, ApiError> {
    let ids = wire::user_ids_for_state(cs);
    let mut all = cs.messages.clone();
    all.extend(cs.pinned_messages.iter().cloned());
    let loaded = Loaded::load(state, app, viewer, ids, &all).await?;
    let watcher_count = state.registry(app).watcher_count(&cs.access.channel.cid);
    Ok(loaded.with(|ctx| wire::channel_state(cs, ctx, watcher_count, server)))
}

/// Encodes a channel with the viewer's capabilities.
pub async fn channel(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    access: &ChannelAccess,
    caps: Option<&[&str]>,
) -> Result<Value, ApiError> {
    let mut ids = Vec::new();
    ids.extend(access.channel.created_by.iter().cloned());
    ids.extend(access.channel.truncated_by.iter().cloned());
    let loaded = Loaded::load(state, app, viewer, ids, &[]).await?;
    Ok(loaded.with(|ctx| wire::channel(access, ctx, caps)))
}

/// Encodes members of a channel.
pub async fn members(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    access: &ChannelAccess,
    ms: &[Member],
) -> Result<Vec<Value>, ApiError> {
    let ids = ms.iter().map(|m| m.user_id.clone()).collect();
    let loaded = Loaded::load(state, app, viewer, ids, &[]).await?;
    Ok(loaded.with(|ctx| {
        ms.iter()
            .map(|m| wire::member(m, &access.channel, ctx))
            .collect()
    }))
}

/// Encodes users.
pub async fn users(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    us: &[User],
) -> Result<Vec<Value>, ApiError> {
    // The users themselves are loaded too: that is what decides their `online`.
    let ids = us.iter().map(|u| u.id.clone()).collect();
    let loaded = Loaded::load(state, app, viewer, ids, &[]).await?;
    Ok(loaded.with(|ctx| us.iter().map(|u| wire::user(u, ctx)).collect()))
}

/// Encodes reactions.
pub async fn reactions(
    state: &AppState,
    app: &AppId,
    viewer: Option<&UserId>,
    rs: &[Reaction],
) -> Result<Vec<Value>, ApiError> {
    let ids = rs.iter().map(|r| r.user_id.clone()).collect();
    let loaded = Loaded::load(state, app, viewer, ids, &[]).await?;
    Ok(loaded.with(|ctx| rs.iter().map(|r| wire::reaction(r, ctx)).collect()))
}
