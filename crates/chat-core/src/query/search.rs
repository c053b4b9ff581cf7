//! Message search as a store sees it: which channels, which messages, in what order, which
//! page. [`SearchQuery::page`] is the reference every store reproduces: a store narrows
//! the candidates however it can (an index, a full-text column) and hands any superset of
//! the matching messages to it, or computes the same page itself.
//!
//! What is searched: messages of the scoped channels created after the scope's
//! `created_after` (truncation, hidden history), neither soft-deleted, nor system
//! messages, nor shadowed (shadow-banned authors' messages are never found, not even by
//! their author), and — for a client viewer — not restricted to other users.
//!
//! Order: the sort keys, then `id` ascending, so the order is total. Pages: an offset, or
//! a keyset cursor ([`SearchCursor`]) holding the sort values of the row it points at, so
//! walking `next` (or `previous`) never skips or repeats a message even while messages
//! are added or removed elsewhere in the list.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

use super::eval::{compare, matches, FieldSource, FieldValue};
use super::message_fields::{MessageField, MessageView};
use super::text::{tokens, TextQuery};
use super::{Direction, Filter, Op, Sort, Value};
use crate::ids::{Cid, UserId};
use crate::model::{Message, MessageType};
use crate::time::Timestamp;

/// One channel to search, with the oldest history the searcher may see there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchScope {
    /// The channel.
    pub cid: Cid,
    /// Only messages created strictly after this (truncation, hidden history).
    pub created_after: Option<Timestamp>,
}

/// Which way a cursor walks from the row it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorDirection {
    /// The rows after it (`next`).
    After,
    /// The rows before it (`previous`).
    Before,
}

/// A position in a sorted result list: the sort values (one per sort key, `id` last) of
/// the row it was taken from. The row itself need not exist any more.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchCursor {
    /// Which side of the row the page lies.
    pub direction: CursorDirection,
    /// The row's value of each sort key, in sort order.
    pub values: Vec<Value>,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchPosition {
    /// Skip this many results.
    Offset(usize),
    /// Walk from a cursor.
    Cursor(SearchCursor),
}

/// A search, as a store sees it.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// The channels to search.
    pub scopes: Vec<SearchScope>,
    /// Restricted messages are found only if addressed to this user or sent by them;
    /// `None` (server-side) finds them all.
    pub viewer: Option<UserId>,
    /// The message filter.
    pub filter: Filter<MessageField>,
    /// Sort keys; `id` ascending is appended by [`SearchQuery::order`].
    pub sort: Vec<Sort<MessageField>>,
    /// Most results.
    pub limit: usize,
    /// Where the page starts.
    pub position: SearchPosition,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// The messages, in sort order.
    pub results: Vec<Message>,
    /// The page after this one, if there are more results.
    pub next: Option<SearchCursor>,
    /// The page before this one, if there are earlier results.
    pub previous: Option<SearchCursor>,
}

impl SearchPage {
    /// No results.
    pub fn empty() -> Self {
        Self {
            results: Vec::new(),
            next: None,
            previous: None,
        }
    }
}

/// A candidate that matched, with its tokens (for `relevance`).
struct Row {
    message: Message,
    tokens: BTreeSet<String>,
}

impl Row {
    fn view(&self) -> MessageView<'_> {
        MessageView {
            message: &self.message,
            tokens: &self.tokens,
        }
    }
}

/// A cursor seen as a row: the value of the `i`-th sort key is `values[i]`.
struct CursorRow<'a> {
    order: &'a [Sort<MessageField>],
    values: &'a [Value],
}

impl FieldSource<MessageField> for CursorRow<'_> {
    fn get(&self, field: &MessageField) -> FieldValue<'_> {
        self.order
            .iter()
            .position(|s| &s.field == field)
            .and_then(|i| self.values.get(i))
            .map_or(FieldValue::Missing, borrowed)
    }
}

/// A stored sort value as a field value.
fn borrowed(v: &Value) -> FieldValue<'_> {
    match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Int(i) => FieldValue::Int(*i),
        Value::Float(f) => FieldValue::Float(*f),
        Value::Str(s) => FieldValue::str(s),
        Value::Time(t) => FieldValue::Time(*t),
        Value::Json(j) => FieldValue::from_json(j),
    }
}

/// A field value as an owned sort value (lists and objects as JSON, which reads back as
/// the same list or object).
fn owned(v: &FieldValue<'_>) -> Value {
    match v {
        FieldValue::Missing | FieldValue::Null => Value::Null,
        FieldValue::Bool(b) => Value::Bool(*b),
        FieldValue::Int(i) => Value::Int(*i),
        FieldValue::Float(f) => Value::Float(*f),
        FieldValue::Str(s) => Value::Str(s.to_string()),
        FieldValue::Time(t) => Value::Time(*t),
        FieldValue::List(_) | FieldValue::Json(_) => Value::Json(json(v)),
    }
}

