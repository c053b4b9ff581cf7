//! Channel config (objects.md §3.2), commands, channel types (endpoints.md §5) and app
//! settings (objects.md §1).

use chat_core::model::{App, Automod, AutomodBehavior, ChannelConfig, ChannelType};
use chat_core::permissions::{default_app_grants, Grants};
use chat_core::time::Timestamp;
use serde_json::{json, Map, Value};

use super::json::Obj;

/// The built-in slash commands: `(name, description, args, set)`. The descriptions and
/// argument hints are our own wording.
pub const BUILTIN_COMMANDS: &[(&str, &str, &str, &str)] = &[
    (
        "giphy",
        "Post a random GIF matching the text",
        "[text]",
        "fun_set",
    ),
    (
        "ban",
        "Ban a user from the channel",
        "[@username] [reason]",
        "moderation_set",
    ),
    (
        "unban",
        "Lift a user's ban",
        "[@username]",
        "moderation_set",
    ),
    (
        "mute",
        "Stop seeing a user's messages",
        "[@username]",
        "moderation_set",
    ),
    (
        "unmute",
        "See a muted user's messages again",
        "[@username]",
        "moderation_set",
    ),
];

/// A command object `{name, description, args, set}`. Commands we have no description for
/// (registered custom commands) get empty strings.
pub fn command(name: &str) -> Value {
    let (description, args, set) = BUILTIN_COMMANDS
        .iter()
        .find(|(n, ..)| *n == name)
        .map_or(("", "", ""), |(_, d, a, s)| (*d, *a, *s));
    json!({ "name": name, "description": description, "args": args, "set": set })
}

/// Enabled command names, with `all` expanded to every built-in command.
fn command_names(config: &ChannelConfig) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for c in &config.commands {
        if c == "all" {
            names.extend(BUILTIN_COMMANDS.iter().map(|(n, ..)| *n));
        } else {
            names.push(c.as_str());
        }
    }
    let mut seen = Vec::new();
    names.retain(|n| {
        let fresh = !seen.contains(n);
        seen.push(*n);
        fresh
    });
    names
}

fn automod(a: Automod) -> &'static str {
    match a {
        Automod::Disabled => "disabled",
        Automod::Simple => "simple",
        Automod::Ai => "AI",
    }
}

fn behavior(b: AutomodBehavior) -> &'static str {
    match b {
        AutomodBehavior::Flag => "flag",
        AutomodBehavior::Block => "block",
    }
}

/// The config fields of §3.2, without `commands` (whose form depends on the endpoint).
fn config_fields(c: &ChannelConfig) -> Obj {
    Obj::new()
        .set("typing_events", c.typing_events)
        .set("read_events", c.read_events)
        .set("connect_events", c.connect_events)
        .set("custom_events", c.custom_events)
        .set("reactions", c.reactions)
        .set("search", c.search)
        .set("replies", c.replies)
        .set("quotes", c.quotes)
        .set("mutes", c.mutes)
        .set("uploads", c.uploads)
        .set("url_enrichment", c.url_enrichment)
        .set("push_notifications", c.push_notifications)
        .set("reminders", c.reminders)
        .set("count_messages", c.count_messages)
        .set("user_message_reminders", c.user_message_reminders)
        .set("mark_messages_pending", c.mark_messages_pending)
        .set("polls", c.polls)
        .set(
            "skip_last_msg_update_for_system_msgs",
            c.skip_last_msg_update_for_system_msgs,
        )
        .set("shared_locations", c.shared_locations)
        .set("delivery_events", c.delivery_events)
        .set("partition_size", c.partition_size)
        .set("partition_ttl", c.partition_ttl.clone())
        .set("message_retention", c.message_retention.as_str())
        .set("max_message_length", c.max_message_length)
        .set("automod", automod(c.automod))
        .set("automod_behavior", behavior(c.automod_behavior))
        .opt("automod_thresholds", c.automod_thresholds.clone())
        .opt("blocklist", c.blocklist.as_deref())
        .opt("blocklist_behavior", c.blocklist_behavior.map(behavior))
}

