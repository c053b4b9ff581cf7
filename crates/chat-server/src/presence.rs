//! Presence: whether a user has an open socket on any node, and the transitions that
//! produce `user.presence.changed` exactly once per real change (not per socket).
//!
//! Alone, a node counts its own sockets. With Redis, the counts are shared:
//! - `{p}:pc:{app}/{user}` — hash, node id → that node's open sockets of the user;
//! - `{p}:pu:{node}` — set of `app/user` with sockets on the node (what to clean up when
//!   it dies);
//! - `{p}:node:{node}` — the node's heartbeat, a key with a TTL (`--node-ttl-secs`,
//!   default 15 s) refreshed every third of it; `{p}:nodes` — every node not yet reaped.
//!
//! A user is online when some *live* node (heartbeat present) counts a socket of theirs.
//! Connect and disconnect are one script each (increment, then sum over live nodes), so
//! concurrent sockets on several nodes agree on who saw the 0→1 and 1→0 transitions.
//! Every heartbeat tick each node also looks for dead nodes; the one whose `SREM` from
//! `{p}:nodes` succeeds reaps it, and announces offline the users left with no socket on
//! a live node: a crashed node's users go offline within about one TTL plus one tick.
//! A Redis restarted empty is noticed by the heartbeat (its key was missing), and a
//! change that failed during an outage marks the node dirty; either way the next
//! heartbeat rewrites the node's counts from its own.
//!
//! The scripts name keys they compute (standalone Redis or a single-shard deployment,
//! not Redis Cluster). While Redis is unreachable, transitions are decided on the node's
//! own counts (degraded mode), which are kept in every mode for that reason.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chat_core::ids::{AppId, UserId};
use fred::prelude::{HashesInterface, KeysInterface, LuaInterface, SetsInterface};

use crate::redis::RedisLink;
use crate::state::AppState;

/// Sums a user's sockets over live nodes, after applying this node's delta.
/// KEYS: count hash, node's user set, node's heartbeat. ARGV: node, `app/user`,
/// heartbeat prefix, ttl ms, delta, nodes set.
const CHANGE: &str = r#"
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[5])
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[2])
else
  redis.call('SADD', KEYS[2], ARGV[2])
end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('SADD', ARGV[6], ARGV[1])
local total = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if redis.call('EXISTS', ARGV[3] .. all[i]) == 1 then total = total + tonumber(all[i + 1]) end
end
return total
"#;

/// Reaps a dead node; returns the `app/user` entries left with no socket on a live node.
/// ARGV: dead node, prefix.
const REAP: &str = r#"
local p = ARGV[2]
if redis.call('EXISTS', p .. ':node:' .. ARGV[1]) == 1 then return {} end
if redis.call('SREM', p .. ':nodes', ARGV[1]) == 0 then return {} end
local users = redis.call('SMEMBERS', p .. ':pu:' .. ARGV[1])
local gone = {}
for _, m in ipairs(users) do
  local h = p .. ':pc:' .. m
  redis.call('HDEL', h, ARGV[1])
  local total = 0
  local all = redis.call('HGETALL', h)
  for i = 1, #all, 2 do
    if redis.call('EXISTS', p .. ':node:' .. all[i]) == 1 then total = total + tonumber(all[i + 1]) end
  end
  if total == 0 then table.insert(gone, m) end
end
redis.call('DEL', p .. ':pu:' .. ARGV[1])
return gone
"#;

/// Which of the users are online. ARGV: prefix, app, users…
const ONLINE: &str = r#"
local out = {}
for i = 3, #ARGV do
  local all = redis.call('HGETALL', ARGV[1] .. ':pc:' .. ARGV[2] .. '/' .. ARGV[i])
  for j = 1, #all, 2 do
    if tonumber(all[j + 1]) > 0 and redis.call('EXISTS', ARGV[1] .. ':node:' .. all[j]) == 1 then
      table.insert(out, ARGV[i])
      break
    end
  end
