//! Optimistic-concurrency retries for read-modify-write commands.

use std::future::Future;

use crate::error::{Error, StoreError};

/// How many times a read-modify-write is attempted before the conflict is reported.
const ATTEMPTS: usize = 16;

/// Runs `attempt` until it does not fail with a version conflict (bounded).
pub(crate) async fn retry_on_conflict<T, F, Fut>(mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match attempt().await {
            Err(Error::Store(e @ StoreError::VersionConflict { .. })) => last = Some(e),
            other => return other,
        }
    }
    Err(Error::Store(last.unwrap_or(StoreError::VersionConflict {
        what: "row",
        id: String::new(),
    })))
}
