//! Start-up: concurrent `connect`s migrate one database once, and an unreachable server is
//! `Unavailable`. Uses its own throw-away database next to the one at `DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); never skips.

use std::sync::Arc;

use chat_core::model::{App, AppSettings};
use chat_core::store::AppStore;
use chat_core::time::Timestamp;
use chat_core::StoreError;
use chat_store_postgres::PgStore;
use sqlx::{Connection, Executor, PgConnection};

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (server, _) = base.rsplit_once('/').expect("database url has a path");
    format!("{server}/{name}{query}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connects_migrate_once() {
    let url = database_url();
    let name = format!(
        "chat_connect_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mut admin = PgConnection::connect(&url)
        .await
        .expect("PostgreSQL must be reachable (run scripts/ensure-services.sh)");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");

    let target = with_database(&url, &name);
    let mut starts = Vec::new();
    for _ in 0..4 {
        let target = target.clone();
        starts.push(tokio::spawn(async move {
            PgStore::connect_with_pool_size(&target, 2).await
        }));
    }
    let mut stores = Vec::new();
    for s in starts {
        stores.push(Arc::new(s.await.expect("task").expect("connect")));
    }
    let app = App {
        id: chat_core::ids::AppId::parse("a1").expect("app id"),
        api_key: "k1".into(),
        api_secret: "s1".into(),
        settings: AppSettings::default(),
        created_at: Timestamp::from_secs(1),
        version: 0,
    };
    stores[0].insert_app(app.clone()).await.expect("insert_app");
    let seen = stores[3].get_app(&app.id).await.expect("get_app");
    assert_eq!(seen.map(|a| a.api_key), Some("k1".to_owned()));
    for s in &stores {
        s.ping().await.expect("ping");
    }

    let mut db = PgConnection::connect(&target).await.expect("connect");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut db)
        .await
        .expect("count migrations");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations dir")
        .count();
    assert_eq!(applied as usize, files, "each migration applied once");
    db.close().await.expect("close");

    for s in &stores {
        s.close().await;
    }
    assert!(matches!(
        stores[0].ping().await,
        Err(StoreError::Unavailable(_))
    ));
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .expect("drop database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_unavailable() {
    let url = "postgres://postgres@127.0.0.1:1/postgres";
    match PgStore::connect(url).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
