//! Change members' channel roles (assign_roles, add/demote moderators). Server-side only.

use crate::engine::retry::retry_on_conflict;
use crate::engine::{Actor, ChatEngine, Outcome, MAX_MEMBERS_PER_CALL};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, Role, UserId};
use crate::model::Member;

use super::add_members::check_channel_role;

/// One role change.
#[derive(Debug, Clone)]
pub struct RoleAssignment {
    /// Member.
    pub user_id: UserId,
    /// New channel role.
    pub channel_role: Role,
}

impl ChatEngine {
    /// Sets channel roles (≤100). Only server-side calls may change roles; every listed
    /// user must be a member (`NotFound` otherwise, before any write).
    pub async fn set_member_roles(
        &self,
        actor: &Actor,
        cid: &Cid,
        changes: Vec<RoleAssignment>,
    ) -> Result<Outcome<Vec<Member>>> {
        if !actor.server {
            return Err(Error::denied(
                "channel roles can only be changed server-side",
            ));
        }
        if changes.len() > MAX_MEMBERS_PER_CALL {
            return Err(Error::invalid(
                "assign_roles",
                format!("at most {MAX_MEMBERS_PER_CALL} members"),
            ));
        }
        for c in &changes {
            check_channel_role(&c.channel_role)?;
        }
        let app = &actor.app.id;
        let ids: Vec<UserId> = changes.iter().map(|c| c.user_id.clone()).collect();
        let existing = self.store.get_members(app, cid, &ids).await?;
        if let Some(missing) = ids
            .iter()
            .find(|id| !existing.iter().any(|m| &m.user_id == *id))
        {
            return Err(Error::not_found("member", missing));
        }
        let mut out = Vec::new();
        let mut events = Vec::new();
        for change in changes {
            let member = retry_on_conflict(|| async {
                let mut m = self
                    .member_of(actor, cid, &change.user_id)
                    .await?
                    .ok_or_else(|| Error::not_found("member", &change.user_id))?;
                m.channel_role = change.channel_role.clone();
                m.updated_at = self.clock.now();
                Ok(self.store.update_member(app, m).await?)
            })
            .await?;
            events.push(Event {
                app: actor.app.id.clone(),
                kind: EventKind::MemberUpdated {
                    member: member.clone(),
                },
                created_at: member.updated_at,
                cid: Some(cid.clone()),
                actor: actor.user_id().cloned(),
                audience: Audience::Channel,
            });
            out.push(member);
        }
        Ok(Outcome { value: out, events })
    }
}
