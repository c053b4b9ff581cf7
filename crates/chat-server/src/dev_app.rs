//! The development app: created on first start with fresh credentials, which are kept in
//! the data dir so later starts (and `chat-server token`) use the same key and secret.
//!
//! On a durable store the database is the authority: when it already holds the
//! development app (created by an earlier start with another data dir), its credentials
//! are used and written to this data dir, rather than a second key that matches nothing.

use std::path::Path;

use chat_core::engine::{ChatEngine, NewApp};
use chat_core::ids::AppId;
use chat_core::model::{App, AppSettings};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// Id of the development app.
const DEV_APP_ID: &str = "dev";

/// File in the data dir holding the credentials.
const FILE: &str = "dev-app.json";

/// Credentials of the development app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DevCredentials {
    /// API key.
    pub api_key: String,
    /// API secret.
    pub api_secret: String,
}

fn random_hex(bytes: usize) -> String {
    // ULIDs carry 80 random bits each; hash a few to get an even, unguessable string.
    let mut hasher = sha2::Sha256::new();
    for _ in 0..4 {
        hasher.update(ulid::Ulid::new().to_bytes());
    }
    let digest = hasher.finalize();
    digest
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl DevCredentials {
    /// Fresh random credentials.
    pub fn generate() -> Self {
        Self {
            api_key: random_hex(10),
            api_secret: random_hex(32),
        }
    }

    /// Reads the credentials from `dir`, creating and saving new ones if there are none.
    pub fn load_or_create(dir: &Path) -> std::io::Result<(Self, bool)> {
        match Self::load(dir) {
            Ok(creds) => Ok((creds, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let creds = Self::generate();
                creds.save(dir)?;
                Ok((creds, true))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads existing credentials from `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(dir.join(FILE))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Writes the credentials to `dir` (whole: a temporary file renamed over the old one,
    /// so a reader never sees half a file).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, json)?;
        std::fs::rename(tmp, dir.join(FILE))
    }

    fn of(app: &App) -> Self {
        Self {
            api_key: app.api_key.clone(),
            api_secret: app.api_secret.clone(),
        }
    }
}

/// Makes sure the development app exists in the engine's store and returns the
/// credentials that work: `dev` when the store has (or now gets) an app with that key,
/// else those of the development app the store already holds.
///
/// Creating an app is two writes (the app, then its built-in channel types); an outage
/// between them leaves an app without types, so every call seeds the missing types
/// (idempotent) whether or not it created the app.
pub async fn ensure_dev_app(
    engine: &ChatEngine,
    dev: &DevCredentials,
) -> Result<DevCredentials, chat_core::Error> {
    let app = existing_dev_app(engine, dev).await?;
    let app = match app {
        Some(app) => app,
        None => create_dev_app(engine, dev).await?,
    };
    engine.seed_channel_types(&app.id).await?;
    Ok(DevCredentials::of(&app))
}

async fn existing_dev_app(
    engine: &ChatEngine,
    dev: &DevCredentials,
) -> Result<Option<App>, chat_core::Error> {
    let store = engine.store();
    if let Some(app) = store.get_app_by_key(&dev.api_key).await? {
        return Ok(Some(app));
    }
    Ok(store.get_app(&AppId::new_unchecked(DEV_APP_ID)).await?)
}

async fn create_dev_app(
    engine: &ChatEngine,
    dev: &DevCredentials,
) -> Result<App, chat_core::Error> {
    let settings = AppSettings {
        name: "development".into(),
        development_mode: true,
        ..AppSettings::default()
    };
    let created = engine
        .create_app(NewApp {
            id: AppId::new_unchecked(DEV_APP_ID),
            api_key: dev.api_key.clone(),
            api_secret: dev.api_secret.clone(),
            settings,
        })
        .await;
    match created {
        Ok(app) => Ok(app),
        // Another process created it between our read and our insert.
        Err(chat_core::Error::AlreadyExists { .. }) => existing_dev_app(engine, dev)
            .await?
            .ok_or_else(|| chat_core::Error::not_found("app", DEV_APP_ID)),
        Err(e) => Err(e),
    }
}
