//! Simulated time: durations, instants since the start of a run, and the simulated UTC date.
//!
//! Why integers: every instant and duration is a whole number of nanoseconds (`u64`), so adding
//! the same durations in any order gives the same instant on every machine, which floating
//! point seconds would not. `u64` nanoseconds cover 584 years, far beyond any run.
//!
//! Why Go's spelling: experiment files are written by people who write Kubernetes manifests, and
//! Kubernetes spells durations with Go's `time.ParseDuration` (`metav1.Duration`,
//! k8s.io/apimachinery/pkg/apis/meta/v1/duration.go). The parser and the printer below follow
//! Go's `time.ParseDuration` and `time.Duration.String` (go/src/time/format.go and time.go), so a
//! duration reads and prints here as it does in `kubectl` and in Go logs.
//!
//! [`UtcInstant`] is the *simulated* calendar date of time zero. It never comes from the host
//! clock: the same experiment file gives the same dates everywhere.
//!
//! Over 800 lines on purpose: about 686 lines of code, the rest (425 lines) its tests,
//! kept beside the functions they check.

use std::fmt;
use std::ops::{Add, Div, Mul, Sub};
use std::str::FromStr;

use nexosim::time::MonotonicTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rejected piece of input text (a duration, an instant or a resource quantity).
///
/// The message names the input and says what was expected, so that a deserializer can attach it
/// to a position in the experiment file and the user can fix the file from the message alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
}

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;

/// A non-negative span of simulated time, in nanoseconds.
///
/// Arithmetic saturates instead of wrapping or panicking: a sum beyond 584 years or a
/// difference below zero is a bug of the caller, and a saturated value is easier to spot in the
/// output than a wrapped one. Use [`SimDuration::checked_add`] where overflow must be detected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration {
    nanos: u64,
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration { nanos: 0 };

    pub const fn from_nanos(nanos: u64) -> SimDuration {
        SimDuration { nanos }
    }

    /// Saturates at `u64::MAX` nanoseconds.
    pub const fn from_millis(millis: u64) -> SimDuration {
        SimDuration {
            nanos: millis.saturating_mul(NANOS_PER_MILLI),
        }
    }

    /// Saturates at `u64::MAX` nanoseconds.
    pub const fn from_secs(secs: u64) -> SimDuration {
        SimDuration {
            nanos: secs.saturating_mul(NANOS_PER_SEC),
        }
    }

    /// Rounds to the nearest nanosecond. A model that computes a delay in floating point (a
    /// service time, an exponential draw) gets a non-negative duration whatever it computed:
    /// negative and NaN give [`SimDuration::ZERO`], too large or infinite saturate.
    pub fn from_secs_f64(secs: f64) -> SimDuration {
        if secs.is_nan() || secs <= 0.0 {
            return SimDuration::ZERO;
        }
        // `as` saturates at u64::MAX for values beyond the range (and for +inf).
        SimDuration {
            nanos: (secs * NANOS_PER_SEC as f64).round() as u64,
        }
    }

    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Exact below 2^53 ns (104 days); the nearest `f64` beyond.
    pub fn as_secs_f64(self) -> f64 {
        self.nanos as f64 / NANOS_PER_SEC as f64
    }

    pub fn as_millis_f64(self) -> f64 {
        self.nanos as f64 / NANOS_PER_MILLI as f64
    }

    /// The delay nexosim's scheduler takes.
    pub const fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.nanos)
    }

    pub const fn checked_add(self, rhs: SimDuration) -> Option<SimDuration> {
        match self.nanos.checked_add(rhs.nanos) {
            Some(nanos) => Some(SimDuration { nanos }),
            None => None,
        }
    }

    /// `self - rhs`, or zero when `rhs` is longer: a duration is never negative.
    pub const fn saturating_sub(self, rhs: SimDuration) -> SimDuration {
        SimDuration {
            nanos: self.nanos.saturating_sub(rhs.nanos),
        }
    }

    pub const fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// `self * k`, saturating at `u64::MAX` nanoseconds.
    pub const fn mul_u64(self, k: u64) -> SimDuration {
        SimDuration {
            nanos: self.nanos.saturating_mul(k),
        }
    }

    /// Parses Go's `time.ParseDuration` spelling, which Kubernetes uses for durations: a
    /// sequence of decimal numbers, each with an optional fraction and a unit among "ns", "us"
    /// (or "µs", "μs"), "ms", "s", "m", "h", e.g. "90s", "1h30m", "1.5h", "500ms"; "0" alone
    /// needs no unit.
    ///
    /// Differences from Go, both on purpose: a leading "-" is rejected (a simulated duration is
    /// never negative), and the upper bound is `u64::MAX` ns rather than `i64::MAX`, so that
    /// every [`SimDuration`] printed by `Display` parses back. A fraction is converted as Go
    /// converts it (`uint64(float64(f) * (float64(unit) / scale))`, truncating), so a value
    /// such as "0.3333333333333333333h" gives the same nanoseconds as in Go.
    pub fn parse(s: &str) -> Result<SimDuration, ParseError> {
        parse_go_duration(s).map_err(|reason| {
            let message = match reason {
                DurationReason::Syntax => format!("invalid duration {s:?}: {DURATION_EXPECTED}"),
                DurationReason::MissingUnit => {
                    format!("invalid duration {s:?}: missing unit; {DURATION_EXPECTED}")
                }
                DurationReason::UnknownUnit(unit) => {
                    format!("invalid duration {s:?}: unknown unit {unit:?}; {DURATION_EXPECTED}")
                }
                DurationReason::Negative => format!(
                    "invalid duration {s:?}: a duration cannot be negative; {DURATION_EXPECTED}"
                ),
                DurationReason::Overflow => format!(
                    "invalid duration {s:?}: too large, the maximum is {}",
                    SimDuration::from_nanos(u64::MAX)
                ),
            };
            ParseError { message }
        })
    }
}

