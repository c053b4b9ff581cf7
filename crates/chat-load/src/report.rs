//! Results, the side-by-side table (ours, each peer, and ours ÷ peer) and the JSON document.

use serde::Serialize;

use crate::scenario::Plan;

/// CPU and memory of the system's server process during the measured phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerUsage {
    /// Process id (absent for an external server without `--server-pid`).
    pub pid: Option<u32>,
    /// CPU, percent of one core.
    pub cpu_pct: Option<f64>,
    /// RSS at the start, MiB.
    pub rss_start_mb: Option<f64>,
    /// RSS at the end, MiB.
    pub rss_end_mb: Option<f64>,
    /// Highest RSS seen (sampled every 250 ms), MiB.
    pub rss_max_mb: Option<f64>,
}

/// One system's fan-out figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FanoutResult {
    /// chat, redis, socketio, nats.
    pub system: String,
    /// What exactly ran.
    pub label: String,
    /// Subscribers.
    pub clients: usize,
    /// Channels.
    pub channels: usize,
    /// Payload bytes.
    pub payload_bytes: usize,
    /// `max` or `<n>/s`.
    pub rate: String,
    /// Average bytes of a received frame or message that carried a payload.
    pub frame_bytes_avg: f64,
    /// Messages sent with a success answer.
    pub messages_sent: u64,
    /// Failed sends.
    pub send_errors: u64,
    /// First send failure.
    pub first_error: Option<String>,
    /// Successful sends per second.
    pub sends_per_s: f64,
    /// Send round trip p50, ms.
    pub send_p50_ms: f64,
    /// Send round trip p99, ms.
    pub send_p99_ms: f64,
    /// Deliveries expected (sent × subscribers of the channel).
    pub expected: u64,
    /// Unique deliveries.
    pub received: u64,
    /// Missing (message, client) deliveries.
    pub lost: u64,
    /// Clients that missed something.
    pub clients_with_loss: u64,
    /// Repeated deliveries.
    pub duplicates: u64,
    /// Deliveries to a client of another channel.
    pub misrouted: u64,
    /// Connections broken during the run.
    pub disconnects: u64,
    /// Unique deliveries per second (first send → last delivery).
    pub deliveries_per_s: f64,
    /// Send → receive p50, ms.
    pub latency_p50_ms: f64,
    /// Send → receive p99, ms.
    pub latency_p99_ms: f64,
    /// Send → receive p99.9, ms.
    pub latency_p999_ms: f64,
    /// Send → receive max, ms.
    pub latency_max_ms: f64,
    /// First send → last delivery, s.
    pub elapsed_s: f64,
    /// The server.
    pub server: ServerUsage,
    /// CPU of the load tool (coordinator + workers), percent of one core.
    pub tool_cpu_pct: f64,
}

/// Server RSS at one connection count.
#[derive(Debug, Clone, Serialize)]
pub struct IdlePoint {
    /// Open, subscribed connections.
    pub connections: usize,
    /// RSS, KiB.
    pub rss_kb: u64,
}

/// One system's idle-memory figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IdleResult {
    /// System.
    pub system: String,
    /// What ran.
    pub label: String,
    /// RSS before any client, KiB.
    pub base_rss_kb: u64,
    /// RSS at each step.
    pub points: Vec<IdlePoint>,
    /// KiB per connection between consecutive steps.
    pub slopes_kb: Vec<f64>,
    /// KiB per connection from the first to the last step (the headline).
    pub kb_per_connection: f64,
    /// 24 GiB ÷ that slope (user space only; the kernel adds about 5 KB a socket).
    pub connections_per_24gib: f64,
}

/// One system's reconnect-storm figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StormResult {
    /// System.
    pub system: String,
    /// What ran.
    pub label: String,
    /// Clients dropped at once.
    pub clients: usize,
    /// Clients not back within the deadline.
    pub failed: usize,
    /// Drop → all reconnected and subscribed, ms.
    pub reconnected_ms: f64,
    /// Drop → all received a message on their new connection, ms.
    pub receiving_ms: f64,
    /// The server.
    pub server: ServerUsage,
}

/// The results of a run.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Results {
    /// Fan-out.
    Fanout(Vec<FanoutResult>),
    /// Idle memory.
    Idle(Vec<IdleResult>),
    /// Reconnect storm.
    Storm(Vec<StormResult>),
}

