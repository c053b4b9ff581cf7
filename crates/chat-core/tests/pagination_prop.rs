//! Property tests of the reference message window (`query::select_window`): whatever the
//! messages (with many equal timestamps) and page size, walking back with `id_lt` from the
//! latest page, or forward with `id_gt` from the first, visits every message exactly once in
//! order, and every window is a contiguous, ordered slice of at most `limit` messages.

#![allow(clippy::unwrap_used)]

use chat_core::ids::{Cid, MessageId, UserId};
use chat_core::model::Message;
use chat_core::query::{select_window, MessageCursor, MessagePage};
use chat_core::time::Timestamp;
use proptest::prelude::*;

fn messages(times: &[i64]) -> Vec<Message> {
    let cid = Cid::parse("messaging:p").unwrap();
    let mut out: Vec<Message> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Message::new(
                // Ids deliberately not in time order.
                MessageId::new_unchecked(format!("id-{:04}", (i * 7919) % 10_000)),
                cid.clone(),
                UserId::new_unchecked("u"),
                Timestamp::from_micros(*t),
            )
        })
        .collect();
    out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    out
}

fn page(cursor: MessageCursor, limit: usize) -> MessagePage {
    MessagePage {
        cursor,
        limit,
        created_after: None,
    }
}

fn ids(w: &[&Message]) -> Vec<String> {
    w.iter().map(|m| m.id.to_string()).collect()
}

proptest! {
    #[test]
    fn walking_back_and_forth_covers_everything_once(
        times in prop::collection::vec(0i64..50, 0..200),
        limit in 1usize..40,
    ) {
        let all = messages(&times);
        let sorted: Vec<&Message> = all.iter().collect();
        let expected = ids(&sorted);

        // Backwards from the latest page.
        let mut seen: Vec<String> = Vec::new();
        let mut window = select_window(&sorted, &page(MessageCursor::Latest, limit)).unwrap();
        loop {
            prop_assert!(window.len() <= limit);
            let mut chunk = ids(&window);
            chunk.extend(seen);
            seen = chunk;
            let Some(oldest) = window.first() else { break };
            window = select_window(&sorted, &page(MessageCursor::Lt(oldest.id.clone()), limit)).unwrap();
        }
        prop_assert_eq!(&seen, &expected);

        // Forwards from the first message.
        if let Some(first) = sorted.first() {
            let mut seen = Vec::new();
            let mut window = select_window(&sorted, &page(MessageCursor::Gte(first.id.clone()), limit)).unwrap();
            loop {
                seen.extend(ids(&window));
                let Some(newest) = window.last() else { break };
                window = select_window(&sorted, &page(MessageCursor::Gt(newest.id.clone()), limit)).unwrap();
            }
            prop_assert_eq!(&seen, &expected);
        }
    }

    #[test]
    fn windows_are_contiguous_and_centred(
        times in prop::collection::vec(0i64..20, 1..120),
        limit in 1usize..30,
        pick in any::<prop::sample::Index>(),
    ) {
        let all = messages(&times);
        let sorted: Vec<&Message> = all.iter().collect();
        let at = pick.index(sorted.len());
        let target = sorted[at].id.clone();
        for cursor in [
            MessageCursor::Lt(target.clone()),
            MessageCursor::Lte(target.clone()),
            MessageCursor::Gt(target.clone()),
            MessageCursor::Gte(target.clone()),
            MessageCursor::Around(target.clone()),
        ] {
            let w = select_window(&sorted, &page(cursor.clone(), limit)).unwrap();
            prop_assert!(w.len() <= limit);
            if let Some(first) = w.first() {
                let start = sorted.iter().position(|m| m.id == first.id).unwrap();
                prop_assert_eq!(ids(&w), ids(&sorted[start..start + w.len()]));
            }
            match cursor {
                MessageCursor::Lt(_) => prop_assert_eq!(w.len(), at.min(limit)),
                MessageCursor::Gte(_) => prop_assert_eq!(w.len(), (sorted.len() - at).min(limit)),
                MessageCursor::Around(_) => {
                    let pos = w.iter().position(|m| m.id == target);
                    prop_assert!(pos.is_some(), "around includes its target");
                    let older = pos.unwrap();
                    prop_assert!(older <= (limit - 1) / 2);
                    prop_assert!(older == (limit - 1) / 2 || older == at);
                }
                _ => {}
            }
        }
    }
}
