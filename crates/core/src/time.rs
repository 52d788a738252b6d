//! Calendar arithmetic, time zone rules and RFC 3339, written for the engine's needs.
//!
//! Dates are proleptic Gregorian; zones are POSIX TZ rules (what `crate::zones` holds for every
//! IANA zone); timestamps are Unix milliseconds. This is all the engine asks of a date library,
//! and in about a tenth of the code of a general one, which matters in the browser's wasm.
//! Years are limited to -9999..=9999.

use std::fmt::Write as _;

const MS_PER_DAY: i64 = 86_400_000;
/// -9999-01-01T00:00:00Z and the last millisecond of 9999, in Unix milliseconds.
const MIN_MS: i64 = -377_705_116_800_000;
const MAX_MS: i64 = 253_402_300_799_999;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date {
    pub(crate) year: i32,
    pub(crate) month: u8,
    pub(crate) day: u8,
}

impl Date {
    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub(crate) fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month,
            day,
        }
    }

    /// Days since 1970-01-01.
    pub(crate) fn days(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// 1 = Monday … 7 = Sunday.
    pub(crate) fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday.
        ((self.days() + 3).rem_euclid(7) + 1) as u8
    }

    /// `YYYY-MM-DD`, or with an expanded year `±YYYYYY-MM-DD`.
    pub(crate) fn parse(s: &str) -> Option<Date> {
        Date::parse_prefix(s.as_bytes()).and_then(|(date, len)| (len == s.len()).then_some(date))
    }

    /// A date at the start of `b`, and its length.
    fn parse_prefix(b: &[u8]) -> Option<(Date, usize)> {
        let (sign, year_at, year_len) = match b.first()? {
            b'-' => (-1, 1, 7),
            b'+' => (1, 1, 7),
            _ => (1, 0, 4),
        };
        let year = digits(b.get(year_at..year_len)?)? as i32;
        let rest = b.get(year_len..year_len + 6)?;
        if rest[0] != b'-' || rest[3] != b'-' || (sign < 0 && year == 0) || year > 9999 {
            return None;
        }
        let date = Date::new(
            sign * year,
            digits(&rest[1..3])? as u8,
            digits(&rest[4..6])? as u8,
        )?;
        Some((date, year_len + 6))
    }

    /// A valid date, or none.
    pub(crate) fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if (0..=9999).contains(&self.year) {
            write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
        } else {
            // ISO 8601's expanded years, as RFC 9557 and Temporal print them.
            let sign = if self.year < 0 { '-' } else { '+' };
            let year = self.year.unsigned_abs();
            write!(f, "{sign}{year:06}-{:02}-{:02}", self.month, self.day)
        }
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// ASCII digits as a number.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit()
            .then(|| n.saturating_mul(10).saturating_add(u32::from(c - b'0')))
    })
}

/// A time zone: a POSIX TZ rule, e.g. `CET-1CEST,M3.5.0,M10.5.0/3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    /// Standard time's offset, seconds east of UTC.
    std: i32,
    dst: Option<Dst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Dst {
    /// Daylight time's offset, seconds east of UTC.
    offset: i32,
    /// When daylight time starts (in local standard time) and ends (in local daylight time).
    start: Transition,
    end: Transition,
}

/// `Mm.w.d/time`: day `d` (0 = Sunday) of week `w` (5 = the last) of month `m`, at `time`
/// seconds after that day's midnight (may be negative or past 24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transition {
    month: u8,
    week: u8,
    weekday: u8,
    time: i32,
}

impl Transition {
    /// The local time (seconds since the epoch, as if local were UTC) it happens in `year`.
    fn local_seconds(self, year: i32) -> i64 {
        let first = Date {
            year,
            month: self.month,
            day: 1,
        };
        // weekday(): 1 = Monday … 7 = Sunday; here 0 = Sunday.
        let first_weekday = i64::from(first.weekday() % 7);
        let mut day = 1
            + (i64::from(self.weekday) - first_weekday).rem_euclid(7)
            + 7 * (i64::from(self.week) - 1);
        let last = i64::from(days_in_month(year, self.month));
        while day > last {
            day -= 7;
        }
        (first.days() + day - 1) * 86_400 + i64::from(self.time)
    }
}