const DURATION_EXPECTED: &str = "expected a number followed by a unit (ns, us, ms, s, m, h), \
                                 e.g. \"90s\", \"10m\", \"1h30m\"";

enum DurationReason {
    Syntax,
    MissingUnit,
    UnknownUnit(String),
    Negative,
    Overflow,
}

/// Go's `unitMap` (go/src/time/format.go). "µs" is U+00B5 MICRO SIGN, "μs" U+03BC GREEK SMALL
/// LETTER MU; Go accepts both.
fn unit_nanos(unit: &str) -> Option<u64> {
    match unit {
        "ns" => Some(1),
        "us" | "\u{b5}s" | "\u{3bc}s" => Some(NANOS_PER_MICRO),
        "ms" => Some(NANOS_PER_MILLI),
        "s" => Some(NANOS_PER_SEC),
        "m" => Some(NANOS_PER_MIN),
        "h" => Some(NANOS_PER_HOUR),
        _ => None,
    }
}

/// A port of Go's `time.ParseDuration` (go/src/time/format.go), with the sign and bound
/// differences documented on [`SimDuration::parse`].
fn parse_go_duration(orig: &str) -> Result<SimDuration, DurationReason> {
    let mut s = orig;
    if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    } else if s.starts_with('-') {
        return Err(DurationReason::Negative);
    }
    if s == "0" {
        return Ok(SimDuration::ZERO);
    }
    if s.is_empty() {
        return Err(DurationReason::Syntax);
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        // The next character must be [0-9.].
        if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(DurationReason::Syntax);
        }
        let (int, rest) = split_digits(s);
        s = rest;
        let mut whole: u64 = 0;
        for d in int.bytes() {
            whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u64::from(d - b'0')))
                .ok_or(DurationReason::Overflow)?;
        }
        let mut frac_digits = "";
        if let Some(rest) = s.strip_prefix('.') {
            let (digits, rest) = split_digits(rest);
            frac_digits = digits;
            s = rest;
        }
        if int.is_empty() && frac_digits.is_empty() {
            // No digits, e.g. ".s".
            return Err(DurationReason::Syntax);
        }
        let (frac, scale) = leading_fraction(frac_digits);
        let unit_len = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(DurationReason::MissingUnit);
        }
        let (unit, rest) = s.split_at(unit_len);
        s = rest;
        let Some(unit_ns) = unit_nanos(unit) else {
            return Err(if unit.contains(char::is_whitespace) {
                DurationReason::Syntax
            } else {
                DurationReason::UnknownUnit(unit.to_owned())
            });
        };
        let mut v = whole.checked_mul(unit_ns).ok_or(DurationReason::Overflow)?;
        if frac > 0 {
            // Go: "float64 is needed to be nanosecond accurate for fractions of hours"; the
            // product is below 3.6e12 (one hour) so the conversion never saturates.
            let part = (frac as f64 * (unit_ns as f64 / scale)) as u64;
            v = v.checked_add(part).ok_or(DurationReason::Overflow)?;
        }
        total = total.checked_add(v).ok_or(DurationReason::Overflow)?;
    }
    Ok(SimDuration { nanos: total })
}

/// Splits `s` after its leading ASCII digits.
fn split_digits(s: &str) -> (&str, &str) {
    s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()))
}

/// Go's `leadingFraction`: the digits as an integer and `10^len` as the scale, ignoring the
/// digits beyond what fits (they are below a nanosecond anyway).
fn leading_fraction(digits: &str) -> (u64, f64) {
    let mut x: u64 = 0;
    let mut scale = 1.0;
    for d in digits.bytes() {
        match x
            .checked_mul(10)
            .and_then(|y| y.checked_add(u64::from(d - b'0')))
        {
            Some(y) if y <= 1 << 63 => {
                x = y;
                scale *= 10.0;
            }
            _ => break,
        }
    }
    (x, scale)
}

