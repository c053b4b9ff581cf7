//! Searches that SQL can sort and page itself, identically to
//! [`SearchQuery::page`]: the filter is only conditions SQL evaluates exactly (see
//! `search.rs`) and every sort key is a column or `relevance`.
//!
//! The order is the query's keys then `id`, each a SQL expression that compares like the
//! evaluator: `relevance` is `-length(search_tsv)` (the negated number of distinct
//! tokens, as chat-core computes it), times are microseconds, ids compare bytes
//! (`COLLATE "C"`). A page reads `limit + 1` rows in that order (reversed for a
//! `previous` cursor), after the offset or strictly beyond the cursor's key; the extra row
//! says whether a further page exists, and one `EXISTS` query says whether the other
//! direction has rows. Cursors are made by chat-core ([`SearchQuery::cursor_at`]), so
//! they are the reference's.

use chat_core::ids::AppId;
use chat_core::model::Message;
use chat_core::query::{
    CursorDirection, Direction, MessageField, SearchCursor, SearchPage, SearchPosition,
    SearchQuery, Sort, Value,
};
use chat_core::StoreResult;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::error::DbResult;
use crate::rows::{messages, MessageRow, MESSAGE_COLS};
use crate::search::{exact_filter, push_from};

/// What a key's values are in SQL.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `bigint` from an integer sort value.
    Int,
    /// `bigint` microseconds from a timestamp sort value.
    Time,
    /// `text` from a string sort value.
    Str,
}

/// One sort key in SQL.
#[derive(Debug, Clone, Copy)]
struct Key {
    expr: &'static str,
    desc: bool,
    kind: Kind,
}

/// A cursor value bound to a key.
#[derive(Debug, Clone)]
enum Bound {
    Int(i64),
    Str(String),
}

fn key(sort: &Sort<MessageField>) -> Option<Key> {
    let (expr, kind) = match sort.field {
        MessageField::Relevance => ("(-length(search_tsv))", Kind::Int),
        MessageField::CreatedAt => ("created_at", Kind::Time),
        MessageField::Id => ("id", Kind::Str),
        MessageField::UserId => ("user_id", Kind::Str),
        MessageField::Cid => ("cid", Kind::Str),
        _ => return None,
    };
    Some(Key {
        expr,
        desc: sort.direction == Direction::Desc,
        kind,
    })
}

fn bound(kind: Kind, v: &Value) -> Option<Bound> {
    match (kind, v) {
        (Kind::Int, Value::Int(i)) => Some(Bound::Int(*i)),
        (Kind::Time, Value::Time(t)) => Some(Bound::Int(t.as_micros())),
        (Kind::Str, Value::Str(s)) => Some(Bound::Str(s.clone())),
        _ => None,
    }
}

/// A search SQL pages exactly.
pub(crate) struct ExactPlan<'q> {
    query: &'q SearchQuery,
    keys: Vec<Key>,
    /// The cursor's values bound to the keys, with its direction.
    cursor: Option<(CursorDirection, Vec<Bound>)>,
}

/// Which rows relative to the cursor a query keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Strictly after it in the order.
    After,
    /// Strictly before it.
    Before,
}

impl<'q> ExactPlan<'q> {
    /// The plan, if SQL can page this search exactly. A cursor whose values do not fit the
    /// keys (another sort's cursor) leaves the search to the reference.
    pub(crate) fn new(query: &'q SearchQuery) -> Option<Self> {
        if !exact_filter(&query.filter) {
            return None;
        }
        let keys = query.order().iter().map(key).collect::<Option<Vec<_>>>()?;
        let cursor = match &query.position {
            SearchPosition::Offset(_) => None,
            SearchPosition::Cursor(c) => {
                if c.values.len() != keys.len() {
                    return None;
                }
                let values = keys
                    .iter()
                    .zip(&c.values)
                    .map(|(k, v)| bound(k.kind, v))
                    .collect::<Option<Vec<_>>>()?;
                Some((c.direction, values))
            }
        };
        Some(Self {
            query,
            keys,
            cursor,
        })
    }

    fn push_bound(q: &mut QueryBuilder<'_, Postgres>, b: &Bound) {
        match b {
            Bound::Int(i) => q.push_bind(*i),
            Bound::Str(s) => q.push_bind(s.clone()),
        };
    }

