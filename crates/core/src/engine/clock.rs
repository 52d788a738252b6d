//! Calendar arithmetic in the profile's time zone: day keys for counters, period windows for
//! caps, and quiet-hours checks. "Now" is always a parameter.

use crate::bundle::{Period, TimeWindow};
use crate::time::{Date, Zone, Zoned};

/// A moment seen in a time zone.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    tz: Zone,
    today: Date,
    minute_of_day: u16,
    /// 1 = Monday … 7 = Sunday.
    weekday: u8,
}

impl Clock {
    /// `now_ms` in the zone `tz` (UTC when absent or unknown).
    pub(crate) fn new(now_ms: i64, tz: Option<Zone>) -> Clock {
        let tz = tz.unwrap_or(Zone::UTC);
        let zoned = Zoned::new(now_ms, &tz).or_else(|| Zoned::new(0, &tz));
        let (today, minute_of_day) = zoned.map_or((Date::from_days(0), 0), |z| {
            (z.date, u16::from(z.hour) * 60 + u16::from(z.minute))
        });
        Clock {
            today,
            weekday: today.weekday(),
            minute_of_day,
            tz,
        }
    }

    /// The local calendar date of a timestamp.
    pub(crate) fn date_of(&self, ms: i64) -> Date {
        Zoned::new(ms, &self.tz)
            .or_else(|| Zoned::new(0, &self.tz))
            .map_or(Date::from_days(0), |z| z.date)
    }

    /// Whether a local date falls in the current `period` (day, Monday-based week, month).
    /// Sessions and lifetimes are not calendar periods and always contain the date.
    pub(crate) fn in_period(&self, date: Date, period: Period) -> bool {
        match period {
            Period::Day => date == self.today,
            Period::Week => {
                let start = self.week_start();
                date >= start && date <= self.today
            }
            Period::Month => date.year == self.today.year && date.month == self.today.month,
            Period::Session | Period::Lifetime => true,
        }
    }

    /// Whether a counter's day key (`YYYY-MM-DD`) falls in the current `period`.
    pub(crate) fn key_in_period(&self, key: &str, period: Period) -> bool {
        Date::parse(key).is_some_and(|date| self.in_period(date, period))
    }

    fn week_start(&self) -> Date {
        Date::from_days(self.today.days() - i64::from(self.weekday) + 1)
    }

    /// Whether now is inside the daily window (which may cross midnight).
    pub(crate) fn in_window(&self, window: &TimeWindow) -> bool {
        let (Some(from), Some(to)) = (
            crate::bundle::parse_hhmm(&window.from),
            crate::bundle::parse_hhmm(&window.to),
        ) else {
            return false;
        };
        let now = self.minute_of_day;
        let (inside, day) = if from <= to {
            (now >= from && now < to, self.weekday)
        } else if now >= from {
            (true, self.weekday)
        } else {
            // After midnight: the window belongs to the day it started on.
            (
                now < to,
                if self.weekday == 1 {
                    7
                } else {
                    self.weekday - 1
                },
            )
        };
        inside && (window.days.is_empty() || window.days.contains(&day))
    }
}

pub(crate) use crate::time::parse_rfc3339;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // 2026-11-28T23:30:00Z is a Saturday; in Paris it is already Sunday 00:30.
    const NOW: i64 = 1_795_908_600_000;

    #[test]
    fn days_and_weeks_follow_the_profile_time_zone() {
        let utc = Clock::new(NOW, None);
        assert_eq!(utc.today.to_string(), "2026-11-28");
        assert_eq!(utc.weekday, 6);
        let paris = Clock::new(NOW, crate::zones::get("Europe/Paris"));
        assert_eq!(paris.today.to_string(), "2026-11-29");
        assert_eq!(paris.weekday, 7);
        assert!(paris.key_in_period("2026-11-23", Period::Week));
        assert!(!paris.key_in_period("2026-11-22", Period::Week));
        assert!(paris.key_in_period("2026-11-01", Period::Month));
        assert!(!paris.key_in_period("2026-10-31", Period::Month));
        assert!(!paris.key_in_period("not a date", Period::Day));
        assert_eq!(
            Clock::new(NOW, crate::zones::get("Not/AZone"))
                .today
                .to_string(),
            "2026-11-28"
        );
    }

    #[test]
    fn windows_may_cross_midnight() {
        let paris = Clock::new(NOW, crate::zones::get("Europe/Paris")); // Sunday 00:30
        let night = |days: Vec<u8>| TimeWindow {
            from: "22:00".into(),
            to: "07:00".into(),
            days,
        };
        assert!(paris.in_window(&night(vec![])));
        assert!(
            paris.in_window(&night(vec![6])),
            "the window started on Saturday"
        );
        assert!(!paris.in_window(&night(vec![7])));
        let utc = Clock::new(NOW, None); // Saturday 23:30
        assert!(utc.in_window(&night(vec![6])));
        assert!(!utc.in_window(&TimeWindow {
            from: "09:00".into(),
            to: "17:00".into(),
            days: vec![]
        }));
    }

    #[test]
    fn rfc3339_parses_to_milliseconds() {
        assert_eq!(parse_rfc3339("2026-11-28T23:30:00Z"), Some(NOW));
        assert_eq!(parse_rfc3339("2026-11-29T00:30:00+01:00"), Some(NOW));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
