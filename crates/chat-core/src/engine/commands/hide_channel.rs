//! Hide and show a channel for one member.

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::Cid;
use crate::model::Member;

impl ChatEngine {
    /// Hides the channel for the acting member until the next message; with
    /// `clear_history`, messages so far stay hidden for them even after it reappears.
    pub async fn hide_channel(
        &self,
        actor: &Actor,
        cid: &Cid,
        clear_history: bool,
    ) -> Result<Outcome<Member>> {
        let user = actor.require_user("user_id")?.id.clone();
        let member = retry_on_conflict(|| async {
            let mut m = self
                .member_of(actor, cid, &user)
                .await?
                .ok_or_else(|| Error::denied("only members can hide a channel"))?;
            let now = self.clock.now();
            m.hidden = true;
            if clear_history {
                m.history_visible_from = Some(now);
            }
            m.updated_at = now;
            Ok(self.store.update_member(&actor.app.id, m).await?)
        })
        .await?;
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelHidden {
                user: user.clone(),
                clear_history,
            },
            created_at: member.updated_at,
            cid: Some(cid.clone()),
            actor: Some(user.clone()),
            audience: Audience::Users(vec![user]),
        };
        Ok(Outcome {
            value: member,
            events: vec![event],
        })
    }

    /// Shows a hidden channel again for the acting member.
    pub async fn show_channel(&self, actor: &Actor, cid: &Cid) -> Result<Outcome<Member>> {
        let user = actor.require_user("user_id")?.id.clone();
        let member = retry_on_conflict(|| async {
            let mut m = self
                .member_of(actor, cid, &user)
                .await?
                .ok_or_else(|| Error::denied("only members can show a channel"))?;
            m.hidden = false;
            m.updated_at = self.clock.now();
            Ok(self.store.update_member(&actor.app.id, m).await?)
        })
        .await?;
        let event = Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelVisible { user: user.clone() },
            created_at: member.updated_at,
            cid: Some(cid.clone()),
            actor: Some(user.clone()),
            audience: Audience::Users(vec![user]),
        };
        Ok(Outcome {
            value: member,
            events: vec![event],
        })
    }
}
