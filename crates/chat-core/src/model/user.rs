use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::{Role, UserId};
use crate::time::Timestamp;

/// A user of an app. Presence (`online`) is ephemeral and not part of the stored user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// App-level role (`user` by default).
    pub role: Role,
    /// Display name.
    pub name: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Teams (multi-tenant apps).
    pub teams: Vec<String>,
    /// Role per team.
    pub teams_role: BTreeMap<String, Role>,
    /// Preferred language.
    pub language: Option<String>,
    /// App-level ban.
    pub banned: bool,
    /// When the app-level ban ends.
    pub ban_expires: Option<Timestamp>,
    /// Messages are visible only to the author.
    pub shadow_banned: bool,
    /// Appears offline to others.
    pub invisible: bool,
    /// Privacy toggles.
    pub privacy: PrivacySettings,
    /// Tokens issued before this instant are refused.
    pub revoke_tokens_issued_before: Option<Timestamp>,
    /// Set when deactivated.
    pub deactivated_at: Option<Timestamp>,
    /// Set when (soft) deleted.
    pub deleted_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Last connection activity.
    pub last_active: Option<Timestamp>,
    /// Extra fields.
    pub custom: Custom,
    /// Optimistic-concurrency version, bumped by the store on every write.
    pub version: u64,
}

/// Per-user privacy toggles; everything is on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacySettings {
    /// Others see this user's typing.
    pub typing_indicators: bool,
    /// Others see this user's read state.
    pub read_receipts: bool,
    /// Others see delivery receipts.
    pub delivery_receipts: bool,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self {
            typing_indicators: true,
            read_receipts: true,
            delivery_receipts: true,
        }
    }
}

impl User {
    /// A new user with defaults, created at `now`.
    pub fn new(id: UserId, now: Timestamp) -> Self {
        Self {
            id,
            role: Role::user(),
            name: None,
            image: None,
            teams: Vec::new(),
            teams_role: BTreeMap::new(),
            language: None,
            banned: false,
            ban_expires: None,
            shadow_banned: false,
            invisible: false,
            privacy: PrivacySettings::default(),
            revoke_tokens_issued_before: None,
            deactivated_at: None,
            deleted_at: None,
            created_at: now,
            updated_at: now,
            last_active: None,
            custom: Custom::new(),
            version: 0,
        }
    }

    /// Whether an app-level ban is in force at `now`.
    pub fn is_banned(&self, now: Timestamp) -> bool {
        self.banned && self.ban_expires.is_none_or(|e| e > now)
    }

    /// The user-level role that applies in a channel of `team`.
    pub fn role_for_team(&self, team: Option<&str>) -> &Role {
        team.and_then(|t| self.teams_role.get(t))
            .unwrap_or(&self.role)
    }
}
