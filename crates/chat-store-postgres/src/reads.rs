//! `ReadStore`: read cursors (mark read / unread), thread cursors and per-user message
//! flags.
//!
//! Marking read or unread takes the channel row `FOR SHARE`: it serializes with sends (a
//! send's cursor move and a mark-read of the same member cannot interleave) while
//! different members' mark-reads run side by side.

use async_trait::async_trait;
use chat_core::ids::{AppId, Cid, MessageId, UserId};
use chat_core::model::{ChannelCounters, ThreadSummary};
use chat_core::read_state::{MessageFlags, ReadState, ThreadRead};
use chat_core::store::{ReadStore, ReadUpTo};
use chat_core::time::Timestamp;
use chat_core::StoreResult;
use sqlx::PgConnection;

use crate::error::{channel_not_found, corrupt, member_not_found, message_not_found, DbResult};
use crate::messages::add_flags;
use crate::rows::{
    count, in_request_order, signed, strs, time, unsigned, unsigned32, ChannelRow, MessageRow,
    ReadRow, ThreadReadRow, MESSAGE_COLS, READ_COLS, THREAD_READ_COLS,
};
use crate::PgStore;

/// Locks the channel row against writes (sends) and returns its `last_seq`.
async fn share_channel(conn: &mut PgConnection, app: &AppId, cid: &Cid) -> StoreResult<i64> {
    let seq: Option<i64> = sqlx::query_scalar(
        "SELECT last_seq FROM channels WHERE app_id = $1 AND cid = $2 FOR SHARE",
    )
    .bind(app.as_str())
    .bind(cid.as_str())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    seq.ok_or_else(|| channel_not_found(cid))
}

/// `NotFound` unless the user is a member (has a cursor).
async fn require_member(
    conn: &mut PgConnection,
    app: &AppId,
    cid: &Cid,
    user: &UserId,
) -> StoreResult<()> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM members WHERE app_id = $1 AND cid = $2 AND user_id = $3)",
    )
    .bind(app.as_str())
    .bind(cid.as_str())
    .bind(user.as_str())
    .fetch_one(&mut *conn)
    .await
    .db()?;
    if exists {
        Ok(())
    } else {
        Err(member_not_found(cid, user))
    }
}

/// A message of the channel, `NotFound` otherwise.
async fn channel_message(
    conn: &mut PgConnection,
    app: &AppId,
    cid: &Cid,
    id: &MessageId,
) -> StoreResult<chat_core::model::Message> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE app_id = $1 AND id = $2 AND cid = $3"
    ))
    .bind(app.as_str())
    .bind(id.as_str())
    .bind(cid.as_str())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    row.ok_or_else(|| message_not_found(id))?.into_message()
}

/// Where a cursor moves.
struct Cursor<'a> {
    seq: u64,
    at: Timestamp,
    message: Option<&'a str>,
    own: i64,
}

/// Moves the member's cursor.
async fn set_cursor(
    conn: &mut PgConnection,
    app: &AppId,
    cid: &Cid,
    user: &UserId,
    to: Cursor<'_>,
) -> StoreResult<ReadState> {
    let Cursor {
        seq,
        at,
        message,
        own,
    } = to;
    let row: Option<ReadRow> = sqlx::query_as(&format!(
        "UPDATE read_states SET last_read_seq = $4, last_read_at = $5, \
         last_read_message_id = $6, own_after_cursor = $7 \
         WHERE app_id = $1 AND cid = $2 AND user_id = $3 RETURNING {READ_COLS}"
    ))
    .bind(app.as_str())
    .bind(cid.as_str())
    .bind(user.as_str())
    .bind(signed(seq)?)
    .bind(at.as_micros())
    .bind(message)
    .bind(own)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    row.ok_or_else(|| member_not_found(cid, user))?.into_read()
}

/// Removes the rows whose flags became empty.
async fn drop_empty_flags(conn: &mut PgConnection, app: &AppId, user: &UserId) -> StoreResult<()> {
    sqlx::query("DELETE FROM user_messages WHERE app_id = $1 AND user_id = $2 AND flags = 0")
        .bind(app.as_str())
        .bind(user.as_str())
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}