/// Go's `time.Duration.String` (go/src/time/time.go): "1h30m0s", "1m30s", "1.5s", "500ms",
/// "2µs", "0s". Below one second the largest of ms, µs, ns that keeps an integer part is used;
/// above, hours/minutes/seconds with a fractional second and no trailing zeros. The micro sign
/// is Go's "µs" (U+00B5), which [`SimDuration::parse`] accepts back.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = self.nanos;
        let mut out = String::new();
        if u < NANOS_PER_SEC {
            let (unit_ns, unit) = match u {
                0 => return f.pad("0s"),
                _ if u < NANOS_PER_MICRO => (1, "ns"),
                _ if u < NANOS_PER_MILLI => (NANOS_PER_MICRO, "\u{b5}s"),
                _ => (NANOS_PER_MILLI, "ms"),
            };
            push_with_fraction(&mut out, u, unit_ns);
            out.push_str(unit);
        } else {
            let secs = u / NANOS_PER_SEC;
            let (hours, minutes) = (secs / 3600, secs / 60 % 60);
            if hours > 0 {
                out.push_str(&format!("{hours}h"));
            }
            if hours > 0 || minutes > 0 {
                out.push_str(&format!("{minutes}m"));
            }
            push_with_fraction(&mut out, u % NANOS_PER_MIN, NANOS_PER_SEC);
            out.push('s');
        }
        f.pad(&out)
    }
}

/// Appends `v / unit` as a decimal number without trailing zeros in its fraction (Go's
/// `fmtFrac` followed by `fmtInt`). `unit` is a power of ten.
fn push_with_fraction(out: &mut String, v: u64, unit: u64) {
    out.push_str(&(v / unit).to_string());
    let frac = v % unit;
    if frac != 0 {
        let width = unit.ilog10() as usize;
        let digits = format!("{frac:0width$}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

impl FromStr for SimDuration {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SimDuration::parse(s)
    }
}

/// Saturating, see [`SimDuration`].
impl Add for SimDuration {
    type Output = SimDuration;

    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration {
            nanos: self.nanos.saturating_add(rhs.nanos),
        }
    }
}

/// Saturating at zero, see [`SimDuration::saturating_sub`].
impl Sub for SimDuration {
    type Output = SimDuration;

    fn sub(self, rhs: SimDuration) -> SimDuration {
        self.saturating_sub(rhs)
    }
}

/// Saturating, see [`SimDuration::mul_u64`].
impl Mul<u64> for SimDuration {
    type Output = SimDuration;

    fn mul(self, k: u64) -> SimDuration {
        self.mul_u64(k)
    }
}

/// How many whole `rhs` fit in `self` (e.g. the number of sampling intervals in a run).
///
/// # Panics
///
/// When `rhs` is zero, as integer division does.
impl Div for SimDuration {
    type Output = u64;

    fn div(self, rhs: SimDuration) -> u64 {
        self.nanos / rhs.nanos
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor::<SimDuration>::new(
            "a duration string such as \"90s\", \"10m\" or \"1h30m\"",
        ))
    }
}

/// Deserializes a string through `T::from_str`. The parse message goes through
/// `serde::de::Error::custom`, so a deserializer that knows positions (RON) prefixes it with
/// the line and column.
struct ParseVisitor<T> {
    expecting: &'static str,
    target: std::marker::PhantomData<T>,
}

impl<T> ParseVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        ParseVisitor {
            expecting,
            target: std::marker::PhantomData,
        }
    }
}

impl<T: FromStr<Err = ParseError>> serde::de::Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(|e: ParseError| E::custom(e.message))
    }
}

/// An instant of a run, as the simulated time elapsed since its start.
///
/// Serialized as its nanoseconds (`serde(transparent)`): nexosim models are serializable and
/// hold `SimTime`s, and a number is the exact, compact form of an instant.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime {
    nanos: u64,
}

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime { nanos: 0 };

    pub const fn from_nanos(nanos: u64) -> SimTime {
        SimTime { nanos }
    }

    /// Saturates at `u64::MAX` nanoseconds.
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime {
            nanos: secs.saturating_mul(NANOS_PER_SEC),
        }
    }

    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Exact below 2^53 ns (104 days); the nearest `f64` beyond.
    pub fn as_secs_f64(self) -> f64 {
        self.nanos as f64 / NANOS_PER_SEC as f64
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later (a duration is never
    /// negative).
    pub const fn saturating_duration_since(self, earlier: SimTime) -> SimDuration {
        SimDuration {
            nanos: self.nanos.saturating_sub(earlier.nanos),
        }
    }

    /// The nexosim instant of this time: the simulation is initialized at
    /// `MonotonicTime::EPOCH`, so the run's time zero is the epoch.
    pub fn to_monotonic(self) -> MonotonicTime {
        // At most u64::MAX ns = 1.8e10 s after the epoch: far below the i64 seconds of
        // `MonotonicTime::MAX`, so the addition cannot overflow.
        MonotonicTime::EPOCH + SimDuration::from_nanos(self.nanos).to_std()
    }

    /// The inverse of [`SimTime::to_monotonic`]. Instants before the epoch give
    /// [`SimTime::ZERO`], instants beyond `u64::MAX` ns saturate.
    pub fn from_monotonic(t: MonotonicTime) -> SimTime {
        let since = t
            .checked_duration_since(MonotonicTime::EPOCH)
            .unwrap_or_default();
        SimTime {
            nanos: u64::try_from(since.as_nanos()).unwrap_or(u64::MAX),
        }
    }
}

/// Saturating at `u64::MAX` nanoseconds.
impl Add<SimDuration> for SimTime {
    type Output = SimTime;

    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime {
            nanos: self.nanos.saturating_add(rhs.nanos),
        }
    }
}

