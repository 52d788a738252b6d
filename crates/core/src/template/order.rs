//! Object key order: what `{{#each}}` over an object, `@key`/`@first`/`@last` and the JSON
//! text of an object (`{{json x}}`, `{{obj}}`) follow.
//!
//! Objects keep the keys in the order of the JSON text they were read from (serde_json's
//! `preserve_order`, end to end: bundle, profile, context, compiled bundle). Templates then see
//! them in JavaScript's own-property order, as handlebars.js does (`Object.keys`): the keys that
//! are array indices (`"0"`, `"7"`, `"42"`: the canonical decimal form of an integer below
//! 2³² − 1) first, in ascending numeric order, then every other key in the data's order.
//!
//! That is also the only order the browser can keep: the SDK hands its data to the runtime
//! through `JSON.stringify` of JavaScript objects, which already puts index keys first. Applying
//! the same rule here makes every runtime (native, wasm, Workers) render the same data the same
//! way, whether or not it went through a JavaScript object on the way.

use serde_json::{Map, Value};

/// The array index `key` spells in ECMAScript's sense, if any: the canonical decimal form
/// (no sign, no leading zero, no spaces) of an integer from 0 to 2³² − 2.
pub(crate) fn array_index(key: &str) -> Option<u32> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if b.len() > 1 && b.first() == Some(&b'0') {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

/// The sort key putting index keys first (ascending), then the others (a stable sort keeps
/// their order).
pub(crate) fn rank(key: &str) -> (bool, u32) {
    match array_index(key) {
        Some(i) => (false, i),
        None => (true, 0),
    }
}

/// The entries of `map` in JavaScript's own-property order.
pub(crate) fn entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut out: Vec<(&String, &Value)> = map.iter().collect();
    if out.iter().any(|(k, _)| array_index(k).is_some()) {
        out.sort_by_key(|(k, _)| rank(k));
    }
    out
}

/// `value` as compact JSON text with the keys of every object in JavaScript's order: what
/// `JSON.stringify` writes for the same data (numbers as serde_json writes them).
pub(crate) fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key.as_str()).unwrap_or_default());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn array_indices_are_canonical_integers_below_two_to_the_32_minus_one() {
        for (key, index) in [
            ("0", Some(0)),
            ("7", Some(7)),
            ("42", Some(42)),
            ("4294967294", Some(4_294_967_294)),
            ("4294967295", None),
            ("99999999999", None),
            ("01", None),
            ("-1", None),
            ("+1", None),
            ("1.0", None),
            (" 1", None),
            ("", None),
            ("١", None),
        ] {
            assert_eq!(array_index(key), index, "{key:?}");
        }
    }

    #[test]
    fn index_keys_come_first_then_the_data_order() {
        let v: Value =
            serde_json::from_str(r#"{"b": 1, "10": 2, "a": 3, "2": 4, "01": 5, "": 6}"#).unwrap();
        let keys: Vec<&str> = entries(v.as_object().unwrap())
            .into_iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["2", "10", "b", "a", "01", ""]);
        assert_eq!(
            to_json(&json!([v, "x\"", 1.5, null])),
            r#"[{"2":4,"10":2,"b":1,"a":3,"01":5,"":6},"x\"",1.5,null]"#
        );
    }
}
