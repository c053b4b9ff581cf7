use serde::{Deserialize, Serialize};

use crate::custom::Custom;
use crate::ids::{MessageId, UserId};
use crate::time::Timestamp;

/// A user's reaction of one type on one message; (message, user, type) is unique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// Message.
    pub message_id: MessageId,
    /// Who reacted.
    pub user_id: UserId,
    /// Reaction type (`like`, `love`, …).
    pub kind: String,
    /// Score (default 1).
    pub score: u32,
    /// Extra fields (≤1 KB).
    pub custom: Custom,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}
