use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::AppId;
use crate::permissions::Grants;
use crate::time::Timestamp;

/// A tenant: its credentials and settings. Every other row belongs to one app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// Internal id.
    pub id: AppId,
    /// Public API key (the `api_key` query parameter).
    pub api_key: String,
    /// Secret that signs JWTs and webhooks.
    pub api_secret: String,
    /// Settings editable through the app endpoint.
    pub settings: AppSettings,
    /// When the app was created.
    pub created_at: Timestamp,
    /// Optimistic-concurrency version, bumped by the store on every write.
    pub version: u64,
}

/// App settings (api-spec/objects.md §1). Settings the engine does not act on yet are kept
/// as data in `extra` so a round-trip through `PATCH /app` loses nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AppSettings {
    /// Display name.
    pub name: String,
    /// Organization name.
    pub organization: String,
    /// A suspended app refuses every request.
    pub suspended: bool,
    /// Why it was suspended.
    pub suspended_explanation: String,
    /// Accept unsigned development tokens.
    pub disable_auth_checks: bool,
    /// Treat every user as having every permission.
    pub disable_permissions_checks: bool,
    /// User tokens issued before this instant are refused.
    pub revoke_tokens_issued_before: Option<Timestamp>,
    /// Grants of the `.app` scope (role → permission ids); `None` means defaults.
    pub grants: Option<Grants>,
    /// Teams (multi-tenancy) on.
    pub multi_tenant_enabled: bool,
    /// Development app: 3 sockets per user instead of 50.
    pub development_mode: bool,
    /// Guests may not be created.
    pub disable_guest_users: bool,
    /// Only members may hide channels.
    pub channel_hide_members_only: bool,
    /// Roles that may not query users.
    pub user_search_disallowed_roles: Vec<String>,
    /// `no`, `app` or `team`.
    pub enforce_unique_usernames: String,
    /// Legacy single webhook URL.
    pub webhook_url: String,
    /// Legacy webhook event filter.
    pub webhook_events: Vec<String>,
    /// Current webhook/hook configuration, stored as given.
    pub event_hooks: Vec<serde_json::Value>,
    /// Synchronous before-send hook URL.
    pub before_message_send_hook_url: String,
    /// Custom command handler URL.
    pub custom_action_handler_url: String,
    /// Unread reminder interval in seconds.
    pub reminders_interval: u32,
    /// Every other setting, stored as data.
    pub extra: Custom,
}

impl App {
    /// Max concurrent sockets per user (api-spec/websocket.md §1).
    pub fn max_connections_per_user(&self) -> usize {
        if self.settings.development_mode {
            3
        } else {
            50
        }
    }
}