const SECS_PER_DAY: i64 = 86_400;

/// A wall-clock instant in UTC, in whole seconds since 1970-01-01T00:00:00Z, ignoring leap
/// seconds (Unix time).
///
/// It only names the *simulated* start date of a run (diurnal traffic peaks at the same UTC hour
/// on every machine); it is never read from the host clock. Whole seconds are enough for a
/// start date and keep the type exact.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcInstant {
    unix_s: i64,
}

impl UtcInstant {
    pub const fn from_unix_s(unix_s: i64) -> UtcInstant {
        UtcInstant { unix_s }
    }

    pub const fn unix_s(self) -> i64 {
        self.unix_s
    }

    /// The wall-clock instant at simulated time `t` of a run starting at `self`, floored to the
    /// whole second.
    pub const fn plus(self, t: SimTime) -> UtcInstant {
        // t / 1e9 < 1.9e10 always fits an i64.
        let secs = (t.nanos / NANOS_PER_SEC) as i64;
        UtcInstant {
            unix_s: self.unix_s.saturating_add(secs),
        }
    }

    /// Seconds since midnight UTC, in `0..86_400`.
    pub const fn seconds_of_day(self) -> u32 {
        // rem_euclid is in 0..86_400, which fits a u32.
        self.unix_s.rem_euclid(SECS_PER_DAY) as u32
    }

    /// Day of the week, 0 = Monday … 6 = Sunday (ISO 8601 order). 1970-01-01 was a Thursday (3).
    pub const fn weekday(self) -> u8 {
        // rem_euclid is in 0..7, which fits a u8.
        (self.unix_s.div_euclid(SECS_PER_DAY) + 3).rem_euclid(7) as u8
    }

    /// Parses an RFC 3339 date-time (RFC 3339 §5.6): "2026-11-27T00:00:00Z". "T" and "Z" may be
    /// lower case, as §5.6 allows. A numeric offset ("+01:00", "-05:30") is accepted and
    /// converted to UTC; "-00:00" (unknown local offset) is read as UTC. Fractional seconds
    /// are rejected (the start date is a whole second) and so is a leap second ":60", which
    /// Unix time cannot represent.
    pub fn parse(s: &str) -> Result<UtcInstant, ParseError> {
        parse_rfc3339(s).map_err(|reason| ParseError {
            message: format!(
                "invalid instant {s:?}: {reason}expected RFC 3339 UTC such as \
                 \"2026-11-27T00:00:00Z\""
            ),
        })
    }
}

/// Parses the fixed-width fields of RFC 3339. The error is a reason ending in "; ", or empty
/// when the text does not have the shape of a date-time at all.
fn parse_rfc3339(s: &str) -> Result<UtcInstant, String> {
    let b = s.as_bytes();
    let shape = String::new;
    // YYYY-MM-DDTHH:MM:SS is 19 bytes; a zone designator follows.
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return Err(shape());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(shape());
    }
    let field = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(shape());
        }
        Ok(digits
            .iter()
            .fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let (hour, minute, second) = (field(11..13)?, field(14..16)?, field(17..19)?);
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} is out of range 01-12; "));
    }
    let month_days = days_in_month(year, month);
    if !(1..=month_days).contains(&day) {
        return Err(format!(
            "day {day:02} is out of range for {year:04}-{month:02} ({month_days} days); "
        ));
    }
    if hour > 23 {
        return Err(format!("hour {hour:02} is out of range 00-23; "));
    }
    if minute > 59 {
        return Err(format!("minute {minute:02} is out of range 00-59; "));
    }
    if second > 59 {
        return Err(format!("second {second:02} is out of range 00-59; "));
    }
    let offset_s = match &b[19..] {
        [b'Z' | b'z'] => 0,
        [b'.', ..] => return Err("fractional seconds are not supported; ".to_owned()),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (field(20..22)?, field(23..25)?);
            if oh > 23 || om > 59 {
                return Err(format!("offset {} is out of range; ", &s[19..]));
            }
            let offset = oh * 3600 + om * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return Err(shape()),
    };
    let days = days_from_civil(year, month, day);
    let local = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
    Ok(UtcInstant {
        unix_s: local - offset_s,
    })
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date: Howard Hinnant's `days_from_civil`
/// (<http://howardhinnant.github.io/date_algorithms.html#days_from_civil>). Counting years from
/// March puts the leap day at the end of the year, so the day of the year is a linear formula.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (month + 9) % 12; // March = 0 … February = 11
    let doy = (153 * mp + 2) / 5 + day - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: Howard Hinnant's `civil_from_days`
