//! Message search (endpoints.md §7, query-language.md §3.4): the channel filter picks at
//! most [`MAX_SEARCH_CHANNELS`] channels, of which only those the searcher may search
//! (type config `search` on, and the `search-messages` capability: reading the channel)
//! are searched; the message filter, sort and page then run in the store.
//!
//! Request rules enforced here (400 on violation): exactly one of `query` and
//! `message_filter_conditions`; every `$q`/`$autocomplete` has at least one token;
//! `offset` ≤ 1000 and not combined with `sort` or `next`; a `next` cursor matches the
//! sort it came from. `limit` defaults to 100 and is clamped to 100.
//!
//! DESIGN where the spec is silent: the channels are the 500 most recently updated that
//! match (`last_updated` desc, hidden ones included); a filter that matches channels none
//! of which may be searched is refused (403) rather than answered with nothing; anonymous
//! users cannot search; server-side calls see restricted messages, and may pass a
//! `user_id` whose view the channel filter's per-user fields (`joined`, `hidden`…) mean.

use std::collections::HashMap;

use crate::engine::{check_offset, clamp_limit, Actor, ChannelAccess, ChatEngine};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::query::text::TextQuery;
use crate::query::{
    ChannelField, ChannelQuery, Direction, Filter, MessageField, Op, SearchCursor, SearchPage,
    SearchPosition, SearchQuery, SearchScope, Sort,
};

use super::channel_state::visible_after;

/// Search page size: default and max.
pub const SEARCH_LIMIT: (usize, usize) = (100, 100);
/// Most channels one search covers.
pub const MAX_SEARCH_CHANNELS: usize = 500;

/// A search request.
#[derive(Debug, Clone)]
pub struct SearchMessages {
    /// Which channels (`filter_conditions`, Query Channels syntax).
    pub channel_filter: Filter<ChannelField>,
    /// Full-text query (`query`), the same as `{text: {$q: query}}`.
    pub query: Option<String>,
    /// Message filter (`message_filter_conditions`).
    pub message_filter: Option<Filter<MessageField>>,
    /// Sort keys (default relevance descending); `id` ascending always breaks ties.
    pub sort: Vec<Sort<MessageField>>,
    /// Page size.
    pub limit: Option<usize>,
    /// Results to skip.
    pub offset: Option<usize>,
    /// Cursor from a previous page's `next` or `previous`.
    pub next: Option<SearchCursor>,
    /// Server-side: whose view the channel filter means.
    pub user_id: Option<UserId>,
}

/// Checks every `$q`/`$autocomplete` on `text` has a token (a query of only separators
/// would match nothing, which is never what the caller meant).
fn check_text(filter: &Filter<MessageField>) -> Result<()> {
    match filter {
        Filter::All => Ok(()),
        Filter::And(parts) | Filter::Or(parts) | Filter::Nor(parts) => {
            parts.iter().try_for_each(check_text)
        }
        Filter::Cond(MessageField::Text, Op::Q(q)) if TextQuery::all_words(q).is_none() => Err(
            Error::invalid("text", "$q needs at least one word (letters or digits)"),
        ),
        Filter::Cond(MessageField::Text, Op::Autocomplete(q))
            if TextQuery::autocomplete(q).is_none() =>
        {
            Err(Error::invalid(
                "text",
                "$autocomplete needs at least one word (letters or digits)",
            ))
        }
        Filter::Cond(..) => Ok(()),
    }
}

/// The message filter of a request: exactly one of `query` and the filter.
fn message_filter(input: &mut SearchMessages) -> Result<Filter<MessageField>> {
    let filter = match (input.query.take(), input.message_filter.take()) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "query",
                "give either query or message_filter_conditions, not both",
            ))
        }
        (None, None) => {
            return Err(Error::invalid(
                "query",
                "query or message_filter_conditions is required",
            ))
        }
        (Some(q), None) => {
            if TextQuery::all_words(&q).is_none() {
                return Err(Error::invalid(
                    "query",
                    "needs at least one word (letters or digits)",
                ));
            }
            Filter::Cond(MessageField::Text, Op::Q(q))
        }
        (None, Some(f)) => f,
    };
    check_text(&filter)?;
    Ok(filter)
}

