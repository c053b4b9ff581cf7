//! `ChannelTypeStore`: channel types per app, by name.

use std::sync::Arc;

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, ChannelTypeName};
use chat_core::model::ChannelType;
use chat_core::store::ChannelTypeStore;
use chat_core::StoreResult;

use crate::lock::{read, write};
use crate::MemoryStore;

fn not_found(name: &ChannelTypeName) -> StoreError {
    StoreError::not_found("channel type", name)
}

#[async_trait]
impl ChannelTypeStore for MemoryStore {
    async fn insert_channel_type(
        &self,
        app: &AppId,
        mut ty: ChannelType,
    ) -> StoreResult<ChannelType> {
        let state = self.app_or_create(app)?;
        let mut types = write(&state.channel_types, "channel types")?;
        if types.contains_key(&ty.name) {
            return Err(StoreError::Duplicate {
                what: "channel type",
                id: ty.name.to_string(),
            });
        }
        ty.version = 1;
        types.insert(ty.name.clone(), Arc::new(ty.clone()));
        Ok(ty)
    }

    async fn update_channel_type(
        &self,
        app: &AppId,
        mut ty: ChannelType,
    ) -> StoreResult<ChannelType> {
        let state = self.app(app)?.ok_or_else(|| not_found(&ty.name))?;
        let mut types = write(&state.channel_types, "channel types")?;
        let stored = types.get_mut(&ty.name).ok_or_else(|| not_found(&ty.name))?;
        if stored.version != ty.version {
            return Err(StoreError::VersionConflict {
                what: "channel type",
                id: ty.name.to_string(),
            });
        }
        ty.version += 1;
        // A new `Arc`: readers holding the old type keep a consistent snapshot.
        *stored = Arc::new(ty.clone());
        Ok(ty)
    }

    async fn get_channel_type(
        &self,
        app: &AppId,
        name: &ChannelTypeName,
    ) -> StoreResult<Option<Arc<ChannelType>>> {
        let Some(state) = self.app(app)? else {
            return Ok(None);
        };
        let types = read(&state.channel_types, "channel types")?;
        Ok(types.get(name).cloned())
    }

    async fn list_channel_types(&self, app: &AppId) -> StoreResult<Vec<ChannelType>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let types = read(&state.channel_types, "channel types")?;
        Ok(types.values().map(|t| ChannelType::clone(t)).collect())
    }

    async fn delete_channel_type(&self, app: &AppId, name: &ChannelTypeName) -> StoreResult<()> {
        let state = self.app(app)?.ok_or_else(|| not_found(name))?;
        let mut types = write(&state.channel_types, "channel types")?;
        types
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| not_found(name))
    }
}