fn json(v: &FieldValue<'_>) -> Json {
    match v {
        FieldValue::Missing | FieldValue::Null => Json::Null,
        FieldValue::Bool(b) => Json::Bool(*b),
        FieldValue::Int(i) => Json::from(*i),
        FieldValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        FieldValue::Str(s) => Json::String(s.to_string()),
        // Lists and objects of custom data never hold timestamps; keep them readable.
        FieldValue::Time(t) => Json::String(t.to_rfc3339()),
        FieldValue::List(items) => Json::Array(items.iter().map(json).collect()),
        FieldValue::Json(j) => (*j).clone(),
    }
}

/// Whether the message matches the filter, with `$q`/`$autocomplete` on `text` meaning
/// the token semantics of [`super::text`].
fn eval(filter: &Filter<MessageField>, row: &MessageView<'_>) -> bool {
    match filter {
        Filter::All => true,
        Filter::And(parts) => parts.iter().all(|f| eval(f, row)),
        Filter::Or(parts) => parts.iter().any(|f| eval(f, row)),
        Filter::Nor(parts) => !parts.iter().any(|f| eval(f, row)),
        Filter::Cond(MessageField::Text, Op::Q(q)) => {
            TextQuery::all_words(q).is_some_and(|t| t.matches(row.tokens))
        }
        Filter::Cond(MessageField::Text, Op::Autocomplete(q)) => {
            TextQuery::autocomplete(q).is_some_and(|t| t.matches(row.tokens))
        }
        cond => matches(cond, row),
    }
}

/// The text queries every match must satisfy: `$q`/`$autocomplete` conditions on `text`
/// at the top level of the filter (alone or inside a top-level `$and`). A store can use
/// them to narrow candidates through a full-text index.
pub fn required_text(filter: &Filter<MessageField>) -> Vec<TextQuery> {
    match filter {
        Filter::Cond(MessageField::Text, Op::Q(q)) => TextQuery::all_words(q).into_iter().collect(),
        Filter::Cond(MessageField::Text, Op::Autocomplete(q)) => {
            TextQuery::autocomplete(q).into_iter().collect()
        }
        Filter::And(parts) => parts.iter().flat_map(required_text).collect(),
        _ => Vec::new(),
    }
}

/// Whether a message is never searched, whoever asks: soft-deleted, system or shadowed.
pub fn never_searched(m: &Message) -> bool {
    m.deleted_at.is_some() || m.kind == MessageType::System || m.shadowed
}

/// The sort values of a row, one per key of `order`.
fn key_of(order: &[Sort<MessageField>], view: &MessageView<'_>) -> Vec<Value> {
    order.iter().map(|s| owned(&view.get(&s.field))).collect()
}

impl SearchQuery {
    /// The cursor [`SearchQuery::page`] puts on `m` (a `next` cursor after it with
    /// `After`, a `previous` cursor before it with `Before`), for stores that page
    /// themselves.
    pub fn cursor_at(&self, m: &Message, direction: CursorDirection) -> SearchCursor {
        let tokens = tokens(&m.text);
        let view = MessageView {
            message: m,
            tokens: &tokens,
        };
        SearchCursor {
            direction,
            values: key_of(&self.order(), &view),
        }
    }

    /// The full order: the sort keys, then `id` ascending.
    pub fn order(&self) -> Vec<Sort<MessageField>> {
        let mut order = self.sort.clone();
        order.push(Sort {
            field: MessageField::Id,
            direction: Direction::Asc,
        });
        order
    }

    /// Whether the searcher may find `m` at all (before the filter): in a scoped channel
    /// after its `created_after`, not [`never_searched`], visible to the viewer.
    fn admits(&self, scopes: &HashMap<&Cid, Option<Timestamp>>, m: &Message) -> bool {
        let Some(after) = scopes.get(&m.cid) else {
            return false;
        };
        if after.is_some_and(|t| m.created_at <= t) || never_searched(m) {
            return false;
        }
        match &self.viewer {
            None => true,
            Some(me) => {
                &m.user_id == me
                    || m.restricted_visibility.is_empty()
                    || m.restricted_visibility.contains(me)
            }
        }
    }

