//! Encoders: users, channels, members, messages, reactions, reads, state, types, app.

use chat_core::engine::ChannelState;
use chat_core::model::{default_channel_types, Attachment, ReactionGroup};
use chat_core::permissions::GrantModifiers;
use chat_core::read_state::{ReadState, UnreadSummary};
use serde_json::{json, Value};

use super::*;
use crate::wire;

fn commands_json() -> Value {
    json!([
        { "name": "giphy", "description": "Post a random GIF matching the text", "args": "[text]", "set": "fun_set" },
        { "name": "ban", "description": "Ban a user from the channel", "args": "[@username] [reason]", "set": "moderation_set" },
        { "name": "unban", "description": "Lift a user's ban", "args": "[@username]", "set": "moderation_set" },
        { "name": "mute", "description": "Stop seeing a user's messages", "args": "[@username]", "set": "moderation_set" },
        { "name": "unmute", "description": "See a muted user's messages again", "args": "[@username]", "set": "moderation_set" },
    ])
}

fn messaging_config_json() -> Value {
    json!({
        "name": "messaging",
        "typing_events": true,
        "read_events": true,
        "connect_events": true,
        "custom_events": true,
        "reactions": true,
        "search": true,
        "replies": true,
        "quotes": true,
        "mutes": true,
        "uploads": true,
        "url_enrichment": true,
        "push_notifications": true,
        "reminders": false,
        "count_messages": false,
        "user_message_reminders": false,
        "mark_messages_pending": false,
        "polls": false,
        "skip_last_msg_update_for_system_msgs": false,
        "shared_locations": false,
        "delivery_events": false,
        "partition_size": null,
        "partition_ttl": null,
        "message_retention": "infinite",
        "max_message_length": 5000,
        "automod": "disabled",
        "automod_behavior": "flag",
        "commands": commands_json(),
        "created_at": ts(0),
        "updated_at": ts(0),
    })
}

#[test]
fn user_snapshot() {
    let f = Fixture::new();
    f.with(|ctx| {
        assert_eq!(wire::user(&alice(), ctx), alice_json());
        assert_eq!(wire::user(&bob(), ctx), bob_json());
    });
}

#[test]
fn user_optional_fields_and_presence() {
    let mut f = Fixture::new();
    let mut u = bob();
    u.invisible = true;
    u.shadow_banned = true;
    u.banned = true;
    u.ban_expires = Some(t(100));
    u.deactivated_at = Some(t(1));
    u.deleted_at = Some(t(2));
    u.revoke_tokens_issued_before = Some(t(3));
    u.privacy.typing_indicators = false;
    u.teams = vec!["red".into()];
    u.teams_role
        .insert("red".into(), Role::parse("admin").unwrap());
    // Invisible users appear offline even with a live connection.
    f.online.push(uid("bob"));
    let v = f.with(|ctx| wire::user(&u, ctx));
    assert_eq!(v["online"], false);
    assert_eq!(v["invisible"], true);
    assert_eq!(v["shadow_banned"], true);
    assert_eq!(v["banned"], true);
    assert_eq!(v["ban_expires"], ts(100));
    assert_eq!(v["deactivated_at"], ts(1));
    assert_eq!(v["deleted_at"], ts(2));
    assert_eq!(v["revoke_tokens_issued_before"], ts(3));
    assert_eq!(v["teams"], json!(["red"]));
    assert_eq!(v["teams_role"], json!({ "red": "admin" }));
    assert_eq!(
        v["privacy_settings"]["typing_indicators"],
        json!({ "enabled": false })
    );
}

#[test]
fn unknown_user_is_id_only() {
    let f = Fixture::new();
    let m = message("m1", "ghost", "boo");
    let v = f.with(|ctx| wire::message(&m, ctx, false));
    assert_eq!(v["user"], json!({ "id": "ghost" }));
}

#[test]
fn own_user_snapshot() {
    let f = Fixture::new();
    let unread = UnreadSummary {
        total_unread_count: 4,
        unread_channels: 2,
        unread_threads: 1,
        ..Default::default()
    };
    let v = f.with(|ctx| wire::own_user(&alice(), ctx, &unread));
    let mut want = alice_json();
    let extra = json!({
        "total_unread_count": 4,
        "unread_count": 4,
        "unread_channels": 2,
        "unread_threads": 1,
        "devices": [],
        "mutes": [],
        "channel_mutes": [],
        "blocked_user_ids": [],
    });
    for (k, v) in extra.as_object().unwrap() {
        want[k] = v.clone();
    }
    assert_eq!(v, want);
}

