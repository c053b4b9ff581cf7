//! `ReactionStore`: reactions unique per (message, user, type), and the message's exact
//! reaction summary, recomputed in the same transaction while the message row is locked.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chat_core::ids::{AppId, MessageId, UserId};
use chat_core::model::{Message, Reaction, ReactionGroup, ReactionSummary, LATEST_REACTIONS};
use chat_core::store::{ReactionChange, ReactionStore};
use chat_core::{StoreError, StoreResult};
use serde_json::Value;
use sqlx::PgConnection;

use crate::error::{corrupt, message_not_found, DbResult};
use crate::rows::{
    count, reactions, strs, unsigned, MessageRow, ReactionRow, MESSAGE_COLS, REACTION_COLS,
};
use crate::PgStore;

/// Locks the message row for a write and returns its reaction summary.
async fn lock_message(
    conn: &mut PgConnection,
    app: &AppId,
    id: &MessageId,
) -> StoreResult<ReactionSummary> {
    let summary: Option<Value> = sqlx::query_scalar(
        "SELECT reaction_summary FROM messages WHERE app_id = $1 AND id = $2 FOR NO KEY UPDATE",
    )
    .bind(app.as_str())
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let summary = summary.ok_or_else(|| message_not_found(id))?;
    serde_json::from_value(summary).map_err(|e| corrupt(format!("reaction summary: {e}")))
}

/// Brings the summary up to date after the reactions of `kinds` changed, stores it and
/// returns the message.
async fn refresh(
    conn: &mut PgConnection,
    app: &AppId,
    id: &MessageId,
    mut summary: ReactionSummary,
    kinds: &BTreeSet<String>,
) -> StoreResult<Message> {
    let kinds: Vec<String> = kinds.iter().cloned().collect();
    let groups: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT type, count(*), sum(score)::bigint, min(created_at), max(created_at) \
         FROM reactions WHERE app_id = $1 AND message_id = $2 AND type = ANY($3) GROUP BY type",
    )
    .bind(app.as_str())
    .bind(id.as_str())
    .bind(&kinds)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for kind in &kinds {
        summary.groups.remove(kind);
    }
    for (kind, n, sum, first, last) in groups {
        summary.groups.insert(
            kind,
            ReactionGroup {
                count: u32::try_from(n).map_err(|_| corrupt("reaction count"))?,
                sum_scores: unsigned(sum, "sum_scores")?,
                first_reaction_at: chat_core::time::Timestamp::from_micros(first),
                last_reaction_at: chat_core::time::Timestamp::from_micros(last),
            },
        );
    }
    let latest: Vec<ReactionRow> = sqlx::query_as(&format!(
        "SELECT {REACTION_COLS} FROM reactions WHERE app_id = $1 AND message_id = $2 \
         ORDER BY created_at DESC, user_id, type LIMIT $3"
    ))
    .bind(app.as_str())
    .bind(id.as_str())
    .bind(count(LATEST_REACTIONS))
    .fetch_all(&mut *conn)
    .await
    .db()?;
    summary.latest = reactions(latest)?;
    let encoded =
        serde_json::to_value(&summary).map_err(|e| corrupt(format!("reaction summary: {e}")))?;
    let row: MessageRow = sqlx::query_as(&format!(
        "UPDATE messages SET reaction_summary = $3 WHERE app_id = $1 AND id = $2 \
         RETURNING {MESSAGE_COLS}"
    ))
    .bind(app.as_str())
    .bind(id.as_str())
    .bind(encoded)
    .fetch_one(&mut *conn)
    .await
    .db()?;
    row.into_message()
}

