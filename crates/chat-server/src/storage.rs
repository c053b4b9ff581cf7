//! The store a server runs on, and what "ready" means for it.
//!
//! The memory store (or any store handed over already usable) is ready at once. The
//! PostgreSQL store is built lazily, so the server starts while the database is down: its
//! pool connects on first use with a short acquire timeout (a request during an outage
//! fails within [`ACQUIRE_TIMEOUT`] with a 503), and the server's bootstrap task retries
//! [`Storage::prepare`] (schema and migrations) until it succeeds.

use std::sync::Arc;
use std::time::Duration;

use chat_core::store::Store;
use chat_core::StoreError;
use chat_store_postgres::{LazyOptions, PgStore, DEFAULT_POOL_SIZE};

use crate::config::{PostgresConfig, StoreConfig};

/// How long a statement waits for a pooled connection (including connecting) before the
/// request fails with `Unavailable` (503).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long `/health/ready` waits for the store to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A store plus how to prepare and probe it.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn Store>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    /// Usable as given (memory, or a store the caller migrated).
    Prepared,
    /// Lazily connected PostgreSQL; migrations still to apply.
    Postgres(PgStore),
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl Storage {
    /// A fresh memory store.
    pub fn memory() -> Self {
        Self::prepared(Arc::new(chat_store_memory::MemoryStore::new()))
    }

    /// A store that is usable as given (its readiness probe is a cheap read).
    pub fn prepared(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            backend: Backend::Prepared,
        }
    }

    /// A PostgreSQL store that contacts nothing yet. Fails only on a bad url or schema
    /// name. Must be called inside a Tokio runtime.
    pub fn postgres(config: &PostgresConfig) -> Result<Self, StoreError> {
        let pg = PgStore::connect_lazy(
            &config.url,
            &LazyOptions {
                pool_size: DEFAULT_POOL_SIZE,
                acquire_timeout: ACQUIRE_TIMEOUT,
                schema: config.schema.clone(),
            },
        )?;
        Ok(Self {
            store: Arc::new(pg.clone()),
            backend: Backend::Postgres(pg),
        })
    }

    /// The store `config` selects.
    pub fn from_config(config: &StoreConfig) -> Result<Self, StoreError> {
        match config {
            StoreConfig::Memory => Ok(Self::memory()),
            StoreConfig::Postgres(pg) => Self::postgres(pg),
        }
    }

    /// The store.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// `prepared` (memory, or a store given ready) or `postgres`, for logs.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Prepared => "prepared",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether [`Storage::prepare`] must succeed before the store serves (and so may
    /// need retrying in the background).
    pub fn needs_preparation(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Makes the store usable: PostgreSQL creates its schema and applies migrations.
    /// Idempotent; `Unavailable` while the database cannot be reached.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Prepared => Ok(()),
            Backend::Postgres(pg) => pg.migrate().await,
        }
    }

    /// Whether the store answers now, waiting at most a second.
    pub async fn reachable(&self) -> bool {
        let probe = async {
            match &self.backend {
                Backend::Prepared => self.store.list_apps().await.map(|_| ()),
                Backend::Postgres(pg) => pg.ping().await,
            }
        };
        matches!(tokio::time::timeout(PROBE_TIMEOUT, probe).await, Ok(Ok(())))
    }
}
