//! Mark every channel of the acting user read.

use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::Result;
use crate::fanout::{Audience, Event, EventKind};
use crate::read_state::unread_count;
use crate::store::ReadUpTo;

impl ChatEngine {
    /// Marks read every channel where the acting user has unread messages; returns how
    /// many channels changed. One `notification.mark_read` to the user's connections.
    pub async fn mark_all_read(&self, actor: &Actor) -> Result<Outcome<usize>> {
        let user = actor.require_user("user_id")?.id.clone();
        let app = &actor.app.id;
        let now = self.clock.now();
        let mut changed = 0;
        for (read, counters) in self.store.user_reads(app, &user).await? {
            if unread_count(&counters, &read) == 0 {
                continue;
            }
            self.store
                .mark_read(app, &read.cid, &user, ReadUpTo::Latest, now)
                .await?;
            changed += 1;
        }
        let event = Event {
            app: app.clone(),
            kind: EventKind::NotificationMarkRead { user: user.clone() },
            created_at: now,
            cid: None,
            actor: Some(user.clone()),
            audience: Audience::Users(vec![user]),
        };
        Ok(Outcome {
            value: changed,
            events: vec![event],
        })
    }
}
