//! The authenticated request context: app from `api_key`, credential from the JWT, the
//! acting user, and the optional `connection_id`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chat_core::engine::Actor;
use chat_core::ids::{ConnectionId, UserId};
use chat_core::model::{App, User};

use crate::auth::{self, AuthError, Credential};
use crate::error::ApiError;
use crate::http::{Failure, Resolved};
use crate::state::AppState;

/// Who is calling, resolved once per request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The app.
    pub app: Arc<App>,
    /// Server token, user token, or anonymous.
    pub credential: Credential,
    /// The token's user (user tokens).
    pub user: Option<User>,
    /// The socket this request acts for, when given.
    pub connection_id: Option<ConnectionId>,
    /// Query parameters.
    pub query: HashMap<String, String>,
}

impl Ctx {
    /// Whether the request carries a server credential.
    pub fn is_server(&self) -> bool {
        matches!(self.credential, Credential::Server)
    }

    /// The actor for client-side requests; for server-side ones, the actor acting as the
    /// user named by `user_id` (loaded; `NotFound` if unknown), or with no user.
    pub async fn actor(
        &self,
        state: &AppState,
        user_id: Option<&UserId>,
    ) -> Result<Actor, ApiError> {
        match (&self.credential, user_id) {
            (Credential::Server, Some(id)) => {
                let user = load_user(state, &self.app, id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("user", id.as_str()))?;
                Ok(Actor::server_as(self.app.clone(), user))
            }
            (Credential::Server, None) => Ok(Actor::server(self.app.clone())),
            (Credential::User { .. }, Some(id))
                if self.user.as_ref().is_some_and(|u| &u.id != id) =>
            {
                Err(ApiError::not_allowed(
                    "a user token cannot act for another user",
                ))
            }
            (Credential::User { .. }, _) => Ok(Actor {
                app: self.app.clone(),
                user: self.user.clone(),
                server: false,
            }),
            (Credential::Anonymous, _) => Ok(Actor {
                app: self.app.clone(),
                user: None,
                server: false,
            }),
        }
    }

    /// The acting user's id for server calls naming `user_id` in the query.
    pub fn query_user_id(&self) -> Result<Option<UserId>, ApiError> {
        self.query
            .get("user_id")
            .filter(|s| !s.is_empty())
            .map(|s| UserId::parse(s).map_err(ApiError::from))
            .transpose()
    }
}

async fn load_user(state: &AppState, app: &App, id: &UserId) -> Result<Option<User>, ApiError> {
    Ok(state
        .engine
        .store()
        .get_users(&app.id, std::slice::from_ref(id))
        .await
        .map_err(chat_core::Error::from)?
        .into_iter()
        .next())
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let (query, app, credential) = match parts.extensions.remove::<Resolved>() {
            // The `finish` middleware already parsed, looked up and verified all three.
            Some(r) => (r.query, r.app, r.credential),
            None => resolve(parts, state).await?,
        };
        let user = match &credential {
            Credential::User { user_id, iat } => {
                let user = match load_user(state, &app, user_id).await? {
                    Some(u) => u,
                    // A valid token for a user never seen before: create the user, as
                    // connecting does (websocket.md §1).
                    None => create_user(state, &app, user_id).await?,
                };
                auth::check_user(*iat, &user)?;
                Some(user)
            }
            _ => None,
        };
        let connection_id = query
            .get("connection_id")
            .filter(|s| !s.is_empty())
            .map(|s| ConnectionId::new_unchecked(s.as_str()));
        Ok(Ctx {
            app,
            credential,
            user,
            connection_id,
            query,
        })
    }
}

/// The full resolution, for requests `finish` did not resolve (uncounted operations, and
/// requests that fail here with the precise error).
async fn resolve(
    parts: &Parts,
    state: &AppState,
) -> Result<(HashMap<String, String>, Arc<App>, Credential), Failure> {
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map_err(|_| ApiError::input("malformed query string"))?;
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let key = query
        .get("api_key")
        .cloned()
        .ok_or(AuthError::MissingApiKey)?;
    let app = state
        .app_by_key(&key)
        .await?
        .ok_or(AuthError::UnknownApiKey)?;
    let auth_type = header("stream-auth-type").or_else(|| query.get("stream-auth-type").cloned());
    let token = header("authorization").or_else(|| query.get("authorization").cloned());
    let now = state.engine.clock().now();
    let credential = auth::authenticate(&app, auth_type.as_deref(), token.as_deref(), now)?;
    Ok((query, app, credential))
}

/// Creates a user with defaults (first sight of a valid user token).
pub async fn create_user(state: &AppState, app: &Arc<App>, id: &UserId) -> Result<User, ApiError> {
    let input = chat_core::engine::UserInput {
        id: id.to_string(),
        ..Default::default()
    };
    let out = state
        .engine
        .upsert_users(&Actor::server(app.clone()), vec![input])
        .await?;
    out.value
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("user was not created"))
}
