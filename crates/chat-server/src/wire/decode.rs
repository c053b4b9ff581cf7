//! Reading request JSON field by field, with errors that name the request field
//! (`Error::Invalid { field: "message.parent_id", … }`).
//!
//! `null` reads as absent everywhere: clients send `null` for "not set".

use chat_core::custom::Custom;
use chat_core::ids::{MessageId, UserId};
use chat_core::time::Timestamp;
use chat_core::Error;
use serde_json::{Map, Value};

/// The fields of one request object, with the dotted path that names them in errors.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

/// Re-labels a validation error from an id constructor with the request field at fault.
pub(crate) fn renamed(err: Error, field: String) -> Error {
    match err {
        Error::Invalid { reason, .. } => Error::Invalid {
            field: field.into(),
            reason,
        },
        other => other,
    }
}

/// A whole number that fits `u64` (integral floats such as `10.0` included).
fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    })
}

impl<'a> Fields<'a> {
    /// The fields of `v`, which must be an object; `prefix` is its name in the request
    /// (`message`, `data.members[2]`; empty for the top level).
    pub fn of(v: &'a Value, prefix: &str) -> Result<Self, Error> {
        match v {
            Value::Object(map) => Ok(Self {
                map,
                prefix: prefix.to_owned(),
            }),
            _ => Err(Error::invalid(
                if prefix.is_empty() {
                    "body".to_owned()
                } else {
                    prefix.to_owned()
                },
                "must be a JSON object",
            )),
        }
    }

    /// The underlying object.
    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// The request name of `key` (`prefix.key`).
    pub fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn invalid(&self, key: &str, reason: &'static str) -> Error {
        Error::invalid(self.name(key), reason)
    }

    /// A present, non-null value.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An optional string.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(key, "must be a string")),
        }
    }

    /// An optional string; an empty string reads as absent (optional references).
    pub fn non_empty_str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        Ok(self.str(key)?.filter(|s| !s.is_empty()))
    }

    /// An optional owned string.
    pub fn string(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.str(key)?.map(str::to_owned))
    }

    /// A required, non-empty string.
    pub fn required_str(&self, key: &str) -> Result<&'a str, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Err(self.invalid(key, "is required")),
            Some(Value::String(s)) if s.is_empty() => Err(self.invalid(key, "must not be empty")),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(self.invalid(key, "must be a string")),
        }
    }

    /// An optional boolean.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(key, "must be a boolean")),
        }
    }

    /// An optional non-negative integer.
    pub fn u64(&self, key: &str) -> Result<Option<u64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => as_u64(v)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be a non-negative integer")),
        }
    }

    /// An optional non-negative integer that fits 32 bits.
    pub fn u32(&self, key: &str) -> Result<Option<u32>, Error> {
        match self.u64(key)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| self.invalid(key, "is too large")),
        }
    }

    /// An optional RFC3339 timestamp.
    pub fn timestamp(&self, key: &str) -> Result<Option<Timestamp>, Error> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) => Timestamp::parse_rfc3339(s)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be an RFC3339 time")),
        }
    }

    /// An optional object.
    pub fn object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.invalid(key, "must be an object")),
        }
    }

    /// An optional array.
    pub fn array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.invalid(key, "must be an array")),
        }
    }

    /// An optional array of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        let Some(items) = self.array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.invalid(key, "must be an array of strings"))
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// An optional user id (empty reads as absent).
    pub fn user_id(&self, key: &str) -> Result<Option<UserId>, Error> {
        match self.non_empty_str(key)? {
            None => Ok(None),
            Some(s) => UserId::parse(s)
                .map(Some)
                .map_err(|e| renamed(e, self.name(key))),
        }
    }

    /// An optional message id (empty reads as absent).
    pub fn message_id(&self, key: &str) -> Result<Option<MessageId>, Error> {
        match self.non_empty_str(key)? {
            None => Ok(None),
            Some(s) => MessageId::parse(s)
                .map(Some)
                .map_err(|e| renamed(e, self.name(key))),
        }
    }

    /// The acting user named by `user_id` or `user.id` (server-side requests).
    pub fn acting_user(&self) -> Result<Option<UserId>, Error> {
        if let Some(id) = self.user_id("user_id")? {
            return Ok(Some(id));
        }
        match self.get("user") {
            None => Ok(None),
            Some(u @ Value::Object(_)) => Fields::of(u, &self.name("user"))?.user_id("id"),
            Some(_) => Err(self.invalid("user", "must be an object")),
        }
    }

    /// Custom data: every key not in `known` (consumed or ignored built-ins), plus the keys
    /// of a nested `extra_data` object, which the Go SDK sends and we flatten (objects.md).
    pub fn custom_except(&self, known: &[&str]) -> Result<Custom, Error> {
        let mut custom = Custom::new();
        for (k, v) in self.map {
            if k != "extra_data" && !known.contains(&k.as_str()) {
                custom.insert(k.clone(), v.clone());
            }
        }
        if let Some(extra) = self.object("extra_data")? {
            for (k, v) in extra {
                custom.insert(k.clone(), v.clone());
            }
        }
        Ok(custom)
    }
}

/// Reads top-level `key` of a request body as a boolean (absent, `null` or a non-object
/// body: `None`).
pub fn bool_field(body: &Value, key: &str) -> Result<Option<bool>, Error> {
    top(body).bool(key)
}

/// Reads top-level `key` of a request body as a string.
pub fn str_field<'a>(body: &'a Value, key: &str) -> Result<Option<&'a str>, Error> {
    top(body).str(key)
}

/// Reads top-level `key` of a request body as a non-negative integer.
pub fn opt_u64(body: &Value, key: &str) -> Result<Option<u64>, Error> {
    top(body).u64(key)
}

/// Reads top-level `key` of a request body as an RFC3339 timestamp.
pub fn opt_timestamp(body: &Value, key: &str) -> Result<Option<Timestamp>, Error> {
    top(body).timestamp(key)
}

/// The acting user of a server-side body: `user_id`, or `user.id`.
pub fn acting_user(body: &Value) -> Result<Option<UserId>, Error> {
    top(body).acting_user()
}

fn top(body: &Value) -> Fields<'_> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match body {
        Value::Object(map) => Fields {
            map,
            prefix: String::new(),
        },
        _ => Fields {
            map: EMPTY.get_or_init(Map::new),
            prefix: String::new(),
        },
    }
}
