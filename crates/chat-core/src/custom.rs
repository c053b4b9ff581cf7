//! Custom data: the one dynamic map in the domain, for the arbitrary extra fields the API
//! lets clients store on users, channels, members, messages, attachments and reactions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

/// Arbitrary extra fields, kept in key order so stored shapes are stable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Custom(Map<String, Value>);

impl Custom {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps a JSON object.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// The underlying JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Consumes into the underlying JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A top-level field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A field by dotted path (`a.b.c`), looking into nested objects.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut cur = self.0.get(parts.next()?)?;
        for part in parts {
            cur = cur.as_object()?.get(part)?;
        }
        Some(cur)
    }

    /// Sets a top-level field.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }

    /// Removes a top-level field.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    /// Sets a field by dotted path, creating intermediate objects (partial-update `set`).
    pub fn set_path(&mut self, path: &str, value: Value) -> Result<(), Error> {
        let parts: Vec<&str> = path.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(Error::invalid(format!("set.{path}"), "empty path segment"));
        }
        let (last, parents) = parts
            .split_last()
            .ok_or_else(|| Error::invalid("set", "empty path"))?;
        let mut cur = &mut self.0;
        for part in parents {
            let entry = cur
                .entry((*part).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            cur = match entry {
                Value::Object(m) => m,
                _ => return Err(Error::invalid(format!("set.{path}"), "not an object")),
            };
        }
        cur.insert((*last).to_string(), value);
        Ok(())
    }

    /// Removes a field by dotted path (partial-update `unset`). Missing paths are a no-op.
    pub fn unset_path(&mut self, path: &str) {
        let parts: Vec<&str> = path.split('.').collect();
        let Some((last, parents)) = parts.split_last() else {
            return;
        };
        let mut cur = &mut self.0;
        for part in parents {
            match cur.get_mut(*part) {
                Some(Value::Object(m)) => cur = m,
                _ => return,
            }
        }
        cur.remove(*last);
    }

    /// Serialised size in bytes, for the per-object limits (5 KB, 1 KB for reactions).
    pub fn encoded_len(&self) -> usize {
        serde_json::to_vec(&self.0)
            .map(|v| v.len())
            .unwrap_or(usize::MAX)
    }

    /// Checks the size limit and that no key is a built-in field name.
    pub fn validate(
        &self,
        field: &'static str,
        reserved: &[&str],
        max_bytes: usize,
    ) -> Result<(), Error> {
        if let Some(key) = self.0.keys().find(|k| reserved.contains(&k.as_str())) {
            return Err(Error::invalid(
                format!("{field}.{key}"),
                "is a reserved field and cannot be used as custom data",
            ));
        }
        if self.encoded_len() > max_bytes {
            return Err(Error::invalid(
                field,
                format!("custom data must be at most {max_bytes} bytes"),
            ));
        }
        Ok(())
    }
}

impl FromIterator<(String, Value)> for Custom {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_and_unset_paths() {
        let mut c = Custom::new();
        c.set_path("a.b", json!(1)).unwrap();
        c.set_path("x", json!("y")).unwrap();
        assert_eq!(c.get_path("a.b"), Some(&json!(1)));
        c.unset_path("a.b");
        assert_eq!(c.get("a"), Some(&json!({})));
        c.unset_path("missing.deep");
        assert!(c.set_path("a..b", json!(1)).is_err());
    }

    #[test]
    fn validate_reserved_and_size() {
        let mut c = Custom::new();
        c.insert("id", json!("x"));
        assert!(c.validate("user", &["id"], 100).is_err());
        let mut big = Custom::new();
        big.insert("k", json!("x".repeat(200)));
        assert!(big.validate("user", &[], 100).is_err());
        assert!(big.validate("user", &[], 5 * 1024).is_ok());
    }
}
