//! `ChannelTypeStore`: channel types per app, by name.

use std::sync::Arc;

use async_trait::async_trait;
use chat_core::ids::{AppId, ChannelTypeName};
use chat_core::model::ChannelType;
use chat_core::store::ChannelTypeStore;
use chat_core::{StoreError, StoreResult};
use serde_json::{json, Value};

use crate::error::{conflict, duplicate, DbResult};
use crate::rows::{from_data, signed, to_data};
use crate::PgStore;

const STRIP: &[&str] = &["name", "version"];

fn type_of(name: String, data: Value, version: i64) -> StoreResult<ChannelType> {
    from_data(data, [("name", json!(name)), ("version", json!(version))])
}

fn not_found(name: &ChannelTypeName) -> StoreError {
    StoreError::not_found("channel type", name)
}

#[async_trait]
impl ChannelTypeStore for PgStore {
    async fn insert_channel_type(
        &self,
        app: &AppId,
        mut ty: ChannelType,
    ) -> StoreResult<ChannelType> {
        ty.version = 1;
        sqlx::query(
            "INSERT INTO channel_types (app_id, name, data, version) VALUES ($1, $2, $3, 1)",
        )
        .bind(app.as_str())
        .bind(ty.name.as_str())
        .bind(to_data(&ty, STRIP)?)
        .execute(&self.pool)
        .await
        .map_err(duplicate("channel type", &ty.name))?;
        Ok(ty)
    }

    async fn update_channel_type(
        &self,
        app: &AppId,
        mut ty: ChannelType,
    ) -> StoreResult<ChannelType> {
        let done = sqlx::query(
            "UPDATE channel_types SET data = $3, version = version + 1 \
             WHERE app_id = $1 AND name = $2 AND version = $4",
        )
        .bind(app.as_str())
        .bind(ty.name.as_str())
        .bind(to_data(&ty, STRIP)?)
        .bind(signed(ty.version)?)
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(match self.get_channel_type(app, &ty.name).await? {
                Some(_) => conflict("channel type", &ty.name),
                None => not_found(&ty.name),
            });
        }
        ty.version += 1;
        Ok(ty)
    }

    async fn get_channel_type(
        &self,
        app: &AppId,
        name: &ChannelTypeName,
    ) -> StoreResult<Option<Arc<ChannelType>>> {
        let row: Option<(String, Value, i64)> = sqlx::query_as(
            "SELECT name, data, version FROM channel_types WHERE app_id = $1 AND name = $2",
        )
        .bind(app.as_str())
        .bind(name.as_str())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(|(n, d, v)| type_of(n, d, v).map(Arc::new))
            .transpose()
    }

    async fn list_channel_types(&self, app: &AppId) -> StoreResult<Vec<ChannelType>> {
        let rows: Vec<(String, Value, i64)> = sqlx::query_as(
            "SELECT name, data, version FROM channel_types WHERE app_id = $1 ORDER BY name",
        )
        .bind(app.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(|(n, d, v)| type_of(n, d, v)).collect()
    }

    async fn delete_channel_type(&self, app: &AppId, name: &ChannelTypeName) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM channel_types WHERE app_id = $1 AND name = $2")
            .bind(app.as_str())
            .bind(name.as_str())
            .execute(&self.pool)
            .await
            .db()?;
        if done.rows_affected() == 0 {
            return Err(not_found(name));
        }
        Ok(())
    }
}
