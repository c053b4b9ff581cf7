//! The development app: created on first start with fresh credentials, which are kept in
//! the data dir so later starts (and `chat-server token`) use the same key and secret.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

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
        let path = dir.join("dev-app.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(|c| (c, false))
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let creds = Self::generate();
                std::fs::create_dir_all(dir)?;
                let json = serde_json::to_vec_pretty(&creds).map_err(std::io::Error::other)?;
                std::fs::write(&path, json)?;
                Ok((creds, true))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads existing credentials from `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(dir.join("dev-app.json"))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}