/// A config as embedded in a channel or in `channel_configs`: the fields, `name` (the type
/// name), `commands` as objects and the type's timestamps.
pub(crate) fn config_obj(
    name: &str,
    c: &ChannelConfig,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> Obj {
    let commands: Vec<Value> = command_names(c).into_iter().map(command).collect();
    config_fields(c)
        .set("name", name)
        .set("commands", commands)
        .ts("created_at", created_at)
        .ts("updated_at", updated_at)
}

pub(crate) fn grants_value(g: &Grants) -> Value {
    let map: Map<String, Value> =
        g.0.iter()
            .map(|(role, ids)| (role.clone(), json!(ids)))
            .collect();
    Value::Object(map)
}

/// A channel type as `GET /channeltypes[/{name}]` returns it: flattened config, `commands`
/// as objects, `grants`, legacy `permissions` (always `[]`), timestamps.
pub fn channel_type(t: &ChannelType) -> Value {
    config_obj(t.name.as_str(), &t.config, t.created_at, t.updated_at)
        .set("grants", grants_value(&t.grants))
        .set("permissions", Vec::<Value>::new())
        .build()
}

/// A channel type as `POST /channeltypes` returns it: like [`channel_type`] but `commands`
/// are names (endpoints.md §5).
pub fn channel_type_created(t: &ChannelType) -> Value {
    let names: Vec<&str> = command_names(&t.config);
    config_obj(t.name.as_str(), &t.config, t.created_at, t.updated_at)
        .set("commands", names)
        .set("grants", grants_value(&t.grants))
        .set("permissions", Vec::<Value>::new())
        .build()
}

/// Keys never echoed from the free-form settings store (`AppSettings::extra`), whatever a
/// `PATCH /app` put there: credentials are write-only.
const SECRET_KEYS: &[&str] = &["api_secret", "secret", "api_key"];

/// Default `reminders_interval` in seconds (objects.md §1).
const DEFAULT_REMINDERS_INTERVAL: u32 = 300;

/// `GET /app`'s `app` object: settings, `channel_configs` of every type, `.app` grants
/// (defaults when never set), `permission_version: v2`. Never the API secret.
pub fn app_settings(app: &App, channel_types: &[ChannelType]) -> Value {
    let s = &app.settings;
    let configs: Map<String, Value> = channel_types
        .iter()
        .map(|t| {
            (
                t.name.to_string(),
                config_obj(t.name.as_str(), &t.config, t.created_at, t.updated_at).build(),
            )
        })
        .collect();
    let grants = s.grants.clone().unwrap_or_else(default_app_grants);
    let unique_names = if s.enforce_unique_usernames.is_empty() {
        "no"
    } else {
        s.enforce_unique_usernames.as_str()
    };
    let mut map = Obj::new()
        .set("name", s.name.as_str())
        .set("organization", s.organization.as_str())
        .set("suspended", s.suspended)
        .set("suspended_explanation", s.suspended_explanation.as_str())
        .set("channel_configs", configs)
        .ts_or_null("revoke_tokens_issued_before", s.revoke_tokens_issued_before)
        .set("disable_auth_checks", s.disable_auth_checks)
        .set("disable_permissions_checks", s.disable_permissions_checks)
        .set("permission_version", "v2")
        .set("policies", Map::new())
        .set("grants", grants_value(&grants))
        .set("multi_tenant_enabled", s.multi_tenant_enabled)
        .set("channel_hide_members_only", s.channel_hide_members_only)
        .set(
            "user_search_disallowed_roles",
            s.user_search_disallowed_roles.clone(),
        )
        .set("enforce_unique_usernames", unique_names)
        .set("webhook_url", s.webhook_url.as_str())
        .set("webhook_events", s.webhook_events.clone())
        .set("event_hooks", s.event_hooks.clone())
        .set(
            "before_message_send_hook_url",
            s.before_message_send_hook_url.as_str(),
        )
        .set(
            "custom_action_handler_url",
            s.custom_action_handler_url.as_str(),
        )
        .when(
            s.reminders_interval != 0,
            "reminders_interval",
            s.reminders_interval,
        )
        .into_map();
    for (k, v) in s.extra.as_map() {
        if !map.contains_key(k) && !SECRET_KEYS.contains(&k.as_str()) {
            map.insert(k.clone(), v.clone());
        }
    }
    map.entry("reminders_interval")
        .or_insert_with(|| json!(DEFAULT_REMINDERS_INTERVAL));
    Value::Object(map)
}
