//! `MessageStore`: the send (through the group committer), the atomic delete, content
//! updates, and message pages.
//!
//! `insert_message` queues the send for the store's committer (`group_commit`), which
//! writes everything queued as one batch of set-based statements (`send_batch`) and
//! answers each caller with its own result after the commit.

use async_trait::async_trait;
use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::Message;
use chat_core::query::MessagePage;
use chat_core::read_state::MessageFlags;
use chat_core::store::{Deletion, InsertMessage, InsertedMessage, MessageStore};
use chat_core::StoreResult;
use sqlx::PgConnection;

use crate::channels::lock_channel;
use crate::error::{conflict, message_not_found, DbResult};
use crate::rows::{
    count, in_request_order, messages, micros, signed, strs, to_data, MessageRow, MESSAGE_COLS,
    MESSAGE_STRIP,
};
use crate::send_batch::PendingSend;
use crate::window::{page, Scope};
use crate::PgStore;

/// Sets `flags` (OR) for each of `users` on a message.
pub(crate) async fn add_flags(
    conn: &mut PgConnection,
    app: &AppId,
    cid: &Cid,
    message: &MessageId,
    users: &[UserId],
    flags: MessageFlags,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO user_messages (app_id, user_id, message_id, cid, flags) \
         SELECT $1, u, $3, $4, $5 FROM (SELECT DISTINCT unnest($2::text[]) AS u) AS x \
         ON CONFLICT (app_id, user_id, message_id) \
         DO UPDATE SET flags = user_messages.flags | EXCLUDED.flags",
    )
    .bind(app.as_str())
    .bind(strs(users))
    .bind(message.as_str())
    .bind(cid.as_str())
    .bind(i64::from(flags.bits()))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

#[async_trait]
impl MessageStore for PgStore {
    async fn insert_message(
        &self,
        app: &AppId,
        m: Message,
        opts: InsertMessage,
    ) -> StoreResult<InsertedMessage> {
        let send = PendingSend::new(app, m, opts)?;
        self.sends.send(&self.pool, send).await
    }