    /// ` AND [NOT] (row is on `side` of the cursor)`.
    fn push_keyset(
        &self,
        q: &mut QueryBuilder<'_, Postgres>,
        values: &[Bound],
        side: Side,
        negate: bool,
    ) {
        q.push(if negate { " AND NOT (" } else { " AND (" });
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("(");
            for (k, v) in self.keys.iter().zip(values).take(i) {
                q.push(k.expr).push(" = ");
                Self::push_bound(q, v);
                q.push(" AND ");
            }
            let greater = (side == Side::After) != key.desc;
            q.push(key.expr).push(if greater { " > " } else { " < " });
            Self::push_bound(q, &values[i]);
            q.push(")");
        }
        q.push(")");
    }

    /// `limit` rows of the order (reversed when `reversed`), after `offset` rows, on
    /// `side` of the cursor if given.
    async fn fetch(
        &self,
        pool: &PgPool,
        app: &AppId,
        keyset: Option<(&[Bound], Side)>,
        reversed: bool,
        limit: usize,
        offset: usize,
    ) -> StoreResult<Vec<Message>> {
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT ");
        q.push(MESSAGE_COLS);
        push_from(&mut q, app, self.query);
        if let Some((values, side)) = keyset {
            self.push_keyset(&mut q, values, side, false);
        }
        q.push(" ORDER BY ");
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push(key.expr).push(if key.desc != reversed {
                " DESC"
            } else {
                " ASC"
            });
        }
        q.push(" LIMIT ")
            .push_bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows: Vec<MessageRow> = q.build_query_as().fetch_all(pool).await.db()?;
        messages(rows)
    }

    /// Whether some match is *not* on `side` of the cursor.
    async fn any_beyond(
        &self,
        pool: &PgPool,
        app: &AppId,
        values: &[Bound],
        side: Side,
    ) -> StoreResult<bool> {
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT EXISTS (SELECT 1");
        push_from(&mut q, app, self.query);
        self.push_keyset(&mut q, values, side, true);
        q.push(")");
        q.build_query_scalar().fetch_one(pool).await.db()
    }

    /// The page, identical to `SearchQuery::page` over every message.
    pub(crate) async fn run(self, pool: &PgPool, app: &AppId) -> StoreResult<SearchPage> {
        let limit = self.query.limit;
        if limit == 0 {
            return Ok(SearchPage::empty());
        }
        let cursor = |m: &Message, d| -> SearchCursor { self.query.cursor_at(m, d) };
        let page = |results: Vec<Message>, next: bool, previous: bool| {
            let next = next
                .then(|| results.last().map(|m| cursor(m, CursorDirection::After)))
                .flatten();
            let previous = previous
                .then(|| results.first().map(|m| cursor(m, CursorDirection::Before)))
                .flatten();
            SearchPage {
                results,
                next,
                previous,
            }
        };
        let extra = limit.saturating_add(1);
        match &self.cursor {
            None => {
                let offset = match self.query.position {
                    SearchPosition::Offset(o) => o,
                    SearchPosition::Cursor(_) => 0,
                };
                let mut rows = self.fetch(pool, app, None, false, extra, offset).await?;
                let more = rows.len() > limit;
                rows.truncate(limit);
                if rows.is_empty() {
                    return Ok(SearchPage::empty());
                }
                Ok(page(rows, more, offset > 0))
            }
            Some((CursorDirection::After, values)) => {
                let mut rows = self
                    .fetch(pool, app, Some((values, Side::After)), false, extra, 0)
                    .await?;
                let more = rows.len() > limit;
                rows.truncate(limit);
                if rows.is_empty() {
                    return Ok(SearchPage::empty());
                }
                let earlier = self.any_beyond(pool, app, values, Side::After).await?;
                Ok(page(rows, more, earlier))
            }
            Some((CursorDirection::Before, values)) => {
                let mut rows = self
                    .fetch(pool, app, Some((values, Side::Before)), true, extra, 0)
                    .await?;
                let more = rows.len() > limit;
                rows.truncate(limit);
                rows.reverse();
                if rows.is_empty() {
                    return Ok(SearchPage::empty());
                }
                let later = self.any_beyond(pool, app, values, Side::Before).await?;
                Ok(page(rows, later, more))
            }
        }
    }
}
