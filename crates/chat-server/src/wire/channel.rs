//! Channel (objects.md §3.1).

use chat_core::engine::ChannelAccess;
use chat_core::model::{Channel, ChannelType, Member};
use serde_json::Value;

use super::config::{config_obj, grants_value};
use super::json::Obj;
use super::Ctx;

/// A channel as the access's actor sees it: `hidden` is their membership's, and
/// `own_capabilities` is included when given (responses, never events).
pub fn channel(access: &ChannelAccess, ctx: &Ctx<'_>, own_capabilities: Option<&[&str]>) -> Value {
    channel_obj(
        &access.channel,
        Some(&*access.channel_type),
        access.member.as_ref(),
        ctx,
        own_capabilities,
    )
    .build()
}

/// A channel from its parts. `ty` supplies the effective `config` (omitted without it —
/// events carry the channel as it was, and the type may not be at hand); `member` is the
/// viewer's membership, for `hidden`.
pub(crate) fn channel_obj(
    c: &Channel,
    ty: Option<&ChannelType>,
    member: Option<&Member>,
    ctx: &Ctx<'_>,
    own_capabilities: Option<&[&str]>,
) -> Obj {
    let config = ty.map(|t| {
        let effective = c.effective_config(&t.config);
        let mut obj = config_obj(t.name.as_str(), &effective, t.created_at, t.updated_at);
        // Grants appear in the channel's config only when the channel modifies them.
        if c.config_overrides.grants.is_some() {
            obj = obj.set(
                "grants",
                grants_value(&t.grants.with_modifiers(c.config_overrides.grants.as_ref())),
            );
        }
        (obj.build(), effective.count_messages)
    });
    let count_messages = match &config {
        Some((_, count)) => *count,
        // Without the type, only an explicit override says whether counting is on.
        None => c.config_overrides.count_messages.unwrap_or(false),
    };
    Obj::new()
        .set("id", c.cid.id().as_str())
        .set("type", c.cid.kind().as_str())
        .set("cid", c.cid.as_str())
        .opt("team", c.team.as_deref())
        .opt("config", config.map(|(v, _)| v))
        .opt(
            "created_by",
            c.created_by.as_ref().map(|id| ctx.user_value(id)),
        )
        .set("frozen", c.frozen)
        .set("disabled", c.disabled)
        .opt("cooldown", c.cooldown.filter(|&s| s > 0))
        .set("member_count", c.counters.member_count)
        .when(count_messages, "message_count", c.counters.message_count)
        .ts("created_at", c.created_at)
        .ts("updated_at", c.updated_at)
        .opt_ts("deleted_at", c.deleted_at)
        .opt_ts("last_message_at", c.counters.last_message_at)
        .opt_ts("truncated_at", c.truncated_at)
        .opt(
            "truncated_by",
            c.truncated_by.as_ref().map(|id| ctx.user_value(id)),
        )
        .set("hidden", member.is_some_and(|m| m.hidden))
        .opt(
            "own_capabilities",
            own_capabilities.map(|caps| caps.to_vec()),
        )
        .when(
            !c.filter_tags.is_empty(),
            "filter_tags",
            c.filter_tags.clone(),
        )
        .custom(&c.custom)
}
