//! Grant tables: role → permission ids, per scope (api-spec/permissions.md §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Role name → permission ids (e.g. `create-message`, `update-message-owner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Grants(pub BTreeMap<String, Vec<String>>);

/// Per-channel grant modifiers: per role, ids to add, or `!id` to revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct GrantModifiers(pub BTreeMap<String, Vec<String>>);

/// Default grants of a channel type scope; unknown types get the `messaging` grants.
pub fn default_grants(_channel_type: &str) -> Grants {
    Grants::default()
}

/// Default grants of the `.app` scope.
pub fn default_app_grants() -> Grants {
    Grants::default()
}
