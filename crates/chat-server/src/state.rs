//! Process-wide state shared by every route: the engine, the socket registry, the event
//! bus and the app cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chat_core::engine::{ChatEngine, Outcome};
use chat_core::fanout::{LocalPubSub, PubSub};
use chat_core::ids::AppId;
use chat_core::model::App;
use chat_transport_ws::{Registry, TransportConfig};

use crate::config::Config;
use crate::error::ApiError;

/// Shared state (behind an `Arc`).
pub struct AppState {
    /// The engine.
    pub engine: ChatEngine,
    /// Open sockets and what they watch, per app (cids are only unique within an app).
    registries: RwLock<HashMap<AppId, Arc<Registry>>>,
    /// Events from commands to the delivery task (and, later, other nodes).
    pub bus: Arc<LocalPubSub>,
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
        config: Config,
        transport: TransportConfig,
        metrics: metrics_exporter_prometheus::PrometheusHandle,
    ) -> Self {
        Self {
            engine,
            registries: RwLock::new(HashMap::new()),
            bus: Arc::new(LocalPubSub::new(65_536)),
            config,
            transport,
            apps: RwLock::new(HashMap::new()),
            metrics,
            accepting: AtomicBool::new(true),
        }
    }

    /// The app with this api key (cached).
    pub async fn app_by_key(&self, key: &str) -> Result<Option<Arc<App>>, ApiError> {
        if let Some(app) = self.apps.read().ok().and_then(|m| m.get(key).cloned()) {
            return Ok(Some(app));
        }
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

    /// Whether the server still takes new work.
    pub fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::Relaxed)
    }
}
