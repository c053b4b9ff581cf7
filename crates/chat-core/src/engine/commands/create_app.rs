//! Create an app (tenant) with the five built-in channel types.

use crate::engine::ChatEngine;
use crate::error::Result;
use crate::ids::AppId;
use crate::model::{default_channel_types, App, AppSettings};

/// What a new app needs.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Internal id.
    pub id: AppId,
    /// Public key.
    pub api_key: String,
    /// Secret.
    pub api_secret: String,
    /// Initial settings.
    pub settings: AppSettings,
}

impl ChatEngine {
    /// Stores a new app and its default channel types. `AlreadyExists` if the id or key
    /// is taken. Seeding the types is idempotent, so a retry after a crash completes it.
    pub async fn create_app(&self, new: NewApp) -> Result<App> {
        let now = self.clock.now();
        let app = self
            .store
            .insert_app(App {
                id: new.id,
                api_key: new.api_key,
                api_secret: new.api_secret,
                settings: new.settings,
                created_at: now,
                version: 0,
            })
            .await?;
        self.seed_channel_types(&app.id).await?;
        Ok(app)
    }

    /// Inserts any missing built-in channel type.
    pub async fn seed_channel_types(&self, app: &AppId) -> Result<()> {
        for ty in default_channel_types(self.clock.now()) {
            if self.store.get_channel_type(app, &ty.name).await?.is_none() {
                match self.store.insert_channel_type(app, ty).await {
                    Ok(_) | Err(crate::StoreError::Duplicate { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}
