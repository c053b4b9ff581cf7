//! Partial update of a channel: `set` and `unset` of data fields.

use serde_json::Value;

use crate::engine::{Actor, ChatEngine, Outcome, COOLDOWN_RANGE, MAX_CUSTOM_BYTES};
use crate::error::{Error, Result};
use crate::ids::Cid;
use crate::model::{Channel, ConfigOverrides};

use super::get_or_create_channel::CHANNEL_RESERVED;

fn bool_field(key: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::invalid(format!("set.{key}"), "must be a boolean"))
}

fn apply_set(channel: &mut Channel, key: &str, value: &Value) -> Result<()> {
    match key {
        "frozen" => channel.frozen = bool_field(key, value)?,
        "disabled" => channel.disabled = bool_field(key, value)?,
        "cooldown" => {
            let secs = value
                .as_u64()
                .ok_or_else(|| Error::invalid("set.cooldown", "must be a whole number"))?;
            let (lo, hi) = COOLDOWN_RANGE;
            if secs != 0 && !(u64::from(lo)..=u64::from(hi)).contains(&secs) {
                return Err(Error::invalid(
                    "set.cooldown",
                    format!("must be between {lo} and {hi} seconds, or 0"),
                ));
            }
            channel.cooldown = u32::try_from(secs).ok().filter(|s| *s > 0);
        }
        "team" => channel.team = value.as_str().map(String::from),
        "config_overrides" => {
            channel.config_overrides = serde_json::from_value::<ConfigOverrides>(value.clone())
                .map_err(|e| Error::invalid("set.config_overrides", e.to_string()))?;
        }
        k if CHANNEL_RESERVED.contains(&k) => {
            return Err(Error::invalid(format!("set.{k}"), "cannot be changed"));
        }
        _ => channel.custom.set_path(key, value.clone())?,
    }
    Ok(())
}

fn apply_unset(channel: &mut Channel, key: &str) -> Result<()> {
    match key {
        "cooldown" => channel.cooldown = None,
        "team" => channel.team = None,
        "config_overrides" => channel.config_overrides = ConfigOverrides::default(),
        "frozen" => channel.frozen = false,
        "disabled" => channel.disabled = false,
        k if CHANNEL_RESERVED.contains(&k) => {
            return Err(Error::invalid(format!("unset.{k}"), "cannot be removed"));
        }
        _ => channel.custom.unset_path(key),
    }
    Ok(())
}

impl ChatEngine {
    /// Sets then unsets fields; a key may not be in both. Same grants as a full update.
    pub async fn partial_update_channel(
        &self,
        actor: &Actor,
        cid: &Cid,
        set: serde_json::Map<String, Value>,
        unset: Vec<String>,
    ) -> Result<Outcome<Channel>> {
        if let Some(both) = unset.iter().find(|k| set.contains_key(k.as_str())) {
            return Err(Error::invalid(
                format!("unset.{both}"),
                "cannot be set and unset in one update",
            ));
        }
        self.modify_channel(actor, cid, |channel| {
            for (k, v) in &set {
                apply_set(channel, k, v)?;
            }
            for k in &unset {
                apply_unset(channel, k)?;
            }
            channel
                .custom
                .validate("channel", CHANNEL_RESERVED, MAX_CUSTOM_BYTES)
        })
        .await
    }
}
