//! sqlx errors mapped to [`StoreError`] at the crate edge, so no driver type leaks out.
//!
//! * A unique violation is `Duplicate`; call sites that know what was duplicated name it
//!   with [`duplicate`], the rest report the constraint.
//! * Connection failures, pool timeouts and the server refusing or dropping connections
//!   are `Unavailable` (the engine maps them to a 5xx and nothing was committed).
//! * Everything else, including rows that do not decode, is `Backend`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chat_core::StoreError;

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// A decoding or invariant failure found in stored data.
#[derive(Debug)]
pub(crate) struct Corrupt(pub String);

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "postgres store: {}", self.0)
    }
}

impl std::error::Error for Corrupt {}

/// `Backend` for a stored value that does not decode.
pub(crate) fn corrupt(what: impl fmt::Display) -> StoreError {
    StoreError::Backend(Box::new(Corrupt(what.to_string())))
}

/// Whether the server cannot be reached or refuses work right now.
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // 08: connection exception; 57P0x: shutdown / cannot connect now;
            // 53300: too many connections.
            c.starts_with("08") || c.starts_with("57P0") || c == "53300"
        }),
        _ => false,
    }
}

/// The violated unique constraint's name, if this is a unique violation.
pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some(UNIQUE_VIOLATION) => {
            Some(d.constraint().unwrap_or("unique").to_owned())
        }
        _ => None,
    }
}

/// How many times, in this process, a statement found the database unreachable. The send
/// committer compares it with the value when it last used its own connection: a change
/// means an outage happened meanwhile, so that connection may be dead and is checked first.
pub(crate) static OUTAGES_SEEN: AtomicU64 = AtomicU64::new(0);

/// The generic mapping.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    if unavailable(&e) {
        OUTAGES_SEEN.fetch_add(1, Ordering::Relaxed);
        return StoreError::Unavailable(Box::new(e));
    }
    if let Some(constraint) = unique_violation(&e) {
        return StoreError::Duplicate {
            what: "row",
            id: constraint,
        };
    }
    StoreError::Backend(Box::new(e))
}

/// A mapping that reports a unique violation as `Duplicate { what, id }`.
pub(crate) fn duplicate(
    what: &'static str,
    id: impl fmt::Display,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match unique_violation(&e) {
        Some(_) => StoreError::Duplicate {
            what,
            id: id.to_string(),
        },
        None => db(e),
    }
}

/// `.db()` on sqlx results.
pub(crate) trait DbResult<T> {
    /// Maps the error with [`db`].
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(db)
    }
}

/// `NotFound` for a channel.
pub(crate) fn channel_not_found(cid: impl fmt::Display) -> StoreError {
    StoreError::not_found("channel", cid)
}

/// `NotFound` for a message.
pub(crate) fn message_not_found(id: impl fmt::Display) -> StoreError {
    StoreError::not_found("message", id)
}

/// `NotFound` for a membership.
pub(crate) fn member_not_found(cid: impl fmt::Display, user: impl fmt::Display) -> StoreError {
    StoreError::not_found("member", format!("{cid}/{user}"))
}

/// `VersionConflict`.
pub(crate) fn conflict(what: &'static str, id: impl fmt::Display) -> StoreError {
    StoreError::VersionConflict {
        what,
        id: id.to_string(),
    }
}