    /// The reference page over `candidates`: any superset of the messages that match, in
    /// any order, each at most once.
    pub fn page(&self, candidates: Vec<Message>) -> SearchPage {
        // A cid listed twice keeps its first scope.
        let mut scopes: HashMap<&Cid, Option<Timestamp>> = HashMap::new();
        for s in &self.scopes {
            scopes.entry(&s.cid).or_insert(s.created_after);
        }
        let mut rows: Vec<Row> = candidates
            .into_iter()
            .filter(|m| self.admits(&scopes, m))
            .map(|message| Row {
                tokens: tokens(&message.text),
                message,
            })
            .filter(|row| eval(&self.filter, &row.view()))
            .collect();
        let order = self.order();
        rows.sort_by(|a, b| compare(&order, &a.view(), &b.view()));
        let n = rows.len();
        let (start, end) = match &self.position {
            SearchPosition::Offset(offset) => {
                let start = (*offset).min(n);
                (start, (start + self.limit).min(n))
            }
            SearchPosition::Cursor(cursor) => {
                let at = CursorRow {
                    order: &order,
                    values: &cursor.values,
                };
                let vs = |row: &Row| {
                    let view = row.view();
                    let (a, b): (
                        &dyn FieldSource<MessageField>,
                        &dyn FieldSource<MessageField>,
                    ) = (&view, &at);
                    compare(&order, a, b)
                };
                match cursor.direction {
                    CursorDirection::After => {
                        let start = rows.partition_point(|r| vs(r) != Ordering::Greater);
                        (start, (start + self.limit).min(n))
                    }
                    CursorDirection::Before => {
                        let end = rows.partition_point(|r| vs(r) == Ordering::Less);
                        (end.saturating_sub(self.limit), end)
                    }
                }
            }
        };
        if start >= end {
            return SearchPage::empty();
        }
        let key = |row: &Row| -> Vec<Value> { key_of(&order, &row.view()) };
        let next = (end < n).then(|| SearchCursor {
            direction: CursorDirection::After,
            values: key(&rows[end - 1]),
        });
        let previous = (start > 0).then(|| SearchCursor {
            direction: CursorDirection::Before,
            values: key(&rows[start]),
        });
        rows.truncate(end);
        let results = rows.drain(start..).map(|r| r.message).collect();
        SearchPage {
            results,
            next,
            previous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;

    fn msg(id: &str, cid: &str, text: &str, at: i64) -> Message {
        let mut m = Message::new(
            MessageId::new_unchecked(id),
            Cid::parse(cid).unwrap(),
            UserId::new_unchecked("u"),
            Timestamp::from_secs(at),
        );
        m.text = text.into();
        m
    }

    fn query(filter: Filter<MessageField>, position: SearchPosition, limit: usize) -> SearchQuery {
        SearchQuery {
            scopes: vec![SearchScope {
                cid: Cid::parse("messaging:a").unwrap(),
                created_after: Some(Timestamp::from_secs(1)),
            }],
            viewer: Some(UserId::new_unchecked("me")),
            filter,
            sort: vec![Sort {
                field: MessageField::CreatedAt,
                direction: Direction::Desc,
            }],
            limit,
            position,
        }
    }

    fn ids(page: &SearchPage) -> Vec<&str> {
        page.results.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn filters_scopes_and_visibility() {
        let mut hidden = msg("r", "messaging:a", "hello", 5);
        hidden.restricted_visibility = vec![UserId::new_unchecked("other")];
        let mut deleted = msg("d", "messaging:a", "hello", 6);
        deleted.deleted_at = Some(Timestamp::from_secs(7));
        let candidates = vec![
            msg("old", "messaging:a", "hello", 1),
            msg("x", "messaging:b", "hello", 3),
            msg("ok", "messaging:a", "Hello there", 4),
            msg("no", "messaging:a", "goodbye", 4),
            hidden,
            deleted,
        ];
        let q = query(
            Filter::Cond(MessageField::Text, Op::Q("hello".into())),
            SearchPosition::Offset(0),
            10,
        );
        assert_eq!(ids(&q.page(candidates)), ["ok"]);
    }

    #[test]
    fn cursors_walk_both_ways_without_gaps() {
        let candidates: Vec<Message> = (0..10)
            .map(|i| msg(&format!("m{i}"), "messaging:a", "x", 10 + i / 2))
            .collect();
        let q = query(Filter::All, SearchPosition::Offset(0), 3);
        let mut seen = Vec::new();
        let mut page = q.page(candidates.clone());
        assert!(page.previous.is_none());
        let mut pages = vec![page.clone()];
        loop {
            seen.extend(ids(&page).iter().map(|s| s.to_string()));
            let Some(next) = page.next.clone() else { break };
            page = SearchQuery {
                position: SearchPosition::Cursor(next),
                ..q.clone()
            }
            .page(candidates.clone());
            pages.push(page.clone());
        }
        assert_eq!(
            seen,
            ["m8", "m9", "m6", "m7", "m4", "m5", "m2", "m3", "m0", "m1"]
        );
        // Walking back from the last page gives the pages before it, in order.
        let last = pages.len() - 1;
        let back = SearchQuery {
            position: SearchPosition::Cursor(pages[last].previous.clone().unwrap()),
            ..q.clone()
        }
        .page(candidates);
        assert_eq!(ids(&back), ids(&pages[last - 1]));
    }
}
