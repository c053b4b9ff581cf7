//! Message windows for channel and thread pagination. Messages are ordered by
//! `(created_at, id)`; pages are always returned oldest first.

use crate::error::StoreError;
use crate::ids::MessageId;
use crate::model::Message;
use crate::time::Timestamp;

/// Where a page of messages sits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MessageCursor {
    /// The newest `limit` messages.
    #[default]
    Latest,
    /// Older than the message (`id_lt`).
    Lt(MessageId),
    /// The message and older (`id_lte`).
    Lte(MessageId),
    /// Newer than the message (`id_gt`).
    Gt(MessageId),
    /// The message and newer (`id_gte`).
    Gte(MessageId),
    /// Centred on the message (`id_around`): `(limit-1)/2` older, it, the rest newer.
    Around(MessageId),
    /// Created strictly before (`created_at_before`).
    CreatedBefore(Timestamp),
    /// Created at or before (`created_at_before_or_equal`).
    CreatedBeforeOrEqual(Timestamp),
    /// Created strictly after (`created_at_after`).
    CreatedAfter(Timestamp),
    /// Created at or after (`created_at_after_or_equal`).
    CreatedAfterOrEqual(Timestamp),
    /// Centred on an instant (`created_at_around`): `limit/2` before it, the rest at/after.
    CreatedAround(Timestamp),
}

/// A page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// Window position.
    pub cursor: MessageCursor,
    /// Most messages to return.
    pub limit: usize,
    /// Only messages created strictly after this (truncation, hidden history).
    pub created_after: Option<Timestamp>,
}

impl MessagePage {
    /// The newest `limit` messages.
    pub fn latest(limit: usize) -> Self {
        Self {
            cursor: MessageCursor::Latest,
            limit,
            created_after: None,
        }
    }
}

/// The reference windowing every store must reproduce. `sorted` holds the candidate
/// messages (already filtered to the channel or thread, and to what the reader may see) in
/// `(created_at, id)` order; the target of an id cursor must be among them.
pub fn select_window<'a>(
    sorted: &[&'a Message],
    page: &MessagePage,
) -> Result<Vec<&'a Message>, StoreError> {
    let visible: Vec<&Message> = match page.created_after {
        Some(after) => sorted
            .iter()
            .copied()
            .filter(|m| m.created_at > after)
            .collect(),
        None => sorted.to_vec(),
    };
    let limit = page.limit;
    let find = |id: &MessageId| -> Result<usize, StoreError> {
        visible
            .iter()
            .position(|m| &m.id == id)
            .ok_or_else(|| StoreError::not_found("message", id))
    };
    let before =
        |end: usize| -> Vec<&'a Message> { visible[end.saturating_sub(limit)..end].to_vec() };
    let after = |start: usize| -> Vec<&'a Message> {
        visible[start..(start + limit).min(visible.len())].to_vec()
    };
    let first_after = |t: Timestamp, inclusive: bool| {
        visible.partition_point(|m| {
            if inclusive {
                m.created_at < t
            } else {
                m.created_at <= t
            }
        })
    };
    Ok(match &page.cursor {
        MessageCursor::Latest => before(visible.len()),
        MessageCursor::Lt(id) => before(find(id)?),
        MessageCursor::Lte(id) => before(find(id)? + 1),
        MessageCursor::Gt(id) => after(find(id)? + 1),
        MessageCursor::Gte(id) => after(find(id)?),
        MessageCursor::Around(id) => {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let at = find(id)?;
            let older = (limit - 1) / 2;
            let start = at.saturating_sub(older);
            let end = (at + 1 + (limit - 1 - older)).min(visible.len());
            visible[start..end].to_vec()
        }
        MessageCursor::CreatedBefore(t) => before(first_after(*t, true)),
        MessageCursor::CreatedBeforeOrEqual(t) => before(first_after(*t, false)),
        MessageCursor::CreatedAfter(t) => after(first_after(*t, false)),
        MessageCursor::CreatedAfterOrEqual(t) => after(first_after(*t, true)),
        MessageCursor::CreatedAround(t) => {
            let split = first_after(*t, true);
            let older = limit / 2;
            let start = split.saturating_sub(older);
            let end = (split + (limit - older)).min(visible.len());
            visible[start..end].to_vec()
        }
    })
}