/// Ours ÷ a peer's figure for one metric.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// Metric.
    pub metric: String,
    /// Peer.
    pub peer: String,
    /// Ours.
    pub ours: f64,
    /// Theirs.
    pub theirs: f64,
    /// Ours ÷ theirs.
    pub ratio: Option<f64>,
    /// Whether higher is better for this metric.
    pub higher_is_better: bool,
}

/// The machine-readable result.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// Scenario name.
    pub scenario: String,
    /// RFC 3339 start time.
    pub date: String,
    /// The command line.
    pub command: String,
    /// Cores and load when the run started.
    pub machine: Machine,
    /// The plan.
    pub plan: Plan,
    /// Per-system results, ours first.
    pub results: Results,
    /// Ours ÷ each peer.
    pub ratios: Vec<Ratio>,
    /// Systems that could not run, and why.
    pub skipped: Vec<String>,
}

/// The machine at the start.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Cores.
    pub cores: usize,
    /// `/proc/loadavg` 1-minute figure at the start.
    pub load_1m: Option<f64>,
}

impl Machine {
    /// Reads cores and load now.
    pub fn now() -> Self {
        Self {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            load_1m: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok())),
        }
    }
}

/// One row of a table: a metric for every system.
struct Row {
    label: &'static str,
    values: Vec<Option<f64>>,
    decimals: usize,
    higher_is_better: bool,
    ratio: bool,
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.abs() >= 1e6 && decimals == 0 => format!("{:.2}M", v / 1e6),
        Some(v) => format!("{v:.decimals$}"),
    }
}

