//! `AppStore`: app rows, unique by id and by api key.

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::AppId;
use chat_core::model::App;
use chat_core::store::AppStore;
use chat_core::StoreResult;

use crate::lock::{read, write};
use crate::MemoryStore;

#[async_trait]
impl AppStore for MemoryStore {
    async fn insert_app(&self, mut app: App) -> StoreResult<App> {
        let mut rows = write(&self.apps, "apps")?;
        if rows.by_id.contains_key(&app.id) {
            return Err(StoreError::Duplicate {
                what: "app",
                id: app.id.to_string(),
            });
        }
        if rows.by_key.contains_key(&app.api_key) {
            return Err(StoreError::Duplicate {
                what: "api key",
                id: app.api_key.clone(),
            });
        }
        app.version = 1;
        rows.by_key.insert(app.api_key.clone(), app.id.clone());
        rows.by_id.insert(app.id.clone(), app.clone());
        Ok(app)
    }

    async fn get_app(&self, id: &AppId) -> StoreResult<Option<App>> {
        Ok(read(&self.apps, "apps")?.by_id.get(id).cloned())
    }

    async fn get_app_by_key(&self, api_key: &str) -> StoreResult<Option<App>> {
        let rows = read(&self.apps, "apps")?;
        Ok(rows
            .by_key
            .get(api_key)
            .and_then(|id| rows.by_id.get(id))
            .cloned())
    }

    async fn update_app(&self, mut app: App) -> StoreResult<App> {
        let mut rows = write(&self.apps, "apps")?;
        let rows = &mut *rows;
        let stored = rows
            .by_id
            .get_mut(&app.id)
            .ok_or_else(|| StoreError::not_found("app", &app.id))?;
        if stored.version != app.version {
            return Err(StoreError::VersionConflict {
                what: "app",
                id: app.id.to_string(),
            });
        }
        if stored.api_key != app.api_key {
            // A key change must keep keys unique and the key index exact.
            if rows.by_key.contains_key(&app.api_key) {
                return Err(StoreError::Duplicate {
                    what: "api key",
                    id: app.api_key.clone(),
                });
            }
            rows.by_key.remove(&stored.api_key);
            rows.by_key.insert(app.api_key.clone(), app.id.clone());
        }
        app.version += 1;
        *stored = app.clone();
        Ok(app)
    }

    async fn list_apps(&self) -> StoreResult<Vec<App>> {
        Ok(read(&self.apps, "apps")?.by_id.values().cloned().collect())
    }
}
