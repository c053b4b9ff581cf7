//! App settings updates (server-side only).

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine};
use crate::error::{Error, Result};
use crate::model::{App, AppSettings};

impl ChatEngine {
    /// Applies `change` to the app's settings under optimistic concurrency.
    pub async fn update_app(
        &self,
        actor: &Actor,
        change: impl Fn(&mut AppSettings) -> Result<()>,
    ) -> Result<App> {
        if !actor.server {
            return Err(Error::denied(
                "app settings can only be changed server-side",
            ));
        }
        retry_on_conflict(|| async {
            let mut app = self
                .store
                .get_app(&actor.app.id)
                .await?
                .ok_or_else(|| Error::not_found("app", &actor.app.id))?;
            change(&mut app.settings)?;
            Ok(self.store.update_app(app).await?)
        })
        .await
    }
}
