//! Channel types: create, update, delete (server-side only), get and list.

use std::sync::Arc;

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine};
use crate::error::{Error, Result};
use crate::ids::ChannelTypeName;
use crate::model::{ChannelConfig, ChannelType};
use crate::permissions::{default_grants, Grants};
use crate::query::{ChannelField, ChannelQuery, Filter, Op, Value};

/// Most channel types per app (api-spec/errors.md §4).
pub const MAX_CHANNEL_TYPES: usize = 50;

fn require_server(actor: &Actor) -> Result<()> {
    if actor.server {
        Ok(())
    } else {
        Err(Error::denied(
            "channel types can only be managed server-side",
        ))
    }
}

impl ChatEngine {
    /// Creates a channel type; grants default to the messaging grants.
    pub async fn create_channel_type(
        &self,
        actor: &Actor,
        name: ChannelTypeName,
        config: ChannelConfig,
        grants: Option<Grants>,
    ) -> Result<ChannelType> {
        require_server(actor)?;
        validate_config(&config)?;
        let app = &actor.app.id;
        if self.store.list_channel_types(app).await?.len() >= MAX_CHANNEL_TYPES {
            return Err(Error::invalid(
                "name",
                format!("an app has at most {MAX_CHANNEL_TYPES} channel types"),
            ));
        }
        let now = self.clock.now();
        let ty = ChannelType {
            grants: grants.unwrap_or_else(|| default_grants(name.as_str())),
            name,
            config,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        Ok(self.store.insert_channel_type(app, ty).await?)
    }

    /// Applies `change` to a channel type's config and grants.
    pub async fn update_channel_type(
        &self,
        actor: &Actor,
        name: &ChannelTypeName,
        change: impl Fn(&mut ChannelType) -> Result<()>,
    ) -> Result<ChannelType> {
        require_server(actor)?;
        retry_on_conflict(|| async {
            let mut ty = self.get_channel_type(actor, name).await?;
            change(&mut ty)?;
            validate_config(&ty.config)?;
            ty.updated_at = self.clock.now();
            Ok(self.store.update_channel_type(&actor.app.id, ty).await?)
        })
        .await
    }

    /// A channel type; `NotFound` if missing.
    pub async fn get_channel_type(
        &self,
        actor: &Actor,
        name: &ChannelTypeName,
    ) -> Result<ChannelType> {
        self.store
            .get_channel_type(&actor.app.id, name)
            .await?
            .map(Arc::unwrap_or_clone)
            .ok_or_else(|| Error::not_found("channel type", name))
    }

    /// Every channel type of the app.
    pub async fn list_channel_types(&self, actor: &Actor) -> Result<Vec<ChannelType>> {
        Ok(self.store.list_channel_types(&actor.app.id).await?)
    }

    /// Deletes a channel type that no channel uses.
    pub async fn delete_channel_type(&self, actor: &Actor, name: &ChannelTypeName) -> Result<()> {
        require_server(actor)?;
        let in_use = self
            .store
            .query_channels(
                &actor.app.id,
                &ChannelQuery {
                    filter: Filter::Cond(ChannelField::Type, Op::Eq(Value::Str(name.to_string()))),
                    sort: Vec::new(),
                    limit: 1,
                    offset: 0,
                    user: None,
                },
            )
            .await?;
        if !in_use.is_empty() {
            return Err(Error::invalid("name", "channels of this type still exist"));
        }
        Ok(self.store.delete_channel_type(&actor.app.id, name).await?)
    }
}

fn validate_config(c: &ChannelConfig) -> Result<()> {
    if !(1..=20_000).contains(&c.max_message_length) {
        return Err(Error::invalid(
            "max_message_length",
            "must be between 1 and 20000",
        ));
    }
    Ok(())
}
