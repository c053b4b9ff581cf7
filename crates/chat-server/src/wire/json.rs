//! A small builder for JSON objects, so encoders read like the field tables they implement.

use chat_core::custom::Custom;
use chat_core::time::Timestamp;
use serde_json::{Map, Value};

/// An RFC3339 timestamp value.
pub(crate) fn ts(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339())
}

/// A JSON object under construction.
#[derive(Debug, Default)]
pub(crate) struct Obj(Map<String, Value>);

impl Obj {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Always sets `key`.
    pub(crate) fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Sets `key` only when there is a value (optional fields are omitted, not `null`).
    pub(crate) fn opt(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    /// Sets `key` only when `cond` holds (fields documented as "present when true").
    pub(crate) fn when(self, cond: bool, key: &str, value: impl Into<Value>) -> Self {
        if cond {
            self.set(key, value)
        } else {
            self
        }
    }

    /// A timestamp field.
    pub(crate) fn ts(self, key: &str, t: Timestamp) -> Self {
        self.set(key, ts(t))
    }

    /// An optional timestamp field, omitted when unset.
    pub(crate) fn opt_ts(self, key: &str, t: Option<Timestamp>) -> Self {
        self.opt(key, t.map(ts))
    }

    /// An optional timestamp field, `null` when unset (message pin fields).
    pub(crate) fn ts_or_null(self, key: &str, t: Option<Timestamp>) -> Self {
        self.set(key, t.map_or(Value::Null, ts))
    }

    /// Flattens custom data at top level. Built-in fields win: core refuses reserved keys
    /// on write, but data stored before a key became built-in must not shadow it.
    pub(crate) fn custom(mut self, custom: &Custom) -> Self {
        for (k, v) in custom.as_map() {
            if !self.0.contains_key(k) {
                self.0.insert(k.clone(), v.clone());
            }
        }
        self
    }

    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0
    }

    pub(crate) fn build(self) -> Value {
        Value::Object(self.0)
    }
}
