//! `chat-server`: the reference server speaking the Stream Chat HTTP + WebSocket API over
//! `chat-core`. Only this crate knows Stream's wire format (`wire`), its error codes
//! (`error`) and its auth rules (`auth`).

pub mod auth;
pub mod client;
pub mod cluster;
pub mod config;
pub mod delivery;
pub mod dev_app;
pub mod error;
pub mod http;
pub mod presence;
pub mod presence_subs;
pub mod present;
pub mod rate_limit;
pub mod redis;
pub mod request;
pub mod routes;
pub mod server;
pub mod socket_events;
pub mod state;
pub mod storage;
pub mod watch_announce;
pub mod wire;
