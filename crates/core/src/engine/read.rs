//! Reading a decision's inputs from JSON text, for hosts that hand them over as text (the wasm
//! modules). Accepts what the serde derives accept, names a problem by its JSON pointer
//! (`/request/surfaces/0: expected a string`), and differs only where no host goes: a struct
//! written as an array of its fields is refused, a repeated field is read once (the last one
//! wins) instead of refused, and unknown fields are read as JSON like the rest (so one nested
//! over 128 levels deep is refused).
//!
//! Why not the derives: in the browser runtime their deserializers were a sixth of the module.
//! This reads a [`Value`] (which the runtime needs anyway for profiles and context) and takes
//! it apart; `tests::agrees_with_serde` holds the two to the same answers.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::input::{
    Consent, ConsentState, Counter, Counters, DecideInput, LocalEvent, Request, Snapshot, State,
};
use super::output::StateChanges;

/// An input that is not JSON, or not of the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where, as a JSON pointer into the input (empty for the whole input).
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for InputError {}

type Result<T> = std::result::Result<T, InputError>;

impl DecideInput {
    /// Reads `{snapshot?, context?, state?, now, request}`.
    pub fn from_json(text: &str) -> Result<DecideInput> {
        Reader::read(text, decide_input)
    }
}

impl State {
    /// Reads a visitor's local state.
    pub fn from_json(text: &str) -> Result<State> {
        Reader::read(text, state)
    }
}

impl StateChanges {
    /// Reads a decision's `stateChanges`.
    pub fn from_json(text: &str) -> Result<StateChanges> {
        Reader::read(text, |r, v| {
            let mut o = r.object(v)?;
            Ok(StateChanges {
                assignments: r
                    .field(&mut o, "assignments", assignments)?
                    .unwrap_or_default(),
            })
        })
    }
}

impl LocalEvent {
    /// Reads an event `{type, timestamp, target?, variant?, data?}`.
    pub fn from_json(text: &str) -> Result<LocalEvent> {
        Reader::read(text, local_event)
    }
}

/// The pointer to where reading is.
struct Reader {
    pointer: String,
}

impl Reader {
    fn read<T>(text: &str, read: impl FnOnce(&mut Reader, Value) -> Result<T>) -> Result<T> {
        let value = serde_json::from_str(text).map_err(|e| InputError {
            pointer: String::new(),
            message: format!("not JSON: {e}"),
        })?;
        read(
            &mut Reader {
                pointer: String::new(),
            },
            value,
        )
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(InputError {
            pointer: self.pointer.clone(),
            message: message.into(),
        })
    }

