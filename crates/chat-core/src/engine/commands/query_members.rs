//! Query a channel's members.

use crate::engine::{check_offset, clamp_limit, Actor, ChatEngine, QUERY_MEMBERS_LIMIT};
use crate::error::Result;
use crate::ids::Cid;
use crate::model::Member;
use crate::permissions::Action;
use crate::query::{Direction, Filter, MemberField, MemberQuery, Sort};

impl ChatEngine {
    /// Members of a channel matching `filter`; default sort oldest first (`created_at`
    /// asc); limit default and max 100, offset ≤1000. Needs `ReadChannelMembers`.
    pub async fn query_members(
        &self,
        actor: &Actor,
        cid: &Cid,
        filter: Filter<MemberField>,
        sort: Vec<Sort<MemberField>>,
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Vec<Member>> {
        let access = self.channel_access(actor, cid).await?;
        access.require(
            actor,
            Action::ReadChannelMembers,
            access.actor_owns_channel(actor),
        )?;
        let sort = if sort.is_empty() {
            vec![Sort {
                field: MemberField::CreatedAt,
                direction: Direction::Asc,
            }]
        } else {
            sort
        };
        let query = MemberQuery {
            cid: cid.clone(),
            filter,
            sort,
            limit: clamp_limit(limit, QUERY_MEMBERS_LIMIT),
            offset: check_offset(offset)?,
        };
        Ok(self.store.query_members(&actor.app.id, &query).await?)
    }
}
