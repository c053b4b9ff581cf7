//! Decoders: inputs from request JSON, errors naming fields, pages, sorts, filters.

use std::collections::HashMap;

use chat_core::model::MessageType;
use chat_core::query::{ChannelField, Direction, Filter, MessageCursor, UserField};
use serde_json::json;

use super::*;
use crate::wire;

#[test]
fn message_input_full() {
    let v = json!({
        "id": "client-1",
        "text": "hello",
        "type": "system",
        "attachments": [{ "type": "image", "image_url": "https://x/y.png", "file_size": "12", "alt": "cat",
                          "actions": [{ "name": "send", "text": "Send", "style": "primary", "type": "button", "value": "ok" }] }],
        "mentioned_users": ["bob", { "id": "carol", "name": "Carol" }],
        "parent_id": "p1",
        "show_in_channel": true,
        "quoted_message_id": "q1",
        "silent": true,
        "pinned": true,
        "html": "<p>hello</p>",
        "user_id": "alice",
        "priority": "high",
        "extra_data": { "mood": "happy" },
        // Echoed read-only keys are ignored, not custom.
        "created_at": "2024-01-01T00:00:00Z",
        "reply_count": 3,
        "latest_reactions": [],
        "quoted_message": { "id": "q1" },
        "cid": "messaging:general",
        "restricted_visibility": [],
        "poll_id": null,
    });
    let (m, user) = wire::message_input(&v).unwrap();
    assert_eq!(user, Some(uid("alice")));
    assert_eq!(m.id.as_deref(), Some("client-1"));
    assert_eq!(m.text, "hello");
    assert_eq!(m.kind, Some(MessageType::System));
    assert_eq!(m.mentioned_users, vec![uid("bob"), uid("carol")]);
    assert_eq!(m.parent_id, Some(mid("p1")));
    assert!(m.show_in_channel && m.silent && m.pinned);
    assert_eq!(m.quoted_message_id, Some(mid("q1")));
    assert_eq!(m.html.as_deref(), Some("<p>hello</p>"));
    assert_eq!(
        m.custom,
        custom(json!({ "priority": "high", "mood": "happy" }))
    );
    let a = &m.attachments[0];
    assert_eq!(a.kind.as_deref(), Some("image"));
    assert_eq!(a.image_url.as_deref(), Some("https://x/y.png"));
    assert_eq!(a.file_size, Some(12));
    assert_eq!(a.actions[0].kind, "button");
    assert_eq!(a.custom, custom(json!({ "alt": "cat" })));
}

#[test]
fn message_input_defaults_and_user_object() {
    let (m, user) =
        wire::message_input(&json!({ "text": "x", "type": "reply", "user": { "id": "bob" } }))
            .unwrap();
    assert_eq!(user, Some(uid("bob")));
    assert_eq!(m.kind, None);
    assert!(m.id.is_none() && m.attachments.is_empty() && m.custom.is_empty());
    let (m, user) = wire::message_input(&json!({ "id": "", "type": "regular" })).unwrap();
    assert!(m.id.is_none() && user.is_none());
    assert_eq!(m.text, "");
    assert_eq!(m.kind, Some(MessageType::Regular));
}

#[test]
fn message_input_errors_name_fields() {
    let bad = |v: serde_json::Value| field_of(wire::message_input(&v));
    assert_eq!(bad(json!("text")), "message");
    assert_eq!(bad(json!({ "text": 5 })), "message.text");
    assert_eq!(bad(json!({ "type": "ephemeral" })), "message.type");
    assert_eq!(bad(json!({ "attachments": {} })), "message.attachments");
    assert_eq!(
        bad(json!({ "attachments": [{ "title": 1 }] })),
        "message.attachments[0].title"
    );
    assert_eq!(
        bad(json!({ "attachments": [{ "file_size": "big" }] })),
        "message.attachments[0].file_size"
    );
    assert_eq!(
        bad(json!({ "mentioned_users": ["ok", "not ok"] })),
        "message.mentioned_users[1]"
    );
    assert_eq!(bad(json!({ "parent_id": "a,b" })), "message.parent_id");
    assert_eq!(bad(json!({ "silent": "yes" })), "message.silent");
    assert_eq!(bad(json!({ "user_id": "a b" })), "message.user_id");
    assert_eq!(bad(json!({ "user": { "id": 3 } })), "message.user.id");
    assert_eq!(bad(json!({ "extra_data": [] })), "message.extra_data");
    assert_eq!(
        bad(json!({ "restricted_visibility": ["bob"] })),
        "message.restricted_visibility"
    );
    assert_eq!(bad(json!({ "poll_id": "p" })), "message.poll_id");
}

