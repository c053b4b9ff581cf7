//! Presence subscriptions: which sockets asked for `presence: true` on a channel query
//! (websocket.md §6), so `user.presence.changed` about a member of that channel reaches
//! them, and nobody else. A socket that never asks receives no presence changes.
//! Entries live until the socket closes.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chat_core::ids::{AppId, Cid, ConnectionId, UserId};

type Key = (AppId, Cid);

/// The subscriptions of one node's sockets.
#[derive(Debug, Default)]
pub struct PresenceSubs {
    inner: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    by_channel: HashMap<Key, HashMap<ConnectionId, UserId>>,
    by_connection: HashMap<ConnectionId, HashSet<Key>>,
}

impl PresenceSubs {
    /// `conn` (of `user`) hears presence changes of `cid`'s members from now on.
    pub fn subscribe(&self, app: &AppId, cid: &Cid, conn: &ConnectionId, user: &UserId) {
        let Ok(mut index) = self.inner.lock() else {
            return;
        };
        let key = (app.clone(), cid.clone());
        index
            .by_channel
            .entry(key.clone())
            .or_default()
            .insert(conn.clone(), user.clone());
        index
            .by_connection
            .entry(conn.clone())
            .or_default()
            .insert(key);
    }

    /// Forgets a closed socket.
    pub fn remove_connection(&self, conn: &ConnectionId) {
        let Ok(mut index) = self.inner.lock() else {
            return;
        };
        let Some(keys) = index.by_connection.remove(conn) else {
            return;
        };
        for key in keys {
            if let Some(subs) = index.by_channel.get_mut(&key) {
                subs.remove(conn);
                if subs.is_empty() {
                    index.by_channel.remove(&key);
                }
            }
        }
    }

    /// The users with a socket subscribed to presence in any of `cids`, sorted, without
    /// `except` (a user is not told about themselves).
    pub fn audience<'a>(
        &self,
        app: &AppId,
        cids: impl IntoIterator<Item = &'a Cid>,
        except: &UserId,
    ) -> Vec<UserId> {
        let Ok(index) = self.inner.lock() else {
            return Vec::new();
        };
        let mut users: Vec<UserId> = cids
            .into_iter()
            .filter_map(|cid| index.by_channel.get(&(app.clone(), cid.clone())))
            .flat_map(|subs| subs.values())
            .filter(|u| *u != except)
            .cloned()
            .collect();
        users.sort();
        users.dedup();
        users
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_subscribed_sockets_hear_and_closing_forgets_them() {
        let subs = PresenceSubs::default();
        let app = AppId::new_unchecked("app");
        let (one, two) = (
            Cid::parse("messaging:one").unwrap(),
            Cid::parse("messaging:two").unwrap(),
        );
        let (alice, bob, carol) = (
            UserId::new_unchecked("alice"),
            UserId::new_unchecked("bob"),
            UserId::new_unchecked("carol"),
        );
        let (c1, c2, c3) = (
            ConnectionId::new_unchecked("c1"),
            ConnectionId::new_unchecked("c2"),
            ConnectionId::new_unchecked("c3"),
        );
        subs.subscribe(&app, &one, &c1, &alice);
        subs.subscribe(&app, &two, &c1, &alice);
        subs.subscribe(&app, &one, &c2, &bob);
        subs.subscribe(&app, &two, &c3, &carol);
        assert_eq!(
            subs.audience(&app, [&one], &carol),
            vec![alice.clone(), bob.clone()]
        );
        assert_eq!(
            subs.audience(&app, [&one, &two], &bob),
            vec![alice.clone(), carol.clone()]
        );
        assert!(subs
            .audience(&AppId::new_unchecked("x"), [&one], &bob)
            .is_empty());
        subs.remove_connection(&c1);
        assert_eq!(subs.audience(&app, [&one, &two], &carol), vec![bob]);
        subs.remove_connection(&c2);
        subs.remove_connection(&c3);
        assert!(subs.inner.lock().unwrap().by_channel.is_empty());
    }
}
