//! Message pages without scanning the whole channel.
//!
//! `chat_core::query::select_window` is the reference windowing; it takes every candidate
//! in order. A channel can hold far more messages than a page, so this module first cuts
//! the ordered key set down to a contiguous run that is sure to contain the window (at most
//! `limit` keys before the page's anchor and `limit + 1` from it on), then lets
//! `select_window` pick the page from that run. Every window `select_window` can produce
//! lies within `limit` positions either side of its anchor, so the result is identical.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound::{self, Excluded, Included, Unbounded};

use chat_core::ids::MessageId;
use chat_core::model::Message;
use chat_core::query::{select_window, MessageCursor, MessagePage};
use chat_core::time::Timestamp;
use chat_core::StoreResult;

use crate::state::OrderKey;

/// The smallest key created at `t` (the empty id sorts before every real id).
fn first_at(t: Timestamp) -> OrderKey {
    (t, MessageId::new_unchecked(""))
}

/// The smallest key created strictly after `t`; `None` when no later instant exists.
fn first_after(t: Timestamp) -> Option<OrderKey> {
    t.as_micros()
        .checked_add(1)
        .map(|m| first_at(Timestamp::from_micros(m)))
}

/// A contiguous run of `keys` created strictly after the page's `created_after`
/// containing the page's window. `target` is the `(created_at, id)` of an
/// id cursor's message, when that message exists.
fn candidates<'a>(
    keys: &'a BTreeSet<OrderKey>,
    page: &MessagePage,
    target: Option<OrderKey>,
) -> Vec<&'a OrderKey> {
    let start: Bound<OrderKey> = match page.created_after {
        None => Unbounded,
        Some(t) => match first_after(t) {
            Some(k) => Included(k),
            None => return Vec::new(),
        },
    };
    // Where the page is anchored: keys before it are "older", keys from it on "newer".
    // `None` is the end of the list.
    let split: Option<OrderKey> = match &page.cursor {
        MessageCursor::Latest => None,
        MessageCursor::Lt(_)
        | MessageCursor::Lte(_)
        | MessageCursor::Gt(_)
        | MessageCursor::Gte(_)
        | MessageCursor::Around(_) => match target {
            Some(k) if keys.contains(&k) => Some(k),
            // Not in this list: `select_window` reports it missing.
            _ => return Vec::new(),
        },
        MessageCursor::CreatedBefore(t)
        | MessageCursor::CreatedAfterOrEqual(t)
        | MessageCursor::CreatedAround(t) => Some(first_at(*t)),
        MessageCursor::CreatedBeforeOrEqual(t) | MessageCursor::CreatedAfter(t) => first_after(*t),
    };
    // `BTreeSet::range` panics when its start is past its end: clamp the split.
    let split = match (&start, split) {
        (Included(s), Some(k)) if k < *s => Some(s.clone()),
        (_, k) => k,
    };
    let limit = page.limit;
    let mut out: Vec<&OrderKey> = match &split {
        None => keys.range((start, Unbounded)).rev().take(limit).collect(),
        Some(k) => keys
            .range((start, Excluded(k.clone())))
            .rev()
            .take(limit)
            .collect(),
    };
    out.reverse();
    if let Some(k) = split {
        out.extend(
            keys.range((Included(k), Unbounded))
                .take(limit.saturating_add(1)),
        );
    }
    out
}

/// The page of `keys` (an ordered list of this channel's messages) that `select_window`
/// would return over all of them, cloned.
pub(crate) fn page_of(
    keys: &BTreeSet<OrderKey>,
    messages: &HashMap<MessageId, Message>,
    page: &MessagePage,
) -> StoreResult<Vec<Message>> {
    let target = match &page.cursor {
        MessageCursor::Lt(id)
        | MessageCursor::Lte(id)
        | MessageCursor::Gt(id)
        | MessageCursor::Gte(id)
        | MessageCursor::Around(id) => messages.get(id).map(|m| (m.created_at, m.id.clone())),
        _ => None,
    };
    let run: Vec<&Message> = candidates(keys, page, target)
        .into_iter()
        .filter_map(|(_, id)| messages.get(id))
        .collect();
    Ok(select_window(&run, page)?.into_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::ids::{Cid, UserId};

    /// A tiny deterministic generator (no extra dev-dependencies).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (self.0 >> 33) % n
        }
    }

    #[test]
    fn narrowed_pages_equal_the_reference() {
        let cid = Cid::parse("messaging:x").unwrap();
        let user = UserId::parse("u").unwrap();
        let mut rng = Lcg(7);
        for round in 0..60 {
            let n = rng.next(40);
            let mut messages = HashMap::new();
            let mut keys = BTreeSet::new();
            for i in 0..n {
                // Few distinct timestamps, so ties on created_at are common.
                let t = Timestamp::from_secs(rng.next(15) as i64);
                let id = MessageId::new_unchecked(format!("m{round}-{i:02}"));
                keys.insert((t, id.clone()));
                messages.insert(id.clone(), Message::new(id, cid.clone(), user.clone(), t));
            }
            let all: Vec<&Message> = keys.iter().map(|(_, id)| &messages[id]).collect();
            let ids: Vec<MessageId> = keys.iter().map(|(_, id)| id.clone()).collect();
            for _ in 0..200 {
                let t = Timestamp::from_secs(rng.next(17) as i64 - 1);
                let id = if ids.is_empty() || rng.next(10) == 0 {
                    MessageId::new_unchecked("missing")
                } else {
                    ids[rng.next(ids.len() as u64) as usize].clone()
                };
                let cursor = match rng.next(11) {
                    0 => MessageCursor::Latest,
                    1 => MessageCursor::Lt(id),
                    2 => MessageCursor::Lte(id),
                    3 => MessageCursor::Gt(id),
                    4 => MessageCursor::Gte(id),
                    5 => MessageCursor::Around(id),
                    6 => MessageCursor::CreatedBefore(t),
                    7 => MessageCursor::CreatedBeforeOrEqual(t),
                    8 => MessageCursor::CreatedAfter(t),
                    9 => MessageCursor::CreatedAfterOrEqual(t),
                    _ => MessageCursor::CreatedAround(t),
                };
                let created_after =
                    (rng.next(3) == 0).then(|| Timestamp::from_secs(rng.next(15) as i64));
                let page = MessagePage {
                    cursor,
                    limit: rng.next(8) as usize,
                    created_after,
                };
                let want = select_window(&all, &page)
                    .map(|v| v.into_iter().map(|m| m.id.clone()).collect::<Vec<_>>());
                let got = page_of(&keys, &messages, &page)
                    .map(|v| v.into_iter().map(|m| m.id).collect::<Vec<_>>());
                match (want, got) {
                    (Ok(w), Ok(g)) => assert_eq!(w, g, "{page:?}"),
                    (Err(_), Err(_)) => {}
                    (w, g) => panic!("{page:?}: want {w:?}, got {g:?}"),
                }
            }
        }
    }
}
