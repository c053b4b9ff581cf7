//! Message (objects.md §7), Attachment (§8) and Reaction (§9).

use chat_core::model::{Attachment, Message, MessageType, Reaction};
use serde_json::{json, Map, Value};

use super::json::{ts, Obj};
use super::Ctx;

/// A message as the context's viewer sees it.
///
/// Soft-deleted messages keep their id, author, thread and reaction facts but lose their
/// content (`text`, `html`, `attachments`, translations) unless `show_deleted_content` is
/// set (server-side `show_deleted_message`; DESIGN in objects.md §7). `quoted_message` is
/// encoded one level deep from `ctx.messages`, under the same rule.
pub fn message(m: &Message, ctx: &Ctx<'_>, show_deleted_content: bool) -> Value {
    let mut obj = message_obj(m, ctx, show_deleted_content);
    if let Some(q) = m
        .quoted_message_id
        .as_ref()
        .and_then(|id| ctx.messages.get(id))
    {
        obj = obj.set(
            "quoted_message",
            message_obj(q, ctx, show_deleted_content).build(),
        );
    }
    obj.build()
}

/// Everything but `quoted_message`, which only the outer message gets (one level).
fn message_obj(m: &Message, ctx: &Ctx<'_>, show_deleted_content: bool) -> Obj {
    let hide = m.effective_type() == MessageType::Deleted && !show_deleted_content;
    let (text, html, attachments) = if hide {
        ("", "", Vec::new())
    } else {
        (
            m.text.as_str(),
            m.html.as_deref().unwrap_or(""),
            m.attachments.iter().map(attachment).collect(),
        )
    };
    let own = ctx.own_reactions.get(&m.id).map_or(&[][..], Vec::as_slice);
    Obj::new()
        .set("id", m.id.as_str())
        .set("cid", m.cid.as_str())
        .set("type", m.effective_type().as_str())
        .set("text", text)
        .set("html", html)
        .opt("mml", m.mml.as_deref().filter(|_| !hide))
        .set("user", ctx.user_value(&m.user_id))
        .set("attachments", Value::Array(attachments))
        .set("mentioned_users", ctx.user_values(&m.mentioned_users))
        .opt("parent_id", m.parent_id.as_ref().map(|id| id.as_str()))
        .when(
            m.parent_id.is_some() || m.show_in_channel,
            "show_in_channel",
            m.show_in_channel,
        )
        .when(
            m.thread.reply_count > 0,
            "thread_participants",
            ctx.user_values(&m.thread.participants),
        )
        .set("reply_count", m.thread.reply_count)
        .set("deleted_reply_count", m.thread.deleted_reply_count)
        .opt(
            "quoted_message_id",
            m.quoted_message_id.as_ref().map(|id| id.as_str()),
        )
        .set(
            "latest_reactions",
            Value::Array(
                m.reactions
                    .latest
                    .iter()
                    .map(|r| reaction(r, ctx))
                    .collect(),
            ),
        )
        .set(
            "own_reactions",
            Value::Array(own.iter().map(|r| reaction(r, ctx)).collect()),
        )
        .set("reaction_counts", per_type(m, |g| json!(g.count)))
        .set("reaction_scores", per_type(m, |g| json!(g.sum_scores)))
        .set(
            "reaction_groups",
            per_type(m, |g| {
                json!({
                    "count": g.count,
                    "sum_scores": g.sum_scores,
                    "first_reaction_at": ts(g.first_reaction_at),
                    "last_reaction_at": ts(g.last_reaction_at),
                })
            }),
        )
        .set("silent", m.silent)
        .when(m.shadowed, "shadowed", true)
        .set("pinned", m.pinned)
        .ts_or_null("pinned_at", m.pinned_at)
        .set(
            "pinned_by",
            m.pinned_by
                .as_ref()
                .map_or(Value::Null, |id| ctx.user_value(id)),
        )
        .ts_or_null("pin_expires", m.pin_expires)
        .when(
            !m.restricted_visibility.is_empty(),
            "restricted_visibility",
            m.restricted_visibility
                .iter()
                .map(|id| id.as_str())
                .collect::<Vec<_>>(),
        )
        .opt(
            "i18n",
            m.i18n
                .as_ref()
                .filter(|_| !hide)
                .map(|c| Value::Object(c.as_map().clone())),
        )
        .opt("command", m.command.as_deref())
        .opt("args", m.args.as_deref())
        .opt("poll_id", m.poll_id.as_deref())
        .ts("created_at", m.created_at)
        .ts("updated_at", m.updated_at)
        .opt_ts("deleted_at", m.deleted_at)
        .opt_ts("message_text_updated_at", m.message_text_updated_at)
        .custom(&m.custom)
}

/// A map from reaction type to `f(group)`.
fn per_type(m: &Message, f: impl Fn(&chat_core::model::ReactionGroup) -> Value) -> Value {
    let map: Map<String, Value> = m
        .reactions
        .groups
        .iter()
        .map(|(kind, g)| (kind.clone(), f(g)))
        .collect();
    Value::Object(map)
}

/// An attachment: its known fields when set, actions when any, custom data flattened.
pub fn attachment(a: &Attachment) -> Value {
    let actions: Vec<Value> = a
        .actions
        .iter()
        .map(|x| json!({ "name": x.name, "text": x.text, "style": x.style, "type": x.kind, "value": x.value }))
        .collect();
    Obj::new()
        .opt("type", a.kind.as_deref())
        .opt("fallback", a.fallback.as_deref())
        .opt("author_name", a.author_name.as_deref())
        .opt("title", a.title.as_deref())
        .opt("title_link", a.title_link.as_deref())
        .opt("text", a.text.as_deref())
        .opt("image_url", a.image_url.as_deref())
        .opt("thumb_url", a.thumb_url.as_deref())
        .opt("asset_url", a.asset_url.as_deref())
        .opt("og_scrape_url", a.og_scrape_url.as_deref())
        .opt("mime_type", a.mime_type.as_deref())
        .opt("file_size", a.file_size)
        .when(!actions.is_empty(), "actions", actions)
        .custom(&a.custom)
        .build()
}

/// A reaction: `{message_id, user_id, user, type, score, created_at, updated_at, …custom}`.
pub fn reaction(r: &Reaction, ctx: &Ctx<'_>) -> Value {
    Obj::new()
        .set("message_id", r.message_id.as_str())
        .set("user_id", r.user_id.as_str())
        .set("user", ctx.user_value(&r.user_id))
        .set("type", r.kind.as_str())
        .set("score", r.score)
        .ts("created_at", r.created_at)
        .ts("updated_at", r.updated_at)
        .custom(&r.custom)
        .build()
}
