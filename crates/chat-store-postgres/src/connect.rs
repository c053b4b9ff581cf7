//! Connecting, migrating, and per-test schemas.

use std::str::FromStr;
use std::time::Duration;

use chat_core::StoreError;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};

use crate::error::{corrupt, db};
use crate::PgStore;

/// Pool size of [`PgStore::connect`].
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// Pool size of [`PgStore::with_fresh_schema`]: tests run many stores at once.
const TEST_POOL_SIZE: u32 = 4;

/// How long a request waits for a pooled connection before the store reports itself
/// unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLSTATE of `CREATE SCHEMA` losing a race with another process creating it.
const DUPLICATE_SCHEMA: &str = "42P06";

/// How a [`PgStore::connect_lazy`] store reaches its database.
#[derive(Debug, Clone)]
pub struct LazyOptions {
    /// Pool size.
    pub pool_size: u32,
    /// How long a statement waits for a connection (which includes connecting) before the
    /// store answers `Unavailable`: what a request pays during an outage.
    pub acquire_timeout: Duration,
    /// A schema to work in instead of `public` (created by [`PgStore::migrate`]); every
    /// pooled connection gets it as `search_path`. Lower-case letters, digits and `_`.
    pub schema: Option<String>,
}

impl Default for LazyOptions {
    fn default() -> Self {
        Self {
            pool_size: DEFAULT_POOL_SIZE,
            acquire_timeout: Duration::from_secs(3),
            schema: None,
        }
    }
}

/// Whether `name` can be spliced into DDL as an unquoted identifier.
fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

/// Test schemas older than this are dropped by the next `with_fresh_schema`.
const STALE_TEST_SCHEMA: Duration = Duration::from_secs(15 * 60);

/// Prefix of test schema names (`t_<ulid>`).
const TEST_SCHEMA_PREFIX: &str = "t_";

/// Advisory lock key (arbitrary, fixed) held while sweeping stale test schemas.
const SWEEP_LOCK: i64 = 0x6368_6174_7377_6570; // "chatswep"

fn migrator(locking: bool) -> Migrator {
    let mut m = sqlx::migrate!("./migrations");
    m.set_locking(locking);
    m
}

fn migrate_error(e: MigrateError) -> StoreError {
    match e {
        // A connection lost mid-migration is `Unavailable` (retried); the migration's own
        // transaction rolled back.
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => db(e),
        other => corrupt(format!("migration: {other}")),
    }
}

fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url).map_err(|e| corrupt(format!("bad database url: {e}")))
}

impl PgStore {
    /// Connects to `url` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) with a pool
    /// of [`DEFAULT_POOL_SIZE`] connections and applies the embedded migrations. Concurrent
    /// starts are safe: migrations run under a Postgres advisory lock. An unreachable
    /// server is [`StoreError::Unavailable`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_pool_size(url, DEFAULT_POOL_SIZE).await
    }

    /// [`PgStore::connect`] with a chosen pool size.
    pub async fn connect_with_pool_size(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        let options = options(url)?;
        // One direct connection first: an unreachable server fails at once (the pool would
        // retry until its acquire timeout).
        PgConnection::connect_with(&options)
            .await
            .map_err(db)?
            .close()
            .await
            .map_err(db)?;
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        migrator(true).run(&pool).await.map_err(migrate_error)?;
        Ok(Self {
            pool,
            schema: None,
            sends: Default::default(),
        })
    }

    /// A store that contacts nothing yet: its pool connects on first use, so a server can
    /// start while PostgreSQL is down. Call [`PgStore::migrate`] (and retry it until it
    /// succeeds) before serving; until then every method fails, with `Unavailable` while
    /// the database cannot be reached. Fails only on a bad url or schema name. Must be
    /// called inside a Tokio runtime.
    pub fn connect_lazy(url: &str, lazy: &LazyOptions) -> Result<Self, StoreError> {
        let mut options = options(url)?;
        if let Some(schema) = &lazy.schema {
            if !valid_schema(schema) {
                return Err(corrupt(format!(
                    "bad schema name {schema:?}: use lower-case letters, digits and _"
                )));
            }
            options = options.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(lazy.pool_size.max(1))
            .acquire_timeout(lazy.acquire_timeout)
            .connect_lazy_with(options);
        Ok(Self {
            pool,
            schema: lazy.schema.clone(),
            sends: Default::default(),
        })
    }

    /// Creates the store's schema if it has one and applies the embedded migrations under
    /// the advisory lock. Idempotent, and safe for several processes at once; an
    /// unreachable database is `Unavailable`, so callers retry.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if let Some(schema) = &self.schema {
            // `valid_schema` was checked at construction, so the name is a safe identifier.
            let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&self.pool)
                .await;
            match created {
                Ok(_) => {}
                // IF NOT EXISTS still races in the catalog: the loser sees a duplicate.
                Err(sqlx::Error::Database(d))
                    if matches!(d.code().as_deref(), Some(DUPLICATE_SCHEMA | "23505")) => {}
                Err(e) => return Err(db(e)),
            }
        }
        migrator(true).run(&self.pool).await.map_err(migrate_error)
    }

    /// A store in a new, empty schema `t_<ulid>` of the database at `url`, for tests: every
    /// pooled connection's `search_path` is that schema, and the migrations are applied
    /// there. Schemas left by earlier runs are dropped once they are 15 minutes old.
    pub async fn with_fresh_schema(url: &str) -> Result<Self, StoreError> {
        let base = options(url)?;
        let schema = format!(
            "{TEST_SCHEMA_PREFIX}{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let mut conn = PgConnection::connect_with(&base).await.map_err(db)?;
        // Best effort: a failed sweep must not fail the test that happened to run it.
        let _ = sweep_stale_schemas(&mut conn).await;
        conn.execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .map_err(db)?;
        conn.close().await.map_err(db)?;
        // `options` sets `search_path` as a startup parameter of every pooled connection.
        let pool = PgPoolOptions::new()
            .max_connections(TEST_POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(base.options([("search_path", schema.as_str())]))
            .await
            .map_err(db)?;
        // The schema is private to this store: no need to serialize with other migrators.
        migrator(false).run(&pool).await.map_err(migrate_error)?;
        Ok(Self {
            pool,
            schema: Some(schema),
            sends: Default::default(),
        })
    }

    /// The schema this store works in instead of `public` (a [`PgStore::with_fresh_schema`]
    /// store, or a lazy one given a schema).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db)
    }

    /// Closes the pool; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Drops test schemas whose ULID says they are older than [`STALE_TEST_SCHEMA`], a few per
/// call (each in its own transaction, to keep lock counts small). Only one caller sweeps
/// at a time; the others skip.
async fn sweep_stale_schemas(conn: &mut PgConnection) -> Result<(), StoreError> {
    const PER_SWEEP: usize = 16;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SWEEP_LOCK)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if !locked {
        return Ok(());
    }
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let now = std::time::SystemTime::now();
    let stale = names.into_iter().filter(|name| {
        name.strip_prefix(TEST_SCHEMA_PREFIX)
            .and_then(|s| ulid::Ulid::from_string(&s.to_uppercase()).ok())
            .and_then(|id| now.duration_since(id.datetime()).ok())
            .is_some_and(|age| age > STALE_TEST_SCHEMA)
    });
    for name in stale.take(PER_SWEEP) {
        conn.execute(format!("DROP SCHEMA IF EXISTS {name} CASCADE").as_str())
            .await
            .map_err(db)?;
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(SWEEP_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}
