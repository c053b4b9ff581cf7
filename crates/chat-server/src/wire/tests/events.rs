//! Events: every type string, notification forms, payload bodies, counters, frames.

use chat_core::fanout::{Audience, Event, EventKind};
use chat_core::ids::AppId;
use chat_core::read_state::UnreadSummary;
use serde_json::{json, Value};

use super::*;
use crate::wire::{self, EventExtra};

fn ev(kind: EventKind, actor: Option<&str>) -> Event {
    Event {
        app: AppId::parse("app1").unwrap(),
        kind,
        created_at: t(100),
        cid: Some(cid()),
        actor: actor.map(uid),
        audience: Audience::Channel,
    }
}

fn encode(e: &Event, notification: bool, extra: &EventExtra<'_>) -> Value {
    Value::Object(Fixture::new().with(|ctx| wire::event(e, ctx, notification, extra)))
}

/// One of every kind, with the type strings of its channel and notification forms.
fn all_kinds() -> Vec<(EventKind, &'static str, &'static str)> {
    let m = || message("m1", "alice", "hi");
    let r = || reaction("m1", "bob", "like", 1, 30);
    let c = || access(None).channel;
    let who = || uid("bob");
    vec![
        (
            EventKind::MessageNew { message: m() },
            "message.new",
            "notification.message_new",
        ),
        (
            EventKind::MessageUpdated { message: m() },
            "message.updated",
            "message.updated",
        ),
        (
            EventKind::MessageDeleted {
                message: m(),
                hard: false,
            },
            "message.deleted",
            "message.deleted",
        ),
        (
            EventKind::ReactionNew {
                message: m(),
                reaction: r(),
            },
            "reaction.new",
            "reaction.new",
        ),
        (
            EventKind::ReactionUpdated {
                message: m(),
                reaction: r(),
            },
            "reaction.updated",
            "reaction.updated",
        ),
        (
            EventKind::ReactionDeleted {
                message: m(),
                reaction: r(),
            },
            "reaction.deleted",
            "reaction.deleted",
        ),
        (
            EventKind::MessageRead {
                user: who(),
                last_read_message_id: None,
                thread_id: None,
            },
            "message.read",
            "message.read",
        ),
        (
            EventKind::NotificationMarkRead { user: who() },
            "notification.mark_read",
            "notification.mark_read",
        ),
        (
            EventKind::NotificationMarkUnread {
                user: who(),
                first_unread_message_id: mid("m1"),
                last_read_message_id: None,
                last_read_at: t(1),
                unread_messages: 1,
            },
            "notification.mark_unread",
            "notification.mark_unread",
        ),
        (
            EventKind::TypingStart {
                user: who(),
                parent_id: None,
            },
            "typing.start",
            "typing.start",
        ),
        (
            EventKind::TypingStop {
                user: who(),
                parent_id: None,
            },
            "typing.stop",
            "typing.stop",
        ),
        (
            EventKind::Custom {
                user: who(),
                event_type: "friendship_request".into(),
                data: Custom::new(),
            },
            "friendship_request",
            "friendship_request",
        ),
        (
            EventKind::ChannelCreated { channel: c() },
            "channel.created",
            "channel.created",
        ),
        (
            EventKind::ChannelUpdated {
                channel: c(),
                message: None,
            },
            "channel.updated",
            "channel.updated",
        ),
        (
            EventKind::ChannelDeleted { channel: c() },
            "channel.deleted",
            "notification.channel_deleted",
        ),
        (
            EventKind::ChannelTruncated {
                channel: c(),
                message: None,
            },
            "channel.truncated",
            "notification.channel_truncated",
        ),
        (
            EventKind::ChannelHidden {
                user: who(),
                clear_history: true,
            },
            "channel.hidden",
            "channel.hidden",
        ),
        (
            EventKind::ChannelVisible { user: who() },
            "channel.visible",
            "channel.visible",
        ),
        (
            EventKind::MemberAdded {
                member: member("bob"),
            },
            "member.added",
            "notification.added_to_channel",
        ),
        (
            EventKind::MemberUpdated {
                member: member("bob"),
            },
            "member.updated",
            "member.updated",
        ),
        (
            EventKind::MemberRemoved {
                member: member("bob"),
            },
            "member.removed",
            "notification.removed_from_channel",
        ),
        (
            EventKind::NotificationInvited {
                member: member("bob"),
            },
            "notification.invited",
            "notification.invited",
        ),
        (
            EventKind::WatchingStart { user: who() },
            "user.watching.start",
            "user.watching.start",
        ),
        (
            EventKind::WatchingStop { user: who() },
            "user.watching.stop",
            "user.watching.stop",
        ),
        (
            EventKind::PresenceChanged {
                user: bob(),
                online: true,
            },
            "user.presence.changed",
            "user.presence.changed",
        ),
        (
            EventKind::UserUpdated { user: bob() },
            "user.updated",
            "user.updated",
        ),
    ]
}

