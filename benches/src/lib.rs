//! Shared fixtures for the benchmarks in `benches/benches/`.

pub mod world;

use std::collections::HashMap;

use chat_core::fanout::WatchIndex;
use chat_core::ids::{Cid, ConnectionId, UserId};

/// A watch index where every member watches the channel over one connection.
#[derive(Debug)]
pub struct AllWatching {
    watchers: Vec<(ConnectionId, UserId)>,
    by_user: HashMap<UserId, Vec<ConnectionId>>,
}

impl AllWatching {
    /// `n` members, each with one watching connection.
    pub fn new(n: usize) -> Self {
        let watchers: Vec<(ConnectionId, UserId)> = (0..n)
            .map(|i| {
                (
                    ConnectionId::new_unchecked(format!("c{i}")),
                    UserId::new_unchecked(format!("u{i}")),
                )
            })
            .collect();
        let by_user = watchers
            .iter()
            .map(|(c, u)| (u.clone(), vec![c.clone()]))
            .collect();
        Self { watchers, by_user }
    }

    /// The members' ids.
    pub fn members(&self) -> Vec<UserId> {
        self.watchers.iter().map(|(_, u)| u.clone()).collect()
    }
}

impl WatchIndex for AllWatching {
    fn watchers(&self, _cid: &Cid) -> Vec<(ConnectionId, UserId)> {
        self.watchers.clone()
    }

    fn connections_of(&self, user: &UserId) -> Vec<ConnectionId> {
        self.by_user.get(user).cloned().unwrap_or_default()
    }
}