#[test]
fn channel_snapshot() {
    let f = Fixture::new();
    let mut viewer = member("bob");
    viewer.hidden = true;
    let a = access(Some(viewer));
    let v = f.with(|ctx| wire::channel(&a, ctx, Some(&["read-events", "send-message"])));
    assert_eq!(
        v,
        json!({
            "id": "general",
            "type": "messaging",
            "cid": "messaging:general",
            "config": messaging_config_json(),
            "created_by": alice_json(),
            "frozen": false,
            "disabled": false,
            "member_count": 2,
            "created_at": ts(0),
            "updated_at": ts(0),
            "last_message_at": ts(60),
            "hidden": true,
            "own_capabilities": ["read-events", "send-message"],
            "name": "General",
        })
    );
}

#[test]
fn channel_optional_fields() {
    let f = Fixture::new();
    let mut a = access(None);
    a.channel.team = Some("red".into());
    a.channel.cooldown = Some(30);
    a.channel.truncated_at = Some(t(70));
    a.channel.truncated_by = Some(uid("bob"));
    a.channel.deleted_at = Some(t(80));
    a.channel.filter_tags = vec!["vip".into()];
    a.channel.config_overrides.count_messages = Some(true);
    a.channel.config_overrides.commands = Some(vec!["giphy".into()]);
    a.channel.config_overrides.grants = Some(GrantModifiers(
        [(
            "channel_member".to_string(),
            vec!["!send-message".to_string()],
        )]
        .into(),
    ));
    let v = f.with(|ctx| wire::channel(&a, ctx, None));
    assert_eq!(v["team"], "red");
    assert_eq!(v["cooldown"], 30);
    assert_eq!(v["truncated_at"], ts(70));
    assert_eq!(v["truncated_by"], bob_json());
    assert_eq!(v["deleted_at"], ts(80));
    assert_eq!(v["filter_tags"], json!(["vip"]));
    // Overrides show in the effective config; counting is on, so the count is shown.
    assert_eq!(v["message_count"], 7);
    assert_eq!(v["config"]["count_messages"], true);
    assert_eq!(v["config"]["commands"], json!([commands_json()[0]]));
    let member_grants = v["config"]["grants"]["channel_member"].as_array().unwrap();
    assert!(!member_grants.is_empty());
    assert!(!member_grants.contains(&json!("send-message")));
    assert_eq!(v["hidden"], false);
    assert!(v.get("own_capabilities").is_none());
    assert!(v.get("custom").is_none());
    // Cooldown 0 means slow mode off: omitted.
    a.channel.cooldown = Some(0);
    assert!(f
        .with(|ctx| wire::channel(&a, ctx, None))
        .get("cooldown")
        .is_none());
}

#[test]
fn member_snapshot_and_legacy_roles() {
    let f = Fixture::new();
    let a = access(None);
    let mut m = member("bob");
    m.custom = custom(json!({ "nickname": "bobby" }));
    let v = f.with(|ctx| wire::member(&m, &a.channel, ctx));
    assert_eq!(
        v,
        json!({
            "user_id": "bob",
            "user": bob_json(),
            "channel_role": "channel_member",
            "role": "member",
            "is_moderator": false,
            "status": "member",
            "banned": false,
            "shadow_banned": false,
            "notifications_muted": false,
            "created_at": ts(10),
            "updated_at": ts(10),
            "nickname": "bobby",
        })
    );
    let role = |m: &Member| f.with(|ctx| wire::member(m, &a.channel, ctx))["role"].clone();
    // The creator is the owner.
    assert_eq!(role(&member("alice")), "owner");
    // App admins are admins.
    assert_eq!(role(&member("root")), "admin");
    let mut moderator = member("bob");
    moderator.channel_role = Role::parse("channel_moderator").unwrap();
    assert_eq!(role(&moderator), "moderator");
    assert_eq!(
        f.with(|ctx| wire::member(&moderator, &a.channel, ctx))["is_moderator"],
        true
    );
}

#[test]
fn member_invites_and_pins() {
    let f = Fixture::new();
    let a = access(None);
    let mut m = member("bob");
    m.invited = true;
    let v = f.with(|ctx| wire::member(&m, &a.channel, ctx));
    assert_eq!(v["status"], "invited");
    assert_eq!(v["invited"], true);
    m.invite_accepted_at = Some(t(11));
    m.pinned_at = Some(t(12));
    m.archived_at = Some(t(13));
    let v = f.with(|ctx| wire::member(&m, &a.channel, ctx));
    assert_eq!(v["status"], "member");
    assert_eq!(v["invite_accepted_at"], ts(11));
    assert_eq!(v["pinned_at"], ts(12));
    assert_eq!(v["archived_at"], ts(13));
}

