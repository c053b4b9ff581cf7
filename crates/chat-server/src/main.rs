//! The `chat-server` binary: `chat-server` (serve) and `chat-server token --user ID`.
//!
//! The start banner goes to standard output, between log lines: a line
//! `chat-server listening on http://ADDR` (what scripts and tests read to find the port
//! of `--addr 127.0.0.1:0`), the store, then the development app once the store is ready.

use std::process::ExitCode;
use std::sync::Arc;

use chat_server::config::{Cli, Command, Config, StoreConfig};
use chat_server::dev_app::DevCredentials;
use chat_server::storage::Storage;
use clap::Parser;

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(&cli.serve) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chat-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::Token { user, expires_in }) => token(&config, &user, expires_in),
        None | Some(Command::Serve) => serve(config).await,
    }
}

fn token(config: &Config, user: &str, expires_in: Option<i64>) -> ExitCode {
    let creds = match DevCredentials::load(&config.data_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "chat-server: no development app in {} ({e}); start the server once first",
                config.data_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    if chat_core::ids::UserId::parse(user).is_err() {
        eprintln!("chat-server: {user:?} is not a valid user id");
        return ExitCode::FAILURE;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    println!(
        "{}",
        chat_server::auth::user_token(
            &creds.api_secret,
            user,
            Some(now),
            expires_in.map(|s| now + s)
        )
    );
    ExitCode::SUCCESS
}

async fn serve(config: Config) -> ExitCode {
    init_logs(config.json_logs);
    let (creds, created) = match DevCredentials::load_or_create(&config.data_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "chat-server: cannot keep the development app in {}: {e}",
                config.data_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let storage = match Storage::from_config(&config.store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chat-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("chat-server: cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let clock = Arc::new(chat_core::time::SystemClock);
    let transport = chat_transport_ws::TransportConfig::default();
    let mut handle = match chat_server::server::start_on(
        config.clone(),
        storage,
        clock,
        listener,
        creds.clone(),
        transport,
    )
    .await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("chat-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("chat-server listening on http://{}", handle.addr);
    match &config.store {
        StoreConfig::Memory => println!("store: memory (data is lost on exit)"),
        StoreConfig::Postgres(pg) => println!(
            "store: postgres {}{} (ready when /health/ready says so)",
            pg.redacted_url(),
            pg.schema
                .as_deref()
                .map(|s| format!(", schema {s}"))
                .unwrap_or_default()
        ),
    }
    match &config.redis {
        None => println!("redis: none (single node)"),
        Some(r) => println!(
            "redis: {} prefix {} node {} (cross-node fan-out, presence, rate limits)",
            r.redacted_url(),
            r.prefix,
            handle.state.redis.as_ref().map_or("?", |link| &*link.node)
        ),
    }
    let shutdown = handle.take_shutdown();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        if let Some(tx) = shutdown {
            let _ = tx.send(());
        }
    });
    // On PostgreSQL the development app is known once the store is bootstrapped (the
    // database may already hold one from another data dir).
    let state = handle.state.clone();
    tokio::spawn(async move {
        let dev = state.bootstrapped().await;
        // The data dir's fresh credentials lose to an app the database already held.
        let label = match (created, dev == creds) {
            (_, false) => " (from the database)",
            (true, true) => " (created)",
            (false, true) => "",
        };
        println!("development app{label}:");
        println!("  api key:    {}", dev.api_key);
        println!("  api secret: {}", dev.api_secret);
        println!("user token:   cargo run -p chat-server -- token --user alice");
    });
    handle.wait().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