#[test]
fn channel_request_members_creator_and_custom() {
    let data = json!({
        "members": ["alice", { "user_id": "bob", "channel_role": "channel_moderator", "nickname": "b" }, { "user": { "id": "carol" } }],
        "created_by": { "id": "alice", "name": "Alice" },
        "team": "red",
        "frozen": true,
        "disabled": false,
        "cooldown": 0,
        "name": "General",
        "image": "https://x/g.png",
        "extra_data": { "topic": "news" },
        "cid": "messaging:general",
        "member_count": 3,
        "config": {},
        "invites": ["dave"],
    });
    let (c, members, creator) = wire::channel_request(&data).unwrap();
    assert_eq!(creator, Some(uid("alice")));
    assert_eq!(c.team.as_deref(), Some("red"));
    assert_eq!(c.frozen, Some(true));
    assert_eq!(c.disabled, Some(false));
    assert_eq!(c.cooldown, Some(0));
    assert_eq!(
        c.custom,
        custom(json!({ "name": "General", "image": "https://x/g.png", "topic": "news" }))
    );
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids, ["alice", "bob", "carol"]);
    assert_eq!(
        members[1].channel_role.as_ref().map(|r| r.as_str()),
        Some("channel_moderator")
    );
    assert_eq!(members[1].custom, custom(json!({ "nickname": "b" })));
    assert!(members[0].channel_role.is_none());
    let (_, _, creator) = wire::channel_request(&json!({ "created_by_id": "bob" })).unwrap();
    assert_eq!(creator, Some(uid("bob")));
    let (c, members, creator) = wire::channel_request(&json!({})).unwrap();
    assert!(members.is_empty() && creator.is_none() && c.custom.is_empty() && c.frozen.is_none());
}

#[test]
fn channel_request_errors_name_fields() {
    let bad = |v: serde_json::Value| field_of(wire::channel_request(&v));
    assert_eq!(bad(json!([])), "data");
    assert_eq!(bad(json!({ "members": "alice" })), "data.members");
    assert_eq!(bad(json!({ "members": ["alice", 7] })), "data.members[1]");
    assert_eq!(bad(json!({ "members": ["bad id"] })), "data.members[0]");
    assert_eq!(
        bad(json!({ "members": [{ "channel_role": "x" }] })),
        "data.members[0].user_id"
    );
    assert_eq!(
        bad(json!({ "members": [{ "user_id": "a", "channel_role": "no way" }] })),
        "data.members[0].channel_role"
    );
    assert_eq!(
        bad(json!({ "created_by": { "id": "" , "x": 1 }, "created_by_id": 5 })),
        "data.created_by_id"
    );
    assert_eq!(bad(json!({ "created_by": 5 })), "data.created_by");
    assert_eq!(bad(json!({ "cooldown": -1 })), "data.cooldown");
    assert_eq!(bad(json!({ "frozen": "yes" })), "data.frozen");
}

