//! The shared store conformance suite, each case against a fresh schema of the database at
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`). An unreachable
//! database fails every case: these tests never skip.

/// Where the tests find PostgreSQL when `DATABASE_URL` is unset.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn fresh_schema() -> std::sync::Arc<dyn chat_core::store::Store> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let store = chat_store_postgres::PgStore::with_fresh_schema(&url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} must be reachable (run scripts/ensure-services.sh): {e}")
        });
    std::sync::Arc::new(store)
}

chat_store_conformance::store_conformance_tests!(fresh_schema);
