//! Starting and stopping a server: used by `main` and by the black-box tests (port 0).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use chat_core::engine::{ChatEngine, NewApp};
use chat_core::ids::AppId;
use chat_core::model::AppSettings;
use chat_core::store::Store;
use chat_core::time::Clock;
use chat_transport_ws::TransportConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer as _;

use crate::config::Config;
use crate::dev_app::DevCredentials;
use crate::state::AppState;

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The development app's credentials.
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

/// Makes sure the development app exists in `store`.
pub async fn ensure_dev_app(
    engine: &ChatEngine,
    dev: &DevCredentials,
) -> Result<(), chat_core::Error> {
    if engine.store().get_app_by_key(&dev.api_key).await?.is_some() {
        return Ok(());
    }
    let settings = AppSettings {
        name: "development".into(),
        development_mode: true,
        ..AppSettings::default()
    };
    match engine
        .create_app(NewApp {
            id: AppId::new_unchecked("dev"),
            api_key: dev.api_key.clone(),
            api_secret: dev.api_secret.clone(),
            settings,
        })
        .await
    {
        Ok(_) | Err(chat_core::Error::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Serves on `listener` until shut down.
pub async fn start(
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    listener: TcpListener,
    dev: DevCredentials,
    transport: TransportConfig,
) -> std::io::Result<ServerHandle> {
    let engine = ChatEngine::new(store, clock);
    ensure_dev_app(&engine, &dev)
        .await
        .map_err(std::io::Error::other)?;
    let addr = listener.local_addr()?;
    let state = Arc::new(AppState::new(engine, config, transport, metrics_handle()));
    tokio::spawn(crate::delivery::run(state.clone()));
    let router = crate::routes::router(state.clone());
    let app = tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash().layer(router);
    let (tx, rx) = oneshot::channel::<()>();
    let serve_state = state.clone();
    let join = tokio::spawn(async move {
        let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
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
