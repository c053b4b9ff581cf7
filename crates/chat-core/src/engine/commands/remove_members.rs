//! Remove members from a channel (or leave it).

use crate::engine::{Actor, ChatEngine, Outcome, MAX_MEMBERS_PER_CALL};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, UserId};
use crate::model::Member;
use crate::permissions::Action;

impl ChatEngine {
    /// Removes members (≤100); unknown ones are ignored. Removing only oneself needs
    /// `RemoveOwnChannelMembership`; otherwise `UpdateChannelMembers`.
    pub async fn remove_members(
        &self,
        actor: &Actor,
        cid: &Cid,
        users: Vec<UserId>,
    ) -> Result<Outcome<Vec<Member>>> {
        if users.is_empty() || users.len() > MAX_MEMBERS_PER_CALL {
            return Err(Error::invalid(
                "remove_members",
                format!("between 1 and {MAX_MEMBERS_PER_CALL} members"),
            ));
        }
        let access = self.channel_access(actor, cid).await?;
        if access.channel.distinct {
            return Err(Error::invalid(
                "remove_members",
                "members of a distinct channel cannot change",
            ));
        }
        let only_self = users.iter().all(|u| Some(u) == actor.user_id());
        if only_self
            && !access.allows(
                actor,
                Action::UpdateChannelMembers,
                access.actor_owns_channel(actor),
            )
        {
            access.require(actor, Action::RemoveOwnChannelMembership, true)?;
        } else {
            access.require(
                actor,
                Action::UpdateChannelMembers,
                access.actor_owns_channel(actor),
            )?;
        }
        let removed = self
            .store
            .remove_members(&actor.app.id, cid, &users)
            .await?;
        let now = self.clock.now();
        let events = removed
            .iter()
            .map(|member| Event {
                app: actor.app.id.clone(),
                kind: EventKind::MemberRemoved {
                    member: member.clone(),
                },
                created_at: now,
                cid: Some(cid.clone()),
                actor: actor.user_id().cloned(),
                audience: Audience::Channel,
            })
            .collect();
        Ok(Outcome {
            value: removed,
            events,
        })
    }
}
