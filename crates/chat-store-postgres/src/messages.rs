//! `MessageStore`: the atomic send and delete, content updates, and message pages.
//!
//! The send is one statement for a channel message ([`SEND`]): data-modifying CTEs bump
//! the channel's counters (locking its row, so sends to one channel serialize), insert the
//! message (its primary key refuses a repeated id, failing the whole statement), move the
//! author's cursor, add mention flags and un-hide the members who hid the channel (a
//! partial index finds them). No step visits the other members, so the cost does not grow
//! with the channel. A single statement is atomic on its own, so a channel message needs
//! no explicit transaction; a reply adds the parent's thread summary and the author's
//! thread cursor in the same transaction.

use async_trait::async_trait;
use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::{Message, ReactionSummary, ThreadSummary};
use chat_core::query::MessagePage;
use chat_core::read_state::MessageFlags;
use chat_core::store::{Deletion, InsertMessage, InsertedMessage, MessageStore};
use chat_core::StoreResult;
use sqlx::PgConnection;

use crate::channels::lock_channel;
use crate::error::{channel_not_found, conflict, duplicate, message_not_found, DbResult};
use crate::rows::{
    count, in_request_order, messages, micros, signed, strs, to_data, ChannelRow, MessageRow,
    MESSAGE_COLS, MESSAGE_STRIP,
};
use crate::window::{page, Scope};
use crate::PgStore;

/// Steps 1–4, 6 and 7 of `insert_message` in one statement. Parameters: `$1` app, `$2`
/// cid, `$3` counted, `$4` bump `last_message_at`, `$5` created_at, `$6` id, `$7` author,
/// `$8` parent, `$9` deleted_at, `$10` reaction summary, `$11` data, `$12` in the channel
/// list, `$13` mentioned users, `$14` un-hide. No row when the channel does not exist.
const SEND: &str = "WITH c AS ( \
        UPDATE channels SET last_seq = last_seq + CASE WHEN $3 THEN 1 ELSE 0 END, \
            message_count = message_count + 1, \
            last_message_at = CASE WHEN $4 THEN greatest(last_message_at, $5) \
                                   ELSE last_message_at END \
        WHERE app_id = $1 AND cid = $2 \
        RETURNING cid, data, version, member_count, message_count, last_message_at, \
            last_seq, truncated_seq, deleted_seqs \
    ), m AS ( \
        INSERT INTO messages (app_id, id, cid, user_id, parent_id, created_at, seq, counted, \
            deleted_at, reaction_summary, data, version) \
        SELECT $1, $6, $2, $7, $8, $5, c.last_seq, $3, $9, $10, $11, 1 FROM c \
        RETURNING id \
    ), r AS ( \
        UPDATE read_states SET last_read_seq = greatest(last_read_seq, (SELECT last_seq FROM c)), \
            last_read_at = $5, last_read_message_id = $6, own_after_cursor = 0 \
        WHERE $12 AND app_id = $1 AND cid = $2 AND user_id = $7 AND EXISTS (SELECT 1 FROM c) \
    ), f AS ( \
        INSERT INTO user_messages (app_id, user_id, message_id, cid, flags) \
        SELECT $1, x.u, m.id, $2, 1 FROM m, (SELECT DISTINCT unnest($13::text[]) AS u) AS x \
        ON CONFLICT (app_id, user_id, message_id) \
        DO UPDATE SET flags = user_messages.flags | EXCLUDED.flags \
    ), h AS ( \
        UPDATE members SET hidden = false, version = version + 1 \
        WHERE $14 AND app_id = $1 AND cid = $2 AND hidden AND EXISTS (SELECT 1 FROM c) \
        RETURNING user_id \
    ) \
    SELECT c.*, ARRAY(SELECT user_id FROM h) AS unhidden FROM c";

/// What [`SEND`] returns: the channel after the insert and the members it un-hid.
#[derive(Debug, sqlx::FromRow)]
struct Sent {
    #[sqlx(flatten)]
    channel: ChannelRow,
    unhidden: Vec<String>,
}

