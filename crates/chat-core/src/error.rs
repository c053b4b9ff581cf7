//! Domain errors. The server maps each variant once to Stream's error body
//! (code, message, HTTP status); core never mentions HTTP.

use std::borrow::Cow;

/// What a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: names the offending field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field (dotted path) at fault.
        field: Cow<'static, str>,
        /// Why it is wrong.
        reason: Cow<'static, str>,
    },
    /// The thing asked for does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// Kind of resource (`channel`, `message`, `user`…).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A client-chosen id that is already taken (message ids, channel types…).
    #[error("{what} with id {id} already exists")]
    AlreadyExists {
        /// Kind of resource.
        what: &'static str,
        /// The id that is taken.
        id: String,
    },
    /// The actor may not do this.
    #[error("{0}")]
    PermissionDenied(Cow<'static, str>),
    /// The feature is turned off for this channel (type or override).
    #[error("{0} is disabled for this channel")]
    FeatureDisabled(&'static str),
    /// Event type not allowed here (e.g. typing with `typing_events` off).
    #[error("event type {0} is not supported here")]
    EventNotSupported(String),
    /// Message text longer than the channel's `max_message_length`.
    #[error("message is too long: {len} characters, at most {max} allowed")]
    MessageTooLong {
        /// Characters sent.
        len: usize,
        /// Channel limit.
        max: u32,
    },
    /// A reply to a reply.
    #[error("replies to thread replies are not allowed")]
    NestedReply,
    /// Slow mode: the actor must wait.
    #[error("slow mode is on: wait {remaining_secs}s before sending again")]
    Cooldown {
        /// Seconds left in the cooldown.
        remaining_secs: u32,
    },
    /// The store failed (unreachable, or a conflict that retries did not resolve).
    #[error(transparent)]
    Store(StoreError),
}

impl Error {
    /// An `Invalid` error for `field`.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A `NotFound` error.
    pub fn not_found(what: &'static str, id: impl std::fmt::Display) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// A `PermissionDenied` error.
    pub fn denied(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::PermissionDenied(reason.into())
    }
}

/// What a store can fail with. Backend detail is boxed so no driver type leaks into core.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken (message id, channel type name…).
    #[error("{what} with id {id} already exists")]
    Duplicate {
        /// Kind of row.
        what: &'static str,
        /// The key.
        id: String,
    },
    /// The row an atomic write depends on is missing.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// Kind of row.
        what: &'static str,
        /// The key.
        id: String,
    },
    /// Optimistic concurrency: the row changed since it was read. Callers retry.
    #[error("{what} {id} was changed concurrently")]
    VersionConflict {
        /// Kind of row.
        what: &'static str,
        /// The key.
        id: String,
    },
    /// The backend cannot be reached right now.
    #[error("store unavailable: {0}")]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
    /// Any other backend failure.
    #[error("store failure: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A `NotFound` store error.
    pub fn not_found(what: &'static str, id: impl std::fmt::Display) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Error::NotFound { what, id },
            StoreError::Duplicate { what, id } => Error::AlreadyExists { what, id },
            other => Error::Store(other),
        }
    }
}

/// Result alias for commands.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Result alias for store methods.
pub type StoreResult<T> = std::result::Result<T, StoreError>;