/// (<http://howardhinnant.github.io/date_algorithms.html#civil_from_days>).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// "YYYY-MM-DDTHH:MM:SSZ", the form [`UtcInstant::parse`] reads (RFC 3339 for years
/// 0000-9999, the range RFC 3339 can spell).
impl fmt::Display for UtcInstant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.unix_s.div_euclid(SECS_PER_DAY));
        let sod = self.seconds_of_day();
        let (hour, minute, second) = (sod / 3600, sod / 60 % 60, sod % 60);
        f.pad(&format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        ))
    }
}

impl FromStr for UtcInstant {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UtcInstant::parse(s)
    }
}

impl Serialize for UtcInstant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UtcInstant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor::<UtcInstant>::new(
            "an RFC 3339 UTC instant such as \"2026-11-27T00:00:00Z\"",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> u64 {
        match SimDuration::parse(s) {
            Ok(v) => v.as_nanos(),
            Err(e) => panic!("{s:?} rejected: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match SimDuration::parse(s) {
            Ok(v) => panic!("{s:?} accepted as {} ns", v.as_nanos()),
            Err(e) => e.message,
        }
    }

    const S: u64 = NANOS_PER_SEC;
    const MIN: u64 = NANOS_PER_MIN;
    const H: u64 = NANOS_PER_HOUR;

    #[test]
    fn parses_go_documented_examples() {
        // time.ParseDuration doc: "300ms", "-1.5h" or "2h45m".
        assert_eq!(d("300ms"), 300 * NANOS_PER_MILLI);
        assert_eq!(d("2h45m"), 2 * H + 45 * MIN);
        // ExampleParseDuration.
        assert_eq!(d("10h"), 10 * H);
        assert_eq!(d("1h10m10s"), 4210 * S);
        assert_eq!(d("1µs"), 1000);
        assert_eq!(d("1us"), 1000);
    }

    #[test]
    fn parses_like_go_time_test() {
        // Cases of parseDurationTests in go/src/time/time_test.go.
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("+0", 0),
            ("5s", 5 * S),
            ("+5s", 5 * S),
            ("1478s", 1478 * S),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600 * NANOS_PER_MILLI),
            ("5.s", 5 * S),
            (".5s", 500 * NANOS_PER_MILLI),
            ("1.004s", S + 4 * NANOS_PER_MILLI),
            ("1.0040s", S + 4 * NANOS_PER_MILLI),
            ("100.00100s", 100 * S + NANOS_PER_MILLI),
            ("10ns", 10),
            ("11us", 11_000),
            ("12\u{b5}s", 12_000),
            ("12\u{3bc}s", 12_000),
            ("13ms", 13 * NANOS_PER_MILLI),
            ("15m", 15 * MIN),
            ("16h", 16 * H),
            ("3h30m", 3 * H + 30 * MIN),
            ("10.5s4m", 4 * MIN + 10 * S + 500 * NANOS_PER_MILLI),
            ("1h2m3s4ms5us6ns", H + 2 * MIN + 3 * S + 4_005_006),
            (
                "39h9m14.425s",
                39 * H + 9 * MIN + 14 * S + 425 * NANOS_PER_MILLI,
            ),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * MIN),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", (1 << 63) - 1),
            ("9223372036854775.807us", (1 << 63) - 1),
            ("9223372036s854ms775us807ns", (1 << 63) - 1),
            ("0.100000000000000000000h", 6 * MIN),
            ("0.830103483285477580700h", 49 * MIN + 48 * S + 372_539_827),
        ];
        for &(s, want) in cases {
            assert_eq!(d(s), want, "{s}");
        }
    }

    #[test]
    fn parses_kubernetes_style_values() {
        assert_eq!(d("90s"), 90 * S);
        assert_eq!(d("10m"), 10 * MIN);
        assert_eq!(d("24h"), 24 * H);
        assert_eq!(d("1h30m"), 90 * MIN);
        assert_eq!(d("1.5h"), 90 * MIN);
        assert_eq!(d("500ms"), 500 * NANOS_PER_MILLI);
    }

    #[test]
    fn accepts_up_to_u64_max_and_rejects_beyond() {
        assert_eq!(d("18446744073709551615ns"), u64::MAX);
        assert_eq!(d("5124095h34m33.709551615s"), u64::MAX);
        assert_eq!(
            err("18446744073709551616ns"),
            "invalid duration \"18446744073709551616ns\": too large, the maximum is \
             5124095h34m33.709551615s"
        );
        assert!(err("5124096h").contains("too large"));
        assert!(err("5124095h34m33.709551616s").contains("too large"));
    }

    #[test]
    fn rejects_negative_durations() {
        assert_eq!(
            err("-1.5h"),
            "invalid duration \"-1.5h\": a duration cannot be negative; expected a number \
             followed by a unit (ns, us, ms, s, m, h), e.g. \"90s\", \"10m\", \"1h30m\""
        );
        assert!(err("-0").contains("cannot be negative"));
    }

    #[test]
    fn rejects_bad_spellings_saying_what_was_expected() {
        assert_eq!(
            err("5 minutes"),
            "invalid duration \"5 minutes\": expected a number followed by a unit \
             (ns, us, ms, s, m, h), e.g. \"90s\", \"10m\", \"1h30m\""
        );
        assert_eq!(
            err("5min"),
            "invalid duration \"5min\": unknown unit \"min\"; expected a number followed by a \
             unit (ns, us, ms, s, m, h), e.g. \"90s\", \"10m\", \"1h30m\""
        );
        assert!(err("3d").contains("unknown unit \"d\""));
        assert!(err("30").contains("missing unit"));
        assert!(err("1h30").contains("missing unit"));
        for bad in [
            "", "-", "+", "s", ".", ".s", "+.s", " 5s", "5s ", "1h 30m", "1e3s", "\u{85}",
        ] {
            assert!(
                err(bad).starts_with(&format!("invalid duration {bad:?}: ")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn prints_like_go_duration_string() {
        let cases: &[(u64, &str)] = &[
            // ExampleDuration_String.
            (H + 2 * MIN + 300 * NANOS_PER_MILLI, "1h2m0.3s"),
            (300 * NANOS_PER_MILLI, "300ms"),
            // durationTests in go/src/time/time_test.go.
            (0, "0s"),
            (1, "1ns"),
            (1100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MIN + 5 * S, "4m5s"),
            (4 * MIN + 5001 * NANOS_PER_MILLI, "4m5.001s"),
            (5 * H + 6 * MIN + 7001 * NANOS_PER_MILLI, "5h6m7.001s"),
            (8 * MIN + 1, "8m0.000000001s"),
            ((1 << 63) - 1, "2562047h47m16.854775807s"),
            // From the brief and ExampleParseDuration.
            (H + 15 * MIN + 30 * S + 918_273_645, "1h15m30.918273645s"),
            (90 * MIN, "1h30m0s"),
            (90 * S, "1m30s"),
            (1500 * NANOS_PER_MILLI, "1.5s"),
            (2000, "2\u{b5}s"),
            (4210 * S, "1h10m10s"),
            (10 * H, "10h0m0s"),
            (u64::MAX, "5124095h34m33.709551615s"),
        ];
        for &(nanos, want) in cases {
            assert_eq!(SimDuration::from_nanos(nanos).to_string(), want);
            assert_eq!(d(want), nanos, "{want} parses back");
        }
        assert_eq!(format!("{:>6}", SimDuration::from_secs(5)), "    5s");
    }

    #[test]
    fn constructors_and_conversions() {
        assert_eq!(SimDuration::from_millis(1500).as_nanos(), 1_500_000_000);
        assert_eq!(SimDuration::from_secs(2).as_nanos(), 2 * S);
        assert_eq!(SimDuration::from_secs(u64::MAX).as_nanos(), u64::MAX);
        assert_eq!(SimDuration::from_secs_f64(1.5e-9).as_nanos(), 2);
        assert_eq!(SimDuration::from_secs_f64(0.1).as_nanos(), 100_000_000);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(
            SimDuration::from_secs_f64(f64::INFINITY).as_nanos(),
            u64::MAX
        );
        assert_eq!(SimDuration::from_millis(1500).as_secs_f64(), 1.5);
        assert_eq!(SimDuration::from_nanos(2_500_000).as_millis_f64(), 2.5);
        assert_eq!(
            SimDuration::from_millis(1500).to_std(),
            std::time::Duration::from_millis(1500)
        );
        assert_eq!(SimDuration::default(), SimDuration::ZERO);
        assert!(SimDuration::ZERO.is_zero());
        assert!(!SimDuration::from_nanos(1).is_zero());
    }

    #[test]
    fn arithmetic_saturates_and_counts() {
        let a = SimDuration::from_secs(90);
        let b = SimDuration::from_secs(60);
        assert_eq!(a + b, SimDuration::from_secs(150));
        assert_eq!(a - b, SimDuration::from_secs(30));
        assert_eq!(b - a, SimDuration::ZERO);
        assert_eq!(b.saturating_sub(a), SimDuration::ZERO);
        assert_eq!(a * 3, SimDuration::from_secs(270));
        assert_eq!(a.mul_u64(u64::MAX).as_nanos(), u64::MAX);
        assert_eq!(SimDuration::from_secs(150) / b, 2);
        assert_eq!(a.checked_add(b), Some(SimDuration::from_secs(150)));
        assert_eq!(
            SimDuration::from_nanos(u64::MAX).checked_add(SimDuration::from_nanos(1)),
            None
        );
        assert_eq!((SimDuration::from_nanos(u64::MAX) + a).as_nanos(), u64::MAX);
    }

    #[test]
    fn duration_serde_is_the_go_string_and_errors_are_located() {
        let v: Vec<SimDuration> = ron::from_str(r#"["1h30m", "500ms"]"#).expect("valid RON");
        assert_eq!(
            v,
            vec![SimDuration::from_secs(5400), SimDuration::from_millis(500)]
        );
        assert_eq!(
            ron::to_string(&SimDuration::from_secs(5400)).expect("serializable"),
            "\"1h30m0s\""
        );
        let e = ron::from_str::<Vec<SimDuration>>("[\n  \"5 minutes\"]").expect_err("bad unit");
        let text = e.to_string();
        assert!(text.starts_with("2:"), "{text}");
        assert!(
            text.contains("invalid duration \"5 minutes\": expected"),
            "{text}"
        );
        // A number has no unit: RON itself rejects it where a string is expected.
        let e = ron::from_str::<SimDuration>("90").expect_err("a number is not a duration");
        assert_eq!(e.to_string(), "1:1: Expected string");
    }

    #[test]
    fn sim_time_arithmetic_and_serde() {
        let t = SimTime::from_secs(10);
        assert_eq!(t.as_nanos(), 10 * S);
        assert_eq!(t.as_secs_f64(), 10.0);
        assert_eq!(
            (t + SimDuration::from_millis(500)).as_nanos(),
            10_500_000_000
        );
        assert_eq!(
            t.saturating_duration_since(SimTime::from_secs(4)),
            SimDuration::from_secs(6)
        );
        assert_eq!(
            SimTime::from_secs(4).saturating_duration_since(t),
            SimDuration::ZERO
        );
        assert!(SimTime::ZERO < SimTime::from_nanos(1));
        assert_eq!(SimTime::default(), SimTime::ZERO);
        assert_eq!(
            ron::to_string(&SimTime::from_nanos(42)).expect("serializable"),
            "42"
        );
        assert_eq!(
            ron::from_str::<SimTime>("42").expect("valid"),
            SimTime::from_nanos(42)
        );
    }

    #[test]
    fn sim_time_round_trips_through_nexosim_time() {
        let t = SimTime::from_nanos(3_600_000_000_123);
        let m = t.to_monotonic();
        assert_eq!((m.as_secs(), m.subsec_nanos()), (3600, 123));
        assert_eq!(SimTime::from_monotonic(m), t);
        assert_eq!(SimTime::ZERO.to_monotonic(), MonotonicTime::EPOCH);
        let before = MonotonicTime::new(-5, 0).expect("valid instant");
        assert_eq!(SimTime::from_monotonic(before), SimTime::ZERO);
        let max = SimTime::from_nanos(u64::MAX);
        assert_eq!(SimTime::from_monotonic(max.to_monotonic()), max);
        let beyond = MonotonicTime::new(i64::MAX, 0).expect("valid instant");
        assert_eq!(SimTime::from_monotonic(beyond), max);
    }

    fn instant(s: &str) -> i64 {
        match UtcInstant::parse(s) {
            Ok(v) => v.unix_s(),
            Err(e) => panic!("{s:?} rejected: {e}"),
        }
    }

    fn instant_err(s: &str) -> String {
        match UtcInstant::parse(s) {
            Ok(v) => panic!("{s:?} accepted as {v}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn parses_rfc3339_instants() {
        // Checked with Python: datetime.fromisoformat(...).timestamp().
        assert_eq!(instant("1970-01-01T00:00:00Z"), 0);
        assert_eq!(instant("2000-03-01T00:00:00Z"), 951_868_800);
        assert_eq!(instant("2026-11-27T00:00:00Z"), 1_795_737_600);
        assert_eq!(instant("2000-02-29T23:59:59Z"), 951_868_799);
        assert_eq!(instant("1969-12-31T23:59:59Z"), -1);
        assert_eq!(instant("2026-11-27t00:00:00z"), 1_795_737_600);
        assert_eq!(instant("2026-11-27T00:00:00+00:00"), 1_795_737_600);
        assert_eq!(instant("2026-11-27T00:00:00-00:00"), 1_795_737_600);
        assert_eq!(instant("2026-11-27T01:30:00+01:30"), 1_795_737_600);
        assert_eq!(instant("2026-11-26T19:00:00-05:00"), 1_795_737_600);
    }

    #[test]
    fn rejects_impossible_dates_saying_why() {
        assert_eq!(
            instant_err("2026-13-01T00:00:00Z"),
            "invalid instant \"2026-13-01T00:00:00Z\": month 13 is out of range 01-12; \
             expected RFC 3339 UTC such as \"2026-11-27T00:00:00Z\""
        );
        assert_eq!(
            instant_err("2026-02-29T00:00:00Z"),
            "invalid instant \"2026-02-29T00:00:00Z\": day 29 is out of range for 2026-02 \
             (28 days); expected RFC 3339 UTC such as \"2026-11-27T00:00:00Z\""
        );
        assert_eq!(instant("2024-02-29T00:00:00Z"), 1_709_164_800);
        assert!(instant_err("1900-02-29T00:00:00Z").contains("(28 days)"));
        assert_eq!(instant("2000-02-29T00:00:00Z"), 951_782_400);
        assert!(instant_err("2026-04-31T00:00:00Z").contains("day 31"));
        assert!(instant_err("2026-11-00T00:00:00Z").contains("day 00"));
        assert!(instant_err("2026-11-27T24:00:00Z").contains("hour 24"));
        assert!(instant_err("2026-11-27T00:60:00Z").contains("minute 60"));
        assert!(instant_err("2026-12-31T23:59:60Z").contains("second 60"));
        assert!(instant_err("2026-11-27T00:00:00.5Z").contains("fractional seconds"));
        assert!(instant_err("2026-11-27T00:00:00+24:00").contains("offset +24:00"));
        let shape = "invalid instant \"2026-11-27\": expected RFC 3339 UTC such as \
                     \"2026-11-27T00:00:00Z\"";
        assert_eq!(instant_err("2026-11-27"), shape);
        for bad in [
            "",
            "2026-11-27T00:00:00",
            "2026-11-27 00:00:00Z",
            "2026-11-27T00:00:00+0100",
            "2026-11-27T00:00:00Z ",
            "+2026-11-27T00:00:00Z",
            "2026-1-27T00:00:00Z",
            "2026-11-27T00:00:0\u{b5}Z",
            "2026-11-27T00:00:00+01:\u{b5}",
        ] {
            assert!(
                instant_err(bad).starts_with(&format!("invalid instant {bad:?}: ")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn instants_print_and_advance() {
        let start = UtcInstant::from_unix_s(1_795_737_600);
        assert_eq!(start.to_string(), "2026-11-27T00:00:00Z");
        assert_eq!(
            UtcInstant::from_unix_s(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            UtcInstant::from_unix_s(-1).to_string(),
            "1969-12-31T23:59:59Z"
        );
        assert_eq!(
            UtcInstant::from_unix_s(951_782_400).to_string(),
            "2000-02-29T00:00:00Z"
        );
        let later = start.plus(SimTime::from_nanos(13 * H + 30 * MIN + 5 * S + 999_999_999));
        assert_eq!(later.to_string(), "2026-11-27T13:30:05Z");
        assert_eq!(later.seconds_of_day(), 13 * 3600 + 30 * 60 + 5);
        assert_eq!(UtcInstant::from_unix_s(-1).seconds_of_day(), 86_399);
        assert_eq!(
            start.plus(SimTime::from_secs(3 * 86_400)).to_string(),
            "2026-11-30T00:00:00Z"
        );
        assert_eq!(start.weekday(), 4, "2026-11-27 is a Friday");
        assert_eq!(
            UtcInstant::from_unix_s(0).weekday(),
            3,
            "1970-01-01 was a Thursday"
        );
        assert_eq!(
            UtcInstant::from_unix_s(-1).weekday(),
            2,
            "1969-12-31 was a Wednesday"
        );
        assert_eq!(
            start.plus(SimTime::from_secs(3 * 86_400)).weekday(),
            0,
            "Monday"
        );
    }

    #[test]
    fn civil_days_round_trip_over_four_centuries() {
        // 1600-03-01 .. 2400-03-01 spans every leap-year rule twice.
        let first = days_from_civil(1600, 3, 1);
        let mut expected = (1600, 3, 1);
        for days in first..days_from_civil(2400, 3, 1) {
            assert_eq!(civil_from_days(days), expected);
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            let (y, m, d) = expected;
            expected = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn instant_serde_is_the_rfc3339_string() {
        let v: UtcInstant = ron::from_str("\"2026-11-27T00:00:00Z\"").expect("valid");
        assert_eq!(v.unix_s(), 1_795_737_600);
        assert_eq!(
            ron::to_string(&v).expect("serializable"),
            "\"2026-11-27T00:00:00Z\""
        );
        let e = ron::from_str::<UtcInstant>("\"2026-13-01T00:00:00Z\"").expect_err("bad month");
        assert!(e.to_string().contains("month 13 is out of range"), "{e}");
    }
}
