//! Add members to a channel (or join it).

use crate::custom::Custom;
use crate::engine::{Actor, ChatEngine, Outcome, MAX_CUSTOM_BYTES, MAX_MEMBERS_PER_CALL};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, Role, UserId};
use crate::model::Member;
use crate::permissions::Action;
use crate::time::Timestamp;

/// Built-in member fields that cannot be custom keys.
pub(crate) const MEMBER_RESERVED: &[&str] = &[
    "user_id",
    "user",
    "channel_role",
    "role",
    "is_moderator",
    "status",
    "invited",
    "invite_accepted_at",
    "invite_rejected_at",
    "banned",
    "ban_expires",
    "shadow_banned",
    "notifications_muted",
    "pinned_at",
    "archived_at",
    "created_at",
    "updated_at",
    "hidden",
];

/// A member to add.
#[derive(Debug, Clone)]
pub struct MemberInput {
    /// User.
    pub user_id: UserId,
    /// Channel role (default `channel_member`).
    pub channel_role: Option<Role>,
    /// Custom fields.
    pub custom: Custom,
}

impl MemberInput {
    /// A plain member.
    pub fn new(user_id: UserId) -> Self {
        Self {
            user_id,
            channel_role: None,
            custom: Custom::new(),
        }
    }

    pub(crate) fn into_member(self, cid: Cid, now: Timestamp) -> Result<Member> {
        self.custom
            .validate("member", MEMBER_RESERVED, MAX_CUSTOM_BYTES)?;
        let mut m = Member::new(cid, self.user_id, now);
        if let Some(role) = self.channel_role {
            check_channel_role(&role)?;
            m.channel_role = role;
        }
        m.custom = self.custom;
        Ok(m)
    }
}

/// Channel roles must not be user-level built-ins.
pub(crate) fn check_channel_role(role: &Role) -> Result<()> {
    use crate::ids::roles::*;
    if [USER, ADMIN, MODERATOR, GUEST, ANONYMOUS].contains(&role.as_str()) {
        return Err(Error::invalid(
            "channel_role",
            format!("{role} is a user-level role"),
        ));
    }
    Ok(())
}

/// Add-members input.
#[derive(Debug, Clone)]
pub struct AddMembers {
    /// Channel.
    pub cid: Cid,
    /// Members.
    pub members: Vec<MemberInput>,
    /// New members do not see messages created before this.
    pub hide_history_before: Option<Timestamp>,
    /// Add them as pending invites (they join when they accept).
    pub invite: bool,
}

impl ChatEngine {
    /// Adds members (≤100). Existing members are left as they are. Adding only oneself
    /// needs `AddOwnChannelMembership`; otherwise `UpdateChannelMembers`. Distinct channels
    /// cannot gain members.
    pub async fn add_members(
        &self,
        actor: &Actor,
        input: AddMembers,
    ) -> Result<Outcome<Vec<Member>>> {
        if input.members.is_empty() || input.members.len() > MAX_MEMBERS_PER_CALL {
            return Err(Error::invalid(
                "add_members",
                format!("between 1 and {MAX_MEMBERS_PER_CALL} members"),
            ));
        }
        let access = self.channel_access(actor, &input.cid).await?;
        if access.channel.distinct {
            return Err(Error::invalid(
                "add_members",
                "members of a distinct channel cannot change",
            ));
        }
        let only_self = input
            .members
            .iter()
            .all(|m| Some(&m.user_id) == actor.user_id());
        if only_self
            && !access.allows(
                actor,
                Action::UpdateChannelMembers,
                access.actor_owns_channel(actor),
            )
        {
            access.require(actor, Action::AddOwnChannelMembership, true)?;
        } else {
            access.require(
                actor,
                Action::UpdateChannelMembers,
                access.actor_owns_channel(actor),
            )?;
        }
        let ids: Vec<UserId> = input.members.iter().map(|m| m.user_id.clone()).collect();
        self.require_users_exist(actor, &ids).await?;
        let now = self.clock.now();
        let members = super::get_or_create_channel::dedup_members(input.members)
            .into_iter()
            .map(|m| {
                let mut member = m.into_member(input.cid.clone(), now)?;
                member.history_visible_from = input.hide_history_before;
                member.invited = input.invite;
                Ok(member)
            })
            .collect::<Result<Vec<_>>>()?;
        let added = self
            .store
            .add_members(&actor.app.id, &input.cid, members)
            .await?;
        let mut events = Vec::with_capacity(added.len() * 2);
        for member in &added {
            events.push(Event {
                app: actor.app.id.clone(),
                kind: EventKind::MemberAdded {
                    member: member.clone(),
                },
                created_at: now,
                cid: Some(input.cid.clone()),
                actor: actor.user_id().cloned(),
                audience: Audience::Channel,
            });
            if member.invited {
                events.push(Event {
                    app: actor.app.id.clone(),
                    kind: EventKind::NotificationInvited {
                        member: member.clone(),
                    },
                    created_at: now,
                    cid: Some(input.cid.clone()),
                    actor: actor.user_id().cloned(),
                    audience: Audience::Users(vec![member.user_id.clone()]),
                });
            }
        }
        Ok(Outcome {
            value: added,
            events,
        })
    }
}