/// Renders rows as a text table with ours ÷ peer columns, and collects the ratios.
fn table(systems: &[String], rows: &[Row], ratios: &mut Vec<Ratio>) -> String {
    let mut header: Vec<String> = vec!["metric".into()];
    header.extend(systems.iter().cloned());
    for peer in systems.iter().skip(1) {
        header.push(format!("{}/{peer}", systems[0]));
    }
    let mut lines = vec![header];
    for row in rows {
        let mut line = vec![row.label.to_string()];
        line.extend(row.values.iter().map(|v| fmt(*v, row.decimals)));
        for (i, peer) in systems.iter().enumerate().skip(1) {
            let ours = row.values.first().copied().flatten();
            let theirs = row.values.get(i).copied().flatten();
            let ratio = match (ours, theirs) {
                (Some(a), Some(b)) if row.ratio && b != 0.0 => Some(a / b),
                _ => None,
            };
            line.push(ratio.map_or("-".into(), |r| format!("{r:.2}x")));
            if row.ratio {
                if let (Some(a), Some(b)) = (ours, theirs) {
                    ratios.push(Ratio {
                        metric: row.label.into(),
                        peer: peer.clone(),
                        ours: a,
                        theirs: b,
                        ratio,
                        higher_is_better: row.higher_is_better,
                    });
                }
            }
        }
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l.get(c).map_or(0, String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, l) in lines.iter().enumerate() {
        for (c, cell) in l.iter().enumerate() {
            if c == 0 {
                out.push_str(&format!("{cell:<w$}", w = widths[c]));
            } else {
                out.push_str(&format!("  {cell:>w$}", w = widths[c]));
            }
        }
        out.push('\n');
        if n == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}

fn row(label: &'static str, decimals: usize, higher: bool, values: Vec<Option<f64>>) -> Row {
    Row {
        label,
        values,
        decimals,
        higher_is_better: higher,
        ratio: true,
    }
}

fn plain(label: &'static str, values: Vec<Option<f64>>) -> Row {
    Row {
        label,
        values,
        decimals: 0,
        higher_is_better: false,
        ratio: false,
    }
}

/// The table for a run's results, and the ratios in it.
pub fn render(results: &Results) -> (String, Vec<Ratio>) {
    let mut ratios = Vec::new();
    let text = match results {
        Results::Fanout(rs) => {
            let systems: Vec<String> = rs.iter().map(|r| r.system.clone()).collect();
            let col = |f: &dyn Fn(&FanoutResult) -> Option<f64>| rs.iter().map(f).collect();
            let rows = vec![
                plain("subscribers", col(&|r| Some(r.clients as f64))),
                plain("messages sent", col(&|r| Some(r.messages_sent as f64))),
                plain("send errors", col(&|r| Some(r.send_errors as f64))),
                row("sends/s", 0, true, col(&|r| Some(r.sends_per_s))),
                row("send p50 ms", 2, false, col(&|r| Some(r.send_p50_ms))),
                row("send p99 ms", 2, false, col(&|r| Some(r.send_p99_ms))),
                row("deliveries/s", 0, true, col(&|r| Some(r.deliveries_per_s))),
                row("latency p50 ms", 2, false, col(&|r| Some(r.latency_p50_ms))),
                row("latency p99 ms", 2, false, col(&|r| Some(r.latency_p99_ms))),
                row("latency max ms", 2, false, col(&|r| Some(r.latency_max_ms))),
                plain("expected", col(&|r| Some(r.expected as f64))),
                plain("lost", col(&|r| Some(r.lost as f64))),
                plain("duplicates", col(&|r| Some(r.duplicates as f64))),
                plain("disconnects", col(&|r| Some(r.disconnects as f64))),
                plain("frame bytes", col(&|r| Some(r.frame_bytes_avg))),
                row("server CPU %", 0, false, col(&|r| r.server.cpu_pct)),
                row(
                    "server RSS max MiB",
                    1,
                    false,
                    col(&|r| r.server.rss_max_mb),
                ),
                plain("load tool CPU %", col(&|r| Some(r.tool_cpu_pct))),
            ];
            table(&systems, &rows, &mut ratios)
        }
        Results::Idle(rs) => {
            let systems: Vec<String> = rs.iter().map(|r| r.system.clone()).collect();
            let mut rows = vec![plain(
                "base RSS KiB",
                rs.iter().map(|r| Some(r.base_rss_kb as f64)).collect(),
            )];
            let steps = rs.first().map_or(0, |r| r.points.len());
            for i in 0..steps {
                let label: &'static str = match i {
                    0 => "RSS KiB @ step 1",
                    1 => "RSS KiB @ step 2",
                    2 => "RSS KiB @ step 3",
                    _ => "RSS KiB @ step n",
                };
                rows.push(plain(
                    label,
                    rs.iter()
                        .map(|r| r.points.get(i).map(|p| p.rss_kb as f64))
                        .collect(),
                ));
            }
            let mut kb = row(
                "KiB per connection",
                2,
                false,
                rs.iter().map(|r| Some(r.kb_per_connection)).collect(),
            );
            kb.decimals = 2;
            rows.push(kb);
            rows.push(row(
                "connections per 24 GiB",
                0,
                true,
                rs.iter().map(|r| Some(r.connections_per_24gib)).collect(),
            ));
            let steps_line = rs
                .first()
                .map(|r| {
                    r.points
                        .iter()
                        .map(|p| p.connections.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!(
                "steps: {steps_line} connections\n{}",
                table(&systems, &rows, &mut ratios)
            )
        }
        Results::Storm(rs) => {
            let systems: Vec<String> = rs.iter().map(|r| r.system.clone()).collect();
            let col = |f: &dyn Fn(&StormResult) -> Option<f64>| rs.iter().map(f).collect();
            let rows = vec![
                plain("clients dropped", col(&|r| Some(r.clients as f64))),
                plain("not back", col(&|r| Some(r.failed as f64))),
                row(
                    "all reconnected ms",
                    0,
                    false,
                    col(&|r| Some(r.reconnected_ms)),
                ),
                row("all receiving ms", 0, false, col(&|r| Some(r.receiving_ms))),
                row("server CPU %", 0, false, col(&|r| r.server.cpu_pct)),
                row(
                    "server RSS max MiB",
                    1,
                    false,
                    col(&|r| r.server.rss_max_mb),
                ),
            ];
            table(&systems, &rows, &mut ratios)
        }
    };
    (text, ratios)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_ratio_columns_and_collects_ratios() {
        let rs = vec![
            FanoutResult {
                system: "chat".into(),
                deliveries_per_s: 2_000_000.0,
                ..Default::default()
            },
            FanoutResult {
                system: "redis".into(),
                deliveries_per_s: 1_000_000.0,
                ..Default::default()
            },
        ];
        let (text, ratios) = render(&Results::Fanout(rs));
        assert!(text.contains("chat/redis"), "{text}");
        assert!(text.contains("2.00M"), "{text}");
        let d = ratios.iter().find(|r| r.metric == "deliveries/s").unwrap();
        assert_eq!(d.ratio, Some(2.0));
        assert!(d.higher_is_better);
        assert!(text.contains("2.00x"), "{text}");
    }
}
