//! Recipient rules: channel watchers get the channel event; members with no watching
//! connection get the `notification.*` form (where the event has one); own-state events go
//! to every connection of their users.
//!
//! The plan is shaped for the hot path of a big channel: the watchers are the transport's
//! shared snapshot (an `Arc<[_]>`, not copied per event), each entry a handle the transport
//! can queue to directly, so delivering to N watchers is one walk over N handles with no
//! per-connection lookup or refcount traffic.

use std::sync::Arc;

use crate::fanout::{Audience, Event};
use crate::ids::{Cid, ConnectionId, UserId};

/// One connection as the transport hands it to fan-out: its id and user, plus whatever the
/// transport needs to queue to it (kept opaque here).
pub trait Connection {
    /// The connection's id.
    fn id(&self) -> &ConnectionId;
    /// Its user.
    fn user(&self) -> &UserId;
}

/// Shared handles (the transport's `Arc<Handle>`) are connections too.
impl<T: Connection + ?Sized> Connection for Arc<T> {
    fn id(&self) -> &ConnectionId {
        (**self).id()
    }

    fn user(&self) -> &UserId {
        (**self).user()
    }
}

/// What the transport knows about connections.
pub trait WatchIndex {
    /// A cheap handle on one connection (cloned only for non-watcher recipients).
    type Conn: Connection + Clone;
    /// Connections watching `cid`: a snapshot shared with other readers until the watch
    /// set changes.
    fn watchers(&self, cid: &Cid) -> Arc<[Self::Conn]>;
    /// Calls `f` with every open connection of `user`.
    fn for_each_connection_of(&self, user: &UserId, f: &mut dyn FnMut(&Self::Conn));
    /// Open connections in all (an upper bound is fine): when it equals the number of a
    /// channel's watchers, everybody connected watches it and no notification form is needed.
    fn connection_count(&self) -> usize;
}

/// Which encoding a connection receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The event as it is (channel watchers, own-state notifications).
    Channel,
    /// Its `notification.*` form (members not watching).
    Notification,
}

/// One connection to deliver to, other than a watcher (those stay in the shared snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery<C> {
    /// Connection.
    pub connection: C,
    /// Encoding.
    pub form: Form,
}

/// Who receives one event: the watchers (channel form; `only` narrows them to some users)
/// and individual deliveries (own-state events, notification forms). A connection appears
/// at most once.
#[derive(Debug)]
pub struct Plan<'e, C> {
    watchers: Arc<[C]>,
    only: Option<&'e [UserId]>,
    others: Vec<Delivery<C>>,
}

impl<C: Connection> Plan<'_, C> {
    /// Every recipient with its form: watchers first, in snapshot order.
    pub fn iter(&self) -> impl Iterator<Item = (&C, Form)> + '_ {
        let only = self.only;
        self.watchers
            .iter()
            .filter(move |c| only.is_none_or(|set| set.contains(c.user())))
            .map(|c| (c, Form::Channel))
            .chain(self.others.iter().map(|d| (&d.connection, d.form)))
    }

    /// Whether nobody receives the event.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Whether some recipient gets the notification form.
    pub fn has_notification(&self) -> bool {
        self.others.iter().any(|d| d.form == Form::Notification)
    }

    /// How many recipients.
    pub fn len(&self) -> usize {
        self.iter().count()
    }
}

/// Whether resolving `event` could need the channel's member list: it has a notification
/// form for all members and somebody connected does not watch the channel. Lets the caller
/// skip reading the members (10k ids in a big room) when every connection watches.
pub fn needs_members<I: WatchIndex + ?Sized>(event: &Event, index: &I) -> bool {
    let (Audience::Channel | Audience::ChannelUsers(_), Some(cid)) = (&event.audience, &event.cid)
    else {
        return false;
    };
    if event.kind.notification_target() != Some(None) {
        return false;
    }
    index.connection_count() > index.watchers(cid).len()
}

