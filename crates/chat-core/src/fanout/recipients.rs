//! Recipient rules: channel watchers get the channel event; members with no watching
//! connection get the `notification.*` form (where the event has one); own-state events go
//! to every connection of their users.

use crate::fanout::{Audience, Event};
use crate::ids::{Cid, ConnectionId, UserId};

/// What the transport knows about connections.
pub trait WatchIndex {
    /// Connections watching `cid`, with their users.
    fn watchers(&self, cid: &Cid) -> Vec<(ConnectionId, UserId)>;
    /// Every open connection of `user`.
    fn connections_of(&self, user: &UserId) -> Vec<ConnectionId>;
}

/// Which encoding a connection receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The event as it is (channel watchers, own-state notifications).
    Channel,
    /// Its `notification.*` form (members not watching).
    Notification,
}

/// One connection to deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Connection.
    pub connection: ConnectionId,
    /// Its user (per-recipient fields such as unread counts are computed for them).
    pub user: UserId,
    /// Encoding.
    pub form: Form,
}

/// Resolves an event's audience to connections. `members` are the channel's members (for
/// channel events). A connection receives at most one form of an event. The actor never
/// gets a notification form of their own message.
pub fn plan(event: &Event, members: &[UserId], index: &dyn WatchIndex) -> Vec<Delivery> {
    let mut out = Vec::new();
    match (&event.audience, &event.cid) {
        (Audience::Users(users), _) => {
            for user in users {
                for connection in index.connections_of(user) {
                    out.push(Delivery {
                        connection,
                        user: user.clone(),
                        form: Form::Channel,
                    });
                }
            }
        }
        (
            Audience::Channel | Audience::ChannelUsers(_) | Audience::ChannelWithMembers(_),
            Some(cid),
        ) => {
            let members = match &event.audience {
                Audience::ChannelWithMembers(listed) => listed.as_slice(),
                _ => members,
            };
            let only = match &event.audience {
                Audience::ChannelUsers(users) => Some(users.as_slice()),
                _ => None,
            };
            let allowed = |u: &UserId| only.is_none_or(|set| set.contains(u));
            let watchers = index.watchers(cid);
            for (connection, user) in &watchers {
                if allowed(user) {
                    out.push(Delivery {
                        connection: connection.clone(),
                        user: user.clone(),
                        form: Form::Channel,
                    });
                }
            }
            if let Some(target) = event.kind.notification_target() {
                let watching: std::collections::HashSet<&ConnectionId> =
                    watchers.iter().map(|(c, _)| c).collect();
                let mut notify = |user: &UserId| {
                    if !allowed(user) || event.actor.as_ref() == Some(user) && target.is_none() {
                        return;
                    }
                    for connection in index.connections_of(user) {
                        if !watching.contains(&connection) {
                            out.push(Delivery {
                                connection,
                                user: user.clone(),
                                form: Form::Notification,
                            });
                        }
                    }
                };
                match target {
                    Some(user) => notify(user),
                    None => members.iter().for_each(&mut notify),
                }
            }
        }
        (_, None) => {}
    }
    out
}
