//! `AppStore`: app rows, unique by id and by api key.

use async_trait::async_trait;
use chat_core::ids::AppId;
use chat_core::model::App;
use chat_core::store::AppStore;
use chat_core::{StoreError, StoreResult};
use serde_json::{json, Value};

use crate::error::{conflict, db, unique_violation, DbResult};
use crate::rows::{from_data, to_data};
use crate::PgStore;

const STRIP: &[&str] = &["id", "version"];

fn app_of(id: String, data: Value, version: i64) -> StoreResult<App> {
    from_data(data, [("id", json!(id)), ("version", json!(version))])
}

/// Unique violations of the key or the api key, named as the contract says.
fn refused(app: &App) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match unique_violation(&e).as_deref() {
        Some("apps_api_key_key") => StoreError::Duplicate {
            what: "api key",
            id: app.api_key.clone(),
        },
        Some(_) => StoreError::Duplicate {
            what: "app",
            id: app.id.to_string(),
        },
        None => db(e),
    }
}

#[async_trait]
impl AppStore for PgStore {
    async fn insert_app(&self, mut app: App) -> StoreResult<App> {
        app.version = 1;
        sqlx::query("INSERT INTO apps (id, data, version) VALUES ($1, $2, 1)")
            .bind(app.id.as_str())
            .bind(to_data(&app, STRIP)?)
            .execute(&self.pool)
            .await
            .map_err(refused(&app))?;
        Ok(app)
    }

    async fn get_app(&self, id: &AppId) -> StoreResult<Option<App>> {
        let row: Option<(String, Value, i64)> =
            sqlx::query_as("SELECT id, data, version FROM apps WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(|(id, data, v)| app_of(id, data, v)).transpose()
    }

    async fn get_app_by_key(&self, api_key: &str) -> StoreResult<Option<App>> {
        let row: Option<(String, Value, i64)> =
            sqlx::query_as("SELECT id, data, version FROM apps WHERE api_key = $1")
                .bind(api_key)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(|(id, data, v)| app_of(id, data, v)).transpose()
    }

    async fn update_app(&self, mut app: App) -> StoreResult<App> {
        let done = sqlx::query(
            "UPDATE apps SET data = $2, version = version + 1 WHERE id = $1 AND version = $3",
        )
        .bind(app.id.as_str())
        .bind(to_data(&app, STRIP)?)
        .bind(crate::rows::signed(app.version)?)
        .execute(&self.pool)
        .await
        .map_err(refused(&app))?;
        if done.rows_affected() == 0 {
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM apps WHERE id = $1)")
                    .bind(app.id.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .db()?;
            return Err(if exists {
                conflict("app", &app.id)
            } else {
                StoreError::not_found("app", &app.id)
            });
        }
        app.version += 1;
        Ok(app)
    }

    async fn list_apps(&self) -> StoreResult<Vec<App>> {
        let rows: Vec<(String, Value, i64)> =
            sqlx::query_as("SELECT id, data, version FROM apps ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .db()?;
        rows.into_iter()
            .map(|(id, data, v)| app_of(id, data, v))
            .collect()
    }
}
