//! `ChatEngine`: the API embedders call. Each command lives in its own file under
//! `commands/` and follows one shape: validate → load facts → permission check (pure) →
//! one atomic store call → events. Commands return their result and the events they
//! produced; delivering those events is the caller's job (see `fanout`).

mod access;
mod commands;
mod limits;
mod retry;

use std::sync::Arc;

pub use access::ChannelAccess;
pub use commands::*;
pub use limits::*;

use crate::fanout::Event;
use crate::ids::UserId;
use crate::model::{App, User};
use crate::store::Store;
use crate::time::Clock;

/// The engine: a store, a clock, nothing else. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct ChatEngine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ChatEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEngine").finish_non_exhaustive()
    }
}

/// Who is asking: the app, the acting user (if any) and whether the request carries a
/// server credential (which bypasses permission checks).
#[derive(Debug, Clone)]
pub struct Actor {
    /// The tenant.
    pub app: Arc<App>,
    /// The acting user: the token's user, or the user a server request acts for.
    pub user: Option<User>,
    /// Authenticated with the app secret (server-side).
    pub server: bool,
}

impl Actor {
    /// A server-side actor with no acting user.
    pub fn server(app: Arc<App>) -> Self {
        Self {
            app,
            user: None,
            server: true,
        }
    }

    /// A server-side actor acting for `user`.
    pub fn server_as(app: Arc<App>, user: User) -> Self {
        Self {
            app,
            user: Some(user),
            server: true,
        }
    }

    /// A client-side actor (user token).
    pub fn user(app: Arc<App>, user: User) -> Self {
        Self {
            app,
            user: Some(user),
            server: false,
        }
    }

    /// The acting user's id, if any.
    pub fn user_id(&self) -> Option<&UserId> {
        self.user.as_ref().map(|u| &u.id)
    }

    /// The acting user. Without one, server calls get an `Invalid` error naming `field`
    /// (they must say who acts); anonymous clients are refused (`PermissionDenied`).
    pub fn require_user(&self, field: &'static str) -> crate::Result<&User> {
        match (&self.user, self.server) {
            (Some(user), _) => Ok(user),
            (None, true) => Err(crate::Error::invalid(field, "an acting user is required")),
            (None, false) => Err(crate::Error::denied("anonymous users cannot do this")),
        }
    }

    /// Whether permission checks are skipped for this actor.
    pub fn bypasses_permissions(&self) -> bool {
        self.server || self.app.settings.disable_permissions_checks
    }
}

/// A command's result and the events it produced.
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    /// The result.
    pub value: T,
    /// Events to deliver, in order.
    pub events: Vec<Event>,
}

impl<T> Outcome<T> {
    /// A result with no events.
    pub fn quiet(value: T) -> Self {
        Self {
            value,
            events: Vec::new(),
        }
    }
}

impl ChatEngine {
    /// An engine over `store`, reading time from `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The store (for read paths the engine does not wrap).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