#[test]
fn every_type_string_and_notification_form() {
    let kinds = all_kinds();
    for (kind, channel_form, notification_form) in &kinds {
        assert_eq!(
            wire::event_type(kind, false),
            *channel_form,
            "{}",
            kind.name()
        );
        assert_eq!(
            wire::event_type(kind, true),
            *notification_form,
            "{}",
            kind.name()
        );
        // The body agrees with the type function.
        let e = ev(kind.clone(), Some("alice"));
        assert_eq!(
            encode(&e, false, &EventExtra::default())["type"],
            *channel_form
        );
        assert_eq!(
            encode(&e, true, &EventExtra::default())["type"],
            *notification_form
        );
    }
    // Every variant is covered (the core enum has 26).
    assert_eq!(kinds.len(), 26);
}

#[test]
fn message_new_body() {
    let e = ev(
        EventKind::MessageNew {
            message: message("m1", "alice", "hi"),
        },
        Some("alice"),
    );
    let v = encode(
        &e,
        false,
        &EventExtra {
            watcher_count: Some(2),
            channel: None,
        },
    );
    let keys = {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    };
    assert_eq!(
        keys,
        [
            "channel_id",
            "channel_type",
            "cid",
            "created_at",
            "message",
            "type",
            "user",
            "watcher_count"
        ]
    );
    assert_eq!(v["cid"], "messaging:general");
    assert_eq!(v["channel_id"], "general");
    assert_eq!(v["channel_type"], "messaging");
    assert_eq!(v["created_at"], ts(100));
    assert_eq!(v["user"], alice_json());
    assert_eq!(v["message"]["text"], "hi");
    assert_eq!(v["watcher_count"], 2);
}

#[test]
fn notification_message_new_carries_channel_not_watchers() {
    let a = access(None);
    let e = ev(
        EventKind::MessageNew {
            message: message("m1", "alice", "hi"),
        },
        Some("alice"),
    );
    let v = encode(
        &e,
        true,
        &EventExtra {
            watcher_count: Some(2),
            channel: Some(&a),
        },
    );
    assert_eq!(v["type"], "notification.message_new");
    assert_eq!(v["channel"]["cid"], "messaging:general");
    assert_eq!(v["channel"]["name"], "General");
    assert!(v["channel"].get("own_capabilities").is_none());
    assert!(v.get("watcher_count").is_none());
    assert_eq!(v["message"]["id"], "m1");
}

#[test]
fn deleted_message_event_hides_content() {
    let mut m = message("m1", "alice", "secret");
    m.deleted_at = Some(t(90));
    let v = encode(
        &ev(
            EventKind::MessageDeleted {
                message: m,
                hard: true,
            },
            Some("root"),
        ),
        false,
        &EventExtra::default(),
    );
    assert_eq!(v["hard_delete"], true);
    assert_eq!(v["message"]["type"], "deleted");
    assert_eq!(v["message"]["text"], "");
    assert_eq!(v["user"]["id"], "root");
}

#[test]
fn reaction_body() {
    let kind = EventKind::ReactionNew {
        message: message("m1", "alice", "hi"),
        reaction: reaction("m1", "bob", "like", 1, 30),
    };
    let v = encode(&ev(kind, Some("bob")), false, &EventExtra::default());
    assert_eq!(v["reaction"]["type"], "like");
    assert_eq!(v["reaction"]["user"], bob_json());
    assert_eq!(v["message"]["id"], "m1");
    assert_eq!(v["user"], bob_json());
}

