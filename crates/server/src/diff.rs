//! What a draft changes against the live bundle: activities, offers, placements and policies
//! matched by `id` (added, removed, changed with the JSON pointers of the changed fields,
//! relative to the item), plus the other top-level fields that differ.
//!
//! Fields the server writes on publication are left out: `revision`, `paused`, `exhausted`,
//! and the bandit weights of experiments (`/experiment/bandit`).

use serde_json::{Map, Value, json};

/// The lists compared item by item.
const LISTS: [&str; 4] = ["activities", "offers", "placements", "policies"];
/// Top-level fields the server sets.
const SERVER_FIELDS: [&str; 3] = ["revision", "paused", "exhausted"];

/// `{"activities": {"added": [id], "removed": [id], "changed": [{"id", "fields": [pointer]}]},
/// …, "other": [pointer]}`; `identical` is true when nothing differs.
pub fn bundles(live: &Value, draft: &Value) -> Value {
    let mut out = Map::new();
    let mut identical = true;
    for list in LISTS {
        let before = items(live, list);
        let after = items(draft, list);
        let added: Vec<&str> = after
            .iter()
            .filter(|(id, _)| !before.iter().any(|(b, _)| b == id))
            .map(|(id, _)| *id)
            .collect();
        let removed: Vec<&str> = before
            .iter()
            .filter(|(id, _)| !after.iter().any(|(a, _)| a == id))
            .map(|(id, _)| *id)
            .collect();
        let mut changed = Vec::new();
        for (id, new) in &after {
            let Some((_, old)) = before.iter().find(|(b, _)| b == id) else {
                continue;
            };
            let mut fields = Vec::new();
            pointers(
                &strip(list, old),
                &strip(list, new),
                String::new(),
                &mut fields,
            );
            if !fields.is_empty() {
                changed.push(json!({ "id": id, "fields": fields }));
            }
        }
        identical &= added.is_empty() && removed.is_empty() && changed.is_empty();
        out.insert(
            list.to_owned(),
            json!({ "added": added, "removed": removed, "changed": changed }),
        );
    }
    let mut other = Vec::new();
    let rest = |bundle: &Value| {
        let mut map = bundle.as_object().cloned().unwrap_or_default();
        for field in LISTS.iter().chain(SERVER_FIELDS.iter()) {
            map.remove(*field);
        }
        Value::Object(map)
    };
    pointers(&rest(live), &rest(draft), String::new(), &mut other);
    identical &= other.is_empty();
    out.insert("other".into(), json!(other));
    out.insert("identical".into(), json!(identical));
    Value::Object(out)
}

/// The items of a list with their ids (items without a string id are skipped: a draft is valid,
/// so every item has one).
fn items<'a>(bundle: &'a Value, list: &str) -> Vec<(&'a str, &'a Value)> {
    bundle[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| Some((item["id"].as_str()?, item)))
                .collect()
        })
        .unwrap_or_default()
}

/// An item without the fields the server writes.
fn strip(list: &str, item: &Value) -> Value {
    let mut item = item.clone();
    if list == "activities"
        && let Some(experiment) = item.get_mut("experiment").and_then(Value::as_object_mut)
    {
        experiment.remove("bandit");
    }
    item
}

/// Pushes the pointer (below `at`) of every leaf that differs: object members by key, array
/// elements by index, anything else by value.
fn pointers(old: &Value, new: &Value, at: String, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = format!("{at}/{}", escape(key));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => pointers(x, y, child, out),
                    _ => out.push(child),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let child = format!("{at}/{i}");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => pointers(x, y, child, out),
                    _ => out.push(child),
                }
            }
        }
        (a, b) if a == b => {}
        _ => out.push(at),
    }
}

/// RFC 6901: `~` as `~0`, `/` as `~1`.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_matched_by_id_and_fields_named_by_pointer() {
        let live = json!({"revision": 4, "id": "b", "activities": [
            {"id": "a1", "priority": 1, "experiment": {"id": "e", "bandit": [0.5, 0.5]}},
            {"id": "gone"}
        ], "offers": [{"id": "o1", "attributes": {"a/b": 1}}]});
        let draft = json!({"id": "b", "settings": {"cardFeedSize": 3}, "activities": [
            {"id": "a1", "priority": 2, "experiment": {"id": "e"}},
            {"id": "new"}
        ], "offers": [{"id": "o1", "attributes": {"a/b": 2}}]});
        let diff = bundles(&live, &draft);
        assert_eq!(diff["activities"]["added"], json!(["new"]));
        assert_eq!(diff["activities"]["removed"], json!(["gone"]));
        assert_eq!(
            diff["activities"]["changed"],
            json!([{"id": "a1", "fields": ["/priority"]}])
        );
        assert_eq!(
            diff["offers"]["changed"],
            json!([{"id": "o1", "fields": ["/attributes/a~1b"]}])
        );
        assert_eq!(diff["other"], json!(["/settings"]));
        assert_eq!(diff["identical"], json!(false));
        assert_eq!(bundles(&live, &live)["identical"], json!(true));
    }
}
