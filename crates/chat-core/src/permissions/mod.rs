//! Roles, grants per channel type, the pure permission check and `own_capabilities`.

mod grants;

pub use grants::{default_app_grants, default_grants, GrantModifiers, Grants};
