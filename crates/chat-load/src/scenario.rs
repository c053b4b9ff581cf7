//! The named presets of issue 5 and the plans they expand to. Each is sized to finish in
//! about two minutes here, peers included.

use serde::Serialize;

use crate::cli::Overrides;

/// Preset names (`chat-load scenario <name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioName {
    /// 10k members of one channel, 1 msg/s, 1 KiB: latency at low rate.
    #[value(name = "fanout-10k-1hz")]
    Fanout10k1hz,
    /// 10k members of one channel, as fast as it goes: deliveries per second.
    #[value(name = "fanout-10k-max")]
    Fanout10kMax,
    /// 10 channels of 100 members, as fast as it goes.
    #[value(name = "fanout-100-max")]
    Fanout100Max,
    /// Postgres store, 1k msg/s into 10 channels of 100 members.
    #[value(name = "postgres-1k")]
    Postgres1k,
    /// RSS slope of idle authenticated connections at 1k, 5k and 19k.
    #[value(name = "idle-memory")]
    IdleMemory,
    /// REST send requests per second on the memory store (100 channels, 1 watcher each).
    #[value(name = "send-api")]
    SendApi,
    /// 10k clients dropped at once: time until all are back and receiving.
    #[value(name = "reconnect-storm")]
    ReconnectStorm,
}

impl ScenarioName {
    /// The preset's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fanout10k1hz => "fanout-10k-1hz",
            Self::Fanout10kMax => "fanout-10k-max",
            Self::Fanout100Max => "fanout-100-max",
            Self::Postgres1k => "postgres-1k",
            Self::IdleMemory => "idle-memory",
            Self::SendApi => "send-api",
            Self::ReconnectStorm => "reconnect-storm",
        }
    }
}

/// Publishing rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    /// As fast as the delivery window allows.
    Max,
    /// Messages per second over all channels.
    PerSec(f64),
}

/// A fan-out run: clients watch channels, publishers send through the REST API.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutPlan {
    /// Subscriber clients.
    pub clients: usize,
    /// Channels.
    pub channels: usize,
    /// Payload bytes.
    pub payload: usize,
    /// Rate.
    pub rate: Rate,
    /// Seconds of publishing.
    pub duration_s: f64,
    /// Concurrent publishers.
    pub publishers: usize,
    /// Undelivered messages allowed in flight (max rate); `None`: chosen from the fan-out.
    pub window: Option<usize>,
}

/// What a run does.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Fan-out throughput and latency.
    Fanout(FanoutPlan),
    /// Server RSS at each connection count.
    IdleMemory {
        /// Connection counts.
        steps: Vec<usize>,
        /// Channels the clients watch.
        channels: usize,
        /// Whether the clients watch (subscribe) or only connect.
        subscribe: bool,
    },
    /// Reconnect storm under a steady publish rate.
    ReconnectStorm(FanoutPlan),
}

fn fanout(
    clients: usize,
    channels: usize,
    payload: usize,
    rate: Rate,
    secs: f64,
    publishers: usize,
) -> FanoutPlan {
    FanoutPlan {
        clients,
        channels,
        payload,
        rate,
        duration_s: secs,
        publishers,
        window: None,
    }
}

/// Parses `--rate`.
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    if s.eq_ignore_ascii_case("max") {
        return Ok(Rate::Max);
    }
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() => Ok(Rate::PerSec(r)),
        _ => Err(format!(
            "--rate must be a positive number or `max`, not {s:?}"
        )),
    }
}

impl ScenarioName {
    /// The preset's plan.
    pub fn plan(self) -> Plan {
        match self {
            Self::Fanout10k1hz => Plan::Fanout(fanout(10_000, 1, 1024, Rate::PerSec(1.0), 15.0, 1)),
            Self::Fanout10kMax => Plan::Fanout(fanout(10_000, 1, 1024, Rate::Max, 10.0, 4)),
            Self::Fanout100Max => Plan::Fanout(fanout(1_000, 10, 1024, Rate::Max, 10.0, 8)),
            Self::Postgres1k => {
                Plan::Fanout(fanout(1_000, 10, 1024, Rate::PerSec(1000.0), 10.0, 16))
            }
            Self::IdleMemory => Plan::IdleMemory {
                steps: vec![1_000, 5_000, 19_000],
                channels: 100,
                subscribe: true,
            },
            Self::SendApi => Plan::Fanout(FanoutPlan {
                window: Some(4096),
                ..fanout(100, 100, 128, Rate::Max, 10.0, 32)
            }),
            Self::ReconnectStorm => {
                Plan::ReconnectStorm(fanout(10_000, 1, 256, Rate::PerSec(10.0), 3.0, 2))
            }
        }
    }

    /// Whether the preset needs the server's Postgres store.
    pub fn needs_postgres(self) -> bool {
        self == Self::Postgres1k
    }
}

/// The plan of `chat-load fanout` before overrides.
pub fn default_fanout() -> Plan {
    Plan::Fanout(fanout(100, 1, 1024, Rate::Max, 5.0, 4))
}

fn apply_fanout(p: &mut FanoutPlan, o: &Overrides) -> Result<(), String> {
    if let Some(v) = o.clients {
        p.clients = v;
    }
    if let Some(v) = o.channels {
        p.channels = v;
    }
    if let Some(v) = o.payload {
        p.payload = v;
    }
    if let Some(v) = &o.rate {
        p.rate = parse_rate(v)?;
    }
    if let Some(v) = o.duration {
        p.duration_s = v;
    }
    if let Some(v) = o.publishers {
        p.publishers = v;
    }
    if o.window.is_some() {
        p.window = o.window;
    }
    if p.clients == 0 || p.channels == 0 || p.publishers == 0 {
        return Err("clients, channels and publishers must be at least 1".into());
    }
    if p.channels > p.clients {
        return Err("each channel needs at least one client: channels ≤ clients".into());
    }
    Ok(())
}

/// Applies `--clients` etc. to a plan.
pub fn apply(plan: &mut Plan, o: &Overrides) -> Result<(), String> {
    match plan {
        Plan::Fanout(p) | Plan::ReconnectStorm(p) => apply_fanout(p, o),
        Plan::IdleMemory {
            steps,
            channels,
            subscribe,
        } => {
            if o.no_subscribe {
                *subscribe = false;
            }
            if let Some(s) = &o.steps {
                if s.is_empty() || s.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("--steps must be increasing".into());
                }
                *steps = s.clone();
            }
            if let Some(c) = o.channels {
                *channels = c.max(1);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum as _;

    #[test]
    fn every_preset_has_a_plan_and_its_name_parses_back() {
        for s in ScenarioName::value_variants() {
            let parsed = ScenarioName::from_str(s.as_str(), false).unwrap();
            assert_eq!(parsed, *s);
            let _ = s.plan();
        }
        assert!(ScenarioName::Postgres1k.needs_postgres());
    }

    #[test]
    fn overrides_shrink_a_preset_and_are_checked() {
        let mut p = ScenarioName::Fanout10kMax.plan();
        let o = Overrides {
            clients: Some(20),
            rate: Some("50".into()),
            ..Default::default()
        };
        apply(&mut p, &o).unwrap();
        let Plan::Fanout(f) = p else { panic!() };
        assert_eq!(f.clients, 20);
        assert_eq!(f.rate, Rate::PerSec(50.0));
        let mut p = default_fanout();
        let bad = Overrides {
            channels: Some(500),
            ..Default::default()
        };
        assert!(apply(&mut p, &bad).is_err());
        assert!(parse_rate("fast").is_err());
    }
}
