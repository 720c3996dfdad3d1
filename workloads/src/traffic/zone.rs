//! Local time in a named IANA time zone, for the shapes that follow a clock: the daily cycle,
//! the weekly cycle and the Black-Friday day.
//!
//! Why chrono-tz: it compiles the IANA tz database into the binary, so a run gives the same local
//! hours on every machine whatever the host's `/usr/share/zoneinfo` holds (DESIGN.md,
//! "Time zones: chrono-tz"). The database version is the one of the pinned chrono-tz release
//! (`Cargo.lock`); a change of a zone's rules in a later release can move local hours, which a
//! release note of clustersim must then say.

use std::fmt;

use chrono::{DateTime, NaiveDate, Offset, TimeZone as _};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const SECONDS_PER_DAY: i64 = 86_400;
/// Days from 0001-01-01 (day 1 of chrono's "common era" count) to 1970-01-01.
const DAYS_CE_TO_UNIX_EPOCH: i64 = 719_163;

/// An IANA time zone such as `"America/New_York"` or `"UTC"`, written by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    /// The zone of an IANA name (case-sensitive, as in the tz database).
    pub fn parse(name: &str) -> Result<TimeZone, String> {
        name.parse::<Tz>().map(TimeZone).map_err(|_| {
            format!(
                "unknown time zone {name:?}: expected an IANA name such as \"America/New_York\", \
                 \"Europe/Paris\" or \"UTC\""
            )
        })
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The chrono-tz zone, for date arithmetic outside this module (cron schedules).
    pub fn tz(self) -> Tz {
        self.0
    }

    /// Local time minus UTC, in seconds, at the UTC instant `unix_s`.
    pub fn offset_s(self, unix_s: i64) -> i64 {
        if self.0 == Tz::UTC {
            return 0;
        }
        match DateTime::from_timestamp(unix_s, 0) {
            Some(utc) => i64::from(
                self.0
                    .offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ),
            // Beyond chrono's ±262 000 years: no zone rule applies there anyway.
            None => 0,
        }
    }

    /// Local seconds since the Unix epoch (the UTC instant shifted by the zone's offset then):
    /// `local_s.rem_euclid(86 400)` is the local second of the day, and
    /// `local_s.div_euclid(86 400)` the local date as a day number.
    pub fn local_s(self, unix_s: i64) -> i64 {
        unix_s.saturating_add(self.offset_s(unix_s))
    }

    /// The UTC instant (Unix seconds) of the first local midnight strictly after `unix_s`.
    ///
    /// Where a daylight-saving change skips midnight (the local clock jumps from 23:59:59 to
    /// 01:00), the day starts at the jump; where midnight happens twice, at the first one.
    pub fn next_midnight(self, unix_s: i64) -> i64 {
        let offset = self.offset_s(unix_s);
        let next_day = self.local_s(unix_s).div_euclid(SECONDS_PER_DAY) + 1;
        let naive_midnight = next_day * SECONDS_PER_DAY;
        let exact = i32::try_from(next_day + DAYS_CE_TO_UNIX_EPOCH)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|local| self.0.from_local_datetime(&local).earliest())
            .map(|t| t.timestamp());
        // A skipped midnight: the jump happens when the old offset's clock reaches midnight.
        let at = exact.unwrap_or(naive_midnight - offset);
        at.max(unix_s + 1)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> TimeZone {
        TimeZone::parse("America/New_York").unwrap()
    }

    #[test]
    fn offsets_follow_daylight_saving_time() {
        // 2026-11-27T00:00:00Z (Black Friday, EST = UTC−5) and 2026-07-01T00:00:00Z (EDT, −4).
        assert_eq!(ny().offset_s(1_795_737_600), -5 * 3600);
        assert_eq!(ny().offset_s(1_782_864_000), -4 * 3600);
        assert_eq!(TimeZone::UTC.offset_s(1_795_737_600), 0);
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        assert_eq!(paris.offset_s(1_795_737_600), 3600);
    }

    #[test]
    fn next_midnight_is_local() {
        // 2026-11-27T00:00:00Z is 2026-11-26 19:00 EST; the next local midnight is
        // 2026-11-27 00:00 EST = 05:00Z.
        assert_eq!(ny().next_midnight(1_795_737_600), 1_795_737_600 + 5 * 3600);
        // Exactly at a local midnight, the next one is a day later.
        assert_eq!(
            ny().next_midnight(1_795_737_600 + 5 * 3600),
            1_795_737_600 + 29 * 3600
        );
        assert_eq!(
            TimeZone::UTC.next_midnight(1_795_737_600),
            1_795_737_600 + 86_400
        );
    }

    #[test]
    fn a_day_with_a_clock_change_is_23_or_25_hours() {
        // US DST began 2026-03-08 at 02:00 EST: that local day lasts 23 h.
        // 2026-03-08 00:00 EST = 2026-03-08T05:00:00Z = 1 772 946 000.
        let start = 1_772_946_000;
        assert_eq!(ny().next_midnight(start) - start, 23 * 3600);
        // And ended 2026-11-01 at 02:00 EDT: 25 h. 2026-11-01 00:00 EDT = 04:00Z = 1 793 505 600.
        let start = 1_793_505_600;
        assert_eq!(ny().next_midnight(start) - start, 25 * 3600);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_jump() {
        // America/Santiago moved to summer time on 2026-09-06 at 00:00 local (−04 → −03), so
        // local midnight did not exist; the day began at 01:00 −03 = 04:00Z.
        let santiago = TimeZone::parse("America/Santiago").unwrap();
        // 2026-09-05T12:00:00Z = 1 788 609 600 (08:00 −04).
        let at = santiago.next_midnight(1_788_609_600);
        assert_eq!(at, 1_788_609_600 + 16 * 3600, "{at}");
        assert_eq!(santiago.offset_s(at), -3 * 3600);
    }

    #[test]
    fn names_parse_and_print_back() {
        assert_eq!(ny().to_string(), "America/New_York");
        assert!(TimeZone::parse("Mars/Olympus_Mons").is_err());
        assert!(TimeZone::parse("america/new_york").is_err());
    }
}
