//! Keeping the visitor's local state: hosts apply a decision's state changes and record the
//! events the visitor causes; the engine reads the result on the next decision.

use super::input::{LocalEvent, State};
use super::output::StateChanges;

/// At most this many events are kept; older ones go first.
pub const MAX_EVENTS: usize = 500;

/// Events older than this (relative to the newest one recorded) are dropped: 35 days, enough
/// for monthly caps. Longer windows come from the central counters.
pub const MAX_EVENT_AGE_MS: i64 = 35 * 24 * 3_600_000;

impl State {
    /// Applies what a decision implies (new sticky assignments).
    pub fn apply(&mut self, changes: &StateChanges) {
        for (experiment, variant) in &changes.assignments {
            self.assignments.insert(experiment.clone(), variant.clone());
        }
    }

    /// Records an event (a display, click, dismiss or custom event), keeping the history in
    /// timestamp order and within [`MAX_EVENTS`] and [`MAX_EVENT_AGE_MS`]. A held-out visitor's
    /// exposure (variant `"holdout"`) is not kept: nothing was shown, so it counts towards no
    /// cap.
    pub fn record(&mut self, event: LocalEvent) {
        if event.variant.as_deref() == Some(super::HOLDOUT) {
            return;
        }
        let at = self
            .events
            .partition_point(|e| e.timestamp <= event.timestamp);
        self.events.insert(at, event);
        let newest = self.events.last().map_or(0, |e| e.timestamp);
        let cutoff = newest.saturating_sub(MAX_EVENT_AGE_MS);
        let old = self.events.partition_point(|e| e.timestamp < cutoff);
        let excess = self.events.len().saturating_sub(MAX_EVENTS);
        self.events.drain(..old.max(excess));
    }

    /// Starts a new session at `now`: session caps count from here.
    pub fn start_session(&mut self, now: i64) {
        self.session_start = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn event(kind: &str, timestamp: i64) -> LocalEvent {
        LocalEvent {
            event_type: kind.into(),
            timestamp,
            ..LocalEvent::default()
        }
    }

    #[test]
    fn a_holdout_exposure_is_not_kept() {
        let mut state = State::default();
        state.record(LocalEvent {
            variant: Some("holdout".into()),
            target: Some("hero".into()),
            ..event("display", 10)
        });
        assert!(state.events.is_empty());
        state.record(LocalEvent {
            variant: Some("bold".into()),
            ..event("display", 10)
        });
        assert_eq!(state.events.len(), 1);
    }

    #[test]
    fn events_stay_ordered_bounded_and_recent() {
        let mut state = State::default();
        state.record(event("b", 20));
        state.record(event("a", 10));
        state.record(event("c", 30));
        let kinds: Vec<&str> = state.events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(kinds, ["a", "b", "c"]);
        state.record(event("late", 30 + MAX_EVENT_AGE_MS - 15));
        let kinds: Vec<&str> = state.events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(kinds, ["b", "c", "late"]);
        for i in 0..(MAX_EVENTS as i64 + 10) {
            state.record(event("x", MAX_EVENT_AGE_MS + 100 + i));
        }
        assert_eq!(state.events.len(), MAX_EVENTS);
        assert_eq!(state.events[0].timestamp, MAX_EVENT_AGE_MS + 110);
    }

    #[test]
    fn decisions_leave_sticky_assignments() {
        let mut state = State::default();
        let mut changes = StateChanges::default();
        changes.assignments.insert("exp".into(), "B".into());
        state.apply(&changes);
        assert_eq!(state.assignments["exp"], "B");
    }
}
