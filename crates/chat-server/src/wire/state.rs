//! ChannelState: what a channel query / watch returns (objects.md §4).

use std::collections::HashMap;

use chat_core::engine::ChannelState;
use chat_core::ids::MessageId;
use chat_core::model::Reaction;
use serde_json::Value;

use super::channel::channel_obj;
use super::json::Obj;
use super::{member, message, read, Ctx};

/// A channel state for its reader: `channel` (with `own_capabilities`), `messages`,
/// `pinned_messages`, `members`, `membership` (the reader's, when a member), `read`,
/// `watcher_count`, `hidden`, and the lists we do not fill (`watchers`,
/// `pending_messages`) as `[]` — a route that pages watchers replaces `watchers`.
///
/// Own reactions come from `ctx.own_reactions`; when the caller preloaded none, the
/// state's own reactions are used instead.
pub fn channel_state(
    state: &ChannelState,
    ctx: &Ctx<'_>,
    watcher_count: usize,
    show_deleted_content: bool,
) -> Value {
    let fallback: HashMap<MessageId, Vec<Reaction>>;
    let local;
    let ctx = if ctx.own_reactions.is_empty() && !state.own_reactions.is_empty() {
        let mut by_message: HashMap<MessageId, Vec<Reaction>> = HashMap::new();
        for r in &state.own_reactions {
            by_message
                .entry(r.message_id.clone())
                .or_default()
                .push(r.clone());
        }
        fallback = by_message;
        local = Ctx {
            own_reactions: &fallback,
            ..*ctx
        };
        &local
    } else {
        ctx
    };
    let access = &state.access;
    let channel = channel_obj(
        &access.channel,
        Some(&*access.channel_type),
        access.member.as_ref(),
        ctx,
        Some(&state.own_capabilities),
    );
    let messages = |ms: &[chat_core::model::Message]| -> Value {
        Value::Array(
            ms.iter()
                .map(|m| message(m, ctx, show_deleted_content))
                .collect(),
        )
    };
    let members: Vec<Value> = state
        .members
        .iter()
        .map(|m| member(m, &access.channel, ctx))
        .collect();
    let reads: Vec<Value> = state.reads.iter().map(|(r, n)| read(r, *n, ctx)).collect();
    Obj::new()
        .set("channel", channel.build())
        .set("messages", messages(&state.messages))
        .set("pinned_messages", messages(&state.pinned_messages))
        .set("pending_messages", Vec::<Value>::new())
        .set("members", members)
        .opt(
            "membership",
            access
                .member
                .as_ref()
                .map(|m| member(m, &access.channel, ctx)),
        )
        .set("read", reads)
        .set("watcher_count", watcher_count)
        .set("watchers", Vec::<Value>::new())
        .set("hidden", access.member.as_ref().is_some_and(|m| m.hidden))
        .build()
}