    async fn get_messages(&self, app: &AppId, ids: &[MessageId]) -> StoreResult<Vec<Message>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE app_id = $1 AND id = ANY($2)"
        ))
        .bind(app.as_str())
        .bind(strs(ids))
        .fetch_all(&self.pool)
        .await
        .db()?;
        messages(in_request_order(ids, rows, |r| r.id.as_str()))
    }

    async fn update_message(&self, app: &AppId, message: Message) -> StoreResult<Message> {
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "UPDATE messages SET data = $3, deleted_at = $4, version = version + 1, \
                 search_tsv = array_to_tsvector(string_to_array($6, ' ')) \
             WHERE app_id = $1 AND id = $2 AND version = $5 RETURNING {MESSAGE_COLS}"
        ))
        .bind(app.as_str())
        .bind(message.id.as_str())
        .bind(to_data(&message, MESSAGE_STRIP)?)
        .bind(micros(message.deleted_at))
        .bind(signed(message.version)?)
        .bind(crate::send_batch::search_tokens(&message.text))
        .fetch_optional(&self.pool)
        .await
        .db()?;
        if let Some(row) = row {
            return row.into_message();
        }
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE app_id = $1 AND id = $2)",
        )
        .bind(app.as_str())
        .bind(message.id.as_str())
        .fetch_one(&self.pool)
        .await
        .db()?;
        Err(if exists {
            conflict("message", &message.id)
        } else {
            message_not_found(&message.id)
        })
    }

    async fn delete_message(
        &self,
        app: &AppId,
        id: &MessageId,
        how: Deletion,
    ) -> StoreResult<Message> {
        // The message's channel, then (locked) the channel, then (locked) the message; if it
        // moved in between (hard-deleted and re-sent elsewhere), look again.
        for _ in 0..8 {
            let cid: Option<String> =
                sqlx::query_scalar("SELECT cid FROM messages WHERE app_id = $1 AND id = $2")
                    .bind(app.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .db()?;
            let cid = crate::rows::parse_cid(&cid.ok_or_else(|| message_not_found(id))?)?;
            let mut tx = self.pool.begin().await.db()?;
            let channel = match lock_channel(&mut tx, app, &cid).await {
                Ok(c) => c,
                Err(chat_core::StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let row: Option<MessageRow> = sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE app_id = $1 AND id = $2 AND cid = $3 \
                 FOR UPDATE"
            ))
            .bind(app.as_str())
            .bind(id.as_str())
            .bind(cid.as_str())
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            let Some(row) = row else { continue };
            let m = row.into_message()?;
            if m.deleted_at.is_none() {
                count_deletion(&mut tx, app, &channel, &m).await?;
            }
            let result = match how {
                Deletion::Soft(at) if m.deleted_at.is_none() => {
                    // `deleted_at` is content: the version bump stops a stale update reviving it.
                    let row: MessageRow = sqlx::query_as(&format!(
                        "UPDATE messages SET deleted_at = $3, version = version + 1 \
                         WHERE app_id = $1 AND id = $2 RETURNING {MESSAGE_COLS}"
                    ))
                    .bind(app.as_str())
                    .bind(id.as_str())
                    .bind(at.as_micros())
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    row.into_message()?
                }
                Deletion::Soft(_) => m,
                Deletion::Hard => {
                    // Reactions, flags and thread cursors on it cascade.
                    sqlx::query("DELETE FROM messages WHERE app_id = $1 AND id = $2")
                        .bind(app.as_str())
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    m
                }
            };
            tx.commit().await.db()?;
            return Ok(result);
        }
        Err(message_not_found(id))
    }

    async fn channel_messages(
        &self,
        app: &AppId,
        cid: &Cid,
        page_spec: &MessagePage,
    ) -> StoreResult<Vec<Message>> {
        page(&self.pool, app, Scope::Channel(cid), page_spec).await
    }

    async fn thread_replies(
        &self,
        app: &AppId,
        parent: &MessageId,
        page_spec: &MessagePage,
    ) -> StoreResult<Vec<Message>> {
        page(&self.pool, app, Scope::Thread(parent), page_spec).await
    }

    async fn pinned_messages(
        &self,
        app: &AppId,
        cid: &Cid,
        limit: usize,
    ) -> StoreResult<Vec<Message>> {
        // Most recently pinned first; then newest message first, for determinism.
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages \
             WHERE app_id = $1 AND cid = $2 AND pinned AND deleted_at IS NULL \
             ORDER BY pinned_at DESC NULLS LAST, created_at DESC, id DESC LIMIT $3"
        ))
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(count(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        messages(rows)
    }
}

/// The first deletion's counter effects (`delete_message` contract), under the channel
/// lock.
async fn count_deletion(
    conn: &mut PgConnection,
    app: &AppId,
    channel: &chat_core::model::Channel,
    m: &Message,
) -> StoreResult<()> {
    let c = &channel.counters;
    let mut deleted = c.deleted_seqs.clone();
    let joins = m.counted && m.seq > c.truncated_seq;
    if joins {
        if let Err(at) = deleted.binary_search(&m.seq) {
            deleted.insert(at, m.seq);
        }
    }
    let deleted: Vec<i64> = deleted
        .into_iter()
        .map(signed)
        .collect::<StoreResult<_>>()?;
    sqlx::query(
        "UPDATE channels SET message_count = greatest(message_count - 1, 0), deleted_seqs = $3 \
         WHERE app_id = $1 AND cid = $2",
    )
    .bind(app.as_str())
    .bind(channel.cid.as_str())
    .bind(&deleted)
    .execute(&mut *conn)
    .await
    .db()?;
    if joins {
        sqlx::query(
            "UPDATE read_states SET own_after_cursor = greatest(own_after_cursor - 1, 0) \
             WHERE app_id = $1 AND cid = $2 AND user_id = $3 AND last_read_seq < $4",
        )
        .bind(app.as_str())
        .bind(channel.cid.as_str())
        .bind(m.user_id.as_str())
        .bind(signed(m.seq)?)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    if let Some(parent) = &m.parent_id {
        sqlx::query(
            "UPDATE messages SET deleted_reply_count = deleted_reply_count + 1 \
             WHERE app_id = $1 AND id = $2 AND cid = $3",
        )
        .bind(app.as_str())
        .bind(parent.as_str())
        .bind(channel.cid.as_str())
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}
