//! The domain model: what the engine stores and returns. Plain data, no behaviour beyond
//! small derived facts; Stream's JSON shapes are built from these at the server edge.

mod app;
mod channel;
mod channel_type;
mod member;
mod message;
mod reaction;
mod user;

pub use app::{App, AppSettings};
pub use channel::{Channel, ChannelCounters};
pub use channel_type::{
    default_channel_types, Automod, AutomodBehavior, BlocklistRef, ChannelConfig, ChannelType,
    ConfigOverrides, DEFAULT_MAX_MESSAGE_LENGTH,
};
pub use member::{InviteState, Member};
pub use message::{
    Attachment, AttachmentAction, Message, MessageType, ReactionGroup, ReactionSummary,
    ThreadSummary, LATEST_REACTIONS,
};
pub use reaction::Reaction;
pub use user::{PrivacySettings, User};
