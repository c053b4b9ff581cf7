//! Starting and stopping each system under test as a private child process on a free
//! loopback port with its own temporary directory, so a run never disturbs the shared
//! services of the machine (the Redis on 6379 and others' servers stay untouched).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::LoadError;
use crate::cli::Common;
use crate::spec::{Endpoint, SystemKind};

/// A started (or external) system.
pub struct Started {
    /// How to reach it.
    pub endpoint: Endpoint,
    /// Its process, for CPU and RSS (`None` for an external server without `--server-pid`).
    pub pid: Option<u32>,
    /// What it is, for the report (store, version).
    pub label: String,
    child: Option<Child>,
    tmp: Option<PathBuf>,
}

impl Started {
    /// Stops the child (if we started it: SIGTERM, so it can shut down cleanly and a
    /// profiler wrapping it can write its output; SIGKILL after 10 s) and removes its
    /// directory.
    pub async fn stop(mut self) {
        if let Some(child) = self.child.as_mut() {
            if let Some(pid) = child.id() {
                let _ = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .await;
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
        if let Some(dir) = self.tmp.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn temp_dir(kind: SystemKind) -> Result<PathBuf, LoadError> {
    let dir = std::env::temp_dir().join(format!(
        "chat-load-{}-{}-{}",
        kind.name(),
        std::process::id(),
        crate::marker::now_us()
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| LoadError::Start(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// A loopback port free right now (the child binds it a moment later; the race only
/// matters if another process grabs the same port in between, which then fails loudly).
fn free_port() -> Result<u16, LoadError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| LoadError::Start(format!("no free port: {e}")))?;
    let port = l
        .local_addr()
        .map_err(|e| LoadError::Start(e.to_string()))?
        .port();
    Ok(port)
}

async fn wait_for_port(addr: &str, child: &mut Child, what: &str) -> Result<(), LoadError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(LoadError::Start(format!("{what} exited: {status}")));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(LoadError::Start(format!("{what} did not listen on {addr}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `GET /health/ready` until it answers 200 (store migrated, development app ready).
async fn wait_ready(url: &str, child: &mut Child) -> Result<(), LoadError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let client = reqwest::Client::new();
    loop {
        let ready = client
            .get(format!("{url}/health/ready"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(LoadError::Start(format!("chat-server exited: {status}")));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(LoadError::Start("chat-server did not become ready".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads `child`'s stdout until a line starting with `prefix`, returns the rest of it, and
/// keeps forwarding later lines to our stderr (a full pipe would block the child's logs).
async fn await_line(
    child: &mut Child,
    prefix: &str,
    tag: &'static str,
) -> Result<String, LoadError> {
    let Some(out) = child.stdout.take() else {
        return Err(LoadError::Start(format!("{tag}: no stdout")));
    };
    let mut lines = BufReader::new(out).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(rest.trim().to_string());
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            // Warnings and errors only: the rest is the start banner (credentials included).
            if line.contains("WARN") || line.contains("ERROR") || line.contains("rror") {
                eprintln!("[{tag}] {line}");
            }
        }
    });
    found.ok_or_else(|| LoadError::Start(format!("{tag} did not print {prefix:?}")))
}

fn spawn(cmd: &mut Command, what: &str) -> Result<Child, LoadError> {
    cmd.kill_on_drop(true)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| LoadError::Start(format!("cannot start {what}: {e}")))
}

/// The chat-server binary: `--server-bin`, else next to this executable.
fn server_bin(common: &Common) -> Result<PathBuf, LoadError> {
    if let Some(b) = &common.server_bin {
        return Ok(b.clone());
    }
    let me = std::env::current_exe().map_err(|e| LoadError::Start(e.to_string()))?;
    let dir = me.parent().unwrap_or(Path::new("."));
    // Integration tests run from target/<profile>/deps.
    for candidate in [dir.join("chat-server"), dir.join("../chat-server")] {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    Err(LoadError::Start(format!(
        "no chat-server binary next to {}; build it (cargo build --release -p chat-server) \
         or pass --server-bin",
        me.display()
    )))
}

/// Starts our server (or adopts `--url`).
pub async fn start_chat(common: &Common) -> Result<Started, LoadError> {
    if let Some(url) = &common.url {
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let (Some(key), Some(secret)) = (&common.api_key, &common.api_secret) else {
            return Err(LoadError::Usage(
                "--url needs --api-key and --api-secret".into(),
            ));
        };
        return Ok(Started {
            endpoint: Endpoint {
                kind: SystemKind::Chat,
                addr,
                api_key: key.clone(),
                api_secret: secret.clone(),
            },
            pid: common.server_pid,
            label: format!("chat-server at {url}"),
            child: None,
            tmp: None,
        });
    }
    let bin = server_bin(common)?;
    if common.database_url.is_some() {
        let help = Command::new(&bin)
            .arg("--help")
            .output()
            .await
            .map_err(|e| LoadError::Start(format!("cannot run {}: {e}", bin.display())))?;
        if !String::from_utf8_lossy(&help.stdout).contains("--database-url") {
            return Err(LoadError::Unsupported(format!(
                "{} has no --database-url option: this server build cannot use the Postgres \
                 store yet, so this scenario cannot run",
                bin.display()
            )));
        }
    }
    let tmp = temp_dir(SystemKind::Chat)?;
    let mut cmd = Command::new(&bin);
    cmd.arg("--addr")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(&tmp)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped());
    if let Some(db) = &common.database_url {
        // Its own schema: runs leave their rows there, not in the database's `public`.
        cmd.arg("--database-url")
            .arg(db)
            .arg("--database-schema")
            .arg("chat_load");
    }
    let mut child = spawn(&mut cmd, &bin.display().to_string())?;
    let pid = child.id();
    let url = await_line(&mut child, "chat-server listening on ", "chat-server").await?;
    let addr = url.trim_start_matches("http://").to_string();
    // The server listens before its store is migrated and bootstrapped (the credentials
    // file is written then).
    wait_ready(&url, &mut child).await?;
    let creds = chat_server::dev_app::DevCredentials::load(&tmp)
        .map_err(|e| LoadError::Start(format!("no dev app in {}: {e}", tmp.display())))?;
    let store = if common.database_url.is_some() {
        "postgres"
    } else {
        "memory"
    };
    Ok(Started {
        endpoint: Endpoint {
            kind: SystemKind::Chat,
            addr,
            api_key: creds.api_key,
            api_secret: creds.api_secret,
        },
        pid,
        label: format!("chat-server ({store} store)"),
        child: Some(child),
        tmp: Some(tmp),
    })
}

/// Starts a private redis-server (no persistence, room for 19.9k clients).
pub async fn start_redis(common: &Common) -> Result<Started, LoadError> {
    let port = free_port()?;
    let tmp = temp_dir(SystemKind::Redis)?;
    let mut cmd = Command::new(&common.redis_bin);
    cmd.args(["--bind", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .args(["--maxclients", "19900", "--loglevel", "warning"])
        .arg("--dir")
        .arg(&tmp)
        .stdout(Stdio::null());
    let mut child = spawn(&mut cmd, "redis-server")?;
    let addr = format!("127.0.0.1:{port}");
    wait_for_port(&addr, &mut child, "redis-server").await?;
    Ok(Started {
        pid: child.id(),
        endpoint: Endpoint {
            kind: SystemKind::Redis,
            addr,
            api_key: String::new(),
            api_secret: String::new(),
        },
        label: "redis-server (private, pub/sub)".into(),
        child: Some(child),
        tmp: Some(tmp),
    })
}

/// Starts a private nats-server.
pub async fn start_nats(common: &Common) -> Result<Started, LoadError> {
    let port = free_port()?;
    let mut cmd = Command::new(&common.nats_bin);
    cmd.args(["-a", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = spawn(&mut cmd, "nats-server")?;
    let addr = format!("127.0.0.1:{port}");
    wait_for_port(&addr, &mut child, "nats-server").await?;
    Ok(Started {
        pid: child.id(),
        endpoint: Endpoint {
            kind: SystemKind::Nats,
            addr,
            api_key: String::new(),
            api_secret: String::new(),
        },
        label: "nats-server (private, core pub/sub)".into(),
        child: Some(child),
        tmp: None,
    })
}

/// The socket.io peer's directory: `--socketio-dir`, else `benches/peers/socketio` of the
/// workspace this tool was built from.
fn socketio_dir(common: &Common) -> PathBuf {
    common.socketio_dir.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/peers/socketio")
    })
}

/// Starts the socket.io peer (installing its locked packages with `npm ci` if missing).
pub async fn start_socketio(common: &Common) -> Result<Started, LoadError> {
    let dir = socketio_dir(common);
    if !dir.join("server.js").exists() {
        return Err(LoadError::Start(format!(
            "no socket.io peer in {} (pass --socketio-dir)",
            dir.display()
        )));
    }
    if !dir.join("node_modules/socket.io").exists() {
        eprintln!(
            "chat-load: installing the socket.io peer (npm ci) in {}",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .await
            .map_err(|e| LoadError::Start(format!("cannot run npm: {e}")))?;
        if !status.success() {
            return Err(LoadError::Start(format!(
                "npm ci failed in {}",
                dir.display()
            )));
        }
    }
    let mut cmd = Command::new(&common.node_bin);
    cmd.arg("server.js")
        .current_dir(&dir)
        .env("PORT", "0")
        .stdout(Stdio::piped());
    let mut child = spawn(&mut cmd, "node (socket.io peer)")?;
    let port = await_line(&mut child, "listening ", "socketio").await?;
    Ok(Started {
        pid: child.id(),
        endpoint: Endpoint {
            kind: SystemKind::Socketio,
            addr: format!("127.0.0.1:{port}"),
            api_key: String::new(),
            api_secret: String::new(),
        },
        label: "socket.io 4 on Node (broadcast room)".into(),
        child: Some(child),
        tmp: None,
    })
}

/// Starts `kind`.
pub async fn start(kind: SystemKind, common: &Common) -> Result<Started, LoadError> {
    match kind {
        SystemKind::Chat => start_chat(common).await,
        SystemKind::Redis => start_redis(common).await,
        SystemKind::Nats => start_nats(common).await,
        SystemKind::Socketio => start_socketio(common).await,
    }
}