#[test]
fn message_snapshot_with_custom_and_attachments() {
    let f = Fixture::new();
    let mut m = message("m1", "alice", "hi @bob");
    m.mentioned_users = vec![uid("bob")];
    m.custom = custom(json!({ "priority": "high" }));
    m.attachments = vec![Attachment {
        kind: Some("image".into()),
        image_url: Some("https://img.example/x.png".into()),
        file_size: Some(42),
        custom: custom(json!({ "alt": "a cat" })),
        ..Attachment::default()
    }];
    let v = f.with(|ctx| wire::message(&m, ctx, false));
    assert_eq!(
        v,
        json!({
            "id": "m1",
            "cid": "messaging:general",
            "type": "regular",
            "text": "hi @bob",
            "html": "",
            "user": alice_json(),
            "attachments": [{ "type": "image", "image_url": "https://img.example/x.png", "file_size": 42, "alt": "a cat" }],
            "mentioned_users": [bob_json()],
            "reply_count": 0,
            "deleted_reply_count": 0,
            "latest_reactions": [],
            "own_reactions": [],
            "reaction_counts": {},
            "reaction_scores": {},
            "reaction_groups": {},
            "silent": false,
            "pinned": false,
            "pinned_at": null,
            "pinned_by": null,
            "pin_expires": null,
            "created_at": ts(20),
            "updated_at": ts(20),
            "priority": "high",
        })
    );
}

#[test]
fn message_reactions_counts_scores_groups_and_own() {
    let mut f = Fixture::new();
    f.viewer = Some(uid("bob"));
    let mut m = message("m1", "alice", "hi");
    let like = reaction("m1", "bob", "like", 1, 30);
    let clap = reaction("m1", "alice", "clap", 5, 31);
    m.reactions.latest = vec![clap.clone(), like.clone()];
    m.reactions.groups.insert(
        "like".into(),
        ReactionGroup {
            count: 1,
            sum_scores: 1,
            first_reaction_at: t(30),
            last_reaction_at: t(30),
        },
    );
    m.reactions.groups.insert(
        "clap".into(),
        ReactionGroup {
            count: 1,
            sum_scores: 5,
            first_reaction_at: t(31),
            last_reaction_at: t(31),
        },
    );
    f.own.insert(mid("m1"), vec![like]);
    let v = f.with(|ctx| wire::message(&m, ctx, false));
    assert_eq!(v["reaction_counts"], json!({ "like": 1, "clap": 1 }));
    assert_eq!(v["reaction_scores"], json!({ "like": 1, "clap": 5 }));
    assert_eq!(
        v["reaction_groups"]["clap"],
        json!({ "count": 1, "sum_scores": 5, "first_reaction_at": ts(31), "last_reaction_at": ts(31) })
    );
    assert_eq!(v["latest_reactions"].as_array().unwrap().len(), 2);
    assert_eq!(v["latest_reactions"][0]["type"], "clap");
    assert_eq!(v["own_reactions"].as_array().unwrap().len(), 1);
    assert_eq!(v["own_reactions"][0]["user"], bob_json());
}

#[test]
fn reaction_snapshot() {
    let f = Fixture::new();
    let mut r = reaction("m1", "bob", "love", 2, 40);
    r.custom = custom(json!({ "emoji_code": "❤️" }));
    let v = f.with(|ctx| wire::reaction(&r, ctx));
    assert_eq!(
        v,
        json!({
            "message_id": "m1",
            "user_id": "bob",
            "user": bob_json(),
            "type": "love",
            "score": 2,
            "created_at": ts(40),
            "updated_at": ts(40),
            "emoji_code": "❤️",
        })
    );
}

#[test]
fn quoted_message_one_level() {
    let mut f = Fixture::new();
    let mut inner = message("m0", "bob", "first");
    inner.quoted_message_id = Some(mid("older"));
    inner.custom = custom(json!({ "mood": "ok" }));
    f.messages.insert(mid("m0"), inner);
    f.messages
        .insert(mid("older"), message("older", "bob", "oldest"));
    let mut m = message("m1", "alice", "re: first");
    m.quoted_message_id = Some(mid("m0"));
    let v = f.with(|ctx| wire::message(&m, ctx, false));
    assert_eq!(v["quoted_message_id"], "m0");
    assert_eq!(v["quoted_message"]["text"], "first");
    assert_eq!(v["quoted_message"]["user"], bob_json());
    assert_eq!(v["quoted_message"]["mood"], "ok");
    // One level only: the quoted message names its own quote but does not embed it.
    assert_eq!(v["quoted_message"]["quoted_message_id"], "older");
    assert!(v["quoted_message"].get("quoted_message").is_none());
    // An unloaded quote leaves only the id.
    let mut m2 = message("m2", "alice", "re: ?");
    m2.quoted_message_id = Some(mid("missing"));
    let v = f.with(|ctx| wire::message(&m2, ctx, false));
    assert_eq!(v["quoted_message_id"], "missing");
    assert!(v.get("quoted_message").is_none());
}

