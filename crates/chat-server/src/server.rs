//! Starting and stopping a server: used by `main` and by the black-box tests (port 0).
//!
//! Bootstrapping the store (migrations, the development app) happens before `start`
//! returns for a store that is ready as given; for PostgreSQL it runs in the background,
//! retrying with backoff, so the server listens (and answers `/health/ready` with 503)
//! while the database is down, and becomes ready without a restart when it returns.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chat_core::engine::ChatEngine;
use chat_core::store::Store;
use chat_core::time::Clock;
use chat_transport_ws::TransportConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer as _;

use crate::config::Config;
use crate::dev_app::{ensure_dev_app, DevCredentials};
use crate::state::AppState;
use crate::storage::Storage;

/// First pause between bootstrap attempts; doubles up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Longest pause between bootstrap attempts: how long a returning database may wait to
/// be noticed.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(2);

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The development app's credentials: the working ones when the store was ready at
    /// start; for a store bootstrapped in the background, the configured ones (see
    /// [`ServerHandle::bootstrapped`]).
    pub dev: DevCredentials,
    /// Shared state (tests inspect it).
    pub state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    join: JoinHandle<()>,
}

impl ServerHandle {
    /// Stops accepting, closes sockets, finishes in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.join.await;
    }

    /// Waits until the server stops by itself.
    pub async fn wait(self) {
        let _ = self.join.await;
    }

    /// Waits until the store is bootstrapped and returns the development app's working
    /// credentials.
    pub async fn bootstrapped(&self) -> DevCredentials {
        self.state.bootstrapped().await
    }

    /// A sender that triggers shutdown (for signal handlers).
    pub fn take_shutdown(&mut self) -> Option<oneshot::Sender<()>> {
        self.shutdown.take()
    }
}

/// The process-wide Prometheus recorder (a recorder can be installed only once).
fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed (e.g. by an embedding app).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Migrates the store and puts the development app in place; the credentials that work.
async fn bootstrap(state: &AppState, dev: &DevCredentials) -> Result<DevCredentials, String> {
    state
        .storage
        .prepare()
        .await
        .map_err(|e| format!("cannot migrate the store: {e}"))?;
    let working = ensure_dev_app(&state.engine, dev)
        .await
        .map_err(|e| format!("cannot create the development app: {e}"))?;
    if &working != dev {
        tracing::warn!(
            api_key = %working.api_key,
            "the store already holds a development app with other credentials; using them"
        );
        if let Err(e) = working.save(&state.config.data_dir) {
            tracing::warn!(error = %e, "cannot save the development app's credentials");
        }
    }
    Ok(working)
}

/// [`bootstrap`] until it succeeds, pausing with exponential backoff between attempts.
async fn bootstrap_until_done(state: Arc<AppState>, dev: DevCredentials) {
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        match bootstrap(&state, &dev).await {
            Ok(working) => {
                tracing::info!(store = state.storage.kind(), "store ready");
                state.set_bootstrapped(working);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "store not ready");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
        }
    }
}

/// Serves `store`, which must be usable as given (the memory store, or a migrated
/// PostgreSQL store), on `listener` until shut down.
pub async fn start(
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    listener: TcpListener,
    dev: DevCredentials,
    transport: TransportConfig,
) -> std::io::Result<ServerHandle> {
    start_on(
        config,
        Storage::prepared(store),
        clock,
        listener,
        dev,
        transport,
    )
    .await
}

/// Serves `storage` on `listener` until shut down. A store that needs preparation
/// (PostgreSQL) is bootstrapped in the background: `start_on` returns at once, even while
/// the database is down.
pub async fn start_on(
    config: Config,
    storage: Storage,
    clock: Arc<dyn Clock>,
    listener: TcpListener,
    mut dev: DevCredentials,
    transport: TransportConfig,
) -> std::io::Result<ServerHandle> {
    let engine = ChatEngine::new(storage.store(), clock);
    let addr = listener.local_addr()?;
    let background = storage.needs_preparation();
    let redis = match &config.redis {
        Some(r) => Some(
            crate::redis::RedisLink::connect(&r.url, &r.prefix).map_err(std::io::Error::other)?,
        ),
        None => None,
    };
    let state = Arc::new(AppState::new(
        engine,
        storage,
        config,
        transport,
        metrics_handle(),
        redis,
    ));
    crate::presence::spawn_heartbeat(&state);
    if background {
        tokio::spawn(bootstrap_until_done(state.clone(), dev.clone()));
    } else {
        dev = bootstrap(&state, &dev)
            .await
            .map_err(std::io::Error::other)?;
        state.set_bootstrapped(dev.clone());
    }
    tokio::spawn(crate::delivery::run(state.clone()));
    let router = crate::routes::router(state.clone());
    let app = tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash().layer(router);
    let (tx, rx) = oneshot::channel::<()>();
    let serve_state = state.clone();
    let join = tokio::spawn(async move {
        let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
        // Without TCP_NODELAY a response or frame written in pieces can wait for the
        // peer's delayed ACK (tens of ms) under Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
                serve_state.accepting.store(false, Ordering::Relaxed);
                let registries = serve_state.registries();
                for registry in &registries {
                    registry.close_all();
                }
                for registry in &registries {
                    // Each socket flushes what is queued, then closes (bounded by the
                    // transport's close timeout).
                    registry.drained().await;
                }
                serve_state.presence.flush_pending(&serve_state).await;
                serve_state.presence.leave().await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    Ok(ServerHandle {
        addr,
        dev,
        state,
        shutdown: Some(tx),
        join,
    })
}