#[test]
fn read_and_unread_bodies() {
    let kind = EventKind::MessageRead {
        user: uid("bob"),
        last_read_message_id: Some(mid("m1")),
        thread_id: Some(mid("p")),
    };
    let v = encode(&ev(kind, None), false, &EventExtra::default());
    assert_eq!(v["user"], bob_json());
    assert_eq!(v["last_read_message_id"], "m1");
    assert_eq!(v["thread_id"], "p");
    let kind = EventKind::NotificationMarkUnread {
        user: uid("bob"),
        first_unread_message_id: mid("m2"),
        last_read_message_id: Some(mid("m1")),
        last_read_at: t(7),
        unread_messages: 3,
    };
    let v = encode(&ev(kind, Some("bob")), false, &EventExtra::default());
    assert_eq!(v["first_unread_message_id"], "m2");
    assert_eq!(v["last_read_message_id"], "m1");
    assert_eq!(v["last_read_at"], ts(7));
    assert_eq!(v["unread_messages"], 3);
    let a = access(None);
    let v = encode(
        &ev(
            EventKind::NotificationMarkRead { user: uid("bob") },
            Some("bob"),
        ),
        false,
        &EventExtra {
            watcher_count: None,
            channel: Some(&a),
        },
    );
    assert_eq!(v["channel"]["cid"], "messaging:general");
}

#[test]
fn typing_and_custom_bodies() {
    let kind = EventKind::TypingStart {
        user: uid("bob"),
        parent_id: Some(mid("p")),
    };
    let v = encode(&ev(kind, Some("bob")), false, &EventExtra::default());
    assert_eq!(v["parent_id"], "p");
    assert_eq!(v["user"], bob_json());
    let kind = EventKind::Custom {
        user: uid("bob"),
        event_type: "friendship_request".into(),
        data: custom(json!({ "text": "hey", "type": "spoof", "user": "spoof" })),
    };
    let v = encode(&ev(kind, Some("bob")), false, &EventExtra::default());
    assert_eq!(v["type"], "friendship_request");
    assert_eq!(v["text"], "hey");
    assert_eq!(v["user"], bob_json());
    assert_eq!(v["cid"], "messaging:general");
}

#[test]
fn channel_event_bodies() {
    let a = access(None);
    let mut c = a.channel.clone();
    c.frozen = true;
    let sys = message("s1", "alice", "frozen");
    let kind = EventKind::ChannelUpdated {
        channel: c.clone(),
        message: Some(sys),
    };
    // The event's channel wins over the access's; the access supplies the type config.
    let v = encode(
        &ev(kind.clone(), Some("alice")),
        false,
        &EventExtra {
            watcher_count: Some(1),
            channel: Some(&a),
        },
    );
    assert_eq!(v["channel"]["frozen"], true);
    assert_eq!(v["channel"]["config"]["name"], "messaging");
    assert_eq!(v["message"]["id"], "s1");
    assert_eq!(v["user"], alice_json());
    // Without the type, the config is left out rather than guessed.
    let v = encode(&ev(kind, Some("alice")), false, &EventExtra::default());
    assert!(v["channel"].get("config").is_none());
    c.deleted_at = Some(t(95));
    let v = encode(
        &ev(EventKind::ChannelDeleted { channel: c }, None),
        true,
        &EventExtra::default(),
    );
    assert_eq!(v["type"], "notification.channel_deleted");
    assert_eq!(v["channel"]["deleted_at"], ts(95));
    let v = encode(
        &ev(
            EventKind::ChannelHidden {
                user: uid("bob"),
                clear_history: true,
            },
            Some("bob"),
        ),
        false,
        &EventExtra {
            watcher_count: None,
            channel: Some(&a),
        },
    );
    assert_eq!(v["clear_history"], true);
    assert_eq!(v["channel"]["id"], "general");
}

#[test]
fn member_event_bodies() {
    let a = access(None);
    let extra = EventExtra {
        watcher_count: Some(4),
        channel: Some(&a),
    };
    // `user` is the member the event is about, whoever acted (clients key removal on it).
    let v = encode(
        &ev(
            EventKind::MemberRemoved {
                member: member("bob"),
            },
            Some("alice"),
        ),
        false,
        &extra,
    );
    assert_eq!(v["user"], bob_json());
    assert_eq!(v["member"]["user_id"], "bob");
    assert!(v.get("channel").is_none());
    assert_eq!(v["watcher_count"], 4);
    let v = encode(
        &ev(
            EventKind::MemberRemoved {
                member: member("bob"),
            },
            Some("alice"),
        ),
        true,
        &extra,
    );
    assert_eq!(v["type"], "notification.removed_from_channel");
    assert_eq!(v["channel"]["cid"], "messaging:general");
    assert!(v.get("watcher_count").is_none());
    let v = encode(
        &ev(
            EventKind::MemberAdded {
                member: member("alice"),
            },
            Some("alice"),
        ),
        true,
        &extra,
    );
    assert_eq!(v["type"], "notification.added_to_channel");
    assert_eq!(v["member"]["role"], "owner");
    let v = encode(
        &ev(
            EventKind::NotificationInvited {
                member: member("bob"),
            },
            Some("alice"),
        ),
        false,
        &extra,
    );
    assert_eq!(v["channel"]["cid"], "messaging:general");
    assert_eq!(v["member"]["user_id"], "bob");
}

