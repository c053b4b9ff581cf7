//! `MemberStore`: memberships with their read cursors. Querying lives in `query.rs`.

use std::collections::HashSet;

use async_trait::async_trait;
use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::Member;
use chat_core::query::MemberQuery;
use chat_core::store::MemberStore;
use chat_core::{StoreError, StoreResult};

use crate::channels::{insert_members, lock_channel};
use crate::error::{conflict, DbResult};
use crate::rows::{in_request_order, signed, strs, to_data, MemberRow, MEMBER_COLS, MEMBER_STRIP};
use crate::PgStore;

#[async_trait]
impl MemberStore for PgStore {
    async fn add_members(
        &self,
        app: &AppId,
        cid: &Cid,
        members: Vec<Member>,
    ) -> StoreResult<Vec<Member>> {
        let mut tx = self.pool.begin().await.db()?;
        let channel = lock_channel(&mut tx, app, cid).await?;
        let offered: Vec<String> = members.iter().map(|m| m.user_id.to_string()).collect();
        let present: HashSet<String> = sqlx::query_scalar(
            "SELECT user_id FROM members WHERE app_id = $1 AND cid = $2 AND user_id = ANY($3)",
        )
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(&offered)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .into_iter()
        .collect();
        let mut seen = HashSet::with_capacity(members.len());
        let added: Vec<Member> = members
            .into_iter()
            .filter(|m| !present.contains(m.user_id.as_str()) && seen.insert(m.user_id.clone()))
            .map(|mut m| {
                m.cid = cid.clone();
                m.version = 1;
                m
            })
            .collect();
        if added.is_empty() {
            return Ok(added);
        }
        insert_members(&mut tx, app, cid, &added, channel.counters.last_seq).await?;
        sqlx::query(
            "UPDATE channels SET member_count = member_count + $3 WHERE app_id = $1 AND cid = $2",
        )
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(crate::rows::count(added.len()))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(added)
    }

    async fn remove_members(
        &self,
        app: &AppId,
        cid: &Cid,
        users: &[UserId],
    ) -> StoreResult<Vec<Member>> {
        let mut tx = self.pool.begin().await.db()?;
        lock_channel(&mut tx, app, cid).await?;
        // Read cursors go with the rows (ON DELETE CASCADE).
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "DELETE FROM members WHERE app_id = $1 AND cid = $2 AND user_id = ANY($3) \
             RETURNING {MEMBER_COLS}"
        ))
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(strs(users))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query(
            "UPDATE channels SET member_count = greatest(member_count - $3, 0) \
             WHERE app_id = $1 AND cid = $2",
        )
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(crate::rows::count(rows.len()))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        in_request_order(users, rows, |r| r.user_id.as_str())
            .into_iter()
            .map(MemberRow::into_member)
            .collect()
    }

    async fn update_member(&self, app: &AppId, member: Member) -> StoreResult<Member> {
        let row: Option<MemberRow> = sqlx::query_as(&format!(
            "UPDATE members SET data = $4, hidden = $5, version = version + 1 \
             WHERE app_id = $1 AND cid = $2 AND user_id = $3 AND version = $6 \
             RETURNING {MEMBER_COLS}"
        ))
        .bind(app.as_str())
        .bind(member.cid.as_str())
        .bind(member.user_id.as_str())
        .bind(to_data(&member, MEMBER_STRIP)?)
        .bind(member.hidden)
        .bind(signed(member.version)?)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        if let Some(row) = row {
            return row.into_member();
        }
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM members WHERE app_id = $1 AND cid = $2 AND user_id = $3)",
        )
        .bind(app.as_str())
        .bind(member.cid.as_str())
        .bind(member.user_id.as_str())
        .fetch_one(&self.pool)
        .await
        .db()?;
        Err(if exists {
            conflict("member", format!("{}/{}", member.cid, member.user_id))
        } else {
            StoreError::not_found("member", &member.user_id)
        })
    }

    async fn get_members(
        &self,
        app: &AppId,
        cid: &Cid,
        users: &[UserId],
    ) -> StoreResult<Vec<Member>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {MEMBER_COLS} FROM members WHERE app_id = $1 AND cid = $2 AND user_id = ANY($3)"
        ))
        .bind(app.as_str())
        .bind(cid.as_str())
        .bind(strs(users))
        .fetch_all(&self.pool)
        .await
        .db()?;
        in_request_order(users, rows, |r| r.user_id.as_str())
            .into_iter()
            .map(MemberRow::into_member)
            .collect()
    }

    async fn query_members(&self, app: &AppId, query: &MemberQuery) -> StoreResult<Vec<Member>> {
        crate::query::members(self, app, query).await
    }

    async fn member_ids(&self, app: &AppId, cid: &Cid) -> StoreResult<Vec<UserId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT user_id FROM members WHERE app_id = $1 AND cid = $2 ORDER BY user_id",
        )
        .bind(app.as_str())
        .bind(cid.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(ids.into_iter().map(UserId::new_unchecked).collect())
    }

    async fn memberships(&self, app: &AppId, user: &UserId) -> StoreResult<Vec<Member>> {
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {MEMBER_COLS} FROM members WHERE app_id = $1 AND user_id = $2 ORDER BY cid"
        ))
        .bind(app.as_str())
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(MemberRow::into_member).collect()
    }
}