#[async_trait]
impl ReactionStore for PgStore {
    async fn upsert_reaction(
        &self,
        app: &AppId,
        mut reaction: Reaction,
        enforce_unique: bool,
    ) -> StoreResult<ReactionChange> {
        let mid = reaction.message_id.clone();
        let mut tx = self.pool.begin().await.db()?;
        let summary = lock_message(&mut tx, app, &mid).await?;
        let mut kinds = BTreeSet::new();
        kinds.insert(reaction.kind.clone());
        let mut removed = Vec::new();
        if enforce_unique {
            let rows: Vec<ReactionRow> = sqlx::query_as(&format!(
                "DELETE FROM reactions WHERE app_id = $1 AND message_id = $2 AND user_id = $3 \
                 AND type <> $4 RETURNING {REACTION_COLS}"
            ))
            .bind(app.as_str())
            .bind(mid.as_str())
            .bind(reaction.user_id.as_str())
            .bind(&reaction.kind)
            .fetch_all(&mut *tx)
            .await
            .db()?;
            removed = reactions(rows)?;
            removed.sort_by(|a, b| a.kind.cmp(&b.kind));
            kinds.extend(removed.iter().map(|r| r.kind.clone()));
        }
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT created_at FROM reactions \
             WHERE app_id = $1 AND message_id = $2 AND user_id = $3 AND type = $4",
        )
        .bind(app.as_str())
        .bind(mid.as_str())
        .bind(reaction.user_id.as_str())
        .bind(&reaction.kind)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let updated = existing.is_some();
        if let Some(created) = existing {
            reaction.created_at = chat_core::time::Timestamp::from_micros(created);
        }
        sqlx::query(
            "INSERT INTO reactions (app_id, message_id, user_id, type, score, custom, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (app_id, message_id, user_id, type) DO UPDATE SET \
             score = EXCLUDED.score, custom = EXCLUDED.custom, updated_at = EXCLUDED.updated_at",
        )
        .bind(app.as_str())
        .bind(mid.as_str())
        .bind(reaction.user_id.as_str())
        .bind(&reaction.kind)
        .bind(i64::from(reaction.score))
        .bind(Value::Object(reaction.custom.as_map().clone()))
        .bind(reaction.created_at.as_micros())
        .bind(reaction.updated_at.as_micros())
        .execute(&mut *tx)
        .await
        .db()?;
        let message = refresh(&mut tx, app, &mid, summary, &kinds).await?;
        tx.commit().await.db()?;
        Ok(ReactionChange {
            reaction,
            message,
            updated,
            removed,
        })
    }

    async fn delete_reaction(
        &self,
        app: &AppId,
        message: &MessageId,
        user: &UserId,
        kind: &str,
    ) -> StoreResult<(Reaction, Message)> {
        let mut tx = self.pool.begin().await.db()?;
        let summary = lock_message(&mut tx, app, message).await?;
        let row: Option<ReactionRow> = sqlx::query_as(&format!(
            "DELETE FROM reactions WHERE app_id = $1 AND message_id = $2 AND user_id = $3 \
             AND type = $4 RETURNING {REACTION_COLS}"
        ))
        .bind(app.as_str())
        .bind(message.as_str())
        .bind(user.as_str())
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let removed = row
            .ok_or_else(|| StoreError::not_found("reaction", format!("{message}/{user}/{kind}")))?
            .into_reaction()?;
        let kinds = BTreeSet::from([kind.to_owned()]);
        let m = refresh(&mut tx, app, message, summary, &kinds).await?;
        tx.commit().await.db()?;
        Ok((removed, m))
    }

    async fn list_reactions(
        &self,
        app: &AppId,
        message: &MessageId,
        limit: usize,
        offset: usize,
    ) -> StoreResult<Vec<Reaction>> {
        let rows: Vec<ReactionRow> = sqlx::query_as(&format!(
            "SELECT {REACTION_COLS} FROM reactions WHERE app_id = $1 AND message_id = $2 \
             ORDER BY created_at DESC, user_id, type LIMIT $3 OFFSET $4"
        ))
        .bind(app.as_str())
        .bind(message.as_str())
        .bind(count(limit))
        .bind(count(offset))
        .fetch_all(&self.pool)
        .await
        .db()?;
        reactions(rows)
    }

    async fn user_reactions(
        &self,
        app: &AppId,
        messages: &[MessageId],
        user: &UserId,
    ) -> StoreResult<Vec<Reaction>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ReactionRow> = sqlx::query_as(&format!(
            "SELECT {REACTION_COLS} FROM reactions \
             WHERE app_id = $1 AND message_id = ANY($2) AND user_id = $3"
        ))
        .bind(app.as_str())
        .bind(strs(messages))
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        let mut out = reactions(rows)?;
        // By the message's position in the request, then by type.
        let position = |id: &MessageId| messages.iter().position(|m| m == id);
        out.sort_by(|a, b| {
            position(&a.message_id)
                .cmp(&position(&b.message_id))
                .then_with(|| a.kind.cmp(&b.kind))
        });
        Ok(out)
    }
}
