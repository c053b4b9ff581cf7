//! Typed identifiers and their validation.
//!
//! Every id is a cheap-to-clone `Arc<str>` newtype, so ids can be copied into events and
//! recipient lists on the fan-out path without reallocating. Constructors validate; the
//! `*_unchecked` escape hatches exist only for values read back from a trusted store.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps a value that is already known to be valid (e.g. read from a store).
            pub fn new_unchecked(value: impl Into<Arc<str>>) -> Self {
                Self(value.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

fn check(
    field: &'static str,
    value: &str,
    max_len: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > max_len {
        return Err(Error::invalid(
            field,
            format!("must be at most {max_len} characters"),
        ));
    }
    if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        return Err(Error::invalid(
            field,
            format!("contains a character that is not allowed: {bad:?}"),
        ));
    }
    Ok(())
}

/// Maximum length of a user id.
pub const MAX_USER_ID_LEN: usize = 255;
/// Maximum length of a channel id.
pub const MAX_CHANNEL_ID_LEN: usize = 64;
/// Maximum length of a channel type name.
pub const MAX_CHANNEL_TYPE_LEN: usize = 64;
/// Maximum length of a message id.
pub const MAX_MESSAGE_ID_LEN: usize = 255;

string_id!(
    /// An application (tenant). Every stored row belongs to exactly one app.
    AppId
);
string_id!(
    /// A user id: letters, digits, `@`, `_`, `-` (api-spec/auth.md §8; uppercase accepted).
    UserId
);
string_id!(
    /// A channel type name such as `messaging`: lowercase letters, digits, `_`, `-`.
    ChannelTypeName
);
string_id!(
    /// A channel id (without its type): letters, digits, `_`, `-`, `@`, `!`; at most 64.
    ChannelId
);
string_id!(
    /// A message id: client-chosen (≤255 chars, no `,` or `%`) or a generated ULID.
    MessageId
);
string_id!(
    /// One WebSocket connection of a user.
    ConnectionId
);
string_id!(
    /// A role name, user-level (`user`, `admin`…) or channel-level (`channel_member`…).
    Role
);

impl AppId {
    /// Validates an app id (same alphabet as user ids).
    pub fn parse(value: &str) -> Result<Self, Error> {
        check("app_id", value, 64, is_user_char)?;
        Ok(Self(value.into()))
    }
}

fn is_user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '@' | '_' | '-')
}

impl UserId {
    /// Validates a user id.
    pub fn parse(value: &str) -> Result<Self, Error> {
        Self::parse_field("user_id", value)
    }

    /// Validates a user id, naming `field` in the error.
    pub fn parse_field(field: &'static str, value: &str) -> Result<Self, Error> {
        check(field, value, MAX_USER_ID_LEN, is_user_char)?;
        Ok(Self(value.into()))
    }
}

impl ChannelTypeName {
    /// Validates a channel type name.
    pub fn parse(value: &str) -> Result<Self, Error> {
        check("type", value, MAX_CHANNEL_TYPE_LEN, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')
        })?;
        Ok(Self(value.into()))
    }
}

impl ChannelId {
    /// Validates a channel id.
    pub fn parse(value: &str) -> Result<Self, Error> {
        check("id", value, MAX_CHANNEL_ID_LEN, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '!')
        })?;
        Ok(Self(value.into()))
    }
}

impl MessageId {
    /// Validates a client-chosen message id.
    pub fn parse(value: &str) -> Result<Self, Error> {
        check("message.id", value, MAX_MESSAGE_ID_LEN, |c| {
            !matches!(c, ',' | '%') && !c.is_control() && !c.is_whitespace()
        })?;
        Ok(Self(value.into()))
    }

    /// A fresh server-chosen id (ULID, sortable by creation time).
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string().into())
    }
}

impl ConnectionId {
    /// A fresh connection id.
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string().to_lowercase().into())
    }
}

impl Role {
    /// Validates a role name (custom roles included).
    pub fn parse(value: &str) -> Result<Self, Error> {
        check("role", value, 64, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
        })?;
        Ok(Self(value.into()))
    }

    /// Default user-level role.
    pub fn user() -> Self {
        Self::new_unchecked(roles::USER)
    }

    /// Default channel-level role.
    pub fn channel_member() -> Self {
        Self::new_unchecked(roles::CHANNEL_MEMBER)
    }

    /// Whether this is a built-in channel-level role.
    pub fn is_channel_level(&self) -> bool {
        matches!(
            self.as_str(),
            roles::CHANNEL_MEMBER | roles::CHANNEL_MODERATOR | roles::OWNER
        )
    }
}

