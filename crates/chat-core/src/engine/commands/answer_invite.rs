//! Accept or reject an invite to a channel.

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::Cid;
use crate::model::{InviteState, Member};

impl ChatEngine {
    /// The acting user answers their pending invite: accepting makes them a joined member,
    /// rejecting keeps the row with `invite_rejected_at`. Watchers get `member.updated`;
    /// the invitee's sockets get the notification form.
    pub async fn answer_invite(
        &self,
        actor: &Actor,
        cid: &Cid,
        accept: bool,
    ) -> Result<Outcome<Member>> {
        let user = actor.require_user("user_id")?.id.clone();
        let member = retry_on_conflict(|| async {
            let mut m = self
                .member_of(actor, cid, &user)
                .await?
                .filter(|m| m.invite_state() == Some(InviteState::Pending))
                .ok_or_else(|| {
                    Error::invalid("accept_invite", "there is no pending invite for this user")
                })?;
            let now = self.clock.now();
            if accept {
                m.invite_accepted_at = Some(now);
            } else {
                m.invite_rejected_at = Some(now);
            }
            m.updated_at = now;
            Ok(self.store.update_member(&actor.app.id, m).await?)
        })
        .await?;
        let event = |kind, audience| Event {
            app: actor.app.id.clone(),
            kind,
            created_at: member.updated_at,
            cid: Some(cid.clone()),
            actor: Some(user.clone()),
            audience,
        };
        let note = if accept {
            EventKind::NotificationInviteAccepted {
                member: member.clone(),
            }
        } else {
            EventKind::NotificationInviteRejected {
                member: member.clone(),
            }
        };
        let events = vec![
            event(
                EventKind::MemberUpdated {
                    member: member.clone(),
                },
                Audience::Channel,
            ),
            event(note, Audience::Users(vec![user.clone()])),
        ];
        Ok(Outcome {
            value: member,
            events,
        })
    }
}
