//! Time: a microsecond `Timestamp`, RFC3339 conversion, and the `Clock` the engine reads.
//!
//! Commands never call the system clock directly; they ask the engine's `Clock`, so tests
//! run on a `FixedClock` and get deterministic timestamps.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

/// Microseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// The zero value Stream uses for "never" on synthetic users (`0001-01-01T00:00:00Z`).
pub const YEAR_ONE: Timestamp = Timestamp(-62_135_596_800_000_000);

impl Timestamp {
    /// From microseconds since the epoch.
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// From whole seconds since the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs * 1_000_000)
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (floor).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// This instant plus `micros` microseconds.
    pub const fn plus_micros(self, micros: i64) -> Self {
        Self(self.0 + micros)
    }

    /// Parses an RFC3339 timestamp (`2024-01-15T10:30:00.123456Z`, offsets allowed,
    /// up to nanosecond digits, truncated to microseconds).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return None;
        }
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = s.get(from..from + len)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let year = num(0, 4)?;
        let month = num(5, 2)?;
        let day = num(8, 2)?;
        let hour = num(11, 2)?;
        let minute = num(14, 2)?;
        let second = num(17, 2)?;
        if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut micros = 0i64;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 6 {
                    micros = micros * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            let digits = i - start;
            if digits == 0 {
                return None;
            }
            for _ in digits..6 {
                micros *= 10;
            }
        }
        let offset_secs = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let h = num(i + 1, 2)?;
                let m = num(i + 4, 2)?;
                let total = h * 3600 + m * 60;
                if *sign == b'+' {
                    total
                } else {
                    -total
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_secs;
        Some(Self(secs * 1_000_000 + micros))
    }

    /// Formats as RFC3339 UTC with microseconds, e.g. `2024-01-15T10:30:00.123456Z`.
    pub fn to_rfc3339(self) -> String {
        match self.rfc3339_fixed() {
            Some(fixed) => fixed.as_str().to_owned(),
            None => self.to_string(),
        }
    }

    /// The RFC3339 form in a stack buffer, for writers that copy it straight into their
    /// output (no allocation). `None` for years outside 0000–9999, whose form has another
    /// length; [`Display`](fmt::Display) and [`Self::to_rfc3339`] handle those.
    pub fn rfc3339_fixed(self) -> Option<Rfc3339> {
        let (y, m, d, hour, minute, second, micros) = self.parts();
        let year = u32::try_from(y).ok().filter(|&y| y <= 9999)?;
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        put_digits(&mut b[0..4], year);
        // The remaining parts are in range by construction (month 1–12, micros < 10⁶…),
        // so the casts below cannot truncate.
        put_digits(&mut b[5..7], m as u32);
        put_digits(&mut b[8..10], d as u32);
        put_digits(&mut b[11..13], hour as u32);
        put_digits(&mut b[14..16], minute as u32);
        put_digits(&mut b[17..19], second as u32);
        put_digits(&mut b[20..26], micros as u32);
        Some(Rfc3339(b))
    }

    /// Civil UTC parts: year, month, day, hour, minute, second, microsecond.
    fn parts(self) -> (i64, i64, i64, i64, i64, i64, i64) {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60, micros)
    }

    /// The general formatter through `core::fmt`: any year, including negative ones and
    /// those past 9999 (which the fixed-width form cannot hold). It is the reference the
    /// fast path is tested against.
    fn fmt_general(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, hour, minute, second, micros) = self.parts();
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z"
        )
    }
}