#[test]
fn member_inputs_ids_or_objects() {
    let ms = wire::member_inputs(
        &json!(["a", { "user_id": "b", "status": "member", "is_moderator": true }]),
    )
    .unwrap();
    assert_eq!(ms.len(), 2);
    assert!(ms[1].custom.is_empty());
    assert_eq!(
        field_of(wire::member_inputs(&json!([{}]))),
        "members[0].user_id"
    );
    assert_eq!(
        field_of(wire::member_inputs_at(&json!(null), "add_members")),
        "add_members"
    );
}

#[test]
fn user_inputs_map() {
    let v = json!({
        "alice": { "id": "alice", "name": "Alice", "role": "admin", "teams": ["red"], "language": "en",
                   "image": "https://x/a.png", "invisible": true, "color": "blue",
                   "created_at": "2024-01-01T00:00:00Z", "online": true, "banned": true, "extra_data": { "age": 3 } },
        "bob": {},
    });
    let mut users = wire::user_inputs(&v).unwrap();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let a = &users[0];
    assert_eq!(a.id, "alice");
    assert_eq!(a.name.as_deref(), Some("Alice"));
    assert_eq!(a.role.as_deref(), Some("admin"));
    assert_eq!(a.teams, Some(vec!["red".to_string()]));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(a.invisible, Some(true));
    assert_eq!(a.custom, custom(json!({ "color": "blue", "age": 3 })));
    assert_eq!(users[1].id, "bob");
    assert!(users[1].name.is_none() && users[1].teams.is_none());
    assert_eq!(
        field_of(wire::user_inputs(&json!({ "a": { "id": "b" } }))),
        "users.a.id"
    );
    assert_eq!(
        field_of(wire::user_inputs(&json!({ "a": { "teams": "red" } }))),
        "users.a.teams"
    );
    assert_eq!(field_of(wire::user_inputs(&json!({ "a": 1 }))), "users.a");
    assert_eq!(field_of(wire::user_inputs(&json!("x"))), "users");
}

#[test]
fn user_patches_list() {
    let v = json!([{ "id": "alice", "set": { "name": "A", "a.b": 1 }, "unset": ["color"] }, { "id": "bob" }]);
    let ps = wire::user_patches(&v).unwrap();
    assert_eq!(ps[0].id, "alice");
    assert_eq!(ps[0].set["a.b"], 1);
    assert_eq!(ps[0].unset, ["color"]);
    assert!(ps[1].set.is_empty() && ps[1].unset.is_empty());
    assert_eq!(
        field_of(wire::user_patches(&json!([{ "set": {} }]))),
        "users[0].id"
    );
    assert_eq!(
        field_of(wire::user_patches(&json!([{ "id": "a", "unset": "x" }]))),
        "users[0].unset"
    );
    assert_eq!(
        field_of(wire::user_patches(&json!([{ "id": "a", "set": [] }]))),
        "users[0].set"
    );
    assert_eq!(field_of(wire::user_patches(&json!({}))), "users");
}

#[test]
fn reaction_input_body() {
    let v = json!({ "reaction": { "type": "love", "score": 3, "emoji_code": "❤️", "user_id": "bob", "created_at": "x" }, "enforce_unique": true });
    let (r, unique, user) = wire::reaction_input(&v).unwrap();
    assert_eq!(r.kind, "love");
    assert_eq!(r.score, Some(3));
    assert_eq!(r.custom, custom(json!({ "emoji_code": "❤️" })));
    assert!(unique);
    assert_eq!(user, Some(uid("bob")));
    let (_, unique, user) =
        wire::reaction_input(&json!({ "reaction": { "type": "x" }, "user": { "id": "carol" } }))
            .unwrap();
    assert!(!unique);
    assert_eq!(user, Some(uid("carol")));
    assert_eq!(field_of(wire::reaction_input(&json!({}))), "reaction");
    assert_eq!(
        field_of(wire::reaction_input(&json!({ "reaction": {} }))),
        "reaction.type"
    );
    assert_eq!(
        field_of(wire::reaction_input(
            &json!({ "reaction": { "type": "x", "score": -1 } })
        )),
        "reaction.score"
    );
    assert_eq!(
        field_of(wire::reaction_input(
            &json!({ "reaction": { "type": "x" }, "enforce_unique": 1 })
        )),
        "enforce_unique"
    );
}

