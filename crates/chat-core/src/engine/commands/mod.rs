//! One file per command. Inputs are plain structs; every command returns
//! `Result<Outcome<T>>` (or a plain value for reads).

mod add_members;
mod channel_state;
mod channel_types;
mod create_app;
mod delete_channel;
mod delete_message;
mod delete_reaction;
mod get_message;
mod get_or_create_channel;
mod get_replies;
mod hide_channel;
mod list_reactions;
mod mark_read;
mod mark_unread;
mod partial_update_channel;
mod partial_update_message;
mod partial_update_users;
mod query_channels;
mod query_members;
mod query_users;
mod remove_members;
mod send_event;
mod send_message;
mod send_reaction;
mod set_member_roles;
mod truncate_channel;
mod unread_counts;
mod update_app;
mod update_channel;
mod update_message;
mod upsert_users;

pub use add_members::{AddMembers, MemberInput};
pub use channel_state::{ChannelState, StateOptions};
pub use channel_types::MAX_CHANNEL_TYPES;
pub use create_app::NewApp;
pub use get_or_create_channel::{ChannelData, ChannelTarget, GetOrCreateChannel};
pub use partial_update_users::UserPatch;
pub use query_channels::QueryChannels;
pub use send_event::ChannelEventInput;
pub use send_message::{MessageInput, SendMessage};
pub use send_reaction::ReactionInput;
pub use set_member_roles::RoleAssignment;
pub use truncate_channel::TruncateChannel;
pub use update_channel::UpdateChannel;
pub use upsert_users::UserInput;
