//! Roles, grants and capabilities (api-spec/permissions.md).
//!
//! * [`Grants`] / [`GrantModifiers`]: role → permission ids per scope (`.app` or a channel
//!   type), the per-channel modifiers (`id` adds, `!id` revokes) and per-role updates.
//! * [`default_grants`] / [`default_app_grants`]: the default tables of §4.
//! * [`Action`] / [`Permission`]: what can be granted; ids are kebab-case action names with
//!   optional `-owner` and `-any-team` suffixes.
//! * [`check`] / [`allows`]: the pure check. Server-side requests and
//!   `disable_permissions_checks` pass; otherwise the union of the user role's and (for
//!   members) the channel role's grants decides, `-owner` ids only on owned resources.
//! * [`own_capabilities`]: the channel's `own_capabilities` for a requester (§5).
//!
//! Everything here is pure: the engine gathers the facts (roles, ownership, membership,
//! effective config) and calls in.

mod action;
mod capabilities;
mod check;
mod defaults;
mod grants;

#[cfg(test)]
mod tests;

pub use action::{Action, Permission, ResourceKind, Scope, ANY_TEAM_SUFFIX, OWNER_SUFFIX};
pub use capabilities::{
    names as capability, own_capabilities, CapabilityContext, ALL_CAPABILITIES,
};
pub use check::{allows, check, Decision, GrantMatch, Resource, Subject};
pub use defaults::{default_app_grants, default_grants, GLOBAL_ADMIN, GLOBAL_MODERATOR};
pub use grants::{GrantModifiers, Grants, REVOKE_PREFIX};

/// Name of the app-wide grants scope.
pub const APP_SCOPE: &str = ".app";
