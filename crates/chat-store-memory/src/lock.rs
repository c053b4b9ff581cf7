//! Lock acquisition that turns poisoning into a store error.
//!
//! A lock is poisoned only when a thread panicked while holding it; the data behind it may be
//! half-updated, so the store reports `StoreError::Backend` instead of panicking again or
//! silently continuing.

use std::fmt;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chat_core::error::StoreError;
use chat_core::StoreResult;

/// The error boxed into `StoreError::Backend` for a poisoned lock.
#[derive(Debug)]
struct Poisoned(&'static str);

impl fmt::Display for Poisoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory store lock `{}` is poisoned by an earlier panic",
            self.0
        )
    }
}

impl std::error::Error for Poisoned {}

fn poisoned(what: &'static str) -> StoreError {
    StoreError::Backend(Box::new(Poisoned(what)))
}

/// Shared access to `lock`, named `what` in the error.
pub(crate) fn read<'a, T>(
    lock: &'a RwLock<T>,
    what: &'static str,
) -> StoreResult<RwLockReadGuard<'a, T>> {
    lock.read().map_err(|_| poisoned(what))
}

/// Exclusive access to `lock`.
pub(crate) fn write<'a, T>(
    lock: &'a RwLock<T>,
    what: &'static str,
) -> StoreResult<RwLockWriteGuard<'a, T>> {
    lock.write().map_err(|_| poisoned(what))
}

/// Exclusive access to a mutex.
pub(crate) fn lock<'a, T>(
    mutex: &'a Mutex<T>,
    what: &'static str,
) -> StoreResult<MutexGuard<'a, T>> {
    mutex.lock().map_err(|_| poisoned(what))
}