#[test]
fn channel_event_input() {
    let e = wire::channel_event(&json!({ "type": "typing.start", "parent_id": "p" })).unwrap();
    assert_eq!(e.event_type, "typing.start");
    assert_eq!(e.parent_id, Some(mid("p")));
    let e = wire::channel_event(&json!({ "type": "poke", "text": "hi", "user": { "id": "x" }, "cid": "spoof", "extra_data": { "n": 1 } }))
        .unwrap();
    assert_eq!(e.custom, custom(json!({ "text": "hi", "n": 1 })));
    assert_eq!(field_of(wire::channel_event(&json!({}))), "event.type");
    assert_eq!(
        field_of(wire::channel_event(&json!({ "type": "" }))),
        "event.type"
    );
    assert_eq!(
        field_of(wire::channel_event(&json!({ "type": 1 }))),
        "event.type"
    );
    assert_eq!(field_of(wire::channel_event(&json!(null))), "event");
}

#[test]
fn message_page_each_cursor() {
    let page = |v: serde_json::Value| wire::message_page(&v, 25, 300).unwrap();
    let at = "2024-01-01T00:00:10Z";
    let cases = [
        ("id_lt", MessageCursor::Lt(mid("m"))),
        ("id_lte", MessageCursor::Lte(mid("m"))),
        ("id_gt", MessageCursor::Gt(mid("m"))),
        ("id_gte", MessageCursor::Gte(mid("m"))),
        ("id_around", MessageCursor::Around(mid("m"))),
        ("created_at_before", MessageCursor::CreatedBefore(t(10))),
        (
            "created_at_before_or_equal",
            MessageCursor::CreatedBeforeOrEqual(t(10)),
        ),
        ("created_at_after", MessageCursor::CreatedAfter(t(10))),
        (
            "created_at_after_or_equal",
            MessageCursor::CreatedAfterOrEqual(t(10)),
        ),
        ("created_at_around", MessageCursor::CreatedAround(t(10))),
    ];
    for (key, want) in cases {
        let value = if key.starts_with("id_") { "m" } else { at };
        let p = page(json!({ key: value, "limit": 5 }));
        assert_eq!(p.cursor, want, "{key}");
        assert_eq!(p.limit, 5);
        assert!(p.created_after.is_none());
        let mut q = HashMap::new();
        q.insert(key.to_string(), value.to_string());
        q.insert("limit".to_string(), "7".to_string());
        let p = wire::message_page_from_query(&q, 25, 300).unwrap();
        assert_eq!(p.cursor, want, "query {key}");
        assert_eq!(p.limit, 7);
    }
    let p = page(json!({}));
    assert_eq!((p.cursor, p.limit), (MessageCursor::Latest, 25));
    assert_eq!(page(json!(null)).limit, 25);
    // Over-large limits clamp; nulls and empty strings read as absent; offset is ignored.
    assert_eq!(page(json!({ "limit": 1000 })).limit, 300);
    assert_eq!(
        page(json!({ "id_lt": null, "id_gt": "", "offset": 10 })).cursor,
        MessageCursor::Latest
    );
    assert_eq!(page(json!({ "limit": 0 })).limit, 0);
    assert_eq!(
        wire::message_page_from_query(&HashMap::new(), 25, 300).unwrap(),
        chat_core::query::MessagePage::latest(25)
    );
}