#[test]
fn soft_deleted_message_hides_content() {
    let f = Fixture::new();
    let mut m = message("m1", "alice", "secret");
    m.html = Some("<p>secret</p>\n".into());
    m.attachments = vec![Attachment {
        kind: Some("file".into()),
        ..Attachment::default()
    }];
    m.i18n = Some(custom(json!({ "fr_text": "secret", "language": "en" })));
    m.deleted_at = Some(t(50));
    let v = f.with(|ctx| wire::message(&m, ctx, false));
    assert_eq!(v["type"], "deleted");
    assert_eq!(v["text"], "");
    assert_eq!(v["html"], "");
    assert_eq!(v["attachments"], json!([]));
    assert!(v.get("i18n").is_none());
    assert_eq!(v["deleted_at"], ts(50));
    assert_eq!(v["user"], alice_json());
    // Server-side `show_deleted_message`: the original content, still typed deleted.
    let v = f.with(|ctx| wire::message(&m, ctx, true));
    assert_eq!(v["type"], "deleted");
    assert_eq!(v["text"], "secret");
    assert_eq!(v["html"], "<p>secret</p>\n");
    assert_eq!(v["attachments"], json!([{ "type": "file" }]));
    assert_eq!(v["i18n"]["fr_text"], "secret");
}

#[test]
fn thread_parent_and_reply() {
    let f = Fixture::new();
    let mut parent = message("p", "alice", "topic");
    let v = f.with(|ctx| wire::message(&parent, ctx, false));
    assert!(v.get("thread_participants").is_none());
    parent.thread.reply_count = 3;
    parent.thread.deleted_reply_count = 1;
    parent.thread.participants = vec![uid("bob"), uid("alice")];
    let v = f.with(|ctx| wire::message(&parent, ctx, false));
    assert_eq!(v["reply_count"], 3);
    assert_eq!(v["deleted_reply_count"], 1);
    assert_eq!(v["thread_participants"], json!([bob_json(), alice_json()]));
    let mut reply = message("r", "bob", "answer");
    reply.kind = chat_core::model::MessageType::Reply;
    reply.parent_id = Some(mid("p"));
    let v = f.with(|ctx| wire::message(&reply, ctx, false));
    assert_eq!(v["type"], "reply");
    assert_eq!(v["parent_id"], "p");
    assert_eq!(v["show_in_channel"], false);
}

#[test]
fn pinned_and_optional_message_fields() {
    let f = Fixture::new();
    let mut m = message("m1", "alice", "/giphy cats");
    m.pinned = true;
    m.pinned_at = Some(t(21));
    m.pinned_by = Some(uid("bob"));
    m.pin_expires = Some(t(99));
    m.silent = true;
    m.shadowed = true;
    m.command = Some("giphy".into());
    m.args = Some("cats".into());
    m.restricted_visibility = vec![uid("bob")];
    m.message_text_updated_at = Some(t(22));
    let v = f.with(|ctx| wire::message(&m, ctx, false));
    assert_eq!(v["pinned"], true);
    assert_eq!(v["pinned_at"], ts(21));
    assert_eq!(v["pinned_by"], bob_json());
    assert_eq!(v["pin_expires"], ts(99));
    assert_eq!(v["silent"], true);
    assert_eq!(v["shadowed"], true);
    assert_eq!(v["command"], "giphy");
    assert_eq!(v["args"], "cats");
    assert_eq!(v["restricted_visibility"], json!(["bob"]));
    assert_eq!(v["message_text_updated_at"], ts(22));
}

#[test]
fn read_entry() {
    let f = Fixture::new();
    let mut r = ReadState {
        cid: cid(),
        user_id: uid("bob"),
        last_read_seq: 3,
        last_read_at: t(15),
        last_read_message_id: None,
        own_after_cursor: 0,
    };
    let v = f.with(|ctx| wire::read(&r, 2, ctx));
    assert_eq!(
        v,
        json!({ "user": bob_json(), "last_read": ts(15), "unread_messages": 2 })
    );
    r.last_read_message_id = Some(mid("m1"));
    assert_eq!(
        f.with(|ctx| wire::read(&r, 0, ctx))["last_read_message_id"],
        "m1"
    );
}