/// Writes `n` as exactly `out.len()` decimal digits, zero-padded (`n` must fit).
fn put_digits(out: &mut [u8], mut n: u32) {
    for slot in out.iter_mut().rev() {
        // `n % 10` is below 10, so the narrowing is exact.
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// A timestamp's RFC3339 form (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, 27 bytes) held on the stack.
#[derive(Clone, Copy)]
pub struct Rfc3339([u8; 27]);

impl Rfc3339 {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written, so this cannot fail; the
        // fallback keeps the function total without `unsafe`.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339_fixed() {
            Some(fixed) => f.write_str(fixed.as_str()),
            None => self.fmt_general(f),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Where the engine gets "now".
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's real-time clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }
}

/// A clock for tests: returns a set time until moved.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(AtomicI64::new(at.0))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `micros`.
    pub fn advance_micros(&self, micros: i64) {
        self.0.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Default for FixedClock {
    fn default() -> Self {
        // 2024-01-01T00:00:00Z: a readable fixed point for tests.
        Self::new(Timestamp::from_secs(1_704_067_200))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let t = Timestamp::from_micros(1_705_314_600_123_456);
        assert_eq!(t.to_rfc3339(), "2024-01-15T10:30:00.123456Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(YEAR_ONE.to_rfc3339(), "0001-01-01T00:00:00.000000Z");
        assert_eq!(
            Timestamp::parse_rfc3339("0001-01-01T00:00:00Z"),
            Some(YEAR_ONE)
        );
        assert_eq!(
            Timestamp::from_micros(-1).to_rfc3339(),
            "1969-12-31T23:59:59.999999Z"
        );
    }

    /// The reference: the general `core::fmt` formatter, whatever the year.
    fn general(t: Timestamp) -> String {
        struct G(Timestamp);
        impl fmt::Display for G {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_general(f)
            }
        }
        G(t).to_string()
    }

    #[test]
    fn fixed_formatter_matches_the_general_one_at_the_edges() {
        for micros in [
            0,
            -1,
            1,
            999_999,
            1_000_000,
            YEAR_ONE.as_micros(),
            YEAR_ONE.as_micros() - 1,
            // 0000-01-01T00:00:00Z and one microsecond before (year -1: general path).
            -62_167_219_200_000_000,
            -62_167_219_200_000_001,
            // 9999-12-31T23:59:59.999999Z and the next microsecond (year 10000).
            253_402_300_799_999_999,
            253_402_300_800_000_000,
            // 2000-02-29, 2100-03-01 (not a leap year), 2024-12-31T23:59:59.999999Z.
            951_782_400_000_000,
            4_107_542_400_000_000,
            1_735_689_599_999_999,
        ] {
            let t = Timestamp::from_micros(micros);
            assert_eq!(t.to_rfc3339(), general(t), "{micros}");
            assert_eq!(t.to_string(), general(t), "{micros}");
        }
        assert!(Timestamp::from_micros(253_402_300_800_000_000)
            .rfc3339_fixed()
            .is_none());
        assert_eq!(
            Timestamp::from_micros(253_402_300_800_000_000).to_rfc3339(),
            "10000-01-01T00:00:00.000000Z"
        );
    }

    proptest::proptest! {
        #[test]
        fn fixed_formatter_matches_the_general_one(
            micros in -62_167_219_200_000_000i64..=253_402_300_799_999_999i64
        ) {
            let t = Timestamp::from_micros(micros);
            let fast = t.to_rfc3339();
            proptest::prop_assert_eq!(&fast, &general(t));
            proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&fast), Some(t));
        }

        #[test]
        fn any_instant_formats_like_the_general_formatter(micros in proptest::num::i64::ANY) {
            // Years outside 0000–9999 take the general path; both must agree everywhere.
            let t = Timestamp::from_micros(micros);
            proptest::prop_assert_eq!(t.to_rfc3339(), general(t));
        }
    }

    #[test]
    fn parses_variants() {
        let base = Timestamp::parse_rfc3339("2024-01-15T10:30:00Z").unwrap();
        assert_eq!(base.as_secs(), 1_705_314_600);
        assert_eq!(
            Timestamp::parse_rfc3339("2024-01-15T12:30:00+02:00"),
            Some(base)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2024-01-15T10:30:00.5Z"),
            Some(base.plus_micros(500_000))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2024-01-15T10:30:00.123456789Z"),
            Some(base.plus_micros(123_456))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").map(|_| ()),
            Some(())
        );
        for bad in [
            "",
            "2024-01-15",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-15T10:30:00",
            "2024-01-15T10:30:00.Z",
            "2024-01-15T25:00:00Z",
            "2024-01-15T10:30:00+0200",
            "not a time at all!!",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::default();
        let t = c.now();
        assert_eq!(c.now(), t);
        c.advance_micros(5);
        assert_eq!(c.now(), t.plus_micros(5));
    }
}
