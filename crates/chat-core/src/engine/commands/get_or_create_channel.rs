//! Get-or-create a channel, by cid or as a distinct channel for a member set.

use crate::custom::Custom;
use crate::engine::{
    Actor, ChannelAccess, ChatEngine, Outcome, MAX_CUSTOM_BYTES, MAX_MEMBERS_PER_CALL,
};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{distinct_channel_id, ChannelTypeName, Cid, UserId};
use crate::model::{Channel, Member};
use crate::permissions::Action;
use crate::store::Created;

use super::add_members::MemberInput;

/// Built-in channel fields that cannot be custom keys.
pub(crate) const CHANNEL_RESERVED: &[&str] = &[
    "id",
    "cid",
    "type",
    "team",
    "config",
    "config_overrides",
    "created_by",
    "created_by_id",
    "frozen",
    "disabled",
    "cooldown",
    "member_count",
    "message_count",
    "created_at",
    "updated_at",
    "deleted_at",
    "last_message_at",
    "truncated_at",
    "truncated_by",
    "hidden",
    "muted",
    "own_capabilities",
    "members",
    "filter_tags",
    "invites",
    "auto_translation_enabled",
    "auto_translation_language",
];

/// Which channel.
#[derive(Debug, Clone)]
pub enum ChannelTarget {
    /// A channel with an explicit id.
    Cid(Cid),
    /// The distinct channel of exactly these members (order and duplicates ignored).
    Distinct(ChannelTypeName),
}

/// Channel data used when the channel is created (and by full updates).
#[derive(Debug, Clone, Default)]
pub struct ChannelData {
    /// Team.
    pub team: Option<String>,
    /// Frozen.
    pub frozen: Option<bool>,
    /// Disabled.
    pub disabled: Option<bool>,
    /// Slow mode seconds (0 = off).
    pub cooldown: Option<u32>,
    /// Custom fields, `name` and `image` included.
    pub custom: Custom,
}

/// Get-or-create input.
#[derive(Debug, Clone)]
pub struct GetOrCreateChannel {
    /// Which channel.
    pub target: ChannelTarget,
    /// Data for creation.
    pub data: ChannelData,
    /// Initial members (required for distinct channels).
    pub members: Vec<MemberInput>,
    /// Creator for server-side calls (client-side: the actor).
    pub created_by: Option<UserId>,
}

