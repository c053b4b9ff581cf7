//! CPU time and resident memory of a process, read from `/proc/<pid>` (Linux).

use std::time::Instant;

/// One reading.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When it was read.
    pub at: Instant,
    /// User + system CPU seconds so far.
    pub cpu_s: f64,
    /// Resident set, KiB.
    pub rss_kb: u64,
}

/// Clock ticks per second of `/proc/<pid>/stat`; 100 on every Linux we run on (the value
/// `sysconf(_SC_CLK_TCK)` returns there), kept as a constant to avoid `libc`.
const TICKS: f64 = 100.0;

/// Reads `pid`'s CPU time and RSS; `None` if the process is gone.
pub fn sample(pid: u32) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name, which may itself hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after `) `.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(Sample {
        at: Instant::now(),
        cpu_s: (utime + stime) as f64 / TICKS,
        rss_kb,
    })
}

/// CPU use between two samples, in percent of one core.
pub fn cpu_percent(a: &Sample, b: &Sample) -> f64 {
    let wall = b.at.duration_since(a.at).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    (b.cpu_s - a.cpu_s) / wall * 100.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_our_own_process() {
        let s = super::sample(std::process::id()).unwrap();
        assert!(s.rss_kb > 0);
        assert!(s.cpu_s >= 0.0);
        assert!(super::sample(u32::MAX).is_none());
    }
}
