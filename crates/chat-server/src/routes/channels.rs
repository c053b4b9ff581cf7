//! Channels: query channels, get-or-create (and watch), the multi-purpose update, partial
//! update, delete, truncate, hide/show, stop watching, events, members.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use chat_core::engine::{
    Actor, AddMembers, ChannelAccess, ChannelTarget, GetOrCreateChannel, QueryChannels,
    RoleAssignment, StateOptions, TruncateChannel, UpdateChannel,
};
use chat_core::ids::{ChannelId, ChannelTypeName, Cid, ConnectionId, Role, UserId};
use chat_core::query::{ChannelField, MemberField, MessagePage};
use chat_core::time::Timestamp;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::http::{ApiResult, JsonBody, Reply};
use crate::present;
use crate::request::Ctx;
use crate::state::AppState;
use crate::watch_announce::watching_event;
use crate::wire;

/// The JSON document of a GET `?payload=` request (`{}` when absent).
pub fn payload(ctx: &Ctx) -> Result<Value, ApiError> {
    match ctx.query.get("payload") {
        None => Ok(Value::Object(Map::new())),
        Some(s) => {
            let v: Value = serde_json::from_str(s)
                .map_err(|e| ApiError::input(format!("invalid payload JSON: {e}")))?;
            if v.is_object() {
                Ok(v)
            } else {
                Err(ApiError::invalid_field("payload", "must be a JSON object"))
            }
        }
    }
}

/// `type:id` from path segments, validated.
pub fn cid_of(kind: &str, id: &str) -> Result<Cid, ApiError> {
    Ok(Cid::new(
        ChannelTypeName::parse(kind)?,
        ChannelId::parse(id)?,
    ))
}

/// `user_id` or `user.id` of a body (server-side acting user).
pub fn body_user_id(body: &Value) -> Result<Option<UserId>, ApiError> {
    let raw = body.get("user_id").and_then(Value::as_str).or_else(|| {
        body.get("user")
            .and_then(|u| u.get("id"))
            .and_then(Value::as_str)
    });
    raw.filter(|s| !s.is_empty())
        .map(|s| UserId::parse(s).map_err(ApiError::from))
        .transpose()
}

fn usize_of(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// The sockets a watch request applies to: the named connection if it is the caller's,
/// otherwise every socket of the caller (websocket.md §4, lenient).
pub fn target_connections(state: &AppState, ctx: &Ctx) -> Vec<ConnectionId> {
    let Some(user) = &ctx.user else {
        return Vec::new();
    };
    if let Some(conn) = &ctx.connection_id {
        if state.registry(&ctx.app.id).user_of(conn).as_ref() == Some(&user.id) {
            return vec![conn.clone()];
        }
    }
    state.registry(&ctx.app.id).connections_of(&user.id)
}

/// Subscribes the caller's socket(s) to `cid`; announces a new watcher (throttled in big
/// channels, see [`crate::watch_announce`]).
pub async fn watch(state: &AppState, ctx: &Ctx, access: &ChannelAccess) {
    let Some(user) = &ctx.user else { return };
    let cid = &access.channel.cid;
    let registry = state.registry(&ctx.app.id);
    let was_watching = registry.is_watching(&user.id, cid);
    for conn in target_connections(state, ctx) {
        registry.watch(&conn, cid);
    }
    if was_watching || !registry.is_watching(&user.id, cid) || !access.config.connect_events {
        return;
    }
    let watching = registry.watcher_count(cid);
    if !(state.watch_announcer).allow(&ctx.app.id, cid, watching, Instant::now()) {
        return;
    }
    let now = state.engine.clock().now();
    let event = watching_event(&ctx.app.id, cid, &user.id, true, now);
    state
        .publish(chat_core::engine::Outcome {
            value: (),
            events: vec![event],
        })
        .await;
}

/// With `presence: true`, the caller's socket(s) hear `user.presence.changed` about the
/// channel's members from now on (websocket.md §6).
pub fn subscribe_presence(state: &AppState, ctx: &Ctx, access: &ChannelAccess, body: &Value) {
    if !body
        .get("presence")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return;
    }
    let Some(user) = &ctx.user else { return };
    let registry = state.registry(&ctx.app.id);
    for conn in target_connections(state, ctx) {
        (state.presence_subs).subscribe(&ctx.app.id, &access.channel.cid, &conn, &user.id);
        // A socket that closed meanwhile already ran its cleanup: undo, or the entry stays.
        if registry.user_of(&conn).is_none() {
            state.presence_subs.remove_connection(&conn);
        }
    }
}

