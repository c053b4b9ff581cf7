//! `ChannelStore`: create (get-or-create), read, update, delete and truncate channels.
//! Querying lives in `query.rs`.

use std::collections::HashSet;

use async_trait::async_trait;
use chat_core::ids::{AppId, Cid};
use chat_core::model::{Channel, ChannelCounters, Member};
use chat_core::query::ChannelQuery;
use chat_core::store::{ChannelStore, Created, Truncate};
use chat_core::StoreResult;
use serde_json::Value;

use crate::error::{channel_not_found, conflict, DbResult};
use crate::rows::{
    in_request_order, signed, to_data, ChannelRow, CHANNEL_COLS, CHANNEL_STRIP, MEMBER_STRIP,
};
use crate::PgStore;

/// Members of a new channel: de-duplicated by user id (first wins), in the channel, at
/// version 1.
fn new_members(cid: &Cid, members: Vec<Member>) -> Vec<Member> {
    let mut seen = HashSet::with_capacity(members.len());
    members
        .into_iter()
        .filter(|m| seen.insert(m.user_id.clone()))
        .map(|mut m| {
            m.cid = cid.clone();
            m.version = 1;
            m
        })
        .collect()
}

/// Inserts memberships, each with a read cursor at `seq` and `last_read_at` = the member's
/// `created_at`. The caller holds the channel row lock and knows none of them exists.
pub(crate) async fn insert_members(
    conn: &mut sqlx::PgConnection,
    app: &AppId,
    cid: &Cid,
    members: &[Member],
    seq: u64,
) -> StoreResult<()> {
    if members.is_empty() {
        return Ok(());
    }
    let users: Vec<String> = members.iter().map(|m| m.user_id.to_string()).collect();
    let hidden: Vec<bool> = members.iter().map(|m| m.hidden).collect();
    let data: Vec<Value> = members
        .iter()
        .map(|m| to_data(m, MEMBER_STRIP))
        .collect::<StoreResult<_>>()?;
    let joined: Vec<i64> = members.iter().map(|m| m.created_at.as_micros()).collect();
    sqlx::query(
        "INSERT INTO members (app_id, cid, user_id, hidden, data, version) \
         SELECT $1, $2, u, h, d, 1 FROM unnest($3::text[], $4::bool[], $5::jsonb[]) AS x(u, h, d)",
    )
    .bind(app.as_str())
    .bind(cid.as_str())
    .bind(&users)
    .bind(&hidden)
    .bind(&data)
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO read_states (app_id, cid, user_id, last_read_seq, last_read_at, \
         last_read_message_id, own_after_cursor) \
         SELECT $1, $2, u, $3, t, NULL, 0 FROM unnest($4::text[], $5::bigint[]) AS x(u, t)",
    )
    .bind(app.as_str())
    .bind(cid.as_str())
    .bind(signed(seq)?)
    .bind(&users)
    .bind(&joined)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// Locks the channel row for a write (`FOR NO KEY UPDATE`) and returns it.
pub(crate) async fn lock_channel(
    conn: &mut sqlx::PgConnection,
    app: &AppId,
    cid: &Cid,
) -> StoreResult<Channel> {
    let row: Option<ChannelRow> = sqlx::query_as(&format!(
        "SELECT {CHANNEL_COLS} FROM channels WHERE app_id = $1 AND cid = $2 FOR NO KEY UPDATE"
    ))
    .bind(app.as_str())
    .bind(cid.as_str())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    row.ok_or_else(|| channel_not_found(cid))?.into_channel()
}

#[async_trait]
impl ChannelStore for PgStore {
    async fn create_channel(
        &self,
        app: &AppId,
        mut channel: Channel,
        members: Vec<Member>,
    ) -> StoreResult<Created> {
        let cid = channel.cid.clone();
        let members = new_members(&cid, members);
        channel.version = 1;
        channel.counters = ChannelCounters {
            member_count: u32::try_from(members.len()).unwrap_or(u32::MAX),
            ..ChannelCounters::default()
        };
        let data = to_data(&channel, CHANNEL_STRIP)?;
        loop {
            let mut tx = self.pool.begin().await.db()?;
            // A concurrent creator's uncommitted row makes this wait, then do nothing.
            let created = sqlx::query(
                "INSERT INTO channels (app_id, cid, data, version, member_count) \
                 VALUES ($1, $2, $3, 1, $4) ON CONFLICT (app_id, cid) DO NOTHING",
            )
            .bind(app.as_str())
            .bind(cid.as_str())
            .bind(&data)
            .bind(i64::from(channel.counters.member_count))
            .execute(&mut *tx)
            .await
            .db()?
            .rows_affected()
                == 1;
            if created {
                insert_members(&mut tx, app, &cid, &members, 0).await?;
                tx.commit().await.db()?;
                return Ok(Created::New(channel, members));
            }
            let existing: Option<ChannelRow> = sqlx::query_as(&format!(
                "SELECT {CHANNEL_COLS} FROM channels WHERE app_id = $1 AND cid = $2"
            ))
            .bind(app.as_str())
            .bind(cid.as_str())
            .fetch_optional(&mut *tx)
            .await
            .db()?;
            tx.commit().await.db()?;
            if let Some(row) = existing {
                return Ok(Created::Existing(row.into_channel()?));
            }
            // Deleted between the two statements: try again.
        }
    }