#[test]
fn channel_state_shape() {
    let mut f = Fixture::new();
    f.viewer = Some(uid("bob"));
    let a = access(Some(member("bob")));
    let mut pinned = message("m2", "bob", "pinned");
    pinned.pinned = true;
    let like = reaction("m1", "bob", "like", 1, 30);
    let state = ChannelState {
        access: a,
        messages: vec![message("m1", "alice", "hi"), pinned.clone()],
        pinned_messages: vec![pinned],
        members: vec![member("alice"), member("bob")],
        reads: vec![(
            ReadState {
                cid: cid(),
                user_id: uid("bob"),
                last_read_seq: 0,
                last_read_at: t(10),
                last_read_message_id: None,
                own_after_cursor: 0,
            },
            1,
        )],
        own_reactions: vec![like],
        own_capabilities: vec!["send-message"],
    };
    let v = f.with(|ctx| wire::channel_state(&state, ctx, 3, false));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "channel",
        "messages",
        "pinned_messages",
        "pending_messages",
        "members",
        "membership",
        "read",
        "watcher_count",
        "watchers",
        "hidden",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(v["channel"]["own_capabilities"], json!(["send-message"]));
    assert_eq!(v["messages"].as_array().unwrap().len(), 2);
    assert_eq!(v["pinned_messages"][0]["id"], "m2");
    assert_eq!(v["members"][0]["role"], "owner");
    assert_eq!(v["membership"]["user_id"], "bob");
    assert_eq!(v["read"][0]["unread_messages"], 1);
    assert_eq!(v["watcher_count"], 3);
    assert_eq!(v["watchers"], json!([]));
    assert_eq!(v["pending_messages"], json!([]));
    assert_eq!(v["hidden"], false);
    // Own reactions fall back to the state's when the context has none.
    assert_eq!(v["messages"][0]["own_reactions"][0]["type"], "like");
    assert_eq!(v["messages"][1]["own_reactions"], json!([]));
}

#[test]
fn channel_type_get_and_create_forms() {
    let ty = default_channel_types(t(0)).into_iter().next().unwrap();
    let v = wire::channel_type(&ty);
    let mut want = messaging_config_json();
    want["grants"] = serde_json::to_value(&ty.grants).unwrap();
    want["permissions"] = json!([]);
    assert_eq!(v, want);
    let created = wire::channel_type_created(&ty);
    assert_eq!(
        created["commands"],
        json!(["giphy", "ban", "unban", "mute", "unmute"])
    );
    // `all` expands to every built-in command.
    let mut all = ty.clone();
    all.config.commands = vec!["all".into(), "giphy".into(), "custom".into()];
    let v = wire::channel_type(&all);
    let names: Vec<&str> = v["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["giphy", "ban", "unban", "mute", "unmute", "custom"]);
    assert_eq!(
        v["commands"][5],
        json!({ "name": "custom", "description": "", "args": "", "set": "" })
    );
}

#[test]
fn app_settings_shape_and_no_secret() {
    let mut settings = chat_core::model::AppSettings {
        name: "demo".into(),
        ..Default::default()
    };
    settings.extra.insert("api_secret", json!("leak"));
    settings
        .extra
        .insert("auto_translation_enabled", json!(true));
    settings.extra.insert("name", json!("shadow"));
    let app = chat_core::model::App {
        id: chat_core::ids::AppId::parse("app1").unwrap(),
        api_key: "key".into(),
        api_secret: "topsecret".into(),
        settings,
        created_at: t(0),
        version: 0,
    };
    let types = default_channel_types(t(0));
    let v = wire::app_settings(&app, &types);
    let text = v.to_string();
    assert!(!text.contains("topsecret") && !text.contains("leak"));
    assert_eq!(v["name"], "demo");
    assert_eq!(v["permission_version"], "v2");
    assert_eq!(v["revoke_tokens_issued_before"], Value::Null);
    assert_eq!(v["enforce_unique_usernames"], "no");
    assert_eq!(v["reminders_interval"], 300);
    assert_eq!(v["auto_translation_enabled"], true);
    assert_eq!(v["policies"], json!({}));
    assert!(v["grants"]["admin"].is_array());
    let configs = v["channel_configs"].as_object().unwrap();
    assert_eq!(configs.len(), 5);
    assert_eq!(configs["messaging"], messaging_config_json());
    assert_eq!(configs["team"]["count_messages"], true);
}
