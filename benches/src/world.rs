//! Worlds for the store benchmarks (`benches/benches/store.rs`): an app, users, channels
//! with members and messages, built through the engine on the memory store or on
//! PostgreSQL (a fresh schema of the database at `DATABASE_URL`).

use std::sync::Arc;

use chat_core::engine::{
    Actor, AddMembers, ChannelData, ChannelTarget, ChatEngine, GetOrCreateChannel, MemberInput,
    MessageInput, NewApp, SendMessage, UserInput,
};
use chat_core::ids::{AppId, Cid, UserId};
use chat_core::model::{App, AppSettings, User};
use chat_core::store::Store;
use chat_core::time::SystemClock;
use chat_store_memory::MemoryStore;
use chat_store_postgres::PgStore;
use sqlx::{Connection, Executor, PgConnection};

/// Where the benchmarks find PostgreSQL when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Members per engine call (the engine's limit).
const CHUNK: usize = 100;

/// The store a world runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `chat-store-memory`.
    Memory,
    /// `chat-store-postgres` on a fresh schema.
    Postgres,
}

impl Backend {
    /// Its name in case names and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Postgres => "postgres",
        }
    }
}

/// An engine with one app on a fresh store.
pub struct World {
    /// The engine.
    pub engine: Arc<ChatEngine>,
    /// The app everything lives in.
    pub app: Arc<App>,
    /// The PostgreSQL store, for its send counters.
    pub pg: Option<Arc<PgStore>>,
    /// The database URL of `pg`.
    url: String,
}

impl World {
    /// A fresh store of `backend` with app `bench`. Panics if PostgreSQL is unreachable.
    pub async fn new(backend: Backend) -> Self {
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let (store, pg): (Arc<dyn Store>, Option<Arc<PgStore>>) = match backend {
            Backend::Memory => (Arc::new(MemoryStore::new()), None),
            Backend::Postgres => {
                let pg = Arc::new(
                    PgStore::with_fresh_schema(&url)
                        .await
                        .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}")),
                );
                (pg.clone(), Some(pg))
            }
        };
        let engine = Arc::new(ChatEngine::new(store, Arc::new(SystemClock)));
        let app = Arc::new(
            engine
                .create_app(NewApp {
                    id: AppId::parse("bench").expect("app id"),
                    api_key: "k".into(),
                    api_secret: "s".into(),
                    settings: AppSettings::default(),
                })
                .await
                .expect("create app"),
        );
        Self {
            engine,
            app,
            pg,
            url,
        }
    }

    /// A connection into the PostgreSQL store's schema (`None` on memory).
    async fn connection(&self) -> Option<PgConnection> {
        let schema = self.pg.as_ref()?.schema()?.to_owned();
        let mut conn = PgConnection::connect(&self.url).await.expect("connect");
        conn.execute(format!("SET search_path = {schema}").as_str())
            .await
            .expect("search_path");
        Some(conn)
    }

    /// Refreshes the planner's statistics after a bulk setup, as autovacuum would on a
    /// live database (a never-analyzed `members` table makes the planner scan a
    /// 10,000-member channel to find one member).
    pub async fn analyze(&self) {
        if let Some(mut conn) = self.connection().await {
            conn.execute("ANALYZE").await.expect("analyze");
        }
    }

    /// Median and p99 (µs) of 200 single-row autocommit inserts into a scratch table: what
    /// one commit (a WAL flush) costs on the database right now. `None` on memory.
    pub async fn commit_probe(&self) -> Option<(u64, u64)> {
        let mut conn = self.connection().await?;
        conn.execute("CREATE TABLE commit_probe (id bigserial PRIMARY KEY, v text)")
            .await
            .expect("probe table");
        let mut samples = Vec::with_capacity(200);
        for _ in 0..200 {
            let t = std::time::Instant::now();
            conn.execute("INSERT INTO commit_probe (v) VALUES ('x')")
                .await
                .expect("probe insert");
            samples.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
        }
        let (p50, p99, _) = percentiles(&mut samples);
        Some((p50, p99))
    }

    /// The server actor.
    pub fn server(&self) -> Actor {
        Actor::server(self.app.clone())
    }

    /// Creates users `u0`…`u{n-1}` and returns them.
    pub async fn users(&self, n: usize) -> Vec<User> {
        let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
        let mut users = Vec::with_capacity(n);
        for chunk in ids.chunks(CHUNK) {
            let input = chunk
                .iter()
                .map(|id| UserInput {
                    id: id.clone(),
                    ..UserInput::default()
                })
                .collect();
            let created = self
                .engine
                .upsert_users(&self.server(), input)
                .await
                .expect("upsert users");
            users.extend(created.value);
        }
        users
    }

    /// Creates `messaging:<id>` with these members (the first is the creator).
    pub async fn channel(&self, id: &str, members: &[UserId]) -> Cid {
        let cid = Cid::parse(&format!("messaging:{id}")).expect("cid");
        let (first, rest) = members.split_at(members.len().min(CHUNK));
        self.engine
            .get_or_create_channel(
                &self.server(),
                GetOrCreateChannel {
                    target: ChannelTarget::Cid(cid.clone()),
                    data: ChannelData::default(),
                    members: first.iter().cloned().map(MemberInput::new).collect(),
                    created_by: first.first().cloned(),
                },
            )
            .await
            .expect("create channel");
        for chunk in rest.chunks(CHUNK) {
            self.engine
                .add_members(
                    &self.server(),
                    AddMembers {
                        cid: cid.clone(),
                        members: chunk.iter().cloned().map(MemberInput::new).collect(),
                        hide_history_before: None,
                        invite: false,
                    },
                )
                .await
                .expect("add members");
        }
        cid
    }

    /// The user as an actor.
    pub fn actor(&self, user: &User) -> Actor {
        Actor::user(self.app.clone(), user.clone())
    }

    /// Sends a plain message as `actor`.
    pub async fn send(&self, actor: &Actor, cid: &Cid) {
        send(&self.engine, actor, cid).await;
    }
}

/// Sends a plain message as `actor` through the engine's send command.
pub async fn send(engine: &ChatEngine, actor: &Actor, cid: &Cid) {
    engine
        .send_message(
            actor,
            SendMessage {
                cid: cid.clone(),
                message: MessageInput {
                    text: "hello".into(),
                    ..MessageInput::default()
                },
                keep_channel_hidden: false,
                skip_push: false,
            },
        )
        .await
        .expect("send");
}

/// Latency percentiles in microseconds of `samples` (sorted in place): p50, p99, max.
pub fn percentiles(samples: &mut [u64]) -> (u64, u64, u64) {
    if samples.is_empty() {
        return (0, 0, 0);
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i]
    };
    (at(0.50), at(0.99), samples[samples.len() - 1])
}