impl Zone {
    pub(crate) const UTC: Zone = Zone { std: 0, dst: None };

    /// Parses a POSIX TZ rule with `M` transitions (the form the tz database writes).
    pub(crate) fn posix(rule: &str) -> Option<Zone> {
        let mut p = Posix {
            s: rule.as_bytes(),
            at: 0,
        };
        p.name()?;
        let std = -p.offset()?;
        if p.done() {
            return Some(Zone { std, dst: None });
        }
        p.name()?;
        let offset = if p.peek() == Some(b',') {
            std + 3600
        } else {
            -p.offset()?
        };
        p.eat(b',')?;
        let start = p.transition()?;
        p.eat(b',')?;
        let end = p.transition()?;
        p.done().then_some(Zone {
            std,
            dst: Some(Dst { offset, start, end }),
        })
    }

    /// The offset (seconds east of UTC) in effect at `utc` (seconds since the epoch).
    pub(crate) fn offset_at(&self, utc: i64) -> i32 {
        let Some(dst) = &self.dst else {
            return self.std;
        };
        let year = Date::from_days((utc + i64::from(self.std)).div_euclid(86_400)).year;
        let start = dst.start.local_seconds(year) - i64::from(self.std);
        let end = dst.end.local_seconds(year) - i64::from(dst.offset);
        let daylight = if start < end {
            start <= utc && utc < end
        } else {
            // Southern hemisphere: daylight time spans the new year.
            !(end <= utc && utc < start)
        };
        if daylight { dst.offset } else { self.std }
    }

    /// The instant of a local time (seconds since the epoch, as if local were UTC). A time
    /// that happens twice (clocks going back) is its first occurrence; a time that does not
    /// happen (clocks going forward) is read with the offset before the change, landing after
    /// it (RFC 9557's and Temporal's "compatible").
    pub(crate) fn to_utc(&self, local: i64) -> i64 {
        let Some(dst) = &self.dst else {
            return local - i64::from(self.std);
        };
        let a = local - i64::from(self.std);
        let b = local - i64::from(dst.offset);
        match (
            self.offset_at(a) == self.std,
            self.offset_at(b) == dst.offset,
        ) {
            (true, true) => a.min(b),
            (true, false) => a,
            (false, true) => b,
            (false, false) => local - i64::from(self.offset_at(a.min(b))),
        }
    }
}

/// A POSIX TZ rule being parsed.
struct Posix<'a> {
    s: &'a [u8],
    at: usize,
}

impl Posix<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.at += 1)
    }

    /// `ABC` or `<+0330>`.
    fn name(&mut self) -> Option<()> {
        let start = self.at;
        if self.eat(b'<').is_some() {
            while self.peek()? != b'>' {
                self.at += 1;
            }
            self.at += 1;
            return Some(());
        }
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.at += 1;
        }
        (self.at - start >= 3).then_some(())
    }

    fn number(&mut self) -> Option<i32> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let n = self
            .s
            .get(start..self.at)
            .filter(|d| !d.is_empty() && d.len() <= 3)?;
        digits(n).map(|n| n as i32)
    }

    /// `[+-]h[:mm[:ss]]` in seconds.
    fn offset(&mut self) -> Option<i32> {
        let sign = match self.peek() {
            Some(b'-') => {
                self.at += 1;
                -1
            }
            Some(b'+') => {
                self.at += 1;
                1
            }
            _ => 1,
        };
        let mut seconds = self.number()? * 3600;
        for unit in [60, 1] {
            if self.eat(b':').is_none() {
                break;
            }
            seconds += self.number()? * unit;
        }
        Some(sign * seconds)
    }

    /// `Mm.w.d[/time]`.
    fn transition(&mut self) -> Option<Transition> {
        self.eat(b'M')?;
        let month = self.number()?;
        self.eat(b'.')?;
        let week = self.number()?;
        self.eat(b'.')?;
        let weekday = self.number()?;
        let time = if self.eat(b'/').is_some() {
            self.offset()?
        } else {
            7200
        };
        ((1..=12).contains(&month) && (1..=5).contains(&week) && weekday <= 6).then_some(
            Transition {
                month: month as u8,
                week: week as u8,
                weekday: weekday as u8,
                time,
            },
        )
    }
}