    async fn get_channels(&self, app: &AppId, cids: &[Cid]) -> StoreResult<Vec<Channel>> {
        if cids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ChannelRow> = sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLS} FROM channels WHERE app_id = $1 AND cid = ANY($2)"
        ))
        .bind(app.as_str())
        .bind(cids.iter().map(ToString::to_string).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await
        .db()?;
        let wanted: Vec<&str> = cids.iter().map(Cid::as_str).collect();
        in_request_order(&wanted, rows, |r| r.cid.as_str())
            .into_iter()
            .map(ChannelRow::into_channel)
            .collect()
    }

    async fn update_channel(&self, app: &AppId, channel: Channel) -> StoreResult<Channel> {
        let row: Option<ChannelRow> = sqlx::query_as(&format!(
            "UPDATE channels SET data = $3, version = version + 1 \
             WHERE app_id = $1 AND cid = $2 AND version = $4 RETURNING {CHANNEL_COLS}"
        ))
        .bind(app.as_str())
        .bind(channel.cid.as_str())
        .bind(to_data(&channel, CHANNEL_STRIP)?)
        .bind(signed(channel.version)?)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        match row {
            Some(row) => row.into_channel(),
            None => {
                let exists: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM channels WHERE app_id = $1 AND cid = $2)",
                )
                .bind(app.as_str())
                .bind(channel.cid.as_str())
                .fetch_one(&self.pool)
                .await
                .db()?;
                Err(if exists {
                    conflict("channel", &channel.cid)
                } else {
                    channel_not_found(&channel.cid)
                })
            }
        }
    }

    async fn delete_channel(&self, app: &AppId, cid: &Cid) -> StoreResult<Channel> {
        // Members, cursors, messages and (through messages) reactions, flags and thread
        // cursors go with it (ON DELETE CASCADE).
        let row: Option<ChannelRow> = sqlx::query_as(&format!(
            "DELETE FROM channels WHERE app_id = $1 AND cid = $2 RETURNING {CHANNEL_COLS}"
        ))
        .bind(app.as_str())
        .bind(cid.as_str())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.ok_or_else(|| channel_not_found(cid))?.into_channel()
    }

    async fn truncate_channel(
        &self,
        app: &AppId,
        cid: &Cid,
        spec: Truncate,
    ) -> StoreResult<Channel> {
        let mut tx = self.pool.begin().await.db()?;
        let mut channel = lock_channel(&mut tx, app, cid).await?;
        channel.truncated_at = Some(spec.at);
        channel.truncated_by = spec.by.clone();
        let row: ChannelRow = sqlx::query_as(&format!(
            "UPDATE channels SET data = $3, version = version + 1, truncated_seq = last_seq, \
             deleted_seqs = '{{}}', last_message_at = NULL \
             WHERE app_id = $1 AND cid = $2 RETURNING {CHANNEL_COLS}"
        ))
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(to_data(&channel, CHANNEL_STRIP)?)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        if spec.hard {
            // Reactions, flags and thread cursors of these messages cascade.
            sqlx::query("DELETE FROM messages WHERE app_id = $1 AND cid = $2 AND created_at <= $3")
                .bind(app.as_str())
                .bind(cid.as_str())
                .bind(spec.at.as_micros())
                .execute(&mut *tx)
                .await
                .db()?;
        }
        tx.commit().await.db()?;
        row.into_channel()
    }

    async fn query_channels(&self, app: &AppId, query: &ChannelQuery) -> StoreResult<Vec<Channel>> {
        crate::query::channels(self, app, query).await
    }
}