/// Where the page starts, after the offset/sort/next rules.
fn position(input: &SearchMessages, sort_keys: usize) -> Result<SearchPosition> {
    let offset = input.offset.unwrap_or(0);
    if offset > 0 && !input.sort.is_empty() {
        return Err(Error::invalid("offset", "cannot be combined with sort"));
    }
    if offset > 0 && input.next.is_some() {
        return Err(Error::invalid("offset", "cannot be combined with next"));
    }
    match &input.next {
        Some(cursor) if cursor.values.len() != sort_keys + 1 => Err(Error::invalid(
            "next",
            "the cursor does not belong to this sort",
        )),
        Some(cursor) => Ok(SearchPosition::Cursor(cursor.clone())),
        None => Ok(SearchPosition::Offset(check_offset(offset)?)),
    }
}

impl ChatEngine {
    /// Searches messages as the actor. See the module docs for the rules.
    pub async fn search_messages(
        &self,
        actor: &Actor,
        mut input: SearchMessages,
    ) -> Result<SearchPage> {
        if actor.user.is_none() && !actor.server {
            return Err(Error::denied("anonymous users cannot search messages"));
        }
        let filter = message_filter(&mut input)?;
        let sort = if input.sort.is_empty() {
            vec![Sort {
                field: MessageField::Relevance,
                direction: Direction::Desc,
            }]
        } else {
            input.sort.clone()
        };
        let position = position(&input, sort.len())?;
        let limit = clamp_limit(input.limit, SEARCH_LIMIT);

        let viewer = if actor.server {
            input.user_id.clone().or_else(|| actor.user_id().cloned())
        } else {
            actor.user_id().cloned()
        };
        let scopes = self
            .searchable_scopes(actor, input.channel_filter, viewer.as_ref())
            .await?;
        let Some(scopes) = scopes else {
            return Ok(SearchPage::empty());
        };
        let query = SearchQuery {
            scopes,
            viewer: if actor.server {
                None
            } else {
                actor.user_id().cloned()
            },
            filter,
            sort,
            limit,
            position,
        };
        Ok(self.store.search_messages(&actor.app.id, &query).await?)
    }

    /// The channels the filter selects that the actor may search, each with the history
    /// the actor may see. `None` when the filter selects no channel; `PermissionDenied`
    /// when it selects some but none may be searched.
    async fn searchable_scopes(
        &self,
        actor: &Actor,
        filter: Filter<ChannelField>,
        viewer: Option<&UserId>,
    ) -> Result<Option<Vec<SearchScope>>> {
        let app = &actor.app.id;
        let channels = self
            .store
            .query_channels(
                app,
                &ChannelQuery {
                    filter,
                    sort: vec![Sort {
                        field: ChannelField::LastUpdated,
                        direction: Direction::Desc,
                    }],
                    limit: MAX_SEARCH_CHANNELS,
                    offset: 0,
                    user: viewer.cloned(),
                },
            )
            .await?;
        if channels.is_empty() {
            return Ok(None);
        }
        // One load of the types and of the actor's memberships, not one per channel.
        let types: HashMap<_, _> = self
            .store
            .list_channel_types(app)
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), std::sync::Arc::new(t)))
            .collect();
        let mut members: HashMap<_, _> = match actor.user_id() {
            Some(me) => self
                .store
                .memberships(app, me)
                .await?
                .into_iter()
                .map(|m| (m.cid.clone(), m))
                .collect(),
            None => HashMap::new(),
        };
        let mut scopes = Vec::with_capacity(channels.len());
        for channel in channels {
            let Some(channel_type) = types.get(channel.cid.kind()) else {
                continue;
            };
            let member = members.remove(&channel.cid);
            let access = ChannelAccess {
                config: channel.effective_config(&channel_type.config),
                channel_type: channel_type.clone(),
                channel,
                member,
            };
            if !access.config.search || access.require_read(actor).is_err() {
                continue;
            }
            scopes.push(SearchScope {
                created_after: visible_after(&access, None),
                cid: access.channel.cid,
            });
        }
        if scopes.is_empty() {
            return Err(Error::denied(
                "none of the channels matched by filter_conditions may be searched \
                 (search-messages capability, search enabled on the channel type)",
            ));
        }
        Ok(Some(scopes))
    }
}