async fn state_reply(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    access: ChannelAccess,
    body: &Value,
) -> Result<Value, ApiError> {
    let messages = match body.get("messages") {
        Some(m) => wire::message_page(
            m,
            chat_core::engine::MESSAGE_LIMIT.0,
            chat_core::engine::MESSAGE_LIMIT.1,
        )?,
        None => MessagePage::latest(chat_core::engine::MESSAGE_LIMIT.0),
    };
    let members = body.get("members");
    let opts = StateOptions {
        messages,
        member_limit: usize_of(members.and_then(|m| m.get("limit")))
            .unwrap_or(100)
            .min(300),
        member_offset: usize_of(members.and_then(|m| m.get("offset")))
            .unwrap_or(0)
            .min(10_000),
        // `state` defaults to true, as the SDKs send it (endpoints.md §4.1); `false`
        // answers with the channel and the caller's membership and empty lists (docs/api.md).
        lists: body.get("state").and_then(Value::as_bool).unwrap_or(true),
    };
    if body.get("watch").and_then(Value::as_bool).unwrap_or(false) {
        watch(state, ctx, &access).await;
    }
    subscribe_presence(state, ctx, &access, body);
    let cs = state.engine.load_state(actor, access, &opts).await?;
    present::channel_state(state, &ctx.app.id, actor.user_id(), &cs, false).await
}

async fn get_or_create(
    state: &AppState,
    ctx: &Ctx,
    target: ChannelTarget,
    body: &Value,
) -> ApiResult {
    let empty = Value::Object(Map::new());
    let data = body.get("data").unwrap_or(&empty);
    let (channel_data, members, created_by) = wire::channel_request(data)?;
    let acting = body_user_id(body)?.or(created_by.clone());
    let actor = ctx.actor(state, acting.as_ref()).await?;
    let input = GetOrCreateChannel {
        target,
        data: channel_data,
        members,
        created_by,
    };
    let (access, _created) = state
        .publish(state.engine.get_or_create_channel(&actor, input).await?)
        .await;
    Ok(Reply(state_reply(state, ctx, &actor, access, body).await?))
}

pub async fn query_channel(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    get_or_create(&state, &ctx, ChannelTarget::Cid(cid), &body).await
}

pub async fn query_distinct(
    State(state): State<Arc<AppState>>,
    Path(kind): Path<String>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let kind = ChannelTypeName::parse(&kind)?;
    let has_members = body
        .get("data")
        .and_then(|d| d.get("members"))
        .is_some_and(|m| m.as_array().is_some_and(|a| !a.is_empty()));
    if !has_members {
        return Err(ApiError::missing_field("data.members").into());
    }
    get_or_create(&state, &ctx, ChannelTarget::Distinct(kind), &body).await
}

