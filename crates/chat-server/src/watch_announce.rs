//! Throttling of `user.watching.start/stop` in big channels: above
//! [`THROTTLE_ABOVE`] watching users a channel announces at most one of them per
//! [`ANNOUNCE_EVERY`] (api-spec websocket.md §5). Without it every join in a channel of N
//! watchers costs N frames, and N joins cost N²/2.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chat_core::fanout::{Audience, Event, EventKind};
use chat_core::ids::{AppId, Cid, UserId};
use chat_core::time::Timestamp;

/// Channels with more watching users than this are throttled.
pub const THROTTLE_ABOVE: usize = 100;

/// At most one announcement per channel per this long once throttled.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(5);

/// Entries are pruned when the map grows past this (only throttled channels are kept).
const PRUNE_ABOVE: usize = 4096;

/// When each throttled channel last announced a watcher.
#[derive(Debug, Default)]
pub struct WatchAnnouncer {
    last: Mutex<HashMap<(AppId, Cid), Instant>>,
}

impl WatchAnnouncer {
    /// Whether a watching start/stop in `cid`, which now has `watching_users` distinct
    /// watching users, is announced. Records the announcement when it is.
    pub fn allow(&self, app: &AppId, cid: &Cid, watching_users: usize, now: Instant) -> bool {
        if watching_users <= THROTTLE_ABOVE {
            return true;
        }
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        let key = (app.clone(), cid.clone());
        if last
            .get(&key)
            .is_some_and(|at| now.saturating_duration_since(*at) < ANNOUNCE_EVERY)
        {
            return false;
        }
        if last.len() >= PRUNE_ABOVE {
            last.retain(|_, at| now.saturating_duration_since(*at) < ANNOUNCE_EVERY);
        }
        last.insert(key, now);
        true
    }
}

/// `user.watching.start` (or `.stop`) of `user` in `cid`, for the channel's watchers.
pub fn watching_event(app: &AppId, cid: &Cid, user: &UserId, start: bool, at: Timestamp) -> Event {
    let user = user.clone();
    Event {
        app: app.clone(),
        kind: if start {
            EventKind::WatchingStart { user: user.clone() }
        } else {
            EventKind::WatchingStop { user: user.clone() }
        },
        created_at: at,
        cid: Some(cid.clone()),
        actor: Some(user),
        audience: Audience::Channel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_channels_always_announce_big_ones_once_per_interval() {
        let a = WatchAnnouncer::default();
        let app = AppId::new_unchecked("app");
        let (big, small) = (
            Cid::parse("messaging:big").unwrap(),
            Cid::parse("messaging:small").unwrap(),
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(a.allow(&app, &small, THROTTLE_ABOVE, t0));
        }
        assert!(a.allow(&app, &big, THROTTLE_ABOVE + 1, t0));
        assert!(!a.allow(&app, &big, THROTTLE_ABOVE + 1, t0 + Duration::from_secs(1)));
        assert!(!a.allow(
            &app,
            &big,
            5000,
            t0 + ANNOUNCE_EVERY - Duration::from_millis(1)
        ));
        assert!(a.allow(&app, &big, THROTTLE_ABOVE + 1, t0 + ANNOUNCE_EVERY));
        // Another app's channel of the same cid is its own.
        assert!(a.allow(&AppId::new_unchecked("other"), &big, 500, t0));
    }
}
