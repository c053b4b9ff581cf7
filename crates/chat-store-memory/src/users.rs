//! `UserStore`: users per app, by id. Querying lives in `query.rs`.

use std::collections::HashSet;

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, UserId};
use chat_core::model::User;
use chat_core::query::UserQuery;
use chat_core::store::UserStore;
use chat_core::StoreResult;

use crate::lock::{read, write};
use crate::MemoryStore;

#[async_trait]
impl UserStore for MemoryStore {
    async fn insert_user(&self, app: &AppId, mut user: User) -> StoreResult<User> {
        let state = self.app_or_create(app)?;
        let mut users = write(&state.users, "users")?;
        if users.contains_key(&user.id) {
            return Err(StoreError::Duplicate {
                what: "user",
                id: user.id.to_string(),
            });
        }
        user.version = 1;
        users.insert(user.id.clone(), user.clone());
        Ok(user)
    }

    async fn update_user(&self, app: &AppId, mut user: User) -> StoreResult<User> {
        let missing = || StoreError::not_found("user", &user.id);
        let state = self.app(app)?.ok_or_else(missing)?;
        let mut users = write(&state.users, "users")?;
        let stored = users.get_mut(&user.id).ok_or_else(missing)?;
        if stored.version != user.version {
            return Err(StoreError::VersionConflict {
                what: "user",
                id: user.id.to_string(),
            });
        }
        user.version += 1;
        *stored = user.clone();
        Ok(user)
    }

    async fn get_users(&self, app: &AppId, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let users = read(&state.users, "users")?;
        let mut seen = HashSet::with_capacity(ids.len());
        Ok(ids
            .iter()
            .filter(|id| seen.insert(*id))
            .filter_map(|id| users.get(id).cloned())
            .collect())
    }

    async fn query_users(&self, app: &AppId, query: &UserQuery) -> StoreResult<Vec<User>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        crate::query::users(&state, query)
    }
}
