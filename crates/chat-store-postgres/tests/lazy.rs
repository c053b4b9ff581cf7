//! `PgStore::connect_lazy` + `migrate`: building the store contacts nothing, an unreachable
//! database is `Unavailable` (so a server retries), and migrating is idempotent and safe
//! from several processes at once, inside a schema it creates. Uses `DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); never skips.

use std::time::Duration;

use chat_core::ids::AppId;
use chat_core::model::{App, AppSettings};
use chat_core::store::AppStore;
use chat_core::time::Timestamp;
use chat_core::StoreError;
use chat_store_postgres::{LazyOptions, PgStore};

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

fn options(schema: Option<String>) -> LazyOptions {
    LazyOptions {
        pool_size: 2,
        acquire_timeout: Duration::from_millis(500),
        schema,
    }
}

fn app() -> App {
    App {
        id: AppId::parse("lazy").expect("app id"),
        api_key: "lazy-key".into(),
        api_secret: "lazy-secret".into(),
        settings: AppSettings::default(),
        created_at: Timestamp::from_secs(1),
        version: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_unavailable_until_it_answers() {
    let store = PgStore::connect_lazy("postgres://postgres@127.0.0.1:1/postgres", &options(None))
        .expect("building a lazy store contacts nothing");
    assert!(matches!(
        store.migrate().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.get_app_by_key("k").await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_create_the_schema_once_and_serve() {
    let schema = format!("t_{}", ulid::Ulid::new().to_string().to_lowercase());
    let url = database_url();
    let mut runs = Vec::new();
    for _ in 0..3 {
        let store = PgStore::connect_lazy(&url, &options(Some(schema.clone()))).expect("lazy");
        runs.push(tokio::spawn(async move {
            store.migrate().await.map(|()| store)
        }));
    }
    let mut stores = Vec::new();
    for run in runs {
        stores.push(run.await.expect("task").expect("migrate"));
    }
    stores[0]
        .migrate()
        .await
        .expect("migrating again is a no-op");
    stores[1].insert_app(app()).await.expect("insert_app");
    let seen = stores[2].get_app_by_key("lazy-key").await.expect("read");
    assert_eq!(seen.map(|a| a.id), Some(app().id));
    assert_eq!(stores[0].schema(), Some(schema.as_str()));

    // Another schema of the same database does not see it.
    let other = PgStore::with_fresh_schema(&url)
        .await
        .expect("fresh schema");
    assert_eq!(other.get_app_by_key("lazy-key").await.expect("read"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_names_must_be_plain_identifiers() {
    for bad in ["", "Upper", "1st", "a-b", "x; DROP TABLE apps"] {
        assert!(
            PgStore::connect_lazy(&database_url(), &options(Some(bad.to_owned()))).is_err(),
            "{bad:?} accepted"
        );
    }
}
