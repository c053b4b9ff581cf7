//! Shared fixtures for the benchmarks in `benches/benches/`.

pub mod world;

use std::collections::HashMap;
use std::sync::Arc;

use chat_core::fanout::{Connection, WatchIndex};
use chat_core::ids::{Cid, ConnectionId, UserId};

/// A connection of [`AllWatching`].
#[derive(Debug, Clone)]
pub struct Conn(ConnectionId, UserId);

impl Connection for Conn {
    fn id(&self) -> &ConnectionId {
        &self.0
    }

    fn user(&self) -> &UserId {
        &self.1
    }
}

/// A watch index where every member watches the channel over one connection.
#[derive(Debug)]
pub struct AllWatching {
    watchers: Arc<[Conn]>,
    by_user: HashMap<UserId, Vec<Conn>>,
}

impl AllWatching {
    /// `n` members, each with one watching connection.
    pub fn new(n: usize) -> Self {
        let watchers: Arc<[Conn]> = (0..n)
            .map(|i| {
                Conn(
                    ConnectionId::new_unchecked(format!("c{i}")),
                    UserId::new_unchecked(format!("u{i}")),
                )
            })
            .collect();
        let by_user = watchers
            .iter()
            .map(|c| (c.1.clone(), vec![c.clone()]))
            .collect();
        Self { watchers, by_user }
    }

    /// The members' ids.
    pub fn members(&self) -> Vec<UserId> {
        self.watchers.iter().map(|c| c.1.clone()).collect()
    }
}

impl WatchIndex for AllWatching {
    type Conn = Conn;

    fn watchers(&self, _cid: &Cid) -> Arc<[Conn]> {
        self.watchers.clone()
    }

    fn for_each_connection_of(&self, user: &UserId, f: &mut dyn FnMut(&Conn)) {
        self.by_user.get(user).into_iter().flatten().for_each(f);
    }

    fn connection_count(&self) -> usize {
        self.watchers.len()
    }
}
