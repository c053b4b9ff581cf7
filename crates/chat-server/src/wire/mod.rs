//! Stream's JSON wire format: the only place that knows it.
//!
//! Core hands us typed domain values (`chat_core::model`, `fanout::EventKind`, command
//! inputs); this module turns them into the JSON objects of `api-spec/objects.md` and
//! `events.md`, and turns request JSON (`endpoints.md`) back into typed inputs.
//!
//! * Encoders are pure functions of a domain value and a [`Ctx`] (users, quoted messages
//!   and own reactions preloaded by the caller; [`user_ids_for_messages`] and friends say
//!   exactly what to preload). Timestamps are RFC3339 with microseconds, custom data is
//!   flattened at top level, unset optional timestamps are omitted unless the spec shows
//!   `null`.
//! * Decoders return `chat_core::Error::Invalid` naming the request field at fault
//!   (`message.text`, `data.members[1].user_id`…); the server maps it to a 400.

mod channel;
mod config;
mod ctx;
pub mod decode;
mod event;
mod input_channel;
mod input_message;
mod input_user;
mod json;
mod member;
mod message;
mod pagination;
mod search;
mod state;
mod user;

#[cfg(test)]
mod tests;

pub use channel::channel;
pub use config::{app_settings, channel_type, channel_type_created, command, BUILTIN_COMMANDS};
pub use ctx::{
    quoted_ids, user_ids_for_access, user_ids_for_event, user_ids_for_messages, user_ids_for_state,
    Ctx,
};
pub use event::{add_unread, connection_error, event, event_type, health_check, EventExtra};
pub use input_channel::{channel_request, member_inputs, member_inputs_at};
pub use input_message::{channel_event, message_input, reaction_input};
pub use input_user::{user_inputs, user_patches};
pub use member::{member, read};
pub use message::{attachment, message, reaction};
pub use pagination::{filter, message_page, message_page_from_query, sort};
pub use search::{search_request, search_response};
pub use state::channel_state;
pub use user::{own_user, user};