pub async fn query_channels(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let filter = wire::filter::<ChannelField>(body.get("filter_conditions"))?;
    let sort = wire::sort::<ChannelField>(body.get("sort"))?;
    let user_id = body_user_id(&body)?;
    let actor = ctx.actor(&state, None).await?;
    let input = QueryChannels {
        filter,
        sort,
        limit: usize_of(body.get("limit")),
        offset: usize_of(body.get("offset")).unwrap_or(0),
        message_limit: usize_of(body.get("message_limit")),
        member_limit: usize_of(body.get("member_limit")),
        user_id,
    };
    let states = state.engine.query_channels(&actor, input).await?;
    let watch_requested = body
        .get("watch")
        .and_then(Value::as_bool)
        .unwrap_or(!ctx.is_server());
    let mut out = Vec::with_capacity(states.len());
    for cs in &states {
        if watch_requested {
            watch(&state, &ctx, &cs.access).await;
        }
        subscribe_presence(&state, &ctx, &cs.access, &body);
        let viewer = cs
            .access
            .member
            .as_ref()
            .map(|m| &m.user_id)
            .or(actor.user_id());
        out.push(present::channel_state(&state, &ctx.app.id, viewer, cs, false).await?);
    }
    Ok(Reply::with("channels", Value::Array(out)))
}

async fn channel_and_members(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    cid: &Cid,
) -> Result<Map<String, Value>, ApiError> {
    let access = state.engine.channel_access(actor, cid).await?;
    let caps = access.own_capabilities(actor);
    let members = state
        .engine
        .store()
        .query_members(
            &ctx.app.id,
            &chat_core::query::MemberQuery {
                cid: cid.clone(),
                filter: chat_core::query::Filter::All,
                sort: vec![chat_core::query::Sort {
                    field: MemberField::CreatedAt,
                    direction: chat_core::query::Direction::Asc,
                }],
                limit: 100,
                offset: 0,
            },
        )
        .await
        .map_err(chat_core::Error::from)?;
    let mut out = Map::new();
    out.insert(
        "channel".into(),
        present::channel(state, &ctx.app.id, actor.user_id(), &access, Some(&caps)).await?,
    );
    out.insert(
        "members".into(),
        Value::Array(
            present::members(state, &ctx.app.id, actor.user_id(), &access, &members).await?,
        ),
    );
    Ok(out)
}

fn user_ids(field: &str, v: &Value) -> Result<Vec<UserId>, ApiError> {
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::invalid_field(field, "must be a list of user ids"))?;
    arr.iter()
        .map(|x| {
            let s = x
                .as_str()
                .or_else(|| x.get("user_id").and_then(Value::as_str))
                .ok_or_else(|| ApiError::invalid_field(field, "must be a list of user ids"))?;
            UserId::parse_field("user_id", s).map_err(ApiError::from)
        })
        .collect()
}

