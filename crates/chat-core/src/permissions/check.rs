//! The permission check (api-spec/permissions.md §1, DESIGN evaluation rule), as a pure
//! function of plain facts. The engine gathers the facts (roles, ownership, team) and picks
//! the grants of the action's [`Scope`](super::Scope); nothing here does IO.

use crate::ids::Role;

use super::action::{split_id, Action};
use super::grants::Grants;

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// User-level role, already team-resolved ([`User::role_for_team`]).
    ///
    /// [`User::role_for_team`]: crate::model::User::role_for_team
    pub user_role: &'a Role,
    /// Channel-level role if the user is a member of the channel, else `None`. Always
    /// `None` for `.app`-scope checks.
    pub channel_role: Option<&'a Role>,
    /// Server-token request: every check passes.
    pub is_server: bool,
}

impl<'a> Subject<'a> {
    /// A user-token request.
    pub fn client(user_role: &'a Role, channel_role: Option<&'a Role>) -> Self {
        Self {
            user_role,
            channel_role,
            is_server: false,
        }
    }

    /// A server-token request acting as a user with `user_role`.
    pub fn server(user_role: &'a Role) -> Self {
        Self {
            user_role,
            channel_role: None,
            is_server: true,
        }
    }

    /// Whether the subject is a member of the channel.
    pub fn is_member(&self) -> bool {
        self.channel_role.is_some()
    }
}

/// Facts about the resource acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// The subject owns it, in the sense of the action's
    /// [`ResourceKind`](super::ResourceKind): channel creator, message sender, attachment
    /// uploader, reaction author, the user itself, poll creator.
    pub owned_by_subject: bool,
    /// The resource is in one of the subject's teams. Always `true` when multi-tenancy is
    /// off; when `false`, only `-any-team` grants match (§1, §6).
    pub same_team: bool,
}

impl Resource {
    /// A resource of the subject's team, owned or not.
    pub const fn new(owned_by_subject: bool) -> Self {
        Self {
            owned_by_subject,
            same_team: true,
        }
    }

    /// A resource the subject owns.
    pub const OWNED: Resource = Resource::new(true);

    /// A resource the subject does not own.
    pub const NOT_OWNED: Resource = Resource::new(false);
}

/// The grant that allowed an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantMatch<'g> {
    /// The role holding the grant (user-level or channel-level).
    pub role: &'g str,
    /// The permission id, e.g. `update-message-owner`.
    pub permission: &'g str,
}

/// The outcome of a check, with the reason (useful in tests and debug logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'g> {
    /// Allowed: server-token request.
    Server,
    /// Allowed: the app has `disable_permissions_checks`.
    ChecksDisabled,
    /// Allowed by this grant.
    Granted(GrantMatch<'g>),
    /// No grant of the user role or the channel role matches.
    Denied,
}

impl<'g> Decision<'g> {
    /// Whether the action is allowed.
    pub fn is_allowed(&self) -> bool {
        !matches!(self, Decision::Denied)
    }

    /// The grant that allowed the action, if a grant did.
    pub fn matched(&self) -> Option<GrantMatch<'g>> {
        match self {
            Decision::Granted(m) => Some(*m),
            _ => None,
        }
    }
}

/// May `subject` perform `action` on `resource`, given the grants of the action's scope
/// (for channel actions: the type's grants with the channel's modifiers applied)?
///
/// Allowed when the request is server-side, when `permissions_disabled`
/// (`disable_permissions_checks`), or when a permission id of the user role or, for a
/// member, of the channel role (the union of both) grants the action: a plain id always,
/// an `-owner` id only on an owned resource; across teams only `-any-team` ids.
pub fn check<'g>(
    grants: &'g Grants,
    subject: &Subject<'_>,
    action: Action,
    resource: &Resource,
    permissions_disabled: bool,
) -> Decision<'g> {
    if subject.is_server {
        return Decision::Server;
    }
    if permissions_disabled {
        return Decision::ChecksDisabled;
    }
    let action_id = action.permission_id();
    let roles = std::iter::once(subject.user_role).chain(subject.channel_role);
    for role in roles {
        // Borrow the role name and ids from `grants` so the match outlives `subject`.
        let Some((role_name, ids)) = grants.0.get_key_value(role.as_str()) else {
            continue;
        };
        if let Some(id) = ids.iter().find(|id| grant_matches(id, action_id, resource)) {
            return Decision::Granted(GrantMatch {
                role: role_name,
                permission: id,
            });
        }
    }
    Decision::Denied
}

/// [`check`], reduced to a yes/no.
pub fn allows(
    grants: &Grants,
    subject: &Subject<'_>,
    action: Action,
    resource: &Resource,
    permissions_disabled: bool,
) -> bool {
    check(grants, subject, action, resource, permissions_disabled).is_allowed()
}

/// Whether one granted id covers `action_id` on `resource`.
fn grant_matches(granted: &str, action_id: &str, resource: &Resource) -> bool {
    let parts = split_id(granted);
    parts.base == action_id
        && (!parts.owner || resource.owned_by_subject)
        && (parts.any_team || resource.same_team)
}