/// Runs [`SEND`] for `m` (whose `counted` is set); `m.seq` is set from the channel.
async fn send<'c, E>(
    exec: E,
    app: &AppId,
    m: &mut Message,
    opts: &InsertMessage,
) -> StoreResult<Sent>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    let in_list = m.in_channel_list();
    let summary = serde_json::to_value(&m.reactions)
        .map_err(|e| crate::error::corrupt(format!("encode reactions: {e}")))?;
    let sent: Option<Sent> = sqlx::query_as(SEND)
        .bind(app.as_str())
        .bind(m.cid.as_str())
        .bind(m.counted)
        .bind(in_list && opts.bump_last_message_at)
        .bind(m.created_at.as_micros())
        .bind(m.id.as_str())
        .bind(m.user_id.as_str())
        .bind(m.parent_id.as_ref().map(MessageId::as_str))
        .bind(micros(m.deleted_at))
        .bind(summary)
        .bind(to_data(m, MESSAGE_STRIP)?)
        .bind(in_list)
        .bind(strs(&m.mentioned_users))
        .bind(!opts.keep_channel_hidden)
        .fetch_optional(exec)
        .await
        .map_err(duplicate("message", &m.id))?;
    let sent = sent.ok_or_else(|| channel_not_found(&m.cid))?;
    m.seq = crate::rows::unsigned(sent.channel.last_seq, "last_seq")?;
    Ok(sent)
}

/// Step 5 of the send: the parent's thread summary and the author's thread cursor.
async fn add_reply(
    conn: &mut PgConnection,
    app: &AppId,
    m: &Message,
) -> StoreResult<Option<Message>> {
    let Some(parent_id) = &m.parent_id else {
        return Ok(None);
    };
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "UPDATE messages SET reply_count = reply_count + 1, last_reply_at = $4, \
         participants = CASE WHEN $5 = ANY(participants) THEN participants \
                             ELSE array_append(participants, $5) END \
         WHERE app_id = $1 AND id = $2 AND cid = $3 RETURNING {MESSAGE_COLS}"
    ))
    .bind(app.as_str())
    .bind(parent_id.as_str())
    .bind(m.cid.as_str())
    .bind(m.created_at.as_micros())
    .bind(m.user_id.as_str())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let parent = row
        .ok_or_else(|| message_not_found(parent_id))?
        .into_message()?;
    sqlx::query(
        "INSERT INTO thread_reads (app_id, user_id, parent_id, cid, last_read_reply_count, \
         last_read_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (app_id, user_id, parent_id) DO UPDATE SET \
         last_read_reply_count = EXCLUDED.last_read_reply_count, \
         last_read_at = EXCLUDED.last_read_at",
    )
    .bind(app.as_str())
    .bind(m.user_id.as_str())
    .bind(parent_id.as_str())
    .bind(m.cid.as_str())
    .bind(i64::from(parent.thread.reply_count))
    .bind(m.created_at.as_micros())
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(Some(parent))
}

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
        mut m: Message,
        opts: InsertMessage,
    ) -> StoreResult<InsertedMessage> {
        m.version = 1;
        m.thread = ThreadSummary::default();
        m.reactions = ReactionSummary::default();
        m.counted = m.counts_as_unread();
        let (sent, parent) = if m.parent_id.is_none() {
            (send(&self.pool, app, &mut m, &opts).await?, None)
        } else {
            let mut tx = self.pool.begin().await.db()?;
            let sent = send(&mut *tx, app, &mut m, &opts).await?;
            // 5: the thread (`NotFound` rolls the send back).
            let parent = add_reply(&mut tx, app, &m).await?;
            tx.commit().await.db()?;
            (sent, parent)
        };
        let mut unhidden = sent.unhidden;
        unhidden.sort_unstable();
        Ok(InsertedMessage {
            message: m,
            channel: sent.channel.into_channel()?,
            parent,
            unhidden: unhidden.into_iter().map(UserId::new_unchecked).collect(),
        })
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
            "UPDATE messages SET data = $3, deleted_at = $4, version = version + 1 \
             WHERE app_id = $1 AND id = $2 AND version = $5 RETURNING {MESSAGE_COLS}"
        ))
        .bind(app.as_str())
        .bind(message.id.as_str())
        .bind(to_data(&message, MESSAGE_STRIP)?)
        .bind(micros(message.deleted_at))
        .bind(signed(message.version)?)
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

#[cfg(test)]
mod tests {
    use crate::rows::CHANNEL_COLS;

    #[test]
    fn send_returns_the_channel_columns() {
        assert!(super::SEND.contains(&format!("RETURNING {CHANNEL_COLS} ")));
    }
}