/// `POST /channels/{type}/{id}`: the multi-purpose update (endpoints.md §4.3). Every part of
/// the body is decoded before anything is applied, so bad input changes nothing.
pub async fn update(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let engine = &state.engine;
    let data = body
        .get("data")
        .map(wire::channel_request)
        .transpose()?
        .map(|(d, _, _)| d);
    let add = body
        .get("add_members")
        .map(wire::member_inputs)
        .transpose()?;
    let invites = body.get("invites").map(wire::member_inputs).transpose()?;
    let hide_before = match body.get("hide_history_before").and_then(Value::as_str) {
        Some(s) => Some(Timestamp::parse_rfc3339(s).ok_or_else(|| {
            ApiError::invalid_field("hide_history_before", "must be an RFC3339 time")
        })?),
        None if body
            .get("hide_history")
            .and_then(Value::as_bool)
            .unwrap_or(false) =>
        {
            Some(engine.clock().now())
        }
        None => None,
    };
    let remove = body
        .get("remove_members")
        .map(|v| user_ids("remove_members", v))
        .transpose()?;
    let mut roles = Vec::new();
    if let Some(v) = body.get("add_moderators") {
        roles.extend(
            user_ids("add_moderators", v)?
                .into_iter()
                .map(|u| RoleAssignment {
                    user_id: u,
                    channel_role: Role::new_unchecked("channel_moderator"),
                }),
        );
    }
    if let Some(v) = body.get("demote_moderators") {
        roles.extend(
            user_ids("demote_moderators", v)?
                .into_iter()
                .map(|u| RoleAssignment {
                    user_id: u,
                    channel_role: Role::channel_member(),
                }),
        );
    }
    if let Some(v) = body.get("assign_roles") {
        let arr = v
            .as_array()
            .ok_or_else(|| ApiError::invalid_field("assign_roles", "must be a list"))?;
        for item in arr {
            let user = item
                .get("user_id")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::missing_field("assign_roles.user_id"))?;
            let role = item
                .get("channel_role")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::missing_field("assign_roles.channel_role"))?;
            roles.push(RoleAssignment {
                user_id: UserId::parse(user)?,
                channel_role: Role::parse(role)?,
            });
        }
    }
    let answer = match (
        body.get("accept_invite").and_then(Value::as_bool),
        body.get("reject_invite").and_then(Value::as_bool),
    ) {
        (Some(true), Some(true)) => {
            return Err(
                ApiError::input("accept_invite and reject_invite cannot both be true").into(),
            )
        }
        (Some(true), _) => Some(true),
        (_, Some(true)) => Some(false),
        _ => None,
    };
    let nothing = data.is_none()
        && add.is_none()
        && invites.is_none()
        && remove.is_none()
        && roles.is_empty()
        && answer.is_none();
    if nothing {
        return Err(ApiError::input(
            "nothing to update: send data, add_members, remove_members, invites, accept_invite, reject_invite, add_moderators, demote_moderators or assign_roles",
        )
        .into());
    }
    if let Some(data) = data {
        state
            .publish(
                engine
                    .update_channel(
                        &actor,
                        UpdateChannel {
                            cid: cid.clone(),
                            data,
                        },
                    )
                    .await?,
            )
            .await;
    }
    for (members, invite) in [(add, false), (invites, true)] {
        if let Some(members) = members {
            let input = AddMembers {
                cid: cid.clone(),
                members,
                hide_history_before: hide_before,
                invite,
            };
            state
                .publish(engine.add_members(&actor, input).await?)
                .await;
        }
    }
    if let Some(users) = remove {
        state
            .publish(engine.remove_members(&actor, &cid, users).await?)
            .await;
    }
    if !roles.is_empty() {
        state
            .publish(engine.set_member_roles(&actor, &cid, roles).await?)
            .await;
    }
    if let Some(accept) = answer {
        state
            .publish(engine.answer_invite(&actor, &cid, accept).await?)
            .await;
    }
    Ok(Reply(Value::Object(
        channel_and_members(&state, &ctx, &actor, &cid).await?,
    )))
}

pub fn set_unset(body: &Value) -> Result<(Map<String, Value>, Vec<String>), ApiError> {
    let set = match body.get("set") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::invalid_field("set", "must be an object")),
    };
    let unset = match body.get("unset") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|k| {
                k.as_str().map(String::from).ok_or_else(|| {
                    ApiError::invalid_field("unset", "must be a list of field names")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "unset",
                "must be a list of field names",
            ))
        }
    };
    Ok((set, unset))
}

pub async fn partial_update(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let (set, unset) = set_unset(&body)?;
    state
        .publish(
            state
                .engine
                .partial_update_channel(&actor, &cid, set, unset)
                .await?,
        )
        .await;
    Ok(Reply(Value::Object(
        channel_and_members(&state, &ctx, &actor, &cid).await?,
    )))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, ctx.query_user_id()?.as_ref()).await?;
    let access = state.engine.channel_access(&actor, &cid).await?;
    let channel = state
        .publish(state.engine.delete_channel(&actor, &cid).await?)
        .await;
    let gone = ChannelAccess { channel, ..access };
    Ok(Reply::with(
        "channel",
        present::channel(&state, &ctx.app.id, actor.user_id(), &gone, None).await?,
    ))
}

