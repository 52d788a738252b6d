//! Counting events for caps and frequencies: the central counters of the snapshot up to their
//! watermark, plus the visitor's local events after it.

use crate::bundle::Period;

use super::clock::Clock;
use super::input::{Counters, LocalEvent};

/// Counts events per target over the snapshot's counters and the local history.
#[derive(Debug)]
pub(crate) struct Tally<'a> {
    central: &'a Counters,
    local: &'a [LocalEvent],
    session_start: i64,
    clock: &'a Clock,
}

impl<'a> Tally<'a> {
    pub(crate) fn new(
        central: &'a Counters,
        local: &'a [LocalEvent],
        session_start: i64,
        clock: &'a Clock,
    ) -> Tally<'a> {
        Tally {
            central,
            local,
            session_start,
            clock,
        }
    }

    /// How many `event`s concerning any target accepted by `is_target` happened in `period`.
    pub(crate) fn count(
        &self,
        is_target: impl Fn(&str) -> bool,
        event: &str,
        period: Period,
    ) -> u64 {
        let central: u64 = match period {
            // The central API knows nothing of the host's sessions.
            Period::Session => 0,
            _ => self
                .central
                .items
                .iter()
                .filter(|c| c.event == event && is_target(&c.target))
                .map(|c| match period {
                    Period::Lifetime => c.total,
                    _ => c
                        .days
                        .iter()
                        .filter(|(day, _)| self.clock.key_in_period(day, period))
                        .map(|(_, n)| *n)
                        .sum(),
                })
                .sum(),
        };
        let since = match period {
            Period::Session => self.session_start,
            _ => self.central.watermark.saturating_add(1),
        };
        let local = self
            .local
            .iter()
            .filter(|e| e.timestamp >= since && e.event_type == event)
            .filter(|e| e.target.as_deref().is_some_and(&is_target))
            .filter(|e| {
                matches!(period, Period::Session | Period::Lifetime)
                    || self
                        .clock
                        .in_period(self.clock.date_of(e.timestamp), period)
            })
            .count() as u64;
        central + local
    }

    /// Counts for one target.
    pub(crate) fn of(&self, target: &str, event: &str, period: Period) -> u64 {
        self.count(|t| t == target, event, period)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::input::Counter;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: i64 = 1_795_908_600_000; // Saturday 2026-11-28 23:30 UTC
    const HOUR: i64 = 3_600_000;

    fn event(target: &str, kind: &str, timestamp: i64) -> LocalEvent {
        LocalEvent {
            event_type: kind.into(),
            timestamp,
            target: Some(target.into()),
            ..LocalEvent::default()
        }
    }

    #[test]
    fn central_days_plus_local_events_after_the_watermark() {
        let days = BTreeMap::from([
            ("2026-11-28".to_owned(), 2),
            ("2026-11-24".to_owned(), 1),
            ("2026-11-20".to_owned(), 4),
        ]);
        let central = Counters {
            watermark: NOW - 2 * HOUR,
            items: vec![Counter {
                target: "a".into(),
                event: "display".into(),
                total: 9,
                days,
            }],
        };
        let local = [
            event("a", "display", NOW - 3 * HOUR), // before the watermark: already counted
            event("a", "display", NOW - HOUR),
            event("a", "click", NOW - HOUR),
            event("b", "display", NOW - HOUR),
        ];
        let clock = Clock::new(NOW, None);
        let tally = Tally::new(&central, &local, NOW - 30 * 60_000, &clock);
        assert_eq!(tally.of("a", "display", Period::Day), 3);
        assert_eq!(tally.of("a", "display", Period::Week), 4);
        assert_eq!(tally.of("a", "display", Period::Month), 8);
        assert_eq!(tally.of("a", "display", Period::Lifetime), 10);
        assert_eq!(tally.of("a", "display", Period::Session), 0);
        assert_eq!(tally.of("a", "click", Period::Day), 1);
        assert_eq!(tally.count(|_| true, "display", Period::Day), 4);
    }
}
