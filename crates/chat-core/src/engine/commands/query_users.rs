//! Query users with a filter, sort and offset pagination.

use crate::engine::{check_offset, clamp_limit, Actor, ChatEngine, QUERY_USERS_LIMIT};
use crate::error::{Error, Result};
use crate::model::User;
use crate::query::{Direction, Filter, Sort, UserField, UserQuery};

impl ChatEngine {
    /// Runs a user query. Limits are clamped (default 30, max 100), offsets checked (≤1000);
    /// default sort is newest first (`created_at` desc, then id desc). Roles listed in the
    /// app's `user_search_disallowed_roles` may not search.
    pub async fn query_users(
        &self,
        actor: &Actor,
        filter: Filter<UserField>,
        sort: Vec<Sort<UserField>>,
        limit: Option<usize>,
        offset: usize,
        include_deactivated: bool,
    ) -> Result<Vec<User>> {
        if !actor.server {
            if let Some(user) = &actor.user {
                if actor
                    .app
                    .settings
                    .user_search_disallowed_roles
                    .iter()
                    .any(|r| r == user.role.as_str())
                {
                    return Err(Error::denied("this role may not search users"));
                }
            }
        }
        let sort = if sort.is_empty() {
            vec![
                Sort {
                    field: UserField::CreatedAt,
                    direction: Direction::Desc,
                },
                Sort {
                    field: UserField::Id,
                    direction: Direction::Desc,
                },
            ]
        } else {
            sort
        };
        let query = UserQuery {
            filter,
            sort,
            limit: clamp_limit(limit, QUERY_USERS_LIMIT),
            offset: check_offset(offset)?,
            include_deactivated,
        };
        Ok(self.store.query_users(&actor.app.id, &query).await?)
    }
}