    fn expected<T>(&self, what: &str, found: &Value) -> Result<T> {
        let found = match found {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        self.error(format!("expected {what}, found {found}"))
    }

    /// Reads `key` of `object` (removing it) with `read`; `None` when absent.
    fn field<T>(
        &mut self,
        object: &mut Map<String, Value>,
        key: &str,
        read: impl FnOnce(&mut Reader, Value) -> Result<T>,
    ) -> Result<Option<T>> {
        // Keeping the others' order: `no_more` names the first unknown field, as serde does.
        let Some(value) = object.shift_remove(key) else {
            return Ok(None);
        };
        self.at(key, |r| read(r, value)).map(Some)
    }

    /// Runs `read` with `segment` added to the pointer.
    fn at<T>(&mut self, segment: &str, read: impl FnOnce(&mut Reader) -> Result<T>) -> Result<T> {
        let len = self.pointer.len();
        crate::bundle::push_pointer(&mut self.pointer, segment);
        let read = read(self)?;
        self.pointer.truncate(len);
        Ok(read)
    }

    fn required<T>(
        &mut self,
        object: &mut Map<String, Value>,
        key: &str,
        read: impl FnOnce(&mut Reader, Value) -> Result<T>,
    ) -> Result<T> {
        match self.field(object, key, read)? {
            Some(value) => Ok(value),
            None => self.error(format!("missing field `{key}`")),
        }
    }

    /// What is left of an object that takes no other fields.
    fn no_more(&self, object: Map<String, Value>) -> Result<()> {
        match object.keys().next() {
            Some(key) => self.error(format!("unknown field `{key}`")),
            None => Ok(()),
        }
    }

    fn object(&self, value: Value) -> Result<Map<String, Value>> {
        match value {
            Value::Object(map) => Ok(map),
            other => self.expected("an object", &other),
        }
    }

    fn list<T>(
        &mut self,
        value: Value,
        mut read: impl FnMut(&mut Reader, Value) -> Result<T>,
    ) -> Result<Vec<T>> {
        let Value::Array(items) = value else {
            return self.expected("an array", &value);
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            out.push(self.at(&i.to_string(), |r| read(r, item))?);
        }
        Ok(out)
    }

    /// An object's values, read with `read`.
    fn map<T>(
        &mut self,
        value: Value,
        mut read: impl FnMut(&mut Reader, Value) -> Result<T>,
    ) -> Result<BTreeMap<String, T>> {
        let mut out = BTreeMap::new();
        for (key, value) in self.object(value)? {
            let value = self.at(&key, |r| read(r, value))?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

fn any(_: &mut Reader, value: Value) -> Result<Value> {
    Ok(value)
}

fn string(r: &mut Reader, value: Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s),
        other => r.expected("a string", &other),
    }
}

fn optional_string(r: &mut Reader, value: Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        other => string(r, other).map(Some),
    }
}

fn int(r: &mut Reader, value: Value) -> Result<i64> {
    match value.as_i64() {
        Some(n) => Ok(n),
        None => r.expected("an integer", &value),
    }
}

fn count(r: &mut Reader, value: Value) -> Result<u64> {
    match value.as_u64() {
        Some(n) => Ok(n),
        None => r.expected("a non-negative integer", &value),
    }
}

fn strings(r: &mut Reader, value: Value) -> Result<Vec<String>> {
    r.list(value, string)
}

fn assignments(r: &mut Reader, value: Value) -> Result<BTreeMap<String, String>> {
    r.map(value, string)
}

fn decide_input(r: &mut Reader, value: Value) -> Result<DecideInput> {
    let mut o = r.object(value)?;
    let input = DecideInput {
        snapshot: r.field(&mut o, "snapshot", snapshot)?.unwrap_or_default(),
        context: r.field(&mut o, "context", any)?.unwrap_or_default(),
        state: r.field(&mut o, "state", state)?.unwrap_or_default(),
        now: r.required(&mut o, "now", int)?,
        request: r.required(&mut o, "request", request)?,
    };
    r.no_more(o)?;
    Ok(input)
}

fn request(r: &mut Reader, value: Value) -> Result<Request> {
    let mut o = r.object(value)?;
    let request = Request {
        surfaces: r.required(&mut o, "surfaces", strings)?,
        event: r
            .field(&mut o, "event", |r, v| match v {
                Value::Null => Ok(None),
                v => local_event(r, v).map(Some),
            })?
            .flatten(),
    };
    r.no_more(o)?;
    Ok(request)
}

fn snapshot(r: &mut Reader, value: Value) -> Result<Snapshot> {
    let mut o = r.object(value)?;
    Ok(Snapshot {
        profile_id: r.field(&mut o, "profileId", string)?.unwrap_or_default(),
        attributes: r.field(&mut o, "attributes", any)?.unwrap_or_default(),
        audiences: r.field(&mut o, "audiences", strings)?.unwrap_or_default(),
        consent: r
            .field(&mut o, "consent", |r, v| {
                let mut o = r.object(v)?;
                Ok(Consent {
                    personalize: r
                        .field(&mut o, "personalize", consent_state)?
                        .unwrap_or_default(),
                })
            })?
            .unwrap_or_default(),
        time_zone: r.field(&mut o, "timeZone", optional_string)?.flatten(),
        time_zone_rule: r.field(&mut o, "timeZoneRule", optional_string)?.flatten(),
        counters: r.field(&mut o, "counters", counters)?.unwrap_or_default(),
    })
}

fn consent_state(r: &mut Reader, value: Value) -> Result<ConsentState> {
    match value.as_str() {
        Some("in") => Ok(ConsentState::In),
        Some("out") => Ok(ConsentState::Out),
        Some("pending") => Ok(ConsentState::Pending),
        _ => r.expected("`in`, `out` or `pending`", &value),
    }
}

fn counters(r: &mut Reader, value: Value) -> Result<Counters> {
    let mut o = r.object(value)?;
    Ok(Counters {
        watermark: r.field(&mut o, "watermark", int)?.unwrap_or_default(),
        items: r
            .field(&mut o, "items", |r, v| r.list(v, counter))?
            .unwrap_or_default(),
    })
}

fn counter(r: &mut Reader, value: Value) -> Result<Counter> {
    let mut o = r.object(value)?;
    Ok(Counter {
        target: r.required(&mut o, "target", string)?,
        event: r.required(&mut o, "event", string)?,
        total: r.field(&mut o, "total", count)?.unwrap_or_default(),
        days: r
            .field(&mut o, "days", |r, v| r.map(v, count))?
            .unwrap_or_default(),
    })
}

fn state(r: &mut Reader, value: Value) -> Result<State> {
    let mut o = r.object(value)?;
    Ok(State {
        visitor_id: r.field(&mut o, "visitorId", string)?.unwrap_or_default(),
        session_start: r.field(&mut o, "sessionStart", int)?.unwrap_or_default(),
        assignments: r
            .field(&mut o, "assignments", assignments)?
            .unwrap_or_default(),
        events: r
            .field(&mut o, "events", |r, v| r.list(v, local_event))?
            .unwrap_or_default(),
    })
}

fn local_event(r: &mut Reader, value: Value) -> Result<LocalEvent> {
    let mut o = r.object(value)?;
    Ok(LocalEvent {
        event_type: r.required(&mut o, "type", string)?,
        timestamp: r.required(&mut o, "timestamp", int)?,
        target: r.field(&mut o, "target", optional_string)?.flatten(),
        variant: r.field(&mut o, "variant", optional_string)?.flatten(),
        data: r.field(&mut o, "data", any)?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn error(text: &str) -> String {
        match DecideInput::from_json(text) {
            Ok(input) => panic!("{text} read as {input:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn problems_name_their_place() {
        let request = r#""request": {"surfaces": ["web://a.example/"]}"#;
        assert_eq!(error(r#"{"now": 1}"#), "missing field `request`");
        assert_eq!(
            error(r#"{"now": 1, "request": {"surfaces": [1]}}"#),
            "/request/surfaces/0: expected a string, found a number"
        );
        assert_eq!(
            error(&format!(r#"{{"now": 1.5, {request}}}"#)),
            "/now: expected an integer, found a number"
        );
        assert_eq!(
            error(&format!(r#"{{"now": 1, "extra": 1, {request}}}"#)),
            "unknown field `extra`"
        );
        assert_eq!(
            error(&format!(
                r#"{{"now": 1, "state": {{"assignments": {{"a/b": 2}}}}, {request}}}"#
            )),
            "/state/assignments/a~1b: expected a string, found a number"
        );
        assert_eq!(
            error(&format!(
                r#"{{"now": 1, "snapshot": {{"consent": {{"personalize": "yes"}}}}, {request}}}"#
            )),
            "/snapshot/consent/personalize: expected `in`, `out` or `pending`, found a string"
        );
        assert!(
            error("{\n  \"now\": }").starts_with("not JSON: "),
            "{}",
            error("{")
        );
        assert!(error("{\n  \"now\": }").contains("line 2 column"));
    }

    #[test]
    fn reads_state_events_and_changes() {
        let state = State::from_json(
            r#"{"visitorId": "v", "events": [{"type": "click", "timestamp": 5, "target": null}]}"#,
        )
        .unwrap();
        assert_eq!(state.visitor_id, "v");
        assert_eq!(state.events[0].event_type, "click");
        assert_eq!(state.events[0].target, None);
        let event =
            LocalEvent::from_json(r#"{"type": "x", "timestamp": 2, "data": {"a": 1}}"#).unwrap();
        assert_eq!(event.data["a"], 1);
        assert_eq!(
            LocalEvent::from_json(r#"{"type": "x"}"#)
                .unwrap_err()
                .to_string(),
            "missing field `timestamp`"
        );
        let changes = StateChanges::from_json(r#"{"assignments": {"e": "B"}}"#).unwrap();
        assert_eq!(changes.assignments["e"], "B");
        assert_eq!(
            StateChanges::from_json("{}").unwrap(),
            StateChanges::default()
        );
    }
}
