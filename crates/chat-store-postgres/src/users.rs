//! `UserStore`: users per app, by id. Querying lives in `query.rs`.

use async_trait::async_trait;
use chat_core::ids::{AppId, UserId};
use chat_core::model::User;
use chat_core::query::UserQuery;
use chat_core::store::UserStore;
use chat_core::{StoreError, StoreResult};
use serde_json::{json, Value};

use crate::error::{conflict, duplicate, DbResult};
use crate::rows::{from_data, in_request_order, signed, strs, to_data};
use crate::PgStore;

/// Fields of `User` that are columns.
pub(crate) const USER_STRIP: &[&str] = &["id", "version"];

/// A user from its row.
pub(crate) fn user_of(id: String, data: Value, version: i64) -> StoreResult<User> {
    from_data(data, [("id", json!(id)), ("version", json!(version))])
}

#[async_trait]
impl UserStore for PgStore {
    async fn insert_user(&self, app: &AppId, mut user: User) -> StoreResult<User> {
        user.version = 1;
        sqlx::query("INSERT INTO users (app_id, id, data, version) VALUES ($1, $2, $3, 1)")
            .bind(app.as_str())
            .bind(user.id.as_str())
            .bind(to_data(&user, USER_STRIP)?)
            .execute(&self.pool)
            .await
            .map_err(duplicate("user", &user.id))?;
        Ok(user)
    }

    async fn update_user(&self, app: &AppId, mut user: User) -> StoreResult<User> {
        let done = sqlx::query(
            "UPDATE users SET data = $3, version = version + 1 \
             WHERE app_id = $1 AND id = $2 AND version = $4",
        )
        .bind(app.as_str())
        .bind(user.id.as_str())
        .bind(to_data(&user, USER_STRIP)?)
        .bind(signed(user.version)?)
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            let exists: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM users WHERE app_id = $1 AND id = $2)",
            )
            .bind(app.as_str())
            .bind(user.id.as_str())
            .fetch_one(&self.pool)
            .await
            .db()?;
            return Err(if exists {
                conflict("user", &user.id)
            } else {
                StoreError::not_found("user", &user.id)
            });
        }
        user.version += 1;
        Ok(user)
    }

    async fn get_users(&self, app: &AppId, ids: &[UserId]) -> StoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, Value, i64)> = sqlx::query_as(
            "SELECT id, data, version FROM users WHERE app_id = $1 AND id = ANY($2)",
        )
        .bind(app.as_str())
        .bind(strs(ids))
        .fetch_all(&self.pool)
        .await
        .db()?;
        in_request_order(ids, rows, |(id, _, _)| id.as_str())
            .into_iter()
            .map(|(id, data, v)| user_of(id, data, v))
            .collect()
    }

    async fn query_users(&self, app: &AppId, query: &UserQuery) -> StoreResult<Vec<User>> {
        crate::query::users(self, app, query).await
    }
}
