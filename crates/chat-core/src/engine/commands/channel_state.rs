//! Channel state: what a query/watch returns for one channel and one reader.

use crate::engine::{Actor, ChannelAccess, ChatEngine, PINNED_IN_STATE, READS_IN_STATE};
use crate::error::Result;
use crate::model::{Member, Message, Reaction};
use crate::query::MessagePage;
use crate::read_state::{unread_count, ReadState};
use crate::time::Timestamp;

/// How much state to load.
#[derive(Debug, Clone)]
pub struct StateOptions {
    /// Message window.
    pub messages: MessagePage,
    /// Members to include (oldest first).
    pub member_limit: usize,
    /// Members to skip.
    pub member_offset: usize,
    /// Load the lists (messages, pinned messages, members, reads, own reactions). `false`
    /// is a query with `state: false`: the channel, the reader's membership and
    /// capabilities only, so a bare watch (and a reconnect storm of them) costs no reads.
    pub lists: bool,
}

impl Default for StateOptions {
    fn default() -> Self {
        Self {
            messages: MessagePage::latest(crate::engine::MESSAGE_LIMIT.0),
            member_limit: crate::engine::MEMBER_LIMIT.0,
            member_offset: 0,
            lists: true,
        }
    }
}

/// One channel as one reader sees it.
#[derive(Debug, Clone)]
pub struct ChannelState {
    /// Channel, type, effective config and the reader's membership.
    pub access: ChannelAccess,
    /// The message window, oldest first.
    pub messages: Vec<Message>,
    /// Up to 10 most recently pinned messages.
    pub pinned_messages: Vec<Message>,
    /// Members, oldest first.
    pub members: Vec<Member>,
    /// Read cursors with their unread counts.
    pub reads: Vec<(ReadState, u64)>,
    /// The reader's own reactions on the returned messages.
    pub own_reactions: Vec<Reaction>,
    /// The reader's capabilities here.
    pub own_capabilities: Vec<&'static str>,
}

impl ChatEngine {
    /// Loads the state of an accessible channel for `actor` (the caller has checked read
    /// permission). Messages the reader may not see (shadowed, restricted, before their
    /// hidden history or the truncation) are left out.
    pub async fn load_state(
        &self,
        actor: &Actor,
        access: ChannelAccess,
        opts: &StateOptions,
    ) -> Result<ChannelState> {
        if !opts.lists {
            let own_capabilities = access.own_capabilities(actor);
            return Ok(ChannelState {
                access,
                messages: Vec::new(),
                pinned_messages: Vec::new(),
                members: Vec::new(),
                reads: Vec::new(),
                own_reactions: Vec::new(),
                own_capabilities,
            });
        }
        let app = &actor.app.id;
        let cid = access.channel.cid.clone();
        let mut page = opts.messages.clone();
        page.created_after = visible_after(&access, page.created_after);
        let messages = self.store.channel_messages(app, &cid, &page).await?;
        let messages = visible_to(actor, messages);
        let pinned = visible_to(
            actor,
            self.store
                .pinned_messages(app, &cid, PINNED_IN_STATE)
                .await?,
        );
        let members = if opts.member_limit == 0 {
            Vec::new()
        } else {
            let query = crate::query::MemberQuery {
                cid: cid.clone(),
                filter: crate::query::Filter::All,
                sort: vec![crate::query::Sort {
                    field: crate::query::MemberField::CreatedAt,
                    direction: crate::query::Direction::Asc,
                }],
                limit: opts.member_limit,
                offset: opts.member_offset,
            };
            self.store.query_members(app, &query).await?
        };
        let reads = if access.config.read_events {
            self.store
                .channel_reads(app, &cid, READS_IN_STATE)
                .await?
                .into_iter()
                .map(|r| {
                    let n = unread_count(&access.channel.counters, &r);
                    (r, n)
                })
                .collect()
        } else {
            Vec::new()
        };
        let own_reactions = match actor.user_id() {
            Some(user) if !messages.is_empty() => {
                let ids: Vec<_> = messages.iter().map(|m| m.id.clone()).collect();
                self.store.user_reactions(app, &ids, user).await?
            }
            _ => Vec::new(),
        };
        let own_capabilities = access.own_capabilities(actor);
        Ok(ChannelState {
            access,
            messages,
            pinned_messages: pinned,
            members,
            reads,
            own_reactions,
            own_capabilities,
        })
    }
}

/// The later of the channel's truncation, the reader's hidden history and `requested`.
pub(crate) fn visible_after(
    access: &ChannelAccess,
    requested: Option<Timestamp>,
) -> Option<Timestamp> {
    [
        requested,
        access.channel.truncated_at,
        access.member.as_ref().and_then(|m| m.history_visible_from),
    ]
    .into_iter()
    .flatten()
    .max()
}

/// Drops messages the actor may not see: shadowed messages of others, restricted ones not
/// addressed to them. Server-side readers see everything.
pub(crate) fn visible_to(actor: &Actor, messages: Vec<Message>) -> Vec<Message> {
    if actor.server {
        return messages;
    }
    let me = actor.user_id();
    messages
        .into_iter()
        .filter(|m| {
            let own = Some(&m.user_id) == me;
            (own || !m.shadowed)
                && (own
                    || m.restricted_visibility.is_empty()
                    || me.is_some_and(|u| m.restricted_visibility.contains(u)))
        })
        .collect()
}