/// Resolves an event's audience to connections. `members` are the channel's members (for
/// channel events; may be empty when [`needs_members`] says they are not needed). A
/// connection receives at most one form of an event. The actor never gets a notification form
/// of their own message.
pub fn plan<'e, I: WatchIndex + ?Sized>(
    event: &'e Event,
    members: &[UserId],
    index: &I,
) -> Plan<'e, I::Conn> {
    let mut others = Vec::new();
    let empty: Arc<[I::Conn]> = Arc::new([]);
    match (&event.audience, &event.cid) {
        (Audience::Users(users), _) => {
            for user in users {
                index.for_each_connection_of(user, &mut |c| {
                    others.push(Delivery {
                        connection: c.clone(),
                        form: Form::Channel,
                    })
                });
            }
            Plan {
                watchers: empty,
                only: None,
                others,
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
            // Everybody connected watches: no connection can need the notification form.
            let all_watch = index.connection_count() <= watchers.len();
            if let (Some(target), false) = (event.kind.notification_target(), all_watch) {
                let watching: std::collections::HashSet<&ConnectionId> =
                    watchers.iter().map(|c| c.id()).collect();
                let mut notify = |user: &UserId| {
                    if !allowed(user) || event.actor.as_ref() == Some(user) && target.is_none() {
                        return;
                    }
                    index.for_each_connection_of(user, &mut |c| {
                        if !watching.contains(c.id()) {
                            others.push(Delivery {
                                connection: c.clone(),
                                form: Form::Notification,
                            });
                        }
                    });
                };
                match target {
                    Some(user) => notify(user),
                    None => members.iter().for_each(&mut notify),
                }
            }
            Plan {
                watchers,
                only,
                others,
            }
        }
        (_, None) => Plan {
            watchers: empty,
            only: None,
            others,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::fanout::EventKind;
    use crate::ids::{AppId, MessageId};
    use crate::model::Message;
    use crate::time::Timestamp;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct C(ConnectionId, UserId);

    impl Connection for C {
        fn id(&self) -> &ConnectionId {
            &self.0
        }
        fn user(&self) -> &UserId {
            &self.1
        }
    }

    /// `connections`: (connection, user, watches the channel).
    struct Index {
        watchers: Arc<[C]>,
        by_user: HashMap<UserId, Vec<C>>,
        count: usize,
    }

    impl Index {
        fn new(connections: &[(&str, &str, bool)]) -> Self {
            let all: Vec<(C, bool)> = connections
                .iter()
                .map(|(c, u, w)| {
                    (
                        C(ConnectionId::new_unchecked(*c), UserId::new_unchecked(*u)),
                        *w,
                    )
                })
                .collect();
            let mut by_user: HashMap<UserId, Vec<C>> = HashMap::new();
            for (c, _) in &all {
                by_user.entry(c.1.clone()).or_default().push(c.clone());
            }
            Self {
                watchers: all
                    .iter()
                    .filter(|(_, w)| *w)
                    .map(|(c, _)| c.clone())
                    .collect(),
                count: all.len(),
                by_user,
            }
        }
    }

    impl WatchIndex for Index {
        type Conn = C;
        fn watchers(&self, _cid: &Cid) -> Arc<[C]> {
            self.watchers.clone()
        }
        fn for_each_connection_of(&self, user: &UserId, f: &mut dyn FnMut(&C)) {
            self.by_user.get(user).into_iter().flatten().for_each(f);
        }
        fn connection_count(&self) -> usize {
            self.count
        }
    }

    fn u(id: &str) -> UserId {
        UserId::new_unchecked(id)
    }

    fn message_new(audience: Audience, actor: &str) -> Event {
        let cid = Cid::parse("messaging:x").unwrap();
        Event {
            app: AppId::new_unchecked("a"),
            kind: EventKind::MessageNew {
                message: Message::new(
                    MessageId::new_unchecked("m"),
                    cid.clone(),
                    u(actor),
                    Timestamp::default(),
                ),
            },
            created_at: Timestamp::default(),
            cid: Some(cid),
            actor: Some(u(actor)),
            audience,
        }
    }

    fn recipients(p: &Plan<'_, C>) -> Vec<(String, Form)> {
        let mut v: Vec<_> = p
            .iter()
            .map(|(c, f)| (c.0.as_str().to_owned(), f))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn watchers_get_the_channel_form_and_other_members_the_notification() {
        // bob watches on b1 but not b2; carol is connected and not watching; dave is offline.
        let index = Index::new(&[
            ("a1", "alice", true),
            ("b1", "bob", true),
            ("b2", "bob", false),
            ("c1", "carol", false),
            ("x1", "stranger", false),
        ]);
        let event = message_new(Audience::Channel, "alice");
        let members = [u("alice"), u("bob"), u("carol"), u("dave")];
        assert!(needs_members(&event, &index));
        let p = plan(&event, &members, &index);
        assert_eq!(
            recipients(&p),
            vec![
                ("a1".into(), Form::Channel),
                ("b1".into(), Form::Channel),
                ("b2".into(), Form::Notification),
                ("c1".into(), Form::Notification),
            ]
        );
        assert!(p.has_notification());
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn no_member_walk_when_every_connection_watches() {
        let index = Index::new(&[("a1", "alice", true), ("b1", "bob", true)]);
        let event = message_new(Audience::Channel, "alice");
        assert!(!needs_members(&event, &index));
        // Members are not even looked at.
        let p = plan(&event, &[], &index);
        assert_eq!(recipients(&p).len(), 2);
        assert!(!p.has_notification());
    }

    #[test]
    fn channel_users_narrows_watchers_and_notifications() {
        let index = Index::new(&[
            ("a1", "alice", true),
            ("b1", "bob", true),
            ("c1", "carol", false),
        ]);
        let event = message_new(
            Audience::ChannelUsers(vec![u("alice"), u("carol")]),
            "alice",
        );
        let p = plan(&event, &[u("alice"), u("bob"), u("carol")], &index);
        assert_eq!(
            recipients(&p),
            vec![
                ("a1".into(), Form::Channel),
                ("c1".into(), Form::Notification)
            ]
        );
    }

    #[test]
    fn users_audience_reaches_every_connection_of_the_users() {
        let index = Index::new(&[
            ("a1", "alice", true),
            ("a2", "alice", false),
            ("b1", "bob", true),
        ]);
        let mut event = message_new(Audience::Users(vec![u("alice")]), "bob");
        event.cid = None;
        let p = plan(&event, &[], &index);
        assert_eq!(
            recipients(&p),
            vec![("a1".into(), Form::Channel), ("a2".into(), Form::Channel)]
        );
        let empty = message_new(Audience::Users(vec![u("nobody")]), "bob");
        assert!(plan(&empty, &[], &index).is_empty());
    }
}