pub async fn truncate(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let truncated_at =
        match body.get("truncated_at").and_then(Value::as_str) {
            Some(s) => Some(Timestamp::parse_rfc3339(s).ok_or_else(|| {
                ApiError::invalid_field("truncated_at", "must be an RFC3339 time")
            })?),
            None => None,
        };
    let hard = body
        .get("hard_delete")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    state
        .publish(
            state
                .engine
                .truncate_channel(
                    &actor,
                    TruncateChannel {
                        cid: cid.clone(),
                        hard,
                        truncated_at,
                    },
                )
                .await?,
        )
        .await;
    let access = state.engine.channel_access(&actor, &cid).await?;
    Ok(Reply::with(
        "channel",
        present::channel(&state, &ctx.app.id, actor.user_id(), &access, None).await?,
    ))
}

pub async fn hide(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    let clear = body
        .get("clear_history")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    state
        .publish(state.engine.hide_channel(&actor, &cid, clear).await?)
        .await;
    Ok(Reply::empty())
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let actor = ctx.actor(&state, body_user_id(&body)?.as_ref()).await?;
    state
        .publish(state.engine.show_channel(&actor, &cid).await?)
        .await;
    Ok(Reply::empty())
}

pub async fn stop_watching(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let Some(user) = ctx.user.clone() else {
        return Ok(Reply::empty());
    };
    let registry = state.registry(&ctx.app.id);
    for conn in target_connections(&state, &ctx) {
        registry.unwatch(&conn, &cid);
    }
    let watching = registry.watcher_count(&cid);
    if !registry.is_watching(&user.id, &cid)
        && (state.watch_announcer).allow(&ctx.app.id, &cid, watching, Instant::now())
    {
        let now = state.engine.clock().now();
        let event = watching_event(&ctx.app.id, &cid, &user.id, false, now);
        state
            .publish(chat_core::engine::Outcome {
                value: (),
                events: vec![event],
            })
            .await;
    }
    Ok(Reply::empty())
}

pub async fn send_event(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let cid = cid_of(&kind, &id)?;
    let event_json = body
        .get("event")
        .ok_or_else(|| ApiError::missing_field("event"))?;
    let input = wire::channel_event(event_json)?;
    let actor = ctx
        .actor(
            &state,
            body_user_id(&body)?.or(body_user_id(event_json)?).as_ref(),
        )
        .await?;
    let event = state
        .publish(state.engine.send_event(&actor, &cid, input).await?)
        .await;
    let encoded = crate::delivery::encode_event(&state, &ctx.app, &event, false).await?;
    Ok(Reply::with("event", encoded))
}

pub async fn query_members(State(state): State<Arc<AppState>>, ctx: Ctx) -> ApiResult {
    let p = payload(&ctx)?;
    let kind = p
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing_field("type"))?;
    let cid = match p.get("id").and_then(Value::as_str) {
        Some(id) => cid_of(kind, id)?,
        None => {
            let members = p
                .get("members")
                .ok_or_else(|| ApiError::missing_field("id"))?;
            let ids = user_ids("members", members)?;
            Cid::new(
                ChannelTypeName::parse(kind)?,
                chat_core::ids::distinct_channel_id(&ids),
            )
        }
    };
    let filter = wire::filter::<MemberField>(p.get("filter_conditions"))?;
    let sort = wire::sort::<MemberField>(p.get("sort"))?;
    let actor = ctx.actor(&state, body_user_id(&p)?.as_ref()).await?;
    let members = state
        .engine
        .query_members(
            &actor,
            &cid,
            filter,
            sort,
            usize_of(p.get("limit")),
            usize_of(p.get("offset")).unwrap_or(0),
        )
        .await?;
    let access = state.engine.channel_access(&actor, &cid).await?;
    Ok(Reply::with(
        "members",
        Value::Array(
            present::members(&state, &ctx.app.id, actor.user_id(), &access, &members).await?,
        ),
    ))
}