#[test]
fn message_page_errors() {
    let bad = |v: serde_json::Value| field_of(wire::message_page(&v, 25, 300));
    assert_eq!(
        bad(json!({ "id_lt": "a", "created_at_after": "2024-01-01T00:00:00Z" })),
        "messages"
    );
    assert_eq!(bad(json!({ "id_lt": "a", "id_gt": "b" })), "messages");
    assert_eq!(bad(json!({ "limit": -1 })), "messages.limit");
    assert_eq!(bad(json!({ "limit": "ten" })), "messages.limit");
    assert_eq!(
        bad(json!({ "created_at_before": "yesterday" })),
        "messages.created_at_before"
    );
    assert_eq!(bad(json!({ "id_lt": 5 })), "messages.id_lt");
    assert_eq!(bad(json!({ "id_lt": "a,b" })), "messages.id_lt");
    assert_eq!(bad(json!([])), "messages");
    let mut q = HashMap::new();
    q.insert("id_lt".to_string(), "a".to_string());
    q.insert("id_gte".to_string(), "b".to_string());
    assert_eq!(
        field_of(wire::message_page_from_query(&q, 25, 300)),
        "pagination"
    );
    let mut q = HashMap::new();
    q.insert("limit".to_string(), "x".to_string());
    assert_eq!(
        field_of(wire::message_page_from_query(&q, 25, 300)),
        "limit"
    );
}

#[test]
fn sort_forms() {
    let s = wire::sort::<ChannelField>(Some(
        &json!([{ "field": "last_message_at", "direction": -1 }, { "field": "created_at" }]),
    ))
    .unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].direction, Direction::Desc);
    assert_eq!(s[1].direction, Direction::Asc);
    let one = wire::sort::<ChannelField>(Some(&json!({ "field": "member_count", "direction": 1 })))
        .unwrap();
    assert_eq!(one.len(), 1);
    let map = wire::sort::<ChannelField>(Some(&json!({ "last_message_at": -1 }))).unwrap();
    assert_eq!(map[0].direction, Direction::Desc);
    let maps =
        wire::sort::<ChannelField>(Some(&json!([{ "created_at": 1 }, { "member_count": -1 }])))
            .unwrap();
    assert_eq!(maps.len(), 2);
    assert!(wire::sort::<UserField>(None).unwrap().is_empty());
    assert!(wire::sort::<UserField>(Some(&json!(null)))
        .unwrap()
        .is_empty());
    assert_eq!(
        field_of(wire::sort::<ChannelField>(Some(&json!("created_at")))),
        "sort"
    );
    assert_eq!(
        field_of(wire::sort::<ChannelField>(Some(
            &json!([{ "field": "created_at", "direction": 2 }])
        ))),
        "sort"
    );
}

#[test]
fn filters() {
    assert_eq!(wire::filter::<ChannelField>(None).unwrap(), Filter::All);
    assert_eq!(
        wire::filter::<ChannelField>(Some(&json!(null))).unwrap(),
        Filter::All
    );
    assert_eq!(
        wire::filter::<ChannelField>(Some(&json!({}))).unwrap(),
        Filter::All
    );
    assert!(matches!(
        wire::filter::<ChannelField>(Some(&json!({ "type": "messaging" }))).unwrap(),
        Filter::Cond(..)
    ));
    assert_eq!(
        field_of(wire::filter::<ChannelField>(Some(&json!([])))),
        "filter_conditions"
    );
}

#[test]
fn top_level_helpers() {
    use crate::wire::decode;
    let body = json!({ "watch": true, "user_id": "bob", "limit": 3, "since": "2024-01-01T00:00:00Z", "name": "x" });
    assert_eq!(decode::bool_field(&body, "watch").unwrap(), Some(true));
    assert_eq!(decode::bool_field(&body, "state").unwrap(), None);
    assert_eq!(decode::str_field(&body, "name").unwrap(), Some("x"));
    assert_eq!(decode::opt_u64(&body, "limit").unwrap(), Some(3));
    assert_eq!(decode::opt_timestamp(&body, "since").unwrap(), Some(t(0)));
    assert_eq!(decode::acting_user(&body).unwrap(), Some(uid("bob")));
    assert_eq!(field_of(decode::bool_field(&body, "limit")), "limit");
    assert_eq!(decode::bool_field(&json!(null), "watch").unwrap(), None);
}
