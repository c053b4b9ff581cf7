//! Process-wide state shared by every route: the engine, the socket registry, the event
//! bus (in process, or across nodes on Redis), presence, rate limits, the app cache, and
//! whether the store has been bootstrapped (migrated, development app in place). Until it has, app lookups answer 503 instead of reaching a store that
//! may lack its tables.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chat_core::engine::{ChatEngine, Outcome};
use chat_core::fanout::{LocalPubSub, PubSub};
use chat_core::ids::AppId;
use chat_core::ids::UserId;
use chat_core::model::App;
use chat_transport_ws::{Registry, TransportConfig};
use tokio::sync::watch;

use crate::config::Config;
use crate::dev_app::DevCredentials;
use crate::error::ApiError;
use crate::presence::Presence;
use crate::presence_subs::PresenceSubs;
use crate::rate_limit::RateLimiter;
use crate::redis::RedisLink;
use crate::storage::Storage;
use crate::watch_announce::WatchAnnouncer;

/// Events the bus holds per subscriber before a lagging one loses the oldest.
const BUS_CAPACITY: usize = 65_536;

/// Shared state (behind an `Arc`).
pub struct AppState {
    /// The engine.
    pub engine: ChatEngine,
    /// Open sockets and what they watch, per app (cids are only unique within an app).
    registries: RwLock<HashMap<AppId, Arc<Registry>>>,
    /// Events from commands to the delivery task (and, with Redis, other nodes).
    pub bus: Arc<dyn PubSub>,
    /// The link to Redis, when several nodes form one server.
    pub redis: Option<Arc<RedisLink>>,
    /// Who is online.
    pub presence: Presence,
    /// Which sockets asked for presence changes of which channels' members.
    pub presence_subs: PresenceSubs,
    /// The `user.watching.*` throttle of big channels.
    pub watch_announcer: WatchAnnouncer,
    /// Rate limits.
    pub limiter: RateLimiter,
    /// Resolved configuration.
    pub config: Config,
    /// Socket settings.
    pub transport: TransportConfig,
    /// Apps by api key; refreshed on app updates.
    apps: RwLock<HashMap<String, Arc<App>>>,
    /// Prometheus text renderer.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// False once shutdown begins.
    pub accepting: AtomicBool,
    /// The store and its readiness probe.
    pub storage: Storage,
    /// `Some(working development credentials)` once the store is bootstrapped.
    bootstrapped: watch::Sender<Option<DevCredentials>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        engine: ChatEngine,
        storage: Storage,
        config: Config,
        transport: TransportConfig,
        metrics: metrics_exporter_prometheus::PrometheusHandle,
        redis: Option<Arc<RedisLink>>,
    ) -> Self {
        let bus: Arc<dyn PubSub> = match &redis {
            Some(link) => crate::cluster::RedisPubSub::start(link.clone(), BUS_CAPACITY),
            None => Arc::new(LocalPubSub::new(BUS_CAPACITY)),
        };
        let ttl = config.redis.as_ref().map(|r| r.node_ttl);
        let presence = Presence::new(redis.clone().zip(ttl), config.presence_offline_delay);
        let limiter = RateLimiter::new(config.rate_limits.clone(), redis.clone());
        Self {
            engine,
            storage,
            bootstrapped: watch::Sender::new(None),
            registries: RwLock::new(HashMap::new()),
            bus,
            redis,
            presence,
            presence_subs: PresenceSubs::default(),
            watch_announcer: WatchAnnouncer::default(),
            limiter,
            config,
            transport,
            apps: RwLock::new(HashMap::new()),
            metrics,
            accepting: AtomicBool::new(true),
        }
    }

    /// Marks the store bootstrapped; `dev` are the development app's working credentials.
    pub fn set_bootstrapped(&self, dev: DevCredentials) {
        self.bootstrapped.send_replace(Some(dev));
    }

    /// Whether the store is migrated and holds the development app.
    pub fn is_bootstrapped(&self) -> bool {
        self.bootstrapped.borrow().is_some()
    }

    /// Waits until the store is bootstrapped; returns the development credentials.
    pub async fn bootstrapped(&self) -> DevCredentials {
        let mut rx = self.bootstrapped.subscribe();
        loop {
            if let Some(dev) = rx.borrow_and_update().clone() {
                return dev;
            }
            // The sender lives in `self`, so it cannot be dropped while we wait.
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// 503 until the store is bootstrapped: before that its tables may not exist yet.
    fn require_bootstrapped(&self) -> Result<(), ApiError> {
        if self.is_bootstrapped() {
            Ok(())
        } else {
            Err(ApiError::store_not_ready())
        }
    }

    /// The app with this api key (cached).
    pub async fn app_by_key(&self, key: &str) -> Result<Option<Arc<App>>, ApiError> {
        if let Some(app) = self.apps.read().ok().and_then(|m| m.get(key).cloned()) {
            return Ok(Some(app));
        }
        self.require_bootstrapped()?;
        let found = self
            .engine
            .store()
            .get_app_by_key(key)
            .await
            .map_err(chat_core::Error::from)?;
        Ok(found.map(|app| {
            let app = Arc::new(app);
            if let Ok(mut m) = self.apps.write() {
                m.insert(key.to_string(), app.clone());
            }
            app
        }))
    }

    /// The app with this id: from the cache when an api-key lookup already loaded it.
    pub async fn app_by_id(&self, id: &AppId) -> Result<Option<Arc<App>>, ApiError> {
        let cached = self
            .apps
            .read()
            .ok()
            .and_then(|m| m.values().find(|a| &a.id == id).cloned());
        if cached.is_some() {
            return Ok(cached);
        }
        self.require_bootstrapped()?;
        let found = self
            .engine
            .store()
            .get_app(id)
            .await
            .map_err(chat_core::Error::from)?;
        Ok(found.map(|app| self.refresh_app(app)))
    }

    /// Replaces the cached copy of an app after an update.
    pub fn refresh_app(&self, app: App) -> Arc<App> {
        let app = Arc::new(app);
        if let Ok(mut m) = self.apps.write() {
            m.insert(app.api_key.clone(), app.clone());
        }
        app
    }

    /// Hands a command's events to the bus and returns its value.
    pub async fn publish<T>(&self, outcome: Outcome<T>) -> T {
        for event in outcome.events {
            if self.bus.publish(Arc::new(event)).await.is_err() {
                metrics::counter!("chat_events_unpublished_total").increment(1);
            }
        }
        outcome.value
    }

    /// The socket registry of an app (created on first use).
    pub fn registry(&self, app: &AppId) -> Arc<Registry> {
        if let Some(r) = self
            .registries
            .read()
            .ok()
            .and_then(|m| m.get(app).cloned())
        {
            return r;
        }
        match self.registries.write() {
            Ok(mut m) => m.entry(app.clone()).or_insert_with(Registry::new).clone(),
            // A poisoned map still serves: a fresh registry only loses watch state.
            Err(_) => Registry::new(),
        }
    }

    /// Every app's registry (shutdown, metrics).
    pub fn registries(&self) -> Vec<Arc<Registry>> {
        self.registries
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Which of `users` are online (any node), for `online` in user objects.
    pub async fn online_among(&self, app: &AppId, users: &[UserId]) -> Vec<UserId> {
        self.presence
            .online_among(app, users)
            .await
            .into_iter()
            .collect()
    }

    /// Whether the server still takes new work.
    pub fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::Relaxed)
    }
}
