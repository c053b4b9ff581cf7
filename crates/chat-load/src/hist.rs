//! A log-linear latency histogram in microseconds (about 1.6 % resolution, 1 µs to days),
//! small enough to keep per worker shard, and mergeable across worker processes through a
//! sparse serialised form.

use serde::{Deserialize, Serialize};

const SUB: u64 = 64;
const LINEAR: u64 = 2 * SUB;
const BUCKETS: usize = (LINEAR + 40 * SUB) as usize;

/// Counts of latencies.
#[derive(Debug, Clone)]
pub struct Hist {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

/// The sparse form sent from workers: `(bucket, count)` pairs and the exact maximum.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SparseHist {
    /// Non-empty buckets.
    pub buckets: Vec<(u32, u64)>,
    /// Largest value recorded.
    pub max: u64,
}

fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let msb = 63 - u64::from(v.leading_zeros());
    let shift = msb - 6;
    let idx = LINEAR + (shift - 1) * SUB + ((v >> shift) - SUB);
    (idx as usize).min(BUCKETS - 1)
}

/// The largest value that falls in bucket `idx` (reported values err on the high side).
fn upper(idx: usize) -> u64 {
    let idx = idx as u64;
    if idx < LINEAR {
        return idx;
    }
    let shift = (idx - LINEAR) / SUB + 1;
    let m = (idx - LINEAR) % SUB + SUB;
    ((m + 1) << shift) - 1
}

impl Default for Hist {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Hist {
    /// Records one value.
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
    }

    /// Adds another histogram.
    pub fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Adds a sparse histogram from a worker.
    pub fn merge_sparse(&mut self, s: &SparseHist) {
        for &(i, c) in &s.buckets {
            if let Some(slot) = self.counts.get_mut(i as usize) {
                *slot += c;
                self.total += c;
            }
        }
        self.max = self.max.max(s.max);
    }

    /// The sparse form.
    pub fn sparse(&self) -> SparseHist {
        SparseHist {
            buckets: self
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i as u32, *c))
                .collect(),
            max: self.max,
        }
    }

    /// Values recorded.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Largest value recorded (exact).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0..=1), as its bucket's upper bound capped by the max.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..200_000u64).chain([1 << 30, 1 << 40, u64::MAX / 4]) {
            let i = index(v);
            assert!(i >= last, "v {v}");
            last = i;
            assert!(upper(i) >= v.min(upper(BUCKETS - 1)), "v {v}");
            if v >= LINEAR && i < BUCKETS - 1 {
                assert!(
                    (upper(i) - v) as f64 <= v as f64 / 60.0,
                    "v {v} upper {}",
                    upper(i)
                );
            }
        }
    }

    #[test]
    fn quantiles_of_a_uniform_range() {
        let mut h = Hist::default();
        for v in 1..=10_000 {
            h.record(v);
        }
        let p50 = h.quantile(0.5);
        let p99 = h.quantile(0.99);
        assert!((4_950..=5_100).contains(&p50), "{p50}");
        assert!((9_850..=10_000).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), 10_000);
        assert_eq!(h.max(), 10_000);
    }

    #[test]
    fn sparse_round_trip_merges() {
        let mut a = Hist::default();
        a.record(3);
        a.record(5000);
        let mut b = Hist::default();
        b.record(7);
        b.merge_sparse(&a.sparse());
        assert_eq!(b.count(), 3);
        assert_eq!(b.max(), 5000);
        let mut c = Hist::default();
        c.merge(&b);
        assert_eq!(c.quantile(0.0), 3);
    }
}
