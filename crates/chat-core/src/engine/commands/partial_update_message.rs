//! Partial update of a message: `set` / `unset` (pinning included).

use serde_json::Value;

use crate::engine::{Actor, ChatEngine, Outcome, MAX_CUSTOM_BYTES};
use crate::error::{Error, Result};
use crate::ids::{MessageId, UserId};
use crate::model::{Attachment, Message};
use crate::time::Timestamp;

use super::send_message::MESSAGE_RESERVED;

fn invalid(key: &str, why: &'static str) -> Error {
    Error::invalid(format!("set.{key}"), why)
}

fn apply_set(m: &mut Message, key: &str, v: &Value) -> Result<()> {
    match key {
        "text" => {
            m.text = v
                .as_str()
                .ok_or_else(|| invalid(key, "must be a string"))?
                .to_string()
        }
        "attachments" => {
            m.attachments = serde_json::from_value::<Vec<Attachment>>(v.clone())
                .map_err(|_| invalid(key, "must be a list of attachments"))?
        }
        "mentioned_users" => {
            let ids = v
                .as_array()
                .ok_or_else(|| invalid(key, "must be a list of user ids"))?;
            m.mentioned_users = ids
                .iter()
                .map(|id| {
                    id.as_str()
                        .ok_or_else(|| invalid(key, "must be a list of user ids"))
                        .and_then(UserId::parse)
                })
                .collect::<Result<_>>()?;
        }
        "pinned" => {
            m.pinned = v
                .as_bool()
                .ok_or_else(|| invalid(key, "must be a boolean"))?
        }
        "pin_expires" => {
            m.pin_expires = match v {
                Value::Null => None,
                Value::String(s) => Some(
                    Timestamp::parse_rfc3339(s)
                        .ok_or_else(|| invalid(key, "must be an RFC3339 time"))?,
                ),
                _ => return Err(invalid(key, "must be an RFC3339 time or null")),
            }
        }
        "silent" => {
            m.silent = v
                .as_bool()
                .ok_or_else(|| invalid(key, "must be a boolean"))?
        }
        "show_in_channel" if m.parent_id.is_some() => {
            m.show_in_channel = v
                .as_bool()
                .ok_or_else(|| invalid(key, "must be a boolean"))?
        }
        "quoted_message_id" => {
            m.quoted_message_id = match v {
                Value::Null => None,
                Value::String(s) => Some(MessageId::parse(s)?),
                _ => return Err(invalid(key, "must be a message id")),
            }
        }
        k if MESSAGE_RESERVED.contains(&k) => {
            return Err(Error::invalid(format!("set.{k}"), "cannot be changed"))
        }
        _ => m.custom.set_path(key, v.clone())?,
    }
    Ok(())
}

fn apply_unset(m: &mut Message, key: &str) -> Result<()> {
    match key {
        "text" => m.text.clear(),
        "attachments" => m.attachments.clear(),
        "mentioned_users" => m.mentioned_users.clear(),
        "pinned" => m.pinned = false,
        "pin_expires" => m.pin_expires = None,
        "quoted_message_id" => m.quoted_message_id = None,
        k if MESSAGE_RESERVED.contains(&k) => {
            return Err(Error::invalid(format!("unset.{k}"), "cannot be removed"))
        }
        _ => m.custom.unset_path(key),
    }
    Ok(())
}

impl ChatEngine {
    /// Sets then unsets message fields; pinning (`pinned`, `pin_expires`) needs
    /// `PinMessage`. A key may not be both set and unset.
    pub async fn partial_update_message(
        &self,
        actor: &Actor,
        id: &MessageId,
        set: serde_json::Map<String, Value>,
        unset: Vec<String>,
    ) -> Result<Outcome<Message>> {
        if let Some(both) = unset.iter().find(|k| set.contains_key(k.as_str())) {
            return Err(Error::invalid(
                format!("unset.{both}"),
                "cannot be set and unset in one update",
            ));
        }
        self.modify_message(actor, id, |access, m| {
            for (k, v) in &set {
                apply_set(m, k, v)?;
            }
            for k in &unset {
                apply_unset(m, k)?;
            }
            let len = m.text.chars().count();
            let max = access.config.max_message_length;
            if len > max as usize {
                return Err(Error::MessageTooLong { len, max });
            }
            m.custom
                .validate("message", MESSAGE_RESERVED, MAX_CUSTOM_BYTES)
        })
        .await
    }
}