end
return out
"#;

/// Refreshes the heartbeat; 1 when the key was missing (new node, or Redis lost it).
/// KEYS: heartbeat, nodes set. ARGV: ttl ms, node.
const HEARTBEAT: &str = r#"
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if existed == 1 then return 0 end
return 1
"#;

/// Presence of one node.
pub struct Presence {
    /// This node's open sockets per (app, user).
    local: Mutex<HashMap<(AppId, UserId), usize>>,
    /// Users whose last socket closed less than `offline_delay` ago, not yet announced
    /// offline, with the generation of their pending check (a reconnect removes it).
    pending_offline: Mutex<HashMap<(AppId, UserId), u64>>,
    generation: AtomicU64,
    /// How long a user may be without a socket before going offline (websocket.md W13).
    offline_delay: Duration,
    /// A change could not reach Redis: the next heartbeat rewrites the node's counts.
    dirty: AtomicBool,
    redis: Option<(Arc<RedisLink>, Duration)>,
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence")
            .field("redis", &self.redis.is_some())
            .finish_non_exhaustive()
    }
}

fn member(app: &AppId, user: &UserId) -> String {
    format!("{}/{}", app.as_str(), user.as_str())
}

impl Presence {
    /// Node-local presence, or shared through `redis` with heartbeats of `ttl`.
    /// A user whose last socket closes is announced offline only after `offline_delay`
    /// without a new one, so a reconnect is silent.
    pub fn new(redis: Option<(Arc<RedisLink>, Duration)>, offline_delay: Duration) -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            pending_offline: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            offline_delay,
            dirty: AtomicBool::new(false),
            redis,
        }
    }

    /// Applies `delta` to the node's own count; the count after.
    fn local_change(&self, app: &AppId, user: &UserId, delta: i64) -> usize {
        let Ok(mut map) = self.local.lock() else {
            return 0;
        };
        let key = (app.clone(), user.clone());
        let before = map.get(&key).copied().unwrap_or(0) as i64;
        let now = (before + delta).max(0) as usize;
        if now == 0 {
            map.remove(&key);
        } else {
            map.insert(key, now);
        }
        now
    }

    async fn change(&self, app: &AppId, user: &UserId, delta: i64) -> usize {
        let local = self.local_change(app, user, delta);
        let Some((link, ttl)) = &self.redis else {
            return local;
        };
        let m = member(app, user);
        let keys = vec![
            link.key(&format!("pc:{m}")),
            link.key(&format!("pu:{}", link.node)),
            link.key(&format!("node:{}", link.node)),
        ];
        let args = vec![
            link.node.to_string(),
            m,
            link.key("node:"),
            ttl.as_millis().to_string(),
            delta.to_string(),
            link.key("nodes"),
        ];
        match link.commands.eval::<i64, _, _, _>(CHANGE, keys, args).await {
            Ok(total) => total.max(0) as usize,
            Err(e) => {
                tracing::debug!(error = %e, "presence decided locally: redis unavailable");
                self.dirty.store(true, Ordering::Relaxed);
                local
            }
        }
    }

    /// A socket of `user` opened; true when the user just came online (cluster-wide) and
    /// was announced offline before: a reconnect within the offline delay is no change.
    pub async fn connected(&self, app: &AppId, user: &UserId) -> bool {
        let first = self.change(app, user, 1).await == 1;
        let was_pending = self
            .pending_offline
            .lock()
            .map(|mut p| p.remove(&(app.clone(), user.clone())).is_some())
            .unwrap_or(false);
        first && !was_pending
    }

    /// A socket of `user` closed. When it was the user's last (cluster-wide), waits
    /// `offline_delay`; if no socket of the user opened meanwhile (on any node), keeps
    /// `last_active` and announces offline. Runs in the background.
    pub fn socket_closed(state: &Arc<AppState>, app: &AppId, user: &UserId) {
        let weak = Arc::downgrade(state);
        let (app, user) = (app.clone(), user.clone());
        tokio::spawn(async move {
            let Some(state) = weak.upgrade() else { return };
            let presence = &state.presence;
            if !presence.disconnected(&app, &user).await {
                return;
            }
            let delay = presence.offline_delay;
            if delay.is_zero() || !state.is_accepting() {
                crate::socket_events::went_offline(&state, &app, &user).await;
                return;
            }
            let key = (app.clone(), user.clone());
            let generation = presence.generation.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut p) = presence.pending_offline.lock() {
                p.insert(key.clone(), generation);
            }
            drop(state); // not kept alive by a pending check
            tokio::time::sleep(delay).await;
            let Some(state) = weak.upgrade() else { return };
            let presence = &state.presence;
            let ours = presence.pending_offline.lock().is_ok_and(|mut p| {
                let ours = p.get(&key) == Some(&generation);
                if ours {
                    p.remove(&key);
                }
                ours
            });
            // Not ours: reconnected here, superseded by a later close, or flushed.
            if ours
                && presence
                    .online_among(&app, std::slice::from_ref(&user))
                    .await
                    .is_empty()
            {
                crate::socket_events::went_offline(&state, &app, &user).await;
            }
        });
    }

    /// At shutdown: announces every pending offline now instead of after the delay, so
    /// other nodes hear of it before this one is gone.
    pub async fn flush_pending(&self, state: &AppState) {
        let pending: Vec<(AppId, UserId)> = self
            .pending_offline
            .lock()
            .map(|mut p| p.drain().map(|(k, _)| k).collect())
            .unwrap_or_default();
        for (app, user) in pending {
            if self
                .online_among(&app, std::slice::from_ref(&user))
                .await
                .is_empty()
            {
                crate::socket_events::went_offline(state, &app, &user).await;
            }
        }
    }

    /// A socket of `user` closed; true when the user just went offline (cluster-wide).
    pub async fn disconnected(&self, app: &AppId, user: &UserId) -> bool {
        self.change(app, user, -1).await == 0
    }

    /// The users among `users` with an open socket on some live node.
    pub async fn online_among(&self, app: &AppId, users: &[UserId]) -> HashSet<UserId> {
        let local: HashSet<UserId> = self
            .local
            .lock()
            .map(|map| {
                users
                    .iter()
                    .filter(|u| map.contains_key(&(app.clone(), (*u).clone())))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let Some((link, _)) = &self.redis else {
            return local;
        };
        if users.is_empty() {
            return local;
        }
        let mut args = vec![link.prefix.to_string(), app.to_string()];
        args.extend(users.iter().map(|u| u.to_string()));
        match link
            .commands
            .eval::<Vec<String>, _, _, _>(ONLINE, Vec::<String>::new(), args)
            .await
        {
            Ok(online) => online
                .into_iter()
                .filter_map(|u| UserId::parse(&u).ok())
                .chain(local)
                .collect(),
            Err(_) => local,
        }
    }

    /// Refreshes the heartbeat. When Redis lost the node's key (restarted empty, or the
    /// node was cut off longer than the TTL) or missed a change during an outage, rewrites
    /// the node's counts from its own.
    async fn heartbeat(&self, link: &RedisLink, ttl: Duration) -> Result<(), fred::error::Error> {
        let keys = vec![link.key(&format!("node:{}", link.node)), link.key("nodes")];
        let args = vec![ttl.as_millis().to_string(), link.node.to_string()];
        let missing: i64 = link.commands.eval(HEARTBEAT, keys, args).await?;
        if missing == 1 || self.dirty.swap(false, Ordering::Relaxed) {
            if let Err(e) = self.rewrite(link).await {
                self.dirty.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Makes Redis hold exactly this node's counts.
    async fn rewrite(&self, link: &RedisLink) -> Result<(), fred::error::Error> {
        let counts: HashMap<String, usize> = self
            .local
            .lock()
            .map(|m| m.iter().map(|((a, u), n)| (member(a, u), *n)).collect())
            .unwrap_or_default();
        let users_key = link.key(&format!("pu:{}", link.node));
        let listed: Vec<String> = link.commands.smembers(&users_key).await?;
        for m in listed.iter().filter(|m| !counts.contains_key(*m)) {
            let _: () = link
                .commands
                .hdel(link.key(&format!("pc:{m}")), link.node.to_string())
                .await?;
            let _: () = link.commands.srem(&users_key, m.clone()).await?;
        }
        for (m, n) in counts {
            let _: () = link
                .commands
                .hset(
                    link.key(&format!("pc:{m}")),
                    (link.node.to_string(), n as i64),
                )
                .await?;
            let _: () = link.commands.sadd(&users_key, m).await?;
        }
        Ok(())
    }

    /// On graceful shutdown: drops the heartbeat so another node reaps this one (and
    /// announces its users offline) at its next tick instead of after the TTL.
    pub async fn leave(&self) {
        if let Some((link, _)) = &self.redis {
            let gone: Result<i64, _> = link
                .commands
                .del(link.key(&format!("node:{}", link.node)))
                .await;
            if let Err(e) = gone {
                tracing::debug!(error = %e, "heartbeat not removed at shutdown");
            }
        }
    }

    /// Reaps dead nodes; the users who went offline with them.
    async fn reap(&self, link: &RedisLink) -> Result<Vec<(AppId, UserId)>, fred::error::Error> {
        let nodes: Vec<String> = link.commands.smembers(link.key("nodes")).await?;
        let mut gone = Vec::new();
        for node in nodes.iter().filter(|n| n.as_str() != &*link.node) {
            let alive: i64 = link
                .commands
                .exists(link.key(&format!("node:{node}")))
                .await?;
            if alive == 1 {
                continue;
            }
            let args = vec![node.clone(), link.prefix.to_string()];
            let users: Vec<String> = link.commands.eval(REAP, Vec::<String>::new(), args).await?;
            tracing::info!(node = %node, users = users.len(), "reaped a dead node");
            for m in users {
                let Some((app, user)) = m.split_once('/') else {
                    continue;
                };
                if let (Ok(app), Ok(user)) = (AppId::parse(app), UserId::parse(user)) {
                    gone.push((app, user));
                }
            }
        }
        Ok(gone)
    }
}

/// Heartbeats and reaping, every third of the TTL, for as long as the server lives.
pub fn spawn_heartbeat(state: &Arc<AppState>) {
    let Some((link, ttl)) = state.presence.redis.clone() else {
        return;
    };
    let weak: Weak<AppState> = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(ttl / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { return };
            if !state.is_accepting() {
                return; // shutting down: `leave` removes the heartbeat
            }
            if let Err(e) = state.presence.heartbeat(&link, ttl).await {
                tracing::debug!(error = %e, "presence heartbeat failed");
                continue;
            }
            match state.presence.reap(&link).await {
                Ok(gone) => {
                    for (app, user) in gone {
                        crate::socket_events::went_offline(&state, &app, &user).await;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "reaping dead nodes failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn alone_a_node_reports_each_transition_once() {
        let p = Presence::new(None, Duration::ZERO);
        let (app, alice) = (AppId::new_unchecked("a"), UserId::new_unchecked("alice"));
        assert!(p.connected(&app, &alice).await);
        assert!(!p.connected(&app, &alice).await);
        assert_eq!(
            p.online_among(&app, std::slice::from_ref(&alice))
                .await
                .len(),
            1
        );
        assert!(!p.disconnected(&app, &alice).await);
        assert!(p.disconnected(&app, &alice).await);
        assert!(p.online_among(&app, &[alice]).await.is_empty());
    }
}