/// A moment as read on a zone's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zoned {
    pub(crate) date: Date,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: u8,
    pub(crate) millisecond: u16,
    /// Seconds east of UTC.
    pub(crate) offset: i32,
    /// The moment, Unix milliseconds.
    pub(crate) ms: i64,
}

impl Zoned {
    /// `ms` (Unix milliseconds) in `zone`; none outside years -9999..=9999.
    pub(crate) fn new(ms: i64, zone: &Zone) -> Option<Zoned> {
        if !(MIN_MS..=MAX_MS).contains(&ms) {
            return None;
        }
        let offset = zone.offset_at(ms.div_euclid(1000));
        let local = ms + i64::from(offset) * 1000;
        let in_day = local.rem_euclid(MS_PER_DAY);
        Some(Zoned {
            date: Date::from_days(local.div_euclid(MS_PER_DAY)),
            hour: (in_day / 3_600_000) as u8,
            minute: (in_day / 60_000 % 60) as u8,
            second: (in_day / 1000 % 60) as u8,
            millisecond: (in_day % 1000) as u16,
            offset,
            ms,
        })
    }

    /// RFC 3339 with the zone's offset (`Z` for UTC itself is written `+00:00` here, as
    /// offsets are), fractional seconds only when not zero.
    pub(crate) fn rfc3339_with_offset(&self) -> String {
        let mut out = self.civil_text();
        let sign = if self.offset < 0 { '-' } else { '+' };
        let abs = self.offset.unsigned_abs();
        let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60);
        if !abs.is_multiple_of(60) {
            let _ = write!(out, ":{:02}", abs % 60);
        }
        out
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]`.
    fn civil_text(&self) -> String {
        let mut out = self.date.to_string();
        let _ = write!(
            out,
            "T{:02}:{:02}:{:02}",
            self.hour, self.minute, self.second
        );
        if self.millisecond != 0 {
            let frac = format!("{:03}", self.millisecond);
            let _ = write!(out, ".{}", frac.trim_end_matches('0'));
        }
        out
    }
}

/// Midnight starting `date` in `zone`, Unix milliseconds (see [`Zone::to_utc`] for days that
/// do not start at midnight).
pub(crate) fn midnight(date: Date, zone: &Zone) -> i64 {
    zone.to_utc(date.days() * 86_400) * 1000
}

/// RFC 3339 in UTC (`2026-11-28T23:30:00Z`, fractional seconds only when not zero); none
/// outside years -9999..=9999.
pub(crate) fn format_utc(ms: i64) -> Option<String> {
    let mut out = Zoned::new(ms, &Zone::UTC)?.civil_text();
    out.push('Z');
    Some(out)
}

/// Unix milliseconds of an RFC 3339 timestamp: `YYYY-MM-DD`, `T` (or `t` or a space),
/// `HH:MM[:SS[.fraction]]` and `Z` or an offset `±HH[:MM]`. Fractions below the
/// millisecond are dropped; a leap second (`:60`) is read as `:59`. Anything else is refused,
/// as jiff refuses it (tested), except an hour without minutes (`T09Z`) and an offset of 24 or
/// 25 hours (`-24:00`), which jiff reads and RFC 3339 does not allow (its offset hours are
/// 00-23).
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (date, len) = Date::parse_prefix(b)?;
    if !matches!(b.get(len)?, b'T' | b't' | b' ') {
        return None;
    }
    let mut at = len + 1;
    let two = |at: usize| -> Option<i64> { b.get(at..at + 2).and_then(digits).map(i64::from) };
    let hour = two(at)?;
    if b.get(at + 2) != Some(&b':') {
        return None;
    }
    let minute = two(at + 3)?;
    at += 5;
    let mut second = 0;
    let mut millis = 0;
    if b.get(at) == Some(&b':') {
        second = two(at + 1).filter(|&s| s <= 60)?.min(59);
        at += 3;
        if matches!(b.get(at), Some(b'.' | b',')) {
            at += 1;
            let start = at;
            while b.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            let frac = b.get(start..at)?;
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            millis = frac
                .iter()
                .chain(b"00")
                .take(3)
                .fold(0, |n, &c| n * 10 + i64::from(c - b'0'));
        }
    }
    if hour > 23 || minute > 59 {
        return None;
    }
    let offset = match *b.get(at)? {
        b'Z' | b'z' => {
            at += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let hours = two(at + 1)?;
            at += 3;
            let minutes = if b.get(at) == Some(&b':') {
                at += 3;
                two(at - 2)?
            } else if let Some(minutes) = two(at) {
                at += 2;
                minutes
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = (hours * 60 + minutes) * 60;
            if sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if at != b.len() {
        return None;
    }
    let local = date.days() * 86_400 + hour * 3600 + minute * 60 + second;
    let ms = (local - offset) * 1000 + millis;
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Checked against jiff, which the engine used before.
    use super::*;
    use proptest::prelude::*;

    fn jiff_zone(rule: &str) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::posix(rule).unwrap()
    }

    #[test]
    fn every_zone_rule_parses() {
        for (name, rule) in crate::zones::all() {
            assert!(Zone::posix(rule).is_some(), "{name}: {rule}");
        }
        assert_eq!(Zone::posix("UTC0"), Some(Zone::UTC));
        for bad in [
            "",
            "U0",
            "CET",
            "CET-1CEST",
            "CET-1CEST,M3.5.0",
            "CET-1CEST,M13.5.0,M10.5.0",
            "EST5x",
        ] {
            assert_eq!(Zone::posix(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_count_days_like_jiff() {
        for days in (-3_652_059..2_932_897).step_by(997) {
            let date = Date::from_days(days);
            let expected = jiff::civil::Date::constant(1970, 1, 1)
                .checked_add(jiff::Span::new().days(days))
                .unwrap();
            assert_eq!(date.to_string(), expected.to_string());
            assert_eq!(date.days(), days);
            assert_eq!(
                date.weekday(),
                expected.weekday().to_monday_one_offset() as u8
            );
            assert_eq!(Date::parse(&expected.to_string()), Some(date));
        }
        assert_eq!(Date::parse("2026-02-29"), None);
        assert_eq!(Date::parse("2028-02-29").map(|d| d.day), Some(29));
    }

    /// Whether the text ends in an offset of 24 or 25 hours, which jiff reads and RFC 3339
    /// (and so Waymark) does not allow.
    fn offset_over_23(s: &str) -> bool {
        s.rfind(['+', '-'])
            .filter(|&i| i > 10)
            .and_then(|i| s.get(i + 1..i + 3)?.parse::<u8>().ok())
            .is_some_and(|hours| hours > 23)
    }

    proptest! {
        #[test]
        fn offsets_and_local_times_agree_with_jiff(
            zone in 0..crate::zones::all().count(),
            secs in -2_000_000_000_i64..5_000_000_000,
        ) {
            let (_, rule) = crate::zones::all().nth(zone).unwrap();
            let ours = Zone::posix(rule).unwrap();
            let theirs = jiff_zone(rule);
            let at = jiff::Timestamp::from_second(secs).unwrap();
            prop_assert_eq!(ours.offset_at(secs), theirs.to_offset(at).seconds(), "{}", rule);
            // A local time on the hour (transitions happen there), and any local time.
            for local in [secs - secs.rem_euclid(3600), secs] {
                let civil = jiff::Timestamp::from_second(local).unwrap()
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime();
                let expected = theirs.to_ambiguous_timestamp(civil).compatible().unwrap();
                prop_assert_eq!(ours.to_utc(local), expected.as_second(), "{} at {}", rule, civil);
            }
        }

        #[test]
        fn timestamps_print_and_parse_like_jiff(ms in MIN_MS..=MAX_MS, zone in 0..crate::zones::all().count()) {
            let expected = jiff::Timestamp::from_millisecond(ms).unwrap();
            prop_assert_eq!(format_utc(ms).unwrap(), expected.to_string());
            prop_assert_eq!(parse_rfc3339(&expected.to_string()), Some(ms));
            let (_, rule) = crate::zones::all().nth(zone).unwrap();
            let zoned = Zoned::new(ms, &Zone::posix(rule).unwrap()).unwrap();
            let theirs = expected.to_zoned_datetime(jiff_zone(rule));
            let text = zoned.rfc3339_with_offset();
            prop_assert_eq!(&text, &expected.display_with_offset(theirs.offset()).to_string());
            prop_assert_eq!(parse_rfc3339(&text), Some(ms));
            prop_assert_eq!(
                (zoned.date.to_string(), zoned.hour, zoned.minute, zoned.second, zoned.millisecond),
                (theirs.date().to_string(), theirs.hour() as u8, theirs.minute() as u8,
                 theirs.second() as u8, theirs.millisecond() as u16)
            );
        }

        #[test]
        fn any_text_parses_as_jiff_does_or_not_at_all(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,10})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?") {
            // Both read the same timestamp, or both refuse the text; except that jiff reads
            // offsets of 24 and 25 hours, which RFC 3339 does not allow.
            let theirs = s.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond());
            let expected = if offset_over_23(&s) { None } else { theirs };
            prop_assert_eq!(parse_rfc3339(&s), expected, "{}", s);
        }

        #[test]
        fn near_misses_are_refused_as_jiff_refuses_them(s in "20[0-9]{2}-[01][0-9]-[0-3][0-9][Tt :][0-9:.,Zz+-]{2,20}") {
            let theirs = s.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond());
            // The one documented difference: jiff reads an hour without minutes (`T09Z`).
            let hour_only = s.as_bytes().get(13).is_some_and(|c| !c.is_ascii_digit() && *c != b':');
            if !hour_only {
                let expected = if offset_over_23(&s) { None } else { theirs };
                prop_assert_eq!(parse_rfc3339(&s), expected, "{}", s);
            } else {
                prop_assert_eq!(parse_rfc3339(&s), None, "{}", s);
            }
        }
    }

    #[test]
    fn rfc3339_forms() {
        let at = |s| parse_rfc3339(s);
        assert_eq!(at("2026-11-28T23:30:00Z"), Some(1_795_908_600_000));
        assert_eq!(at("2026-11-29T00:30:00+01:00"), Some(1_795_908_600_000));
        assert_eq!(at("2026-11-29t00:30:00+0100"), Some(1_795_908_600_000));
        assert_eq!(at("2026-11-28 23:30Z"), Some(1_795_908_600_000));
        assert_eq!(at("2026-11-28T23:30:00.25Z"), Some(1_795_908_600_250));
        assert_eq!(at("2026-11-28T23:30:60Z"), Some(1_795_908_659_000)); // a leap second
        assert_eq!(
            at("2026-11-28T23:30:00,123456789Z"),
            Some(1_795_908_600_123)
        );
        for bad in [
            "2026-11-28T23:30:00-24:00", // jiff reads it; RFC 3339's offset hours are 00-23
            "2026-11-28",
            "2026-11-28T23:30:00",
            "2026-11-28T24:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-28T23:30:00ZZ",
            "yesterday",
            "2026-11-28T23:30:00+01:00:00:00",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