#[async_trait]
impl ReadStore for PgStore {
    async fn mark_read(
        &self,
        app: &AppId,
        cid: &Cid,
        user: &UserId,
        up_to: ReadUpTo,
        at: Timestamp,
    ) -> StoreResult<ReadState> {
        let mut tx = self.pool.begin().await.db()?;
        let last_seq = share_channel(&mut tx, app, cid).await?;
        require_member(&mut tx, app, cid, user).await?;
        let (seq, message) = match &up_to {
            ReadUpTo::Latest => {
                let newest: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM messages WHERE app_id = $1 AND cid = $2 AND in_list \
                     AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
                )
                .bind(app.as_str())
                .bind(cid.as_str())
                .fetch_optional(&mut *tx)
                .await
                .db()?;
                (unsigned(last_seq, "last_seq")?, newest)
            }
            ReadUpTo::Message(id) => {
                let m = channel_message(&mut tx, app, cid, id).await?;
                (m.seq, Some(id.to_string()))
            }
        };
        let marked = i64::from(MessageFlags::MARKED_UNREAD.bits());
        let cleared = sqlx::query(
            "UPDATE user_messages SET flags = flags & ~$4::bigint \
             WHERE app_id = $1 AND user_id = $2 AND cid = $3 AND flags & $4::bigint <> 0",
        )
        .bind(app.as_str())
        .bind(user.as_str())
        .bind(cid.as_str())
        .bind(marked)
        .execute(&mut *tx)
        .await
        .db()?;
        if cleared.rows_affected() > 0 {
            drop_empty_flags(&mut tx, app, user).await?;
        }
        let to = Cursor {
            seq,
            at,
            message: message.as_deref(),
            own: 0,
        };
        let read = set_cursor(&mut tx, app, cid, user, to).await?;
        tx.commit().await.db()?;
        Ok(read)
    }

    async fn mark_unread(
        &self,
        app: &AppId,
        cid: &Cid,
        user: &UserId,
        from: &MessageId,
        at: Timestamp,
    ) -> StoreResult<ReadState> {
        let mut tx = self.pool.begin().await.db()?;
        share_channel(&mut tx, app, cid).await?;
        require_member(&mut tx, app, cid, user).await?;
        let m = channel_message(&mut tx, app, cid, from).await?;
        let cursor = if m.counted {
            m.seq.saturating_sub(1)
        } else {
            m.seq
        };
        // The user's own messages after the cursor were read by sending them.
        let own: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM messages WHERE app_id = $1 AND cid = $2 AND user_id = $3 \
             AND counted AND seq > $4 AND deleted_at IS NULL",
        )
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(user.as_str())
        .bind(signed(cursor)?)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        // The cursor now points at the message just before `from` in the list.
        let before: Option<String> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE app_id = $1 AND cid = $2 AND in_list \
             AND (created_at, id) < ($3, $4 COLLATE \"C\") \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(m.created_at.as_micros())
        .bind(from.as_str())
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        add_flags(
            &mut tx,
            app,
            cid,
            from,
            std::slice::from_ref(user),
            MessageFlags::MARKED_UNREAD,
        )
        .await?;
        let to = Cursor {
            seq: cursor,
            at,
            message: before.as_deref(),
            own,
        };
        let read = set_cursor(&mut tx, app, cid, user, to).await?;
        tx.commit().await.db()?;
        Ok(read)
    }

    async fn channel_reads(
        &self,
        app: &AppId,
        cid: &Cid,
        limit: usize,
    ) -> StoreResult<Vec<ReadState>> {
        let rows: Vec<ReadRow> = sqlx::query_as(&format!(
            "SELECT {READ_COLS} FROM read_states WHERE app_id = $1 AND cid = $2 \
             ORDER BY user_id LIMIT $3"
        ))
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(count(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(ReadRow::into_read).collect()
    }

    async fn user_reads(
        &self,
        app: &AppId,
        user: &UserId,
    ) -> StoreResult<Vec<(ReadState, ChannelCounters)>> {
        // Only the counters are returned: selecting (and decoding) the channel's `data`
        // document for every channel of the user dominated this query.
        let sql = "SELECT r.cid, r.user_id, r.last_read_seq, r.last_read_at, \
             r.last_read_message_id, r.own_after_cursor, \
             c.member_count AS c_member_count, c.message_count AS c_message_count, \
             c.last_message_at AS c_last_message_at, c.last_seq AS c_last_seq, \
             c.truncated_seq AS c_truncated_seq, c.deleted_seqs AS c_deleted_seqs \
             FROM read_states r JOIN channels c ON c.app_id = r.app_id AND c.cid = r.cid \
             WHERE r.app_id = $1 AND r.user_id = $2 ORDER BY r.cid";
        let rows = sqlx::query(sql)
            .bind(app.as_str())
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.iter()
            .map(|row| {
                let read = <ReadRow as sqlx::FromRow<'_, _>>::from_row(row).db()?;
                Ok((read.into_read()?, prefixed_counters(row)?))
            })
            .collect()
    }

    async fn mark_thread_read(
        &self,
        app: &AppId,
        user: &UserId,
        parent: &MessageId,
        at: Timestamp,
    ) -> StoreResult<ThreadRead> {
        let mut tx = self.pool.begin().await.db()?;
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT cid, reply_count FROM messages WHERE app_id = $1 AND id = $2 FOR SHARE",
        )
        .bind(app.as_str())
        .bind(parent.as_str())
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let (cid, replies) = row.ok_or_else(|| message_not_found(parent))?;
        let read: ThreadReadRow = sqlx::query_as(&format!(
            "INSERT INTO thread_reads (app_id, user_id, parent_id, cid, last_read_reply_count, \
             last_read_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (app_id, user_id, parent_id) DO UPDATE SET \
             cid = EXCLUDED.cid, last_read_reply_count = EXCLUDED.last_read_reply_count, \
             last_read_at = EXCLUDED.last_read_at RETURNING {THREAD_READ_COLS}"
        ))
        .bind(app.as_str())
        .bind(user.as_str())
        .bind(parent.as_str())
        .bind(&cid)
        .bind(replies)
        .bind(at.as_micros())
        .fetch_one(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        read.into_thread_read()
    }

    async fn user_thread_reads(
        &self,
        app: &AppId,
        user: &UserId,
    ) -> StoreResult<Vec<(ThreadRead, ThreadSummary)>> {
        let rows = sqlx::query(
            "SELECT t.cid, t.parent_id, t.user_id, t.last_read_reply_count, t.last_read_at, \
             m.reply_count, m.deleted_reply_count, m.participants, m.last_reply_at \
             FROM thread_reads t JOIN messages m ON m.app_id = t.app_id AND m.id = t.parent_id \
             WHERE t.app_id = $1 AND t.user_id = $2 ORDER BY t.cid, t.parent_id",
        )
        .bind(app.as_str())
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.iter()
            .map(|row| {
                use sqlx::Row;
                let read = <ThreadReadRow as sqlx::FromRow<'_, _>>::from_row(row).db()?;
                let participants: Vec<String> = row.try_get("participants").db()?;
                let summary = ThreadSummary {
                    reply_count: crate::rows::unsigned32(
                        row.try_get("reply_count").db()?,
                        "reply_count",
                    )?,
                    deleted_reply_count: crate::rows::unsigned32(
                        row.try_get("deleted_reply_count").db()?,
                        "deleted_reply_count",
                    )?,
                    participants: participants
                        .into_iter()
                        .map(UserId::new_unchecked)
                        .collect(),
                    last_reply_at: crate::rows::time(row.try_get("last_reply_at").db()?),
                };
                Ok((read.into_thread_read()?, summary))
            })
            .collect()
    }

    async fn update_flags(
        &self,
        app: &AppId,
        user: &UserId,
        message: &MessageId,
        set: MessageFlags,
        clear: MessageFlags,
    ) -> StoreResult<MessageFlags> {
        let mut tx = self.pool.begin().await.db()?;
        // Keeps the message from being hard-deleted under us.
        let cid: Option<String> = sqlx::query_scalar(
            "SELECT cid FROM messages WHERE app_id = $1 AND id = $2 FOR KEY SHARE",
        )
        .bind(app.as_str())
        .bind(message.as_str())
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let cid = cid.ok_or_else(|| message_not_found(message))?;
        let flags: i64 = sqlx::query_scalar(
            "INSERT INTO user_messages (app_id, user_id, message_id, cid, flags) \
             VALUES ($1, $2, $3, $4, $5 & ~$6::bigint) \
             ON CONFLICT (app_id, user_id, message_id) \
             DO UPDATE SET flags = (user_messages.flags | $5) & ~$6::bigint RETURNING flags",
        )
        .bind(app.as_str())
        .bind(user.as_str())
        .bind(message.as_str())
        .bind(&cid)
        .bind(i64::from(set.bits()))
        .bind(i64::from(clear.bits()))
        .fetch_one(&mut *tx)
        .await
        .db()?;
        if flags == 0 {
            drop_empty_flags(&mut tx, app, user).await?;
        }
        tx.commit().await.db()?;
        flags_of_bits(flags)
    }

    async fn flags_of(
        &self,
        app: &AppId,
        user: &UserId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<(MessageId, MessageFlags)>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT message_id, flags FROM user_messages \
             WHERE app_id = $1 AND user_id = $2 AND message_id = ANY($3) AND flags <> 0",
        )
        .bind(app.as_str())
        .bind(user.as_str())
        .bind(strs(messages))
        .fetch_all(&self.pool)
        .await
        .db()?;
        in_request_order(messages, rows, |(id, _)| id.as_str())
            .into_iter()
            .map(|(id, f)| Ok((MessageId::new_unchecked(id), flags_of_bits(f)?)))
            .collect()
    }

    async fn messages_flagged(
        &self,
        app: &AppId,
        user: &UserId,
        flags: MessageFlags,
        limit: usize,
    ) -> StoreResult<Vec<MessageId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT u.message_id FROM user_messages u \
             JOIN messages m ON m.app_id = u.app_id AND m.id = u.message_id \
             WHERE u.app_id = $1 AND u.user_id = $2 AND u.flags <> 0 \
             AND u.flags & $3::bigint = $3::bigint \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $4",
        )
        .bind(app.as_str())
        .bind(user.as_str())
        .bind(i64::from(flags.bits()))
        .bind(count(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(ids.into_iter().map(MessageId::new_unchecked).collect())
    }
}