/// Names of the built-in roles.
pub mod roles {
    /// Default user role.
    pub const USER: &str = "user";
    /// App administrator.
    pub const ADMIN: &str = "admin";
    /// App-wide moderator.
    pub const MODERATOR: &str = "moderator";
    /// User created through the guest endpoint.
    pub const GUEST: &str = "guest";
    /// Unauthenticated connection.
    pub const ANONYMOUS: &str = "anonymous";
    /// Default membership role.
    pub const CHANNEL_MEMBER: &str = "channel_member";
    /// Elevated membership role.
    pub const CHANNEL_MODERATOR: &str = "channel_moderator";
    /// The channel creator's membership (derived, never stored as a grant scope).
    pub const OWNER: &str = "owner";
}

/// A channel's full id, `type:id`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cid {
    kind: ChannelTypeName,
    id: ChannelId,
    full: Arc<str>,
}

impl Cid {
    /// Builds a cid from its validated parts.
    pub fn new(kind: ChannelTypeName, id: ChannelId) -> Self {
        let full: Arc<str> = format!("{kind}:{id}").into();
        Self { kind, id, full }
    }

    /// Parses and validates `type:id`.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let (kind, id) = value
            .split_once(':')
            .ok_or_else(|| Error::invalid("cid", "must have the form type:id"))?;
        Ok(Self::new(
            ChannelTypeName::parse(kind)?,
            ChannelId::parse(id)?,
        ))
    }

    /// The channel type.
    pub fn kind(&self) -> &ChannelTypeName {
        &self.kind
    }

    /// The id within the type.
    pub fn id(&self) -> &ChannelId {
        &self.id
    }

    /// `type:id` as a string slice.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.full, f)
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl Serialize for Cid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.full)
    }
}

impl<'de> Deserialize<'de> for Cid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cid::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The id of a distinct channel: derived from its sorted, de-duplicated member set, so that
/// the same members always name the same channel (`!members-` + base64url(sha256)).
pub fn distinct_channel_id(members: &[UserId]) -> ChannelId {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut sorted: Vec<&str> = members.iter().map(UserId::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut hasher = sha2::Sha256::new();
    for (i, id) in sorted.iter().enumerate() {
        if i > 0 {
            hasher.update(b",");
        }
        hasher.update(id.as_bytes());
    }
    let digest = hasher.finalize();
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    ChannelId::new_unchecked(format!("!members-{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids() {
        for ok in ["alice", "Bob_1", "a@b-c", &"x".repeat(255)] {
            assert!(UserId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a:b", "é", "a,b", &"x".repeat(256)] {
            assert!(UserId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn channel_ids_and_types() {
        assert!(ChannelId::parse("general-1_x").is_ok());
        assert!(ChannelId::parse("!members-abc").is_ok());
        assert!(ChannelId::parse(&"a".repeat(64)).is_ok());
        assert!(ChannelId::parse(&"a".repeat(65)).is_err());
        assert!(ChannelId::parse("a:b").is_err());
        assert!(ChannelId::parse("a b").is_err());
        assert!(ChannelId::parse("a.b").is_err());
        assert!(ChannelTypeName::parse("messaging").is_ok());
        assert!(ChannelTypeName::parse("Messaging").is_err());
        assert!(ChannelTypeName::parse("").is_err());
    }

    #[test]
    fn cids() {
        let cid = Cid::parse("messaging:general").unwrap();
        assert_eq!(cid.kind().as_str(), "messaging");
        assert_eq!(cid.id().as_str(), "general");
        assert_eq!(cid.as_str(), "messaging:general");
        for bad in ["messaging", ":x", "messaging:", "a:b:c", "Bad:x", "a:b c"] {
            assert!(Cid::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&cid).unwrap();
        assert_eq!(json, "\"messaging:general\"");
        let back: Cid = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cid);
    }

    #[test]
    fn message_ids() {
        assert!(MessageId::parse("client-1").is_ok());
        assert!(MessageId::parse(&"m".repeat(255)).is_ok());
        assert!(MessageId::parse(&"m".repeat(256)).is_err());
        assert!(MessageId::parse("a,b").is_err());
        assert!(MessageId::parse("a%b").is_err());
        assert!(MessageId::parse("").is_err());
        let a = MessageId::generate();
        assert_eq!(a.as_str().len(), 26);
        assert!(MessageId::parse(a.as_str()).is_ok());
    }

    #[test]
    fn distinct_ids_ignore_order_and_duplicates() {
        let a = UserId::parse("a").unwrap();
        let b = UserId::parse("b").unwrap();
        let one = distinct_channel_id(&[a.clone(), b.clone()]);
        let two = distinct_channel_id(&[b.clone(), a.clone(), b]);
        assert_eq!(one, two);
        assert!(one.as_str().starts_with("!members-"));
        assert!(ChannelId::parse(one.as_str()).is_ok());
        assert_ne!(one, distinct_channel_id(&[a]));
    }
}