impl ChannelData {
    pub(crate) fn validate(&self) -> Result<()> {
        self.custom
            .validate("data", CHANNEL_RESERVED, MAX_CUSTOM_BYTES)?;
        if let Some(c) = self.cooldown {
            let (lo, hi) = crate::engine::COOLDOWN_RANGE;
            if c != 0 && !(lo..=hi).contains(&c) {
                return Err(Error::invalid(
                    "data.cooldown",
                    format!("must be between {lo} and {hi} seconds, or 0"),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn apply(&self, channel: &mut Channel) {
        channel.team = self.team.clone().or(channel.team.take());
        if let Some(f) = self.frozen {
            channel.frozen = f;
        }
        if let Some(d) = self.disabled {
            channel.disabled = d;
        }
        if let Some(c) = self.cooldown {
            channel.cooldown = (c > 0).then_some(c);
        }
        channel.custom = self.custom.clone();
    }
}

impl ChatEngine {
    /// Returns the channel, creating it (with its initial members) if it does not exist.
    /// Concurrent calls for the same cid or member set create one channel. The value is the
    /// channel access for the actor and whether it was created.
    pub async fn get_or_create_channel(
        &self,
        actor: &Actor,
        input: GetOrCreateChannel,
    ) -> Result<Outcome<(ChannelAccess, bool)>> {
        let app = &actor.app.id;
        if input.members.len() > MAX_MEMBERS_PER_CALL {
            return Err(Error::invalid(
                "data.members",
                format!("at most {MAX_MEMBERS_PER_CALL} members"),
            ));
        }
        input.data.validate()?;
        let member_ids: Vec<UserId> = input.members.iter().map(|m| m.user_id.clone()).collect();
        let (cid, distinct) = match &input.target {
            ChannelTarget::Cid(cid) => (cid.clone(), false),
            ChannelTarget::Distinct(kind) => {
                if member_ids.is_empty() {
                    return Err(Error::invalid(
                        "data.members",
                        "a distinct channel needs members",
                    ));
                }
                (
                    Cid::new(kind.clone(), distinct_channel_id(&member_ids)),
                    true,
                )
            }
        };
        let channel_type = self
            .store
            .get_channel_type(app, cid.kind())
            .await?
            .ok_or_else(|| Error::not_found("channel type", cid.kind()))?;
        if let Some(existing) = self
            .store
            .get_channels(app, std::slice::from_ref(&cid))
            .await?
            .into_iter()
            .next()
        {
            let access = self.access_for(actor, existing).await?;
            access.require_read(actor)?;
            return Ok(Outcome::quiet((access, false)));
        }
        let creator = match (&input.created_by, actor.server) {
            (Some(id), true) => id.clone(),
            (None, true) => actor.user_id().cloned().ok_or_else(|| {
                Error::invalid(
                    "data.created_by",
                    "either data.created_by or data.created_by_id is required",
                )
            })?,
            (_, false) => actor.require_user("user")?.id.clone(),
        };
        let now = self.clock.now();
        let mut channel = Channel::new(cid.clone(), Some(creator.clone()), now);
        channel.distinct = distinct;
        input.data.apply(&mut channel);
        // Permission to create is judged on the channel as it would be, with the actor as
        // its creator and the membership they would have.
        let would_be = ChannelAccess {
            config: channel.effective_config(&channel_type.config),
            member: member_ids
                .contains(&creator)
                .then(|| Member::new(cid.clone(), creator.clone(), now)),
            channel: channel.clone(),
            channel_type,
        };
        would_be.require(actor, Action::CreateChannel, true)?;
        if distinct && !actor.bypasses_permissions() && !member_ids.contains(&creator) {
            would_be.require(actor, Action::CreateDistinctChannelForOthers, false)?;
        }
        self.require_users_exist(actor, &member_ids).await?;
        let members: Vec<Member> = dedup_members(input.members)
            .into_iter()
            .map(|m| m.into_member(cid.clone(), now))
            .collect::<Result<_>>()?;
        let created = self.store.create_channel(app, channel, members).await?;
        let (channel, members, was_new) = match created {
            Created::New(c, m) => (c, m, true),
            Created::Existing(c) => (c, Vec::new(), false),
        };
        let access = self.access_for(actor, channel.clone()).await?;
        if !was_new {
            access.require_read(actor)?;
            return Ok(Outcome::quiet((access, false)));
        }
        let mut events = vec![Event {
            app: actor.app.id.clone(),
            kind: EventKind::ChannelCreated {
                channel: channel.clone(),
            },
            created_at: now,
            cid: Some(cid.clone()),
            actor: Some(creator.clone()),
            audience: Audience::Users(Vec::new()),
        }];
        events.extend(members.into_iter().map(|member| Event {
            app: actor.app.id.clone(),
            kind: EventKind::MemberAdded { member },
            created_at: now,
            cid: Some(cid.clone()),
            actor: Some(creator.clone()),
            audience: Audience::Channel,
        }));
        Ok(Outcome {
            value: (access, true),
            events,
        })
    }

    /// `NotFound` naming the first id in `ids` that is not a user of the app.
    pub(crate) async fn require_users_exist(&self, actor: &Actor, ids: &[UserId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.store.get_users(&actor.app.id, ids).await?;
        if let Some(missing) = ids.iter().find(|id| !found.iter().any(|u| &u.id == *id)) {
            return Err(Error::not_found("user", missing));
        }
        Ok(())
    }
}

pub(crate) fn dedup_members(members: Vec<MemberInput>) -> Vec<MemberInput> {
    let mut seen = std::collections::HashSet::new();
    members
        .into_iter()
        .filter(|m| seen.insert(m.user_id.clone()))
        .collect()
}