#[test]
fn user_event_bodies() {
    let mut e = ev(
        EventKind::PresenceChanged {
            user: bob(),
            online: true,
        },
        Some("bob"),
    );
    e.cid = None;
    let v = encode(
        &e,
        false,
        &EventExtra {
            watcher_count: Some(9),
            channel: None,
        },
    );
    assert_eq!(v["user"]["online"], true);
    assert!(v.get("cid").is_none());
    assert!(v.get("watcher_count").is_none());
    let mut u = bob();
    u.name = Some("Robert".into());
    let mut e = ev(EventKind::UserUpdated { user: u }, Some("root"));
    e.cid = None;
    let v = encode(&e, false, &EventExtra::default());
    assert_eq!(v["user"]["name"], "Robert");
}

#[test]
fn watching_body() {
    let v = encode(
        &ev(EventKind::WatchingStart { user: uid("bob") }, Some("bob")),
        false,
        &EventExtra {
            watcher_count: Some(3),
            channel: None,
        },
    );
    assert_eq!(v["user"], bob_json());
    assert_eq!(v["watcher_count"], 3);
}

#[test]
fn unread_counters() {
    let s = UnreadSummary {
        total_unread_count: 5,
        unread_channels: 2,
        unread_threads: 1,
        ..Default::default()
    };
    let mut m = serde_json::Map::new();
    m.insert("type".into(), json!("notification.message_new"));
    wire::add_unread(&mut m, &s);
    assert_eq!(
        Value::Object(m),
        json!({ "type": "notification.message_new", "total_unread_count": 5, "unread_channels": 2, "unread_threads": 1, "unread_count": 5 })
    );
    let mut m = serde_json::Map::new();
    m.insert("type".into(), json!("notification.mark_read"));
    wire::add_unread(&mut m, &s);
    assert!(m.get("unread_count").is_none());
    assert_eq!(m["total_unread_count"], 5);
}

#[test]
fn connection_frames() {
    assert_eq!(
        wire::health_check("c1", None, t(0)),
        json!({ "type": "health.check", "connection_id": "c1", "cid": "*", "created_at": ts(0) })
    );
    let v = wire::health_check("c1", Some(json!({ "id": "alice" })), t(0));
    assert_eq!(v["me"]["id"], "alice");
    let body = json!({ "code": 5, "message": "bad token", "StatusCode": 401 });
    assert_eq!(
        wire::connection_error(body.clone()),
        json!({ "type": "connection.error", "error": body })
    );
}

#[test]
fn ids_to_preload() {
    let mut m = message("m1", "alice", "hi");
    m.mentioned_users = vec![uid("bob")];
    m.pinned_by = Some(uid("root"));
    m.thread.participants = vec![uid("carol")];
    m.reactions.latest = vec![reaction("m1", "dave", "like", 1, 1)];
    m.quoted_message_id = Some(mid("q"));
    let ids: Vec<String> = wire::user_ids_for_messages(std::slice::from_ref(&m))
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(ids, ["alice", "bob", "carol", "dave", "root"]);
    assert_eq!(wire::quoted_ids(std::slice::from_ref(&m)), vec![mid("q")]);
    let e = ev(
        EventKind::ReactionNew {
            message: m,
            reaction: reaction("m1", "erin", "like", 1, 1),
        },
        Some("erin"),
    );
    let ids: Vec<String> = wire::user_ids_for_event(&e)
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(ids, ["alice", "bob", "carol", "dave", "erin", "root"]);
    let e = ev(
        EventKind::MemberAdded {
            member: member("bob"),
        },
        Some("alice"),
    );
    assert_eq!(wire::user_ids_for_event(&e), vec![uid("alice"), uid("bob")]);
    let mut a = access(None);
    a.channel.truncated_by = Some(uid("root"));
    assert_eq!(
        wire::user_ids_for_access(&a),
        vec![uid("alice"), uid("root")]
    );
}
