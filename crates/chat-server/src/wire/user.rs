//! User and OwnUser (objects.md §2).

use chat_core::model::User;
use chat_core::read_state::UnreadSummary;
use serde_json::{json, Map, Value};

use super::json::Obj;
use super::Ctx;

/// A user object. `online` comes from the context's presence, and invisible users always
/// appear offline; `shadow_banned` is present only when true (DESIGN).
pub fn user(u: &User, ctx: &Ctx<'_>) -> Value {
    user_obj(u, ctx).build()
}

pub(crate) fn user_obj(u: &User, ctx: &Ctx<'_>) -> Obj {
    let teams_role: Map<String, Value> = u
        .teams_role
        .iter()
        .map(|(team, role)| (team.clone(), Value::from(role.as_str())))
        .collect();
    Obj::new()
        .set("id", u.id.as_str())
        .set("role", u.role.as_str())
        .opt("name", u.name.as_deref())
        .opt("image", u.image.as_deref())
        .set("teams", u.teams.clone())
        .when(!teams_role.is_empty(), "teams_role", teams_role)
        .opt("language", u.language.as_deref())
        .set("online", !u.invisible && (ctx.online)(&u.id))
        .set("invisible", u.invisible)
        .set("banned", u.banned)
        .opt_ts("ban_expires", u.ban_expires.filter(|_| u.banned))
        .when(u.shadow_banned, "shadow_banned", true)
        .opt_ts("last_active", u.last_active)
        .ts("created_at", u.created_at)
        .ts("updated_at", u.updated_at)
        .opt_ts("deactivated_at", u.deactivated_at)
        .opt_ts("deleted_at", u.deleted_at)
        .opt_ts("revoke_tokens_issued_before", u.revoke_tokens_issued_before)
        .set(
            "privacy_settings",
            json!({
                "typing_indicators": { "enabled": u.privacy.typing_indicators },
                "read_receipts": { "enabled": u.privacy.read_receipts },
                "delivery_receipts": { "enabled": u.privacy.delivery_receipts },
            }),
        )
        .custom(&u.custom)
}

/// The connecting user's own object (`me` on the first `health.check`): the user plus
/// unread totals (`unread_count` is the legacy alias of the total) and the lists we do not
/// keep yet (devices, mutes, channel mutes, blocks), which are empty.
pub fn own_user(u: &User, ctx: &Ctx<'_>, unread: &UnreadSummary) -> Value {
    user_obj(u, ctx)
        .set("total_unread_count", unread.total_unread_count)
        .set("unread_count", unread.total_unread_count)
        .set("unread_channels", unread.unread_channels)
        .set("unread_threads", unread.unread_threads)
        .set("devices", Vec::<Value>::new())
        .set("mutes", Vec::<Value>::new())
        .set("channel_mutes", Vec::<Value>::new())
        .set("blocked_user_ids", Vec::<Value>::new())
        .build()
}
