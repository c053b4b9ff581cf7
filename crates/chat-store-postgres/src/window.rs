//! Message pages (channel list and thread replies) without scanning the whole channel.
//!
//! [`chat_core::query::select_window`] is the reference windowing; it takes every candidate
//! in `(created_at, id)` order. Like the memory store, this module first fetches, with one
//! keyset query on the `(app_id, cid, created_at, id)` index, a contiguous run that is sure
//! to contain the window — at most `limit` rows before the page's anchor and `limit + 1`
//! from it on, all created after `created_after` — then lets `select_window` pick the page
//! from that run. Every window `select_window` can produce lies within `limit` positions
//! either side of its anchor, so the result is identical.

use chat_core::ids::{AppId, Cid, MessageId};
use chat_core::model::Message;
use chat_core::query::{select_window, MessageCursor, MessagePage};
use chat_core::time::Timestamp;
use chat_core::StoreResult;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::error::DbResult;
use crate::rows::{count, messages, MessageRow, MESSAGE_COLS};

/// Which list a page is taken from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// The channel's list (`in_channel_list` messages).
    Channel(&'a Cid),
    /// A thread's replies.
    Thread(&'a MessageId),
}

/// Where the page is anchored: rows before it are "older", rows from it on "newer".
#[derive(Debug)]
enum Split {
    /// The end of the list.
    End,
    /// `(created_at, id) >= key`.
    Key(i64, String),
    /// `created_at >= t`.
    AtOrAfter(i64),
    /// `created_at > t`.
    After(i64),
}

/// The list's filter: `app_id`, then the channel (list only) or the thread.
fn push_scope(q: &mut QueryBuilder<'_, Postgres>, app: &AppId, scope: &ResolvedScope) {
    q.push(" WHERE app_id = ").push_bind(app.to_string());
    match scope {
        ResolvedScope::Channel(cid) => {
            q.push(" AND cid = ")
                .push_bind(cid.clone())
                .push(" AND in_list");
        }
        ResolvedScope::Thread { parent, cid } => {
            q.push(" AND parent_id = ")
                .push_bind(parent.clone())
                .push(" AND cid = ")
                .push_bind(cid.clone());
        }
    }
}

/// A scope with the thread's channel known.
enum ResolvedScope {
    Channel(String),
    Thread { parent: String, cid: String },
}

/// The page of the scope's list that `select_window` would return over all of it.
pub(crate) async fn page(
    pool: &PgPool,
    app: &AppId,
    scope: Scope<'_>,
    page: &MessagePage,
) -> StoreResult<Vec<Message>> {
    let resolved = match scope {
        Scope::Channel(cid) => ResolvedScope::Channel(cid.to_string()),
        Scope::Thread(parent) => {
            let cid: Option<String> =
                sqlx::query_scalar("SELECT cid FROM messages WHERE app_id = $1 AND id = $2")
                    .bind(app.as_str())
                    .bind(parent.as_str())
                    .fetch_optional(pool)
                    .await
                    .db()?;
            // A missing parent has no replies to page through.
            let Some(cid) = cid else {
                return Ok(Vec::new());
            };
            ResolvedScope::Thread {
                parent: parent.to_string(),
                cid,
            }
        }
    };
    let split = match &page.cursor {
        MessageCursor::Latest => Some(Split::End),
        MessageCursor::Lt(id)
        | MessageCursor::Lte(id)
        | MessageCursor::Gt(id)
        | MessageCursor::Gte(id)
        | MessageCursor::Around(id) => {
            let mut q = QueryBuilder::new("SELECT created_at FROM messages");
            push_scope(&mut q, app, &resolved);
            q.push(" AND id = ").push_bind(id.to_string());
            let at: Option<i64> = q.build_query_scalar().fetch_optional(pool).await.db()?;
            // Not in this list: `select_window` over an empty run reports it missing.
            at.map(|at| Split::Key(at, id.to_string()))
        }
        MessageCursor::CreatedBefore(t)
        | MessageCursor::CreatedAfterOrEqual(t)
        | MessageCursor::CreatedAround(t) => Some(Split::AtOrAfter(t.as_micros())),
        MessageCursor::CreatedBeforeOrEqual(t) | MessageCursor::CreatedAfter(t) => {
            Some(match t.as_micros().checked_add(1) {
                Some(_) => Split::After(t.as_micros()),
                None => Split::End,
            })
        }
    };
    let run = match split {
        Some(split) => run(pool, app, &resolved, page, &split).await?,
        None => Vec::new(),
    };
    let refs: Vec<&Message> = run.iter().collect();
    match select_window(&refs, page) {
        Ok(window) => Ok(window.into_iter().cloned().collect()),
        Err(e) => {
            // The memory store answers an empty page for a missing channel, whatever the
            // cursor; only an existing list reports an unknown cursor id.
            if let ResolvedScope::Channel(cid) = &resolved {
                let exists: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM channels WHERE app_id = $1 AND cid = $2)",
                )
                .bind(app.as_str())
                .bind(cid)
                .fetch_one(pool)
                .await
                .db()?;
                if !exists {
                    return Ok(Vec::new());
                }
            }
            Err(e)
        }
    }
}

/// The run around `split`, in `(created_at, id)` order.
async fn run(
    pool: &PgPool,
    app: &AppId,
    scope: &ResolvedScope,
    page: &MessagePage,
    split: &Split,
) -> StoreResult<Vec<Message>> {
    let limit = count(page.limit);
    let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("(SELECT ");
    q.push(MESSAGE_COLS).push(" FROM messages");
    push_scope(&mut q, app, scope);
    push_after(&mut q, page.created_after);
    match split {
        Split::End => {}
        Split::Key(at, id) => {
            q.push(" AND (created_at, id) < (")
                .push_bind(*at)
                .push(", ")
                .push_bind(id.clone())
                .push(" COLLATE \"C\")");
        }
        Split::AtOrAfter(t) => {
            q.push(" AND created_at < ").push_bind(*t);
        }
        Split::After(t) => {
            q.push(" AND created_at <= ").push_bind(*t);
        }
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(limit)
        .push(")");
    if !matches!(split, Split::End) {
        q.push(" UNION ALL (SELECT ")
            .push(MESSAGE_COLS)
            .push(" FROM messages");
        push_scope(&mut q, app, scope);
        push_after(&mut q, page.created_after);
        match split {
            Split::End => {}
            Split::Key(at, id) => {
                q.push(" AND (created_at, id) >= (")
                    .push_bind(*at)
                    .push(", ")
                    .push_bind(id.clone())
                    .push(" COLLATE \"C\")");
            }
            Split::AtOrAfter(t) => {
                q.push(" AND created_at >= ").push_bind(*t);
            }
            Split::After(t) => {
                q.push(" AND created_at > ").push_bind(*t);
            }
        }
        q.push(" ORDER BY created_at, id LIMIT ")
            .push_bind(limit.saturating_add(1))
            .push(")");
    }
    let rows: Vec<MessageRow> = q.build_query_as().fetch_all(pool).await.db()?;
    let mut run = messages(rows)?;
    run.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Ok(run)
}

fn push_after(q: &mut QueryBuilder<'_, Postgres>, after: Option<Timestamp>) {
    if let Some(after) = after {
        q.push(" AND created_at > ").push_bind(after.as_micros());
    }
}
