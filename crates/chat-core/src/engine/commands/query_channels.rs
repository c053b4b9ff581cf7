//! Query channels: filter, sort, offset pagination, with each channel's state.

use crate::engine::{
    check_offset, clamp_limit, Actor, ChatEngine, StateOptions, QUERY_CHANNELS_LIMIT,
};
use crate::error::Result;
use crate::ids::UserId;
use crate::query::{ChannelField, ChannelQuery, Direction, Filter, MessagePage, Op, Sort, Value};

use super::channel_state::ChannelState;

/// Query-channels input.
#[derive(Debug, Clone)]
pub struct QueryChannels {
    /// Filter.
    pub filter: Filter<ChannelField>,
    /// Sort (default `last_updated` desc).
    pub sort: Vec<Sort<ChannelField>>,
    /// Page size (default 10, max 30).
    pub limit: Option<usize>,
    /// Offset (≤1000).
    pub offset: usize,
    /// Messages per channel (default 25, max 300).
    pub message_limit: Option<usize>,
    /// Members per channel (default 100, max 100).
    pub member_limit: Option<usize>,
    /// Whose view for server-side calls (client-side: the actor).
    pub user_id: Option<UserId>,
}

fn mentions_field(filter: &Filter<ChannelField>, field: &ChannelField) -> bool {
    match filter {
        Filter::All => false,
        Filter::And(v) | Filter::Or(v) | Filter::Nor(v) => {
            v.iter().any(|f| mentions_field(f, field))
        }
        Filter::Cond(f, _) => f == field,
    }
}

impl ChatEngine {
    /// Runs a channel query as the actor (or `user_id` server-side). Hidden channels are
    /// left out unless the filter names `hidden`. Channels the reader may not read are
    /// dropped after paging (DESIGN: a page may come back short rather than leak them).
    pub async fn query_channels(
        &self,
        actor: &Actor,
        input: QueryChannels,
    ) -> Result<Vec<ChannelState>> {
        let viewer = if actor.server {
            input.user_id.clone().or_else(|| actor.user_id().cloned())
        } else {
            actor.user_id().cloned()
        };
        let mut filter = input.filter;
        if viewer.is_some() && !mentions_field(&filter, &ChannelField::Hidden) {
            filter = Filter::And(vec![
                filter,
                Filter::Cond(ChannelField::Hidden, Op::Eq(Value::Bool(false))),
            ]);
        }
        let sort = if input.sort.is_empty() {
            vec![Sort {
                field: ChannelField::LastUpdated,
                direction: Direction::Desc,
            }]
        } else {
            input.sort
        };
        let query = ChannelQuery {
            filter,
            sort,
            limit: clamp_limit(input.limit, QUERY_CHANNELS_LIMIT),
            offset: check_offset(input.offset)?,
            user: viewer.clone(),
        };
        let channels = self.store.query_channels(&actor.app.id, &query).await?;
        let reader = match (&viewer, actor.user_id()) {
            (Some(v), Some(me)) if v == me => actor.clone(),
            (Some(v), _) => {
                let user = self
                    .store
                    .get_users(&actor.app.id, std::slice::from_ref(v))
                    .await?
                    .into_iter()
                    .next();
                Actor {
                    app: actor.app.clone(),
                    user,
                    server: actor.server,
                }
            }
            (None, _) => actor.clone(),
        };
        let opts = StateOptions {
            messages: MessagePage::latest(clamp_limit(
                input.message_limit,
                crate::engine::MESSAGE_LIMIT,
            )),
            member_limit: clamp_limit(input.member_limit, crate::engine::MEMBER_LIMIT),
            member_offset: 0,
            lists: true,
        };
        let mut out = Vec::with_capacity(channels.len());
        for channel in channels {
            let access = self.access_for(&reader, channel).await?;
            if !actor.server && access.require_read(&reader).is_err() {
                continue;
            }
            out.push(self.load_state(&reader, access, &opts).await?);
        }
        Ok(out)
    }
}