/// Stored flag bits.
fn flags_of_bits(bits: i64) -> StoreResult<MessageFlags> {
    u32::try_from(bits)
        .map(MessageFlags::from_bits_retain)
        .map_err(|_| corrupt(format!("flags out of range: {bits}")))
}

/// The counters of a channel row selected with `c_`-prefixed column names.
fn prefixed_counters(row: &sqlx::postgres::PgRow) -> StoreResult<ChannelCounters> {
    use sqlx::Row;
    let deleted: Vec<i64> = row.try_get("c_deleted_seqs").db()?;
    Ok(ChannelCounters {
        member_count: unsigned32(row.try_get("c_member_count").db()?, "member_count")?,
        message_count: unsigned(row.try_get("c_message_count").db()?, "message_count")?,
        last_message_at: time(row.try_get("c_last_message_at").db()?),
        last_seq: unsigned(row.try_get("c_last_seq").db()?, "last_seq")?,
        truncated_seq: unsigned(row.try_get("c_truncated_seq").db()?, "truncated_seq")?,
        deleted_seqs: deleted
            .into_iter()
            .map(|s| unsigned(s, "deleted_seqs"))
            .collect::<StoreResult<_>>()?,
    })
}

/// A channel row selected with `c_`-prefixed column names.
pub(crate) fn prefixed_channel(row: &sqlx::postgres::PgRow) -> StoreResult<ChannelRow> {
    use sqlx::Row;
    Ok(ChannelRow {
        cid: row.try_get("c_cid").db()?,
        data: row.try_get("c_data").db()?,
        version: row.try_get("c_version").db()?,
        member_count: row.try_get("c_member_count").db()?,
        message_count: row.try_get("c_message_count").db()?,
        last_message_at: row.try_get("c_last_message_at").db()?,
        last_seq: row.try_get("c_last_seq").db()?,
        truncated_seq: row.try_get("c_truncated_seq").db()?,
        deleted_seqs: row.try_get("c_deleted_seqs").db()?,
    })
}
